"""Group documents of HR's own organization's contracts: the released summaries and the billing statement,
at ``/hr/contracts/<id>/documents`` and ``/summary`` (any other organization's contract answers 404 like a
missing one). The same pages as the center's, whose views these share (``desk/group_documents.py``).
"""

from flask import Blueprint

from checkup.blueprints.desk.group_documents import (
    HR_AREA,
    documents_page,
    download_document,
    request_document,
    retry_document,
    status_page,
    summary_page,
)
from checkup.models.accounts import HR
from checkup.web.guards import roles_required

bp = Blueprint("hr_group_documents", __name__, url_prefix="/hr/contracts/<int:contract_id>")


@bp.get("/documents")
@roles_required(HR)
def documents(contract_id):
    return documents_page(HR_AREA, contract_id)


@bp.post("/documents", endpoint="request")
@roles_required(HR)
def request_new(contract_id):
    return request_document(HR_AREA, contract_id)


@bp.get("/documents/<int:document_id>")
@roles_required(HR)
def status(contract_id, document_id):
    return status_page(HR_AREA, contract_id, document_id)


@bp.post("/documents/<int:document_id>/retry")
@roles_required(HR)
def retry(contract_id, document_id):
    return retry_document(HR_AREA, contract_id, document_id)


@bp.get("/documents/<int:document_id>/download")
@roles_required(HR)
def download(contract_id, document_id):
    return download_document(HR_AREA, contract_id, document_id)


@bp.get("/summary")
@roles_required(HR)
def preview(contract_id):
    return summary_page(HR_AREA, contract_id)


@bp.get("/summary/<int:release_number>")
@roles_required(HR)
def release(contract_id, release_number):
    return summary_page(HR_AREA, contract_id, release_number)
