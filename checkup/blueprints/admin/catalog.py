"""Admin: the exam catalog — items, their reference ranges, inline edits and field validation.

Packages and resources live in ``catalog_packages`` on the same blueprint (imported at the end).
"""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.admin import catalog_rows
from checkup.core.arguments import id_from_text
from checkup.core.errors import Conflict
from checkup.core.i18n import is_chinese
from checkup.forms.catalog import ItemForm, QuickItemForm, RangeForm, container_choices, values_of
from checkup.models.accounts import ADMIN
from checkup.services.catalog import catalog, containers
from checkup.web.checked_fields import FieldChecks
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint, wants_fragment

bp = Blueprint("catalog", __name__, url_prefix="/admin/catalog")
restrict_blueprint(bp, ADMIN)
# the catalog forms' fields that check themselves as they are left: field_checks(endpoint, args)(field)
bp.add_app_template_global(FieldChecks, "field_checks")
# the catalog's navigation as catalog/_subnav.html renders it, kept per language, page and mount point
bp.add_app_template_global(catalog_rows.subnav, "catalog_subnav")

ITEM_FIELDS = catalog.ITEM_FIELDS
QUICK_FIELDS = ("name_en", "name_zh", "unit", "price", "active")


def invalid_status():
    """422 for a page with field errors; 200 for an htmx swap, which htmx 2 drops on 4xx by default."""
    return 200 if wants_fragment() else 422


def go(endpoint, **values):
    """After a write: 303 to ``endpoint``, or a full-page HX-Redirect when htmx sent the request."""
    url = url_for(endpoint, **values)
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def add_rule_errors(form, problems):
    """Also show the service's rule messages (taken codes, missing items, …) on the fields that parsed fine."""
    for name, message in problems().items():
        if name in form._fields and not form[name].errors:
            form[name].errors = list(form[name].errors) + [message]


def validated_field(form, field, problems):
    """One field re-rendered with its errors (form parsing first, then the service's rules); reads only."""
    if field not in form._fields or field == "csrf_token":
        abort(404)
    form.validate()
    add_rule_errors(form, problems)
    args = {k: v for k, v in request.view_args.items() if k != "field"}
    return render_template("catalog/_validated_field.html", f=form[field], endpoint=request.endpoint, args=args)


def _choice(row, chinese):
    """(id, "code · name"), the name as ``localized`` gives it (the language asked once per form, not per row)."""
    return (str(row.id), f"{row.code} · {(chinese and row.name_zh) or row.name_en}")


def _prepare_item_form(form, item=None):
    chinese = is_chinese()
    departments = [_choice(d, chinese) for d in catalog.department_names()]  # read once, listed twice
    form.department.choices = [("", "—")] + departments
    form.resource.choices = [("", _("None"))] + [
        _choice(r, chinese)
        for r in catalog.resource_names()
        if r.active or (item is not None and r.id == item.resource_id)
    ]
    form.container.choices = container_choices()
    form.station.choices = [("", _("Its department"))] + departments
    return form


def _item_form_data(item):
    data = {k: getattr(item, k) for k in ITEM_FIELDS if k not in catalog.FK_FIELDS}
    data.update(
        department=str(item.department_id), resource=str(item.resource_id or ""), station=str(item.station_id or "")
    )
    return data


@bp.get("")
def index():
    return redirect(url_for("catalog.items"))


@bp.get("/items")
def items():
    search = request.args.get("q", "").strip()[:100]
    department = id_from_text(request.args.get("department", ""))
    rows = catalog.list_items(search, department)
    return render_page(
        "catalog/items.html",
        "catalog/_item_rows.html",
        item_rows_html=catalog_rows.item_rows(rows),
        search=search,
        department_options=lambda: catalog_rows.department_options(
            catalog.department_names(), department, is_chinese()
        ),
    )


@bp.route("/items/new", methods=["GET", "POST"])
def item_new():
    form = _prepare_item_form(ItemForm())
    outcome = submit(form, lambda: catalog.create_item(actor(), values_of(form, ITEM_FIELDS)))
    if outcome.done:
        flash(_("Item %(code)s added.", code=outcome.result.code), "success")
        return redirect(url_for("catalog.item_detail", item_id=outcome.result.id), code=303)
    if outcome.invalid:
        add_rule_errors(form, lambda: catalog.item_problems(values_of(form, ITEM_FIELDS))[1])
    return render_page("catalog/item_form.html", form=form, item=None, status=outcome.status)


