"""The satisfaction survey: the public single-use page (no sign-in). Client care's dashboard of the answers
is /care/surveys (care/surveys.py)."""

from flask import Blueprint, redirect, request, url_for

from checkup.core.errors import ValidationError
from checkup.services.care import surveys
from checkup.web import link_tokens
from checkup.web.extensions import limiter
from checkup.web.guards import actor, render_page

bp = link_tokens.protect(Blueprint("surveys", __name__))


def _scores_page(survey, link, values=None, errors=None, status=200):
    return render_page(
        "surveys/answer.html",
        survey=survey,
        link=link,
        values=values or {},
        errors=errors or {},
        fields=surveys.SCORE_FIELDS,
        labels=surveys.SCORE_LABELS,
        max_comment=surveys.MAX_COMMENT,
        status=status,
    )


def _closed_page(error):
    return render_page("surveys/closed.html", reason=error.reason, message=error.message, status=410)


@bp.route("/survey", methods=["GET", "POST"], endpoint="survey")
@bp.get("/survey/<token>", endpoint="survey")
@limiter.limit("30/hour", methods=["POST"])
def answer(token=None):
    """The emailed link checks its token and trades it for the session (303 to /survey without it); the
    answers are then posted there (checkup/web/link_tokens.py)."""
    from_link = token is not None
    token = token if from_link else link_tokens.held(link_tokens.SURVEY)
    link = link_tokens.fingerprint(token)
    try:
        survey = surveys.survey_for_token(token)
        if from_link:
            return link_tokens.hold(link_tokens.SURVEY, token, "surveys.survey")
        if request.method == "POST":
            surveys.answer(actor(), token, request.form)
            link_tokens.release(link_tokens.SURVEY)
            return redirect(url_for("surveys.thanks"), code=303)
    except surveys.SurveyClosed as exc:
        return _closed_page(exc)
    except ValidationError as exc:
        return _scores_page(survey, link, request.form, exc.field_errors, status=422)
    return _scores_page(survey, link)


@bp.get("/survey/thanks")
def thanks():
    return render_page("surveys/thanks.html")
