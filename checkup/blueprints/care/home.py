"""Client care's landing page (/care): clients, open critical-value alerts, follow-ups due."""

from flask import Blueprint, request

from checkup.forms.results import AcknowledgeForm
from checkup.models.accounts import COUNSELOR
from checkup.services.accounts import clients
from checkup.services.care import followup_worklist
from checkup.services.exam import stations
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("care", __name__, url_prefix="/care")
restrict_blueprint(bp, COUNSELOR)


@bp.get("", endpoint="home")
def care_home():
    return render_page(
        "care/home.html",
        stats=clients.directory_stats(),
        alerts=stations.open_alerts(),
        ack_form=AcknowledgeForm(next=request.path),
        follow_ups=followup_worklist.home_counts(actor()),
    )
