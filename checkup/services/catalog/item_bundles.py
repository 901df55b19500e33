"""What packages and add-on modules share: a coded, priced bundle of exam items, saved with its item list
all or nothing and audited."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit
from checkup.core.errors import ValidationError
from checkup.models.base import db
from checkup.services.catalog.catalog import FIX_FIELDS, changes_of


@dataclass(frozen=True)
class BundleKind:
    """The bundle's model, its item-link model and the link's field naming the bundle, and the audit
    actions of its changes."""

    model: type
    link: type
    link_field: str
    created: str
    updated: str
    activated: str
    deactivated: str


def save(kind, actor, bundle, values, items_before):
    """Create (``bundle`` None) or update a bundle with ``values`` (their "items": the item ids, sorted)
    and replace its item list, in one transaction; returns the bundle's id. A code already used raises
    ValidationError."""
    values = dict(values)
    item_ids = values.pop("items")
    try:
        with db.atomic():
            if bundle is None:
                bundle = kind.model.create(**values)
                audit.record(actor, kind.created, bundle, code=bundle.code, items=item_ids)
            else:
                diff = changes_of(bundle, values)
                if items_before != item_ids:
                    diff["items"] = [items_before, item_ids]
                kind.model.update(**values).where(kind.model.id == bundle.id).execute()
                kind.link.delete().where(getattr(kind.link, kind.link_field) == bundle.id).execute()
                audit.record(actor, kind.updated, bundle, changes=diff)
            kind.link.insert_many([{kind.link_field: bundle.id, "item": i} for i in item_ids]).execute()
    except IntegrityError:
        raise ValidationError(FIX_FIELDS, {"code": _l("The code %(code)s is already used.", code=values["code"])})
    return bundle.id


def set_active(kind, actor, bundle, active):
    with db.atomic():
        kind.model.update(active=bool(active)).where(kind.model.id == bundle.id).execute()
        audit.record(actor, kind.activated if active else kind.deactivated, bundle)