@bp.get("/items/<int:item_id>")
def item_detail(item_id):
    item = catalog.get_item(item_id)
    ranges = catalog.item_ranges(item.id)
    station = item.station if item.station_id else None

    def render():
        return render_template(
            "catalog/_item_detail_body.html",
            item=item,
            container=containers.container(item.container),
            ranges=ranges,
            range_form=RangeForm(formdata=None),
        )

    return render_page(
        "catalog/item_detail.html", item=item, kept_body=catalog_rows.kept_item_body(item, station, ranges, render)
    )


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def item_edit(item_id):
    item = catalog.get_item(item_id)
    form = ItemForm(data=_item_form_data(item)) if request.method == "GET" else ItemForm()
    _prepare_item_form(form, item)
    outcome = submit(form, lambda: catalog.update_item(actor(), item.id, values_of(form, ITEM_FIELDS)))
    if outcome.done:
        flash(_("Item %(code)s saved.", code=form.code.data), "success")
        return redirect(url_for("catalog.item_detail", item_id=item.id), code=303)
    if outcome.invalid:
        add_rule_errors(form, lambda: catalog.item_problems(values_of(form, ITEM_FIELDS), item.id)[1])
    return render_page("catalog/item_form.html", form=form, item=item, status=outcome.status)


@bp.post("/items/validate/<field>")
@bp.post("/items/<int:item_id>/validate/<field>")
def item_validate(field, item_id=None):
    item = catalog.get_item(item_id) if item_id is not None else None
    form = _prepare_item_form(ItemForm(), item)
    return validated_field(
        form, field, lambda: catalog.item_problems(values_of(form, ITEM_FIELDS), item.id if item else None)[1]
    )


@bp.post("/items/<int:item_id>/delete")
def item_delete(item_id):
    try:
        item = catalog.delete_item(actor(), item_id)
    except Conflict as exc:
        flash(
            _("%(code)s was not deleted. %(reason)s", code=catalog.get_item(item_id).code, reason=exc.message), "error"
        )
        return go("catalog.item_detail", item_id=item_id)
    flash(_("Item %(code)s deleted.", code=item.code), "success")
    return go("catalog.items")


# --- inline edit of a row in the items list ------------------------------------------------------


def _quick_form(item, formdata=None):
    prefix = f"item-{item.id}"
    if formdata is None:
        return QuickItemForm(prefix=prefix, formdata=None, data={k: getattr(item, k) for k in QUICK_FIELDS})
    return QuickItemForm(prefix=prefix)


def _item_row_page(row):
    """One row of the list, swapped back after an inline edit."""
    return render_template("catalog/_item_row.html", item=row, item_rows_html=catalog_rows.item_rows([row]))


@bp.get("/items/<int:item_id>/row")
def item_row(item_id):
    item = catalog.get_item(item_id)
    if not wants_fragment():
        return redirect(url_for("catalog.items"))
    return _item_row_page(catalog.item_list_row(item))


@bp.get("/items/<int:item_id>/row/edit")
def item_row_form(item_id):
    item = catalog.get_item(item_id)
    return render_page("catalog/item_quick_edit.html", "catalog/_item_row_form.html", item=item, form=_quick_form(item))


@bp.post("/items/<int:item_id>/row")
def item_row_save(item_id):
    item = catalog.get_item(item_id)
    form = _quick_form(item, request.form)
    outcome = submit(form, lambda: catalog.update_item(actor(), item.id, values_of(form, QUICK_FIELDS)))
    if outcome.done:
        if not wants_fragment():
            flash(_("Item %(code)s saved.", code=outcome.result.code), "success")
            return redirect(url_for("catalog.items"), code=303)
        return _item_row_page(catalog.item_list_row(outcome.result))
    return render_page(
        "catalog/item_quick_edit.html", "catalog/_item_row_form.html", item=item, form=form, status=invalid_status()
    )


# --- reference ranges -----------------------------------------------------------------------------


@bp.post("/items/<int:item_id>/ranges")
def range_add(item_id):
    item = catalog.get_item(item_id)
    form = RangeForm()
    outcome = submit(form, lambda: catalog.add_range(actor(), item.id, values_of(form, catalog.RANGE_FIELDS)))
    if outcome.done:
        if not wants_fragment():
            flash(_("Reference range added."), "success")
            return redirect(url_for("catalog.item_detail", item_id=item.id, _anchor="ranges"), code=303)
        return render_template(
            "catalog/_range_added.html",
            item=item,
            ranges=catalog.item_ranges(item.id),
            range_form=RangeForm(formdata=None),
        )
    if wants_fragment():
        response = make_response(
            render_template("catalog/_range_form.html", item=item, range_form=form, range_error=outcome.form_error)
        )
        response.headers["HX-Retarget"] = "#range-form"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return render_page(
        "catalog/item_detail.html",
        item=item,
        container=containers.container(item.container),
        ranges=catalog.item_ranges(item.id),
        range_form=form,
        range_error=outcome.form_error,
        status=422,
    )


@bp.post("/items/<int:item_id>/ranges/<int:range_id>/delete")
def range_delete(item_id, range_id):
    catalog.delete_range(actor(), item_id, range_id)
    if wants_fragment():  # every remaining row, so the empty-table message comes back after the last one
        return render_template(
            "catalog/_range_rows.html", item=catalog.get_item(item_id), ranges=catalog.item_ranges(item_id)
        )
    flash(_("Reference range deleted."), "success")
    return redirect(url_for("catalog.item_detail", item_id=item_id, _anchor="ranges"), code=303)
