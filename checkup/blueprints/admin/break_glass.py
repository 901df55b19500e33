"""Break the glass: staff without a care relationship open a client's clinical record with a reason
(time-limited, audited), and the admin reviews every such access."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.forms.access import BreakGlassForm, ReviewAccessForm
from checkup.models.accounts import ADMIN, COUNSELOR, PHYSICIAN
from checkup.services.access import care_access
from checkup.services.access.care_access import NoCareRelationship
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, home_endpoint, is_safe_next, render_page, roles_required

bp = Blueprint("break_glass", __name__)


def _form_page(form, client_id, status):
    return render_template("access/break_glass.html", form=form, client_id=client_id,
                           minutes=care_access.minutes()), status


@bp.app_errorhandler(NoCareRelationship)
def no_relationship(error):
    """Instead of the record: what it takes to open it anyway."""
    target = request.full_path.rstrip("?") if request.method == "GET" else ""
    return _form_page(BreakGlassForm(next=target if is_safe_next(target) else ""), error.client_id, 403)


@bp.post("/access/clients/<int:client_id>/break-glass")
@roles_required(PHYSICIAN, COUNSELOR, ADMIN)
def open_record(client_id):
    form = BreakGlassForm()
    if submit(form, lambda: care_access.break_glass(actor(), client_id, form.reason.data)).done:
        flash(_("The record is open to you for %(minutes)d minutes. This access is logged and reviewed.",
                minutes=care_access.minutes()), "warning")
        target = form.next.data if is_safe_next(form.next.data) else url_for(home_endpoint(current_user))
        return redirect(target, code=303)
    return _form_page(form, client_id, 422)


@bp.get("/admin/break-glass")
@roles_required(ADMIN)
def review_list():
    state = "reviewed" if request.args.get("state") == "reviewed" else "open"
    page = request.args.get("page", "1")
    result = care_access.review_list(state, int(page) if page.isdigit() and len(page) < 7 else 1)
    return render_page("access/review.html", "access/_review_rows.html", result=result, state=state,
                       form=ReviewAccessForm())


@bp.post("/admin/break-glass/<int:access_id>/review")
@roles_required(ADMIN)
def review(access_id):
    form = ReviewAccessForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for e in form.note.errors) or _("This form has expired. Try again."), "error")
        return redirect(url_for("break_glass.review_list"), code=303)
    care_access.mark_reviewed(actor(), access_id, form.note.data)
    flash(_("Access %(id)s marked as reviewed.", id=access_id), "success")
    return redirect(url_for("break_glass.review_list"), code=303)
