"""Admin: how new follow-ups are assigned, when "unreachable" may close one, counselors' departments."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from checkup.core.errors import ValidationError
from checkup.forms.followups import AssignmentSettingsForm, StaffDepartmentForm
from checkup.models.accounts import ADMIN
from checkup.services.care import followup_assignment
from checkup.web.form_round_trip import apply_errors, submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("care_settings", __name__, url_prefix="/admin/care/assignment")
restrict_blueprint(bp, ADMIN)


def _member_form(form=None):
    form = form or StaffDepartmentForm()
    form.user.choices = [("", "—")] + [(str(u.id), f"{u.name} <{u.email}>") for u in followup_assignment.counselors()]
    form.department.choices = [("", "—")] + [
        (str(id_), name_en + (f" {name_zh}" if name_zh else ""))
        for id_, name_en, name_zh in followup_assignment.department_names()
    ]
    return form


def _page(settings_form=None, member_form=None, status=200):
    settings_form = settings_form or AssignmentSettingsForm(
        data={
            "mode": followup_assignment.assignment_mode(),
            "unreachable_after": followup_assignment.unreachable_after(),
        }
    )
    return render_page(
        "admin/care_settings.html",
        settings_form=settings_form,
        member_form=_member_form(member_form),
        rows=followup_assignment.staff_departments(),
        status=status,
    )


def _number(value):
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


@bp.get("")
def index():
    return _page()


@bp.post("")
def save():
    form = AssignmentSettingsForm()
    if submit(
        form, lambda: followup_assignment.save_settings(actor(), form.mode.data, form.unreachable_after.data)
    ).done:
        flash(_("Assignment settings saved. They apply to follow-ups created from now on."), "success")
        return redirect(url_for("care_settings.index"), code=303)
    return _page(settings_form=form, status=422)


@bp.post("/departments")
def add_member():
    form = _member_form()
    try:
        followup_assignment.set_department(
            actor(), _number(form.user.data), _number(form.department.data), form.is_head.data
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return _page(member_form=form, status=422)
    flash(_("Department saved."), "success")
    return redirect(url_for("care_settings.index"), code=303)


@bp.post("/departments/<int:membership_id>/delete")
def remove_member(membership_id):
    followup_assignment.remove_department(actor(), membership_id)
    flash(_("Removed from the department."), "success")
    return redirect(url_for("care_settings.index"), code=303)
