"""Break the glass: staff without a care relationship open a client's clinical record with a reason
(time-limited, audited). Any staff role that reads records may; the admin reviews every such access at
/admin/break-glass (admin/break_glass.py)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.forms.access import BreakGlassForm
from checkup.models.accounts import ADMIN, CHIEF, COUNSELOR, PHYSICIAN
from checkup.services.access import care_access
from checkup.services.access.care_access import NoCareRelationship
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, home_endpoint, is_safe_next, roles_required

bp = Blueprint("access_break_glass", __name__, url_prefix="/access")


def _form_page(form, client_id, status):
    return render_template(
        "access/break_glass.html", form=form, client_id=client_id, minutes=care_access.minutes()
    ), status


@bp.app_errorhandler(NoCareRelationship)
def no_relationship(error):
    """Instead of the record: what it takes to open it anyway."""
    target = request.full_path.rstrip("?") if request.method == "GET" else ""
    return _form_page(BreakGlassForm(next=target if is_safe_next(target) else ""), error.client_id, 403)


@bp.post("/clients/<int:client_id>/break-glass")
@roles_required(PHYSICIAN, CHIEF, COUNSELOR, ADMIN)
def open_record(client_id):
    form = BreakGlassForm()
    if submit(form, lambda: care_access.break_glass(actor(), client_id, form.reason.data)).done:
        flash(
            _(
                "The record is open to you for %(minutes)d minutes. This access is logged and reviewed.",
                minutes=care_access.minutes(),
            ),
            "warning",
        )
        target = form.next.data if is_safe_next(form.next.data) else url_for(home_endpoint(current_user))
        return redirect(target, code=303)
    return _form_page(form, client_id, 422)
