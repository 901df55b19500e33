"""The physician's consultations: the ones client care scheduled with them (care/consultations.py)."""

from flask import Blueprint
from flask_login import current_user

from checkup.models.accounts import PHYSICIAN
from checkup.services.care import consultations
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("exam_consultations", __name__, url_prefix="/exam/consultations")


@bp.get("", endpoint="list")
@roles_required(PHYSICIAN)
def physician_list():
    items = consultations.physician_list(actor(), current_user.id)
    return render_page("consultations/physician_list.html", items=items)
