"""Admin: the exam floor's stations in the catalog — the order rules between stations and the physicians who
work at each (views of the ``catalog`` blueprint)."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.admin.catalog import bp, invalid_status
from checkup.core.arguments import id_from_text
from checkup.core.errors import ValidationError
from checkup.core.i18n import is_chinese, localized
from checkup.forms.catalog import OrderRuleForm, values_of
from checkup.forms.station_staff import StationStaffForm, station_staff_form
from checkup.services.catalog import station_order
from checkup.services.exam import station_staff
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, wants_fragment

# --- the order of stations on the floor ----------------------------------------------------------------


def _rule_form(form=None):
    form = form or OrderRuleForm(formdata=None)
    chinese = is_chinese()
    choices = [("", "—")] + [
        (str(id_), f"{code} · {name_zh if chinese and name_zh else name_en}")
        for id_, code, name_en, name_zh in station_order.station_choices()
    ]
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
