"""Client care: email campaigns (compose, segment with a live audience count loaded after the form, send,
progress and counts)."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.core.errors import Conflict, ValidationError
from checkup.forms.campaigns import SEGMENT_FIELDS, CampaignForm
from checkup.models.accounts import ADMIN, COUNSELOR
from checkup.services.care import campaign_segments, campaigns
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/care/campaigns")
restrict_blueprint(bp, COUNSELOR, ADMIN)


def _prepared(form):
    form.set_choices(*campaign_segments.form_choices())
    return form


def _segment_problems(form):
    """The segment's rule errors (age order, unknown organization …) for fields that parsed fine."""
    try:
        campaign_segments.clean_segment(form.segment_values())
    except ValidationError as exc:
        return exc.field_errors
    return {}


def _add_problems(form, problems):
    for name, message in problems.items():
        if name in form._fields and not form[name].errors:
            form[name].errors = list(form[name].errors) + [message]


def _audience(form):
    """(count, masked names) for the segment on the form, or (None, []) while it has errors."""
    if any(form[name].errors for name in SEGMENT_FIELDS):
        return None, []
    try:
        return campaign_segments.preview(campaign_segments.clean_segment(form.segment_values()))
    except ValidationError:
        return None, []


def _form_page(form, campaign=None, status=200, error=None):
    """The form; its audience count is not counted here but loaded after the page (``preview``)."""
    return render_page(
        "campaigns/form.html",
        form=form,
        campaign=campaign,
        error=error,
        segment_errors=_segment_errors(form),
        status=status,
    )


def _segment_errors(form):
    return [
        (form[name].label.text, " ".join(map(str, form[name].errors))) for name in SEGMENT_FIELDS if form[name].errors
    ]


def _save(form, campaign=None):
    """Validate and save the draft: a redirect on success, else the form page with the errors in place."""
    try:
        outcome = submit(
            form,
            lambda: campaigns.save_draft(
                actor(), form.message_values(), form.segment_values(), campaign.id if campaign else None
            ),
        )
    except Conflict as exc:  # sent meanwhile: no longer a draft
        flash(exc.message, "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id), code=303)
    if outcome.done:
        flash(_("Campaign %(name)s saved as a draft.", name=outcome.result.name), "success")
        return redirect(url_for("campaigns.detail", campaign_id=outcome.result.id), code=303)
    if outcome.invalid:
        _add_problems(form, _segment_problems(form))
    return _form_page(form, campaign, status=422, error=outcome.form_error)


@bp.get("", endpoint="index")
def index():
    return render_page(
        "campaigns/index.html",
        rows=campaigns.list_campaigns(),
        kinds=campaigns.KIND_LABELS,
        statuses=campaigns.STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _prepared(CampaignForm())
    if not form.is_submitted():
        return _form_page(form)
    return _save(form)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id):
    campaign = campaigns.get_campaign(campaign_id)
    if campaign.status != campaigns.DRAFT:
        flash(_("This campaign has been sent; it can no longer be changed."), "error")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id), code=303)
    form = CampaignForm()
    if not form.is_submitted():
        form = CampaignForm.for_campaign(campaign, campaign_segments.load(campaign.segment_json))
        return _form_page(_prepared(form), campaign)
    return _save(_prepared(form), campaign)


@bp.post("/preview")
def preview():
    """The live audience count for the segment on the form (reads only; the form is not saved): the form
    asks for it once loaded and on every change, or, without JavaScript, by its "count" button."""
    form = _prepared(CampaignForm())
    form.validate()
    _add_problems(form, _segment_problems(form))
    count, names = _audience(form)
    return render_page(
        "campaigns/preview.html",
        "campaigns/_preview.html",
        count=count,
        names=names,
        segment_errors=_segment_errors(form),
    )


@bp.get("/<int:campaign_id>")
def detail(campaign_id):
    data = campaigns.detail(campaign_id)
    return render_page("campaigns/detail.html", kinds=campaigns.KIND_LABELS, statuses=campaigns.STATUS_LABELS, **data)


@bp.route("/<int:campaign_id>/send", methods=["GET", "POST"])
def send(campaign_id):
    data = campaigns.detail(campaign_id)
    campaign = data["campaign"]
    if campaign.status != campaigns.DRAFT:
        flash(_("This campaign has already been sent."), "info")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id), code=303)
    error = None
    if request.method == "POST":
        try:
            campaigns.queue_send(actor(), campaign.id)
        except ValidationError as exc:
            error = exc.message
        except Conflict as exc:
            flash(exc.message, "info")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id), code=303)
        else:
            flash(_("Sending has started. The counts below update as the messages go out."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id), code=303)
    return render_page("campaigns/send.html", error=error, status=422 if error else 200, **data)


@bp.get("/<int:campaign_id>/status")
def status(campaign_id):
    campaign, counts = campaigns.progress(campaign_id)
    return render_page(
        "campaigns/status.html",
        "campaigns/_status.html",
        campaign=campaign,
        counts=counts,
        statuses=campaigns.STATUS_LABELS,
    )
