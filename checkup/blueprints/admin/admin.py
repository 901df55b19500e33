"""Center management: the dashboard, the audit log and the background work (failed and dead tasks)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.admin.audit_rows import action_options, audit_rows
from checkup.forms.tasks import DiscardTaskForm
from checkup.models.accounts import ADMIN
from checkup.services.access import care_access
from checkup.services.admin import admin_overview, task_overview
from checkup.services.privacy import data_rights
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint, wants_fragment

bp = Blueprint("admin", __name__, url_prefix="/admin")
restrict_blueprint(bp, ADMIN)


@bp.get("")
def dashboard():
    return render_page(
        "admin/dashboard.html",
        counts=admin_overview.counts(),
        attention=task_overview.attention(),
        data_requests=data_rights.queue_counts(),
        break_glass=care_access.to_review_count(),
    )


@bp.get("/audit")
def audit_log():
    """Newest first; ``before``/``after`` (an event id) step to the older or newer page."""
    action = request.args.get("action", "").strip()[:60]
    events = admin_overview.audit_page(request.args.get("before"), request.args.get("after"), action)
    return render_page(
        "admin/audit.html",
        "admin/_audit_rows.html",
        log=events,
        audit_rows=audit_rows,
        action_options=action_options,
        action=action,
        actions=[] if wants_fragment() else admin_overview.audit_actions(),
    )


@bp.get("/tasks")
def tasks():
    view = task_overview.overview(
        request.args.get("page", "1"), request.args.get("state", ""), request.args.get("kind", "")
    )
    return render_page("admin/tasks.html", "admin/_tasks.html", view=view)


def _listing_after_action(message=None, task_id=None, form=None):
    """The list the buttons were pressed on (its filters come back as hidden fields). htmx: the overview
    swapped in place, a refused reason shown at its field (200: htmx 2 drops 4xx); otherwise a redirect
    after success, or the page with the error (422)."""
    view = task_overview.overview(
        request.form.get("page", "1"), request.form.get("state", ""), request.form.get("kind", "")
    )
    if form is not None:
        view.errors[task_id] = [str(error) for error in form.reason.errors]
        view.reasons[task_id] = form.reason.data or ""
    if wants_fragment():
        return render_template("admin/_tasks.html", view=view, message=message)
    if form is not None:
        return render_page("admin/tasks.html", view=view, status=422)
    flash(message, "success")
    return redirect(url_for("admin.tasks", page=view.result.number, **view.filters), code=303)


@bp.post("/tasks/<int:task_id>/retry")
def task_retry(task_id):
    task_overview.retry(actor(), task_id)
    return _listing_after_action(_("Task %(id)s is due again; a worker will run it shortly.", id=task_id))


@bp.post("/tasks/<int:task_id>/discard")
def task_discard(task_id):
    task_overview.listed_task(task_id)  # a missing task is a 404 whatever the form holds
    form = DiscardTaskForm()
    if submit(form, lambda: task_overview.discard(actor(), task_id, form.reason.data)).done:
        return _listing_after_action(_("Task %(id)s discarded; it will not be tried again.", id=task_id))
    return _listing_after_action(task_id=task_id, form=form)
