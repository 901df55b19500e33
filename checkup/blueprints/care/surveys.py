"""Client care's survey dashboard: the answers to the satisfaction survey (the public page that collects
them is /survey, public/surveys.py) and the follow-ups low scores opened."""

from flask import Blueprint, current_app, url_for
from werkzeug.routing import BuildError

from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.services.care import surveys
from checkup.web.guards import render_page, roles_required

bp = Blueprint("care_surveys", __name__, url_prefix="/care/surveys")

# The follow-up worklist's page of one follow-up, when that area provides it; else the client's record.
FOLLOW_UP_ENDPOINT, FOLLOW_UP_ARG = "care_followups.detail", "follow_up_id"


def follow_up_link(survey):
    """Where a low score's follow-up is worked on (the client's record until the worklist has a page)."""
    if survey.follow_up_id and FOLLOW_UP_ENDPOINT in current_app.view_functions:
        try:
            return url_for(FOLLOW_UP_ENDPOINT, **{FOLLOW_UP_ARG: survey.follow_up_id})
        except BuildError:
            pass
    return url_for("directory.client_detail", client_id=survey.client_id)


@bp.get("")
@roles_required(COUNSELOR, ADMIN)
def dashboard():
    return render_page(
        "surveys/dashboard.html",
        data=surveys.dashboard(),
        fields=surveys.SCORE_FIELDS,
        labels=surveys.SCORE_LABELS,
        follow_up_link=follow_up_link,
    )
