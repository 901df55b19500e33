"""The company profile as HR keeps it: the contact fields only. The name, the tiers, the account
manager and the relationship notes are the center's and stay out of HR's reach."""

from flask_babel import lazy_gettext as _l

from checkup.core import audit
from checkup.core.errors import ValidationError
from checkup.models import Organization
from checkup.models.base import db
from checkup.services.accounts.organizations import (
    MAX_EMPLOYEES,
    changed_fields,
    get_organization,
    is_web_address,
    length_errors,
)

HR_FIELDS = (
    "address",
    "phone",
    "fax",
    "website",
    "email",
    "manager",
    "business_scope",
    "employee_count",
    "health_contact",
)


def profile_values(organization):
    return {name: getattr(organization, name) for name in HR_FIELDS}


def _clean(values):
    data = {}
    for name in HR_FIELDS:
        value = values.get(name)
        data[name] = value.strip() if isinstance(value, str) else value
        if data[name] is None and name != "employee_count":
            data[name] = ""
    data["email"] = data["email"].lower()
    errors = length_errors(Organization, data, long_fields=("business_scope",))
    if data["website"] and not is_web_address(data["website"]):
        errors["website"] = _l("Enter a web address starting with http:// or https://.")
    count = data["employee_count"]
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_EMPLOYEES):
        errors["employee_count"] = _l("Enter a whole number from 0 to %(max)d.", max=MAX_EMPLOYEES)
    if errors:
        raise ValidationError(_l("Please correct the marked fields."), errors)
    return data


def update_profile(actor, organization_id, values):
    """Save HR's contact fields of its own organization (only those) and audit which changed.

    Raises ValidationError (nothing written) or NotFound."""
    organization = get_organization(organization_id)
    data = _clean(values)
    changed = changed_fields(profile_values(organization), data)
    with db.atomic():
        if changed:
            Organization.update(**{name: data[name] for name in changed}).where(
                Organization.id == organization.id
            ).execute()
        audit.record(actor, "hr.profile_updated", organization, fields=changed)
    return get_organization(organization.id)
