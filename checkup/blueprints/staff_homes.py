"""Landing pages of the center's staff roles: front desk, exam stations, client care."""
import datetime

from flask import Blueprint, request

from checkup.blueprints.guards import render_page, restrict_blueprint
from checkup.models.accounts import COUNSELOR, PHYSICIAN, SCHEDULER
from checkup.services import appointments, catalog, clients, clock

desk = Blueprint("desk", __name__, url_prefix="/desk")
restrict_blueprint(desk, SCHEDULER)
exam = Blueprint("exam", __name__, url_prefix="/exam")
restrict_blueprint(exam, PHYSICIAN)
care = Blueprint("care", __name__, url_prefix="/care")
restrict_blueprint(care, COUNSELOR)


@desk.get("", endpoint="home")
def desk_home():
    today = clock.today()
    days = [today, today + datetime.timedelta(days=1)]
    return render_page("desk/home.html", days=days, counts=appointments.day_counts(days))


@exam.get("", endpoint="home")
def exam_home():
    query = request.args.get("q", "").strip()[:100]
    return render_page("exam/home.html", "exam/_ranges.html", query=query,
                       items=catalog.reference_table(query))


@care.get("", endpoint="home")
def care_home():
    return render_page("care/home.html", stats=clients.directory_stats())
