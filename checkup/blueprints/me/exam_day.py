"""The client on their exam day: the "where next" card (the station suggested next, where they are, what is
left), on the home page and as a page of its own; it refreshes itself while the client is on the floor.
Only the client's own appointment: another's is a 404 like a missing one."""

from flask import Blueprint, abort
from flask_login import current_user

from checkup.models.accounts import CLIENT
from checkup.services.exam import guidance
from checkup.web.guards import render_page, restrict_blueprint, wants_fragment

bp = Blueprint("me_exam_day", __name__, url_prefix="/me/exam-day")
restrict_blueprint(bp, CLIENT)


@bp.get("", endpoint="today")
def today():
    """Today's card (the home page asks for it): nothing when the client has no checkup today."""
    appointment_id = guidance.todays_appointment_id(current_user.client_id)
    if appointment_id is None:
        if wants_fragment():
            return ""
        return render_page("client/where_next.html", card=None)
    return card(appointment_id)


@bp.get("/<int:appointment_id>")
def card(appointment_id):
    found = guidance.client_card(current_user.client_id, appointment_id)
    if found is None:
        abort(404)
    return render_page("client/where_next.html", "client/_where_next.html", card=found)
