"""Admin: the catalog's add-on modules, the stations' order rules and the physicians at each station (views of
the ``catalog`` blueprint)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.admin.catalog import add_rule_errors, bp, invalid_status, validated_field
from checkup.core.arguments import id_from_text
from checkup.core.errors import ValidationError
from checkup.core.i18n import localized
from checkup.forms.catalog import ModuleForm, OrderRuleForm, values_of
from checkup.forms.station_staff import StationStaffForm, station_staff_form
from checkup.services.catalog import addon_modules as modules
from checkup.services.catalog import catalog_packages, station_order
from checkup.services.catalog.catalog import departments
from checkup.services.exam import station_staff
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, wants_fragment

MODULE_FIELDS = modules.MODULE_FIELDS + ("items",)


# --- add-on modules -------------------------------------------------------------------------------


@bp.get("/modules")
def module_list():
    search = request.args.get("q", "").strip()[:100]
    return render_page(
        "catalog/modules.html", "catalog/_module_rows.html", modules=modules.list_modules(search), search=search
    )


def _module_form_page(form, module, status=200):
    selected = {int(i) for i in (form.items.data or []) if str(i).isdigit() and len(str(i)) < 10}
    return render_page(
        "catalog/module_form.html",
        form=form,
        module=module,
        selected=selected,
        groups=catalog_packages.items_by_department(selected),
        status=status,
    )


def _save_module(form, module=None):
    """Validate and save; a redirect on success, else the form page with the errors placed on ``form``."""
    module_id = module.id if module else None
    outcome = submit(form, lambda: modules.save_module(actor(), values_of(form, MODULE_FIELDS), module_id))
    if outcome.done:
        flash(_("Add-on module %(code)s saved.", code=outcome.result.code), "success")
        return redirect(url_for("catalog.module_list"), code=303)
    if outcome.invalid:
        add_rule_errors(form, lambda: modules.module_problems(values_of(form, MODULE_FIELDS), module_id)[1])
    return _module_form_page(form, module, outcome.status)


@bp.route("/modules/new", methods=["GET", "POST"])
def module_new():
    return _save_module(ModuleForm())


@bp.route("/modules/<int:module_id>/edit", methods=["GET", "POST"])
def module_edit(module_id):
    module = modules.get_module(module_id)
    if request.method == "GET":
        data = {k: getattr(module, k) for k in modules.MODULE_FIELDS}
        data["items"] = [str(i) for i in modules.module_item_ids(module.id)]
        form = ModuleForm(data=data)
    else:
        form = ModuleForm()
    return _save_module(form, module)


@bp.post("/modules/validate/<field>")
@bp.post("/modules/<int:module_id>/validate/<field>")
def module_validate(field, module_id=None):
    module = modules.get_module(module_id) if module_id is not None else None
    form = ModuleForm()
    return validated_field(
        form,
        field,
        lambda: modules.module_problems(values_of(form, MODULE_FIELDS), module.id if module else None)[1],
    )


@bp.post("/modules/<int:module_id>/active")
def module_active(module_id):
    active = request.form.get("active") == "1"
    module = modules.set_module_active(actor(), module_id, active)
    if wants_fragment():
        return render_template("catalog/_module_row.html", module=modules.module_row(module.id))
    flash(
        _("Add-on module %(code)s is now offered.", code=module.code)
        if active
        else _("Add-on module %(code)s is no longer offered.", code=module.code),
        "success",
    )
    return redirect(url_for("catalog.module_list"), code=303)


# --- the order of stations on the floor ----------------------------------------------------------------


def _rule_form(form=None):
    form = form or OrderRuleForm(formdata=None)
    choices = [("", "—")] + [(str(d.id), f"{d.code} · {localized(d)}") for d in departments()]
    form.before.choices = form.after.choices = choices
    return form


@bp.route("/station-order", methods=["GET", "POST"])
def station_rules():
    """The rules the guide sheet orders stations by (after "fasting first"); add one, or see them all."""
    form, status = _rule_form(), 200
    if request.method == "POST":
        form = _rule_form(OrderRuleForm())
        if form.validate():
            try:
                station_order.add_rule(actor(), values_of(form, ("before", "after", "note_en", "note_zh")))
            except ValidationError as exc:
                for name, message in exc.field_errors.items():
                    form[name].errors = list(form[name].errors) + [message]
                status = 422
            else:
                flash(_("Order rule added."), "success")
                return redirect(url_for("catalog.station_rules"), code=303)
        else:
            status = 422
    return render_page("catalog/station_order.html", form=form, rules=station_order.list_rules(), status=status)


@bp.post("/station-order/<int:rule_id>/delete")
def station_rule_delete(rule_id):
    station_order.delete_rule(actor(), rule_id)
    flash(_("Order rule deleted."), "success")
    return redirect(url_for("catalog.station_rules"), code=303)


# --- the physicians at each station ----------------------------------------------------------------------


def _staff_page(form=None, status=200, notice=None):
    listed = station_staff.physicians_with_stations()
    form = station_staff_form(listed, station_staff.stations(), form)
    return render_page(
        "catalog/station_staff.html",
        "catalog/_station_staff.html",
        listed=listed,
        form=form,
        notice=notice,
        status=status,
    )


def _staff_changed(message):
    """After a change: htmx gets the list and a fresh form with the message in them; a plain form the 303."""
    if wants_fragment():
        return _staff_page(notice=message)
    flash(message, "success")
    return redirect(url_for("catalog.station_staff_list"), code=303)


def _assigned_message(change):
    names = dict(name=change.physician.name, station=localized(change.station))
    if not change.changed:
        return _("%(name)s already works at %(station)s.", **names)
    if change.was_everywhere:
        return _("%(name)s now works at %(station)s only, no longer at every station.", **names)
    return _("%(name)s now works at %(station)s as well.", **names)


def _removed_message(change):
    names = dict(name=change.physician.name, station=localized(change.station))
    if change.changed and change.everywhere:
        return _(
            "%(name)s no longer works at %(station)s. With no station left, they work at every station again.", **names
        )
    if change.changed:
        return _("%(name)s no longer works at %(station)s.", **names)
    if change.everywhere:
        return _("Nothing to remove: %(name)s has no station listed and works at every station.", **names)
    return _("Nothing to remove: %(name)s does not work at %(station)s.", **names)


@bp.get("/station-staff")
def station_staff_list():
    """Each active physician with the stations they work at ("every station" when none is listed)."""
    return _staff_page()


@bp.post("/station-staff")
def station_staff_add():
    form = StationStaffForm()
    outcome = submit(
        form, lambda: station_staff.assign(actor(), id_from_text(form.physician.data), id_from_text(form.station.data))
    )
    if outcome.done:
        return _staff_changed(_assigned_message(outcome.result))
    return _staff_page(form, status=invalid_status())


@bp.post("/station-staff/<int:user_id>/stations/<int:department_id>/remove")
def station_staff_remove(user_id, department_id):
    return _staff_changed(_removed_message(station_staff.remove(actor(), user_id, department_id)))
