"""Landing pages of the center's staff roles: front desk and client care (exam stations: exam.py)."""
import datetime

from flask import Blueprint, request

from checkup.web.guards import actor, render_page, restrict_blueprint
from checkup.forms.results import AcknowledgeForm
from checkup.models.accounts import COUNSELOR, SCHEDULER
from checkup.services.booking import appointments
from checkup.services.accounts import clients
from checkup.core import clock
from checkup.services.care import followups
from checkup.services.exam import stations

desk = Blueprint("desk", __name__, url_prefix="/desk")
restrict_blueprint(desk, SCHEDULER)
care = Blueprint("care", __name__, url_prefix="/care")
restrict_blueprint(care, COUNSELOR)


@desk.get("", endpoint="home")
def desk_home():
    today = clock.today()
    days = [today, today + datetime.timedelta(days=1)]
    return render_page("desk/home.html", days=days, counts=appointments.day_counts(days))


@care.get("", endpoint="home")
def care_home():
    return render_page("care/home.html", stats=clients.directory_stats(), alerts=stations.open_alerts(),
                       ack_form=AcknowledgeForm(next=request.path), follow_ups=followups.home_counts(actor()))
