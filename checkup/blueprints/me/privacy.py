"""The client's privacy page: consents, and their data rights (a copy of their data, who accessed their
record, correction and deletion requests). The manage/unsubscribe page every email links to, without
sign-in, is /preferences (public/preferences.py)."""

from flask import Blueprint, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.blueprints.public.preferences import saved_message
from checkup.core.arguments import parse_page
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.forms.privacy import ConsentForm, CorrectionForm, DeletionForm
from checkup.models.accounts import CLIENT
from checkup.models.care import CONSENT_PURPOSES
from checkup.services.access import access_log
from checkup.services.accounts import consents
from checkup.services.privacy import data_export, data_rights, deadlines
from checkup.web.extensions import limiter
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, roles_required, wants_fragment

bp = Blueprint("privacy", __name__)


def _own_client_id():
    if not current_user.client_id:
        raise NotFound(_("No client record is linked to this account."))
    return current_user.client_id


@bp.get("/me/privacy", endpoint="index")
@roles_required(CLIENT)
def index():
    client_id = _own_client_id()
    rows = consents.latest_rows(client_id)
    form = ConsentForm.for_client({p: row is not None and row.granted for p, row in rows.items()})
    return render_page(
        "privacy/index.html",
        form=form,
        rows=rows,
        purposes=CONSENT_PURPOSES,
        history=consents.history(client_id),
        labels=consents.PURPOSE_LABELS,
        explanations=consents.PURPOSE_EXPLANATIONS,
        sources=consents.SOURCE_LABELS,
        export=data_export.latest(client_id),
        accesses=access_log.staff_accesses(client_id),
        requests=data_rights.client_requests(client_id),
        **_rights_labels(),
    )


@bp.post("/me/privacy", endpoint="save")
@roles_required(CLIENT)
def save():
    client_id = _own_client_id()
    form = ConsentForm()
    changed = consents.record_changes(actor(), client_id, form.answers(), "privacy_page")
    flash(*saved_message(changed))
    return redirect(url_for("privacy.index"), code=303)


# --- data rights (PIPL art. 44-47) -------------------------------------------------------------------


def _rights_labels():
    return dict(
        request_kinds=data_rights.KIND_LABELS,
        request_statuses=data_rights.STATUS_LABELS,
        request_fields=data_rights.FIELD_LABELS,
        export_states=data_export.STATE_LABELS,
        export_days=data_export.EXPORT_DAYS,
        export_available=data_export.is_available,
        answer_days=deadlines.ANSWER_WORKING_DAYS,
    )


def _export_block(export, status=200):
    return render_page(
        "privacy/export_status.html", "privacy/_export.html", export=export, status=status, **_rights_labels()
    )


@bp.post("/me/privacy/export", endpoint="request_export")
@roles_required(CLIENT)
@limiter.limit("20/hour")
def request_export():
    export = data_export.request_export(actor(), _own_client_id())
    if wants_fragment():
        return _export_block(export)
    flash(_("We are preparing a copy of your data. It will be ready to download on this page shortly."), "success")
    return redirect(url_for("privacy.index", _anchor="data-export-heading"), code=303)


@bp.get("/me/privacy/export/<int:export_id>", endpoint="export_status")
@roles_required(CLIENT)
def export_status(export_id):
    return _export_block(data_export.export_for_client(export_id, _own_client_id()))


@bp.get("/me/privacy/export/<int:export_id>/download", endpoint="export_download")
@roles_required(CLIENT)
def export_download(export_id):
    path, name = data_export.download(actor(), export_id, _own_client_id())
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/me/privacy/accesses", endpoint="accesses")
@roles_required(CLIENT)
def accesses():
    result = access_log.staff_accesses(_own_client_id(), parse_page(request.args.get("page", "1")))
    return render_page("privacy/accesses.html", "privacy/_accesses.html", accesses=result)


def _request_page(template, form, status=200, error=None, **context):
    return render_page(
        template,
        form=form,
        status=status,
        error=error,
        retention_years=current_app.config["RECORD_RETENTION_YEARS"],
        **context,
        **_rights_labels(),
    )


def _ask(template, form, ask, done_message, **context):
    """The form round trip of a data request: the service decides; its field errors go next to the
    fields (422), a refusal (409) above the form; success goes back to the privacy page."""
    outcome = submit(form, ask, refusals=(ValidationError, Conflict))
    if outcome.done:
        flash(done_message, "success")
        return redirect(url_for("privacy.index", _anchor="requests-heading"), code=303)
    return _request_page(
        template, form, status=outcome.error.status if outcome.error else 422, error=outcome.form_error, **context
    )


@bp.route("/me/privacy/correction", methods=["GET", "POST"], endpoint="correction")
@roles_required(CLIENT)
def correction():
    client_id = _own_client_id()
    if request.method == "GET":
        return _request_page("privacy/correction.html", CorrectionForm(formdata=None))
    form = CorrectionForm()
    return _ask(
        "privacy/correction.html",
        form,
        lambda: data_rights.request_correction(actor(), client_id, form.field.data, form.details.data),
        _(
            "Your correction request is with us. We answer within %(days)d working days.",
            days=deadlines.ANSWER_WORKING_DAYS,
        ),
    )


@bp.route("/me/privacy/deletion", methods=["GET", "POST"], endpoint="deletion")
@roles_required(CLIENT)
def deletion():
    client_id = _own_client_id()
    pending = data_rights.open_deletion(client_id)
    if request.method == "GET":
        return _request_page("privacy/deletion.html", DeletionForm(formdata=None), pending=pending)
    form = DeletionForm()
    return _ask(
        "privacy/deletion.html",
        form,
        lambda: data_rights.request_deletion(actor(), client_id, form.confirmed.data, form.reason.data),
        _(
            "Your deletion request is with us. We answer within %(days)d working days and tell you by email.",
            days=deadlines.ANSWER_WORKING_DAYS,
        ),
        pending=pending,
    )
