"""Client care: next year's checkup — who is due, and inviting them (/care/reenrollment)."""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _

from checkup.blueprints.care import reenrollment_rows
from checkup.forms.care import RunReenrollmentForm
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.services.care import reenrollment
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("reenrollment", __name__, url_prefix="/care/reenrollment")
restrict_blueprint(bp, COUNSELOR, ADMIN)


@bp.get("")
def index():
    sent = reenrollment.recent_invitations()
    funnel = reenrollment.funnel_figures(sent)
    due = reenrollment.due_names()
    return render_page(
        "management/reenrollment.html",
        funnel=funnel,
        due=due,
        due_rows=reenrollment_rows.due_rows(due),
        sent=sent,
        sent_rows=reenrollment_rows.sent_rows(sent),
        form=RunReenrollmentForm(),
    )


@bp.post("/run")
def run():
    form = RunReenrollmentForm()
    if form.validate_on_submit():
        reenrollment.run_now(actor())
        flash(_("Invitations are being sent to every client who is due."), "success")
    return redirect(url_for(".index"), 303)
