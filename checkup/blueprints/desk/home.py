"""The front desk's landing page (/desk)."""

import datetime

from flask import Blueprint

from checkup.core import clock
from checkup.models.accounts import SCHEDULER
from checkup.services.booking import appointments
from checkup.web.guards import render_page, restrict_blueprint

bp = Blueprint("desk", __name__, url_prefix="/desk")
restrict_blueprint(bp, SCHEDULER)


@bp.get("", endpoint="home")
def desk_home():
    today = clock.today()
    days = [today, today + datetime.timedelta(days=1)]
    return render_page("desk/home.html", days=days, counts=appointments.day_counts(days))
