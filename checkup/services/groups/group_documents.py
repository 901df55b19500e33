"""Group documents (summary report, billing statement; PDF or XLSX): requests, the job, downloads.

A billing statement is made on request (HR or the center's staff). A summary document is never
requested: it is the rendering of one released version of the summary (``summary_releases``) in one
language, made from the release's frozen figures, so it says the same however often it is made.

The ``GroupDocument`` row is the job's truth: pending -> rendering -> ready | failed. ``generate``
claims the row with a conditional update (its ``updated_at`` becomes the claim token), renders, writes
the file atomically under ``GROUP_DOCS_DIR`` as ``<contract>/<document>-<sha256 prefix>.<fmt>`` (so a
name always matches its content) and marks it ready only if its claim still holds. It is
idempotent: a ready document whose file matches its checksum is left alone. Errors propagate so rq
retries; the row says "failed" meanwhile. HR reaches only its own organization's documents: any
other answers NotFound, exactly like a missing one. Every download is audited.
"""

import datetime
import hashlib
import json
import logging
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from checkup.core import audit, tasks
from checkup.core.arguments import storable_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.core.stored_files import is_intact, write_atomically
from checkup.models import GroupDocument, SummaryRelease, User
from checkup.models.base import db, utcnow
from checkup.models.groups import BILLING, FAILED, PENDING, READY, RENDERING, SUMMARY
from checkup.reports.billing_statement import BillingStatementRenderer, statement_workbook
from checkup.reports.group_summary import GroupSummaryRenderer, summary_workbook
from checkup.services.groups import billing, contracts, group_summary

log = logging.getLogger(__name__)

KINDS = (SUMMARY, BILLING)
FORMATS = ("pdf", "xlsx")
BUSY_STATES = (PENDING, RENDERING)
STALE_MINUTES = 10  # a claim this old belongs to a worker that died
MIMETYPES = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
KIND_LABELS = {SUMMARY: _l("Group health summary"), BILLING: _l("Billing statement")}
LIST_LIMIT = 30


def docs_dir():
    return Path(current_app.config["GROUP_DOCS_DIR"])


def file_for(document):
    return docs_dir() / document.path if document.path else None


def download_name(document):
    if document.kind == SUMMARY:
        number = SummaryRelease.select(SummaryRelease.number).where(SummaryRelease.id == document.release_id).scalar()
        return f"group-summary-{document.contract_id}-release-{number}-{document.locale}.{document.fmt}"
    return f"billing-statement-{document.contract_id}-{document.id}.{document.fmt}"


def languages():
    """The languages a released summary is made in: every language of the portal."""
    return list(current_app.config.get("LANGUAGES") or {"en": "English"})


# --- reading, scoped -------------------------------------------------------------------------------


def contract_for(contract_id, organization_id=None):
    """The contract; NotFound when missing or (with ``organization_id``, HR's scope) another
    organization's. ``organization_id=None`` is the center's staff scope."""
    if organization_id is None:
        return contracts.contract_for_staff(contract_id)
    return contracts.contract_for_org(contract_id, organization_id)


def _document_select(document_id, contract_id):
    # what get_or_none asks: the first row (LIMIT 1 OFFSET 0)
    return (
        GroupDocument.select()
        .where(GroupDocument.id == document_id, GroupDocument.contract == contract_id)
        .paginate(1, 1)
    )


def _documents_select(contract_id):
    return (
        GroupDocument.select()
        .where(GroupDocument.contract == contract_id, GroupDocument.kind != SUMMARY)
        .order_by(GroupDocument.created_at.desc(), GroupDocument.id.desc())
        .limit(LIST_LIMIT)
    )


# a document's page (polled while it renders) and the documents page: their SQL built once per process
_DOCUMENT = PreparedSelect(_document_select, "checkup_group_document", samples=(-2_000_016_801, -2_000_016_802))
_DOCUMENTS = PreparedSelect(_documents_select, "checkup_group_document_list", samples=(-2_000_016_803,))


def get_document(contract_id, document_id, organization_id=None):
    """A document of that contract (and organization); NotFound otherwise, and for a summary document
    that belongs to no release (nothing is shown that was not released)."""
    contract = contract_for(contract_id, organization_id)
    document = next(iter(_DOCUMENT.rows(document_id, contract.id)), None) if storable_id(document_id) else None
    if document is None or (document.kind == SUMMARY and document.release_id is None):
        raise NotFound(_l("No such document."))
    return document


