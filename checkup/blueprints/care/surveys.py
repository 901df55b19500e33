"""Client care's survey dashboard: the answers to the satisfaction survey (the public page that collects
them is /survey, public/surveys.py) and the follow-ups low scores opened."""

from flask import Blueprint, current_app, url_for
from werkzeug.routing import BuildError

from checkup.blueprints.care import surveys_rows
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
    data = surveys.dashboard()
    fields, labels = surveys.SCORE_FIELDS, surveys.SCORE_LABELS
    return render_page(
        "surveys/dashboard.html",
        data=data,
        area_rows=surveys_rows.area_rows(data["areas"]),
        month_rows=surveys_rows.month_rows(data["months"], fields),
        low_rows=surveys_rows.low_rows(data["low"], fields, labels, FOLLOW_UP_ENDPOINT, FOLLOW_UP_ARG),
        comment_rows=surveys_rows.comment_rows(data["comments"]),
        fields=fields,
        labels=labels,
    )
