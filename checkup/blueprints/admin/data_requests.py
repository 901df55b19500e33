"""The administrators' queue of clients' data requests (/admin/data-requests): overdue first, each
request's page, "done" with a note (a deletion anonymizes the client) and "refuse" with a reason.
The views parse input and call ``checkup.services.privacy.data_rights``."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.core import clock
from checkup.core.arguments import parse_page
from checkup.core.errors import Conflict, ValidationError
from checkup.forms.data_requests import CompleteRequestForm, RefuseRequestForm
from checkup.models.accounts import ADMIN
from checkup.models.data_requests import DELETION, REQUEST_KINDS, REQUEST_STATUSES
from checkup.services.privacy import data_rights
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("data_requests", __name__, url_prefix="/admin/data-requests")
restrict_blueprint(bp, ADMIN)
STATUS_FILTERS = REQUEST_STATUSES + ("all",)


def _labels():
    return dict(
        kinds=data_rights.KIND_LABELS,
        statuses=data_rights.STATUS_LABELS,
        fields=data_rights.FIELD_LABELS,
        today=clock.today(),
    )


@bp.get("", endpoint="queue")
def queue():
    status = request.args.get("status", "open")
    kind = request.args.get("kind", "")
    filters = data_rights.QueueFilters(
        status=status if status in STATUS_FILTERS else "open",
        kind=kind if kind in REQUEST_KINDS else "",
        page=parse_page(request.args.get("page", "1")),
    )
    return render_page(
        "data_requests/queue.html",
        "data_requests/_rows.html",
        result=data_rights.queue(filters),
        filters=filters,
        status_filters=STATUS_FILTERS,
        counts=data_rights.queue_counts(),
        **_labels(),
    )


def _detail(request_id, done_form=None, refuse_form=None, error=None, status=200):
    data_request, others = data_rights.view_request(actor(), request_id)
    return render_page(
        "data_requests/detail.html",
        item=data_request,
        others=others,
        error=error,
        status=status,
        done_form=done_form or CompleteRequestForm(formdata=None),
        refuse_form=refuse_form or RefuseRequestForm(formdata=None),
        **_labels(),
    )


@bp.get("/<int:request_id>", endpoint="detail")
def detail(request_id):
    return _detail(request_id)


def _answer(request_id, form, answer, message, **forms):
    data_rights.get_request(request_id)  # a missing request is a 404 whatever the form holds
    outcome = submit(form, answer, refusals=(ValidationError, Conflict))
    if outcome.done:
        flash(message, "success")
        return redirect(url_for("data_requests.detail", request_id=request_id), code=303)
    # a refusal answers its own status (409 for a request answered meanwhile)
    return _detail(request_id, error=outcome.form_error, status=outcome.error.status if outcome.error else 422, **forms)


@bp.post("/<int:request_id>/done", endpoint="complete")
def complete(request_id):
    form = CompleteRequestForm()
    deletion = data_rights.get_request(request_id).kind == DELETION
    return _answer(
        request_id,
        form,
        lambda: data_rights.complete(actor(), request_id, form.note.data),
        _("The client's data is deleted and the client is told by email.")
        if deletion
        else _("The request is done and the client is told by email."),
        done_form=form,
    )


@bp.post("/<int:request_id>/refuse", endpoint="refuse")
def refuse(request_id):
    form = RefuseRequestForm()
    return _answer(
        request_id,
        form,
        lambda: data_rights.refuse(actor(), request_id, form.reason.data),
        _("The request is refused and the client is told why by email."),
        refuse_form=form,
    )