def documents(contract_id):
    """The contract's latest requested documents (billing statements), newest first (one query)."""
    return _DOCUMENTS.rows(contract_id)


def release_documents(release_ids):
    """{release id: [its documents, by format and language]} (one query)."""
    by_release = {release_id: [] for release_id in release_ids}
    if by_release:
        for document in (
            GroupDocument.select()
            .where(GroupDocument.release.in_(list(by_release)))
            .order_by(GroupDocument.fmt, GroupDocument.locale, GroupDocument.id)
        ):
            by_release[document.release_id].append(document)
    return by_release


def refusals(contract):
    """{kind: reason} for each document that cannot be requested now (a missing kind can)."""
    reasons = {}
    if not billing.can_bill(contract):
        reasons[BILLING] = _l("The billing statement can be made once the contract is active.")
    return reasons


# --- requesting ------------------------------------------------------------------------------------


def request(actor, contract_id, kind, fmt, organization_id=None):
    """Create a pending billing statement and queue its job; returns the row.

    A document of the same kind and format already pending or rendering is returned instead of a
    second one. Raises NotFound (contract missing or not the organization's), ValidationError (kind or
    format unknown) or Conflict (a summary, which only the center releases; billing before activation).
    """
    contract = contract_for(contract_id, organization_id)
    if kind == SUMMARY:
        raise Conflict(
            _l(
                "The group summary is not made on request: the center releases it, and every released "
                "version is listed on this page."
            )
        )
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _l("Choose a billing statement.")
    if fmt not in FORMATS:
        errors["fmt"] = _l("Choose PDF or XLSX.")
    if errors:
        raise ValidationError(_l("Please correct the marked fields."), errors)
    reason = refusals(contract).get(kind)
    if reason:
        raise Conflict(reason)
    with db.atomic():
        busy = GroupDocument.get_or_none(
            GroupDocument.contract == contract.id,
            GroupDocument.kind == kind,
            GroupDocument.fmt == fmt,
            GroupDocument.state.in_(BUSY_STATES),
        )
        if busy is not None:
            return busy
        document = GroupDocument.create(
            contract=contract.id, kind=kind, fmt=fmt, state=PENDING, requested_by=actor.user_id, updated_at=utcnow()
        )
        audit.record(actor, "group.document_requested", document, contract=contract.id, kind=kind, fmt=fmt)
        queue(document.id)
    return GroupDocument.get_by_id(document.id)


def queue(document_id):
    """Owe the document: a task row in the caller's transaction (made after commit, retried on schedule)."""
    return tasks.defer("group_document.render", document_id)


def owe_summary_documents(release):
    """The documents of a new release, PDF and XLSX in every language, owed in the caller's
    transaction; returns them."""
    made = []
    for fmt in FORMATS:
        for locale in languages():
            document = GroupDocument.create(
                contract=release.contract_id,
                release=release.id,
                kind=SUMMARY,
                fmt=fmt,
                locale=locale,
                state=PENDING,
                requested_by=release.released_by_id,
                updated_at=utcnow(),
            )
            queue(document.id)
            made.append(document)
    return made


# --- the job -------------------------------------------------------------------------------------


def _locale_of(document):
    """The document's own language, else that of whoever asked for it, else the portal's default."""
    if document.locale:
        return document.locale
    account = User.get_or_none(User.id == document.requested_by_id) if document.requested_by_id else None
    return account.locale if account and account.locale else current_app.config.get("BABEL_DEFAULT_LOCALE", "en")


def render_bytes(document):
    """The document's bytes in its language; a summary from its release's frozen figures, never from
    live data (a summary document without a release raises)."""
    with force_locale(_locale_of(document)):
        if document.kind == SUMMARY:
            release = SummaryRelease.get_by_id(document.release_id)
            data = group_summary.present(json.loads(release.figures_json), release)
            return GroupSummaryRenderer().build(data) if document.fmt == "pdf" else summary_workbook(data)

        data = billing.statement_data(document.contract_id)
        return BillingStatementRenderer().build(data) if document.fmt == "pdf" else statement_workbook(data)


