"""Group documents of a contract for the center's admins and schedulers: the released summaries and the
billing statement, at ``/desk/contracts/<id>/documents`` and ``/summary``. They list and download the
released versions of the summary (the center releases them from the contract's page) and request billing
statements. The views call ``checkup.services.groups.group_documents`` and ``summary_releases``.

The views are shared with HR's pages (``hr/group_documents.py``, the same pages under ``/hr``): they take
the area, which scopes HR to its own organization's contracts (any other answers 404 like a missing one)
and names the area's endpoints.
"""

from flask import Blueprint, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import Conflict, ValidationError
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.services.groups import group_documents, group_summary, summary_releases
from checkup.web.guards import actor, render_page, roles_required, wants_fragment

bp = Blueprint("desk_group_documents", __name__, url_prefix="/desk/contracts/<int:contract_id>")
HR_AREA, DESK_AREA = "hr", "desk"
ENDPOINTS = {HR_AREA: "hr_group_documents", DESK_AREA: "desk_group_documents"}
CONTRACT_ENDPOINTS = {HR_AREA: "hr_contracts.detail", DESK_AREA: "contracts.detail"}


def _organization(area):
    """HR's scope is its own organization (an HR account without one sees nothing); staff see all."""
    return (current_user.organization_id or 0) if area == HR_AREA else None


def _context(area, contract, **extra):
    releases = summary_releases.releases(contract.id)
    return dict(
        area=area,
        ep=ENDPOINTS[area],
        contract=contract,
        contract_endpoint=CONTRACT_ENDPOINTS[area],
        documents=group_documents.documents(contract.id),
        refusals=group_documents.refusals(contract),
        releases=releases,
        release_documents=group_documents.release_documents([r.id for r in releases]),
        reason_labels=group_summary.RELEASE_REASONS,
        languages=current_app.config["LANGUAGES"],
        kind_labels=group_documents.KIND_LABELS,
        k=group_summary.suppression_k(),
        error=None,
        **extra,
    )


def documents_page(area, contract_id):
    contract = group_documents.contract_for(contract_id, _organization(area))
    return render_page("group_documents/page.html", "group_documents/_documents.html", **_context(area, contract))


def request_document(area, contract_id):
    contract = group_documents.contract_for(contract_id, _organization(area))
    kind, fmt = request.form.get("kind", "")[:20], request.form.get("fmt", "")[:10]
    try:
        document = group_documents.request(actor(), contract.id, kind, fmt, _organization(area))
    except (ValidationError, Conflict) as exc:
        # htmx ignores 4xx swaps: the fragment with the message answers 200; a full page answers 422/409
        status = 200 if wants_fragment() else exc.status
        return render_page(
            "group_documents/page.html",
            "group_documents/_documents.html",
            status=status,
            **dict(_context(area, contract), error=exc.message),
        )
    if wants_fragment():
        return render_page("group_documents/page.html", "group_documents/_documents.html", **_context(area, contract))
    flash(
        _("%(document)s requested; it is being prepared.", document=group_documents.KIND_LABELS[document.kind]),
        "success",
    )
    return redirect(url_for(f"{ENDPOINTS[area]}.documents", contract_id=contract.id), code=303)


def status_page(area, contract_id, document_id):
    document = group_documents.get_document(contract_id, document_id, _organization(area))
    return render_page(
        "group_documents/status.html",
        "group_documents/_status.html",
        area=area,
        ep=ENDPOINTS[area],
        document=document,
        kind_labels=group_documents.KIND_LABELS,
    )


def retry_document(area, contract_id, document_id):
    try:
        document = group_documents.retry(actor(), contract_id, document_id, _organization(area))
    except Conflict as exc:
        flash(exc.message, "error")
        document = group_documents.get_document(contract_id, document_id, _organization(area))
    if wants_fragment():
        return render_page(
            "group_documents/status.html",
            "group_documents/_status.html",
            area=area,
            ep=ENDPOINTS[area],
            document=document,
            kind_labels=group_documents.KIND_LABELS,
        )
    return redirect(url_for(f"{ENDPOINTS[area]}.documents", contract_id=document.contract_id), code=303)


def download_document(area, contract_id, document_id):
    path, mimetype, name = group_documents.download(actor(), contract_id, document_id, _organization(area))
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def summary_page(area, contract_id, number=None):
    """A released summary on screen (the latest unless ``number``), from its frozen figures."""
    contract, release, data = summary_releases.view(actor(), contract_id, number, _organization(area))
    return render_page(
        "group_documents/preview.html",
        area=area,
        ep=ENDPOINTS[area],
        contract=contract,
        release=release,
        data=data,
        releases=summary_releases.releases(contract.id),
        reason_labels=group_summary.RELEASE_REASONS,
        contract_endpoint=CONTRACT_ENDPOINTS[area],
    )


# --- the center's staff ------------------------------------------------------------------------------


@bp.get("/documents")
@roles_required(ADMIN, SCHEDULER)
def documents(contract_id):
    return documents_page(DESK_AREA, contract_id)


@bp.post("/documents", endpoint="request")
@roles_required(ADMIN, SCHEDULER)
def request_new(contract_id):
    return request_document(DESK_AREA, contract_id)


@bp.get("/documents/<int:document_id>")
@roles_required(ADMIN, SCHEDULER)
def status(contract_id, document_id):
    return status_page(DESK_AREA, contract_id, document_id)


@bp.post("/documents/<int:document_id>/retry")
@roles_required(ADMIN, SCHEDULER)
def retry(contract_id, document_id):
    return retry_document(DESK_AREA, contract_id, document_id)


@bp.get("/documents/<int:document_id>/download")
@roles_required(ADMIN, SCHEDULER)
def download(contract_id, document_id):
    return download_document(DESK_AREA, contract_id, document_id)


@bp.get("/summary")
@roles_required(ADMIN, SCHEDULER)
def preview(contract_id):
    return summary_page(DESK_AREA, contract_id)


@bp.get("/summary/<int:release_number>")
@roles_required(ADMIN, SCHEDULER)
def release(contract_id, release_number):
    return summary_page(DESK_AREA, contract_id, release_number)
