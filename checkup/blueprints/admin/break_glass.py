"""The admin's review of break-the-glass accesses: staff who opened a client's clinical record without a
care relationship (the opening itself is /access/clients/<id>/break-glass, access/break_glass.py)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.forms.access import ReviewAccessForm
from checkup.models.accounts import ADMIN
from checkup.services.access import care_access
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("break_glass", __name__)


@bp.get("/admin/break-glass")
@roles_required(ADMIN)
def review_list():
    state = "reviewed" if request.args.get("state") == "reviewed" else "open"
    page = request.args.get("page", "1")
    result = care_access.review_list(state, int(page) if page.isdigit() and len(page) < 7 else 1)
    return render_page(
        "access/review.html", "access/_review_rows.html", result=result, state=state, form=ReviewAccessForm()
    )


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