def _file_ok(document):
    return is_intact(file_for(document), document.checksum)


def _claim(document_id):
    """Move the row to rendering if nobody holds it; returns the claim token (a timestamp) or None."""
    now = utcnow()
    stale = now - datetime.timedelta(minutes=STALE_MINUTES)
    claimable = GroupDocument.state.in_((PENDING, FAILED, READY)) | (
        (GroupDocument.state == RENDERING) & (GroupDocument.updated_at.is_null() | (GroupDocument.updated_at <= stale))
    )
    claimed = (
        GroupDocument.update(state=RENDERING, updated_at=now, error="")
        .where(GroupDocument.id == document_id, claimable)
        .execute()
    )
    return now if claimed else None


@tasks.handler("group_document.render")
def generate(document_id):
    """Task: make document ``document_id``; returns the file's path, or None (missing, or another
    worker holds it). Raises what rendering raised (the row says "failed") so the task is retried."""
    document = GroupDocument.get_or_none(GroupDocument.id == document_id)
    if document is None:
        return None
    if document.state == READY and _file_ok(document):
        return str(file_for(document))
    token = _claim(document.id)
    if token is None:
        return None
    mine = (GroupDocument.id == document.id) & (GroupDocument.state == RENDERING) & (GroupDocument.updated_at == token)
    try:
        data = render_bytes(document)
        relative = f"{document.contract_id}/{document.id}-{_sha_prefix(data)}.{document.fmt}"
        checksum = write_atomically(docs_dir() / relative, data)
    except Exception as exc:
        GroupDocument.update(state=FAILED, error=f"{type(exc).__name__}: {exc}"[:500], updated_at=utcnow()).where(
            mine
        ).execute()
        raise
    done = (
        GroupDocument.update(state=READY, path=relative, checksum=checksum, error="", updated_at=utcnow())
        .where(mine)
        .execute()
    )
    return str(docs_dir() / relative) if done else None


def _sha_prefix(data):
    return hashlib.sha256(data).hexdigest()[:16]


def retry(actor, contract_id, document_id, organization_id=None):
    """Queue a failed document again; Conflict unless it failed."""
    document = get_document(contract_id, document_id, organization_id)
    with db.atomic():
        moved = (
            GroupDocument.update(state=PENDING, updated_at=utcnow(), error="")
            .where(GroupDocument.id == document.id, GroupDocument.state == FAILED)
            .execute()
        )
        if not moved:
            raise Conflict(_l("Only a document that failed can be made again."))
        audit.record(actor, "group.document_retried", document)
        queue(document.id)
    return GroupDocument.get_by_id(document.id)


def requeue_stuck_documents(older_than_minutes=STALE_MINUTES):
    """Sweeper: queue again every document pending or rendering for too long (a killed worker, a
    flushed Redis). Returns the ids queued."""
    cutoff = utcnow() - datetime.timedelta(minutes=older_than_minutes)
    stuck = [
        d.id
        for d in GroupDocument.select(GroupDocument.id)
        .where(
            GroupDocument.state.in_(BUSY_STATES),
            GroupDocument.updated_at.is_null() | (GroupDocument.updated_at <= cutoff),
        )
        .order_by(GroupDocument.id)
    ]
    for document_id in stuck:
        (
            GroupDocument.update(state=PENDING, updated_at=utcnow())
            .where(GroupDocument.id == document_id, GroupDocument.state.in_(BUSY_STATES))
            .execute()
        )
        queue(document_id)
    if stuck:
        log.info("re-queued group documents: %s", stuck)
    return stuck


# --- downloading ---------------------------------------------------------------------------------


def download(actor, contract_id, document_id, organization_id=None):
    """(path, mimetype, download name) of a ready document whose file is intact; audited.
    NotFound for anything else (missing, another organization's, not ready, damaged)."""
    document = get_document(contract_id, document_id, organization_id)
    if document.state != READY or not _file_ok(document):
        raise NotFound(_l("This document is not ready."))
    detail = {"release": document.release.number, "locale": document.locale} if document.kind == SUMMARY else {}
    audit.record(
        actor,
        "group.document_downloaded",
        document,
        contract=document.contract_id,
        kind=document.kind,
        fmt=document.fmt,
        **detail,
    )
    return file_for(document), MIMETYPES[document.fmt], download_name(document)
