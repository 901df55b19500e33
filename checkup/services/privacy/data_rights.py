"""Clients' data rights (PIPL art. 44–47): requests to correct or delete their data and the staff queue
that answers them (the list of staff accesses a client reads is services/access/access_log.py).

A request is a ``DataRequest`` row, ``open`` until an administrator marks it ``done`` (with a note the
client reads) or ``refused`` (with the reason). It is due 15 working days (Monday to Friday) after the
day it was made (deadlines.py); overdue requests head the queue. Marking a deletion done anonymizes the client in the
same transaction (services/privacy/anonymization.py). Every step is audited and the client is emailed the outcome.
Exports (a copy of their data) are requests too, made and closed by the worker: services/privacy/data_export.py.
"""

import datetime
import functools
import threading
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Case, fn

from checkup.core import audit, clock, tasks
from checkup.core.arguments import valid_id
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.pagination import Page, paginate, whole_count
from checkup.core.prepared import PreparedSelect
from checkup.models import Client, DataRequest, Message, User
from checkup.models.base import db, utcnow
from checkup.models.data_requests import (
    CORRECTION,
    DELETION,
    DONE,
    EXPORT,
    OPEN,
    REFUSED,
    REQUEST_KINDS,
    REQUEST_STATUSES,
)
from checkup.services.accounts import accounts
from checkup.services.mail import messages
from checkup.services.privacy import anonymization
from checkup.services.privacy.deadlines import due_date

DETAILS_MAX = 2000
NOTE_MAX = 2000
MAX_OPEN_CORRECTIONS = 5
QUEUE_PAGE_SIZE = 30
CLIENT_LIST_LIMIT = 50

KIND_LABELS = {CORRECTION: _l("Correction"), DELETION: _l("Deletion"), EXPORT: _l("Copy of the data")}
STATUS_LABELS = {OPEN: _l("Being handled"), DONE: _l("Done"), REFUSED: _l("Request refused")}
# What a client may say is wrong (correction requests).
FIELD_LABELS = {
    "name": _l("Name"),
    "sex": _l("Sex"),
    "birth_date": _l("Date of birth"),
    "national_id": _l("National ID number"),
    "phone": _l("Phone"),
    "email": _l("Email address"),
    "address": _l("Address"),
    "occupation": _l("Occupation"),
    "employer": _l("Employer, department or employee number"),
    "results": _l("My results or report"),
    "other": _l("Something else"),
}

# --- the client's side -----------------------------------------------------------------------------


def _client(client_id):
    client = Client.get_or_none(Client.id == client_id) if valid_id(client_id) else None
    if client is None or client.anonymized_at is not None:
        raise NotFound(_l("No client record is linked to this account."))
    return client


def _create(actor, client, kind, **values):
    request = DataRequest.create(
        client=client.id, kind=kind, requested_by=actor.user_id, due_on=due_date(clock.today()), **values
    )
    audit.record(actor, "data_request.created", request, client=client.id, kind=kind, field=values.get("field", ""))
    return request


def request_correction(actor, client_id, field, details):
    """The client says part of their record is wrong. Raises ValidationError (by field) for an unknown
    part or a missing or too long description, Conflict with MAX_OPEN_CORRECTIONS already waiting.
    Returns the open request (due in 15 working days)."""
    client = _client(client_id)
    details = (details or "").strip()
    errors = {}
    if field not in FIELD_LABELS:
        errors["field"] = _l("Choose what is wrong.")
    if not details:
        errors["details"] = _l("Tell us what is wrong and what it should be.")
    elif len(details) > DETAILS_MAX:
        errors["details"] = _l("Use at most %(max)d characters.", max=DETAILS_MAX)
    if errors:
        raise ValidationError(_l("Please correct the marked fields."), errors)
    with db.atomic():
        waiting = (
            DataRequest.select()
            .where(DataRequest.client == client.id, DataRequest.kind == CORRECTION, DataRequest.status == OPEN)
            .count()
        )
        if waiting >= MAX_OPEN_CORRECTIONS:
            raise Conflict(
                _l("You have %(count)d correction requests waiting. We will answer them first.", count=waiting)
            )
        return _create(actor, client, CORRECTION, field=field, details=details)


def request_deletion(actor, client_id, confirmed, reason=""):
    """The client asks us to delete their data. ``confirmed``: they read what deletion means. Raises
    ValidationError without the confirmation or with a too long reason, Conflict while another deletion
    request is open. Returns the open request."""
    client = _client(client_id)
    reason = (reason or "").strip()
    errors = {}
    if not confirmed:
        errors["confirmed"] = _l("Confirm that you want your data deleted.")
    if len(reason) > DETAILS_MAX:
        errors["reason"] = _l("Use at most %(max)d characters.", max=DETAILS_MAX)
    if errors:
        raise ValidationError(_l("Please correct the marked fields."), errors)
    with db.atomic():
        if (
            DataRequest.select()
            .where(DataRequest.client == client.id, DataRequest.kind == DELETION, DataRequest.status == OPEN)
            .exists()
        ):
            raise Conflict(_l("Your request to delete your data is already with us."))
        return _create(actor, client, DELETION, details=reason)


def _client_requests_query(client_id):
    return (
        DataRequest.select()
        .where(DataRequest.client == client_id)
        .order_by(DataRequest.id.desc())
        .limit(CLIENT_LIST_LIMIT)
    )


# the privacy page reads it on every visit: built once, prepared on PostgreSQL
_CLIENT_REQUESTS = PreparedSelect(
    _client_requests_query, "checkup_data_rights_client_requests", samples=(-2_000_000_001,)
)


def client_requests(client_id):
    """The client's requests, newest first (one query)."""
    return _CLIENT_REQUESTS.rows(client_id) if valid_id(client_id) else []


def open_deletion(client_id):
    return DataRequest.get_or_none(
        DataRequest.client == client_id, DataRequest.kind == DELETION, DataRequest.status == OPEN
    )


# --- the staff queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str = OPEN  # open | done | refused | all
    kind: str = ""
    page: int = 1


class QueueRow(NamedTuple):
    """One request as the queue shows it."""

    id: int
    kind: str
    status: str
    field: str | None
    created_at: datetime.datetime
    due_on: datetime.date
    handled_by_id: int | None
    client_name: str
    handler_name: str | None  # None: nobody handled it (open, or answered automatically)


def _queue_query(status, kind, limit, offset):
    handler = User.alias()
    query = (
        DataRequest.select(
            DataRequest.id,
            DataRequest.kind,
            DataRequest.status,
            DataRequest.field,
            DataRequest.created_at,
            DataRequest.due_on,
            DataRequest.handled_by,
            Client.name,
            handler.name,
            whole_count(),
        )
        .join(Client)
        .join_from(DataRequest, handler, JOIN.LEFT_OUTER, on=(DataRequest.handled_by == handler.id))
    )
    if status in REQUEST_STATUSES:
        query = query.where(DataRequest.status == status)
    if kind in REQUEST_KINDS:
        query = query.where(DataRequest.kind == kind)
    if status == OPEN:
        query = query.order_by(DataRequest.due_on, DataRequest.id)
    else:  # open ones (all NULL handled_at) by due date, then the answered ones latest first
        open_first = Case(None, [(DataRequest.status == OPEN, 0)], 1)
        query = query.order_by(open_first, DataRequest.handled_at.desc(), DataRequest.due_on, DataRequest.id.desc())
    return query.limit(limit).offset(offset)


# the queue's SQL is built once per process and filter (a handful): values nothing equals stand for the
# limit and the offset
_QUEUE_PAGES: dict[tuple[str, str], PreparedSelect] = {}
_QUEUE_PAGES_LOCK = threading.Lock()


def _queue_page_select(status, kind):
    key = (status if status in REQUEST_STATUSES else "all", kind if kind in REQUEST_KINDS else "")
    prepared = _QUEUE_PAGES.get(key)
    if prepared is None:
        with _QUEUE_PAGES_LOCK:
            prepared = _QUEUE_PAGES.get(key)
            if prepared is None:
                prepared = _QUEUE_PAGES[key] = PreparedSelect(
                    functools.partial(_queue_query, *key),
                    f"checkup_data_request_queue_{key[0]}_{key[1] or 'any'}",
                    (-2_000_000_301, -2_000_000_302),
                )
    return prepared


def queue(filters):
    """A page of requests (``QueueRow``): open ones by due date (overdue first), closed ones latest first;
    with the client and who handled each, counted in the same query (as ``counted_page`` reads it, the
    select prepared)."""
    number = max(1, filters.page or 1)
    rows = _queue_page_select(filters.status, filters.kind).plain(QUEUE_PAGE_SIZE, (number - 1) * QUEUE_PAGE_SIZE)
    if rows or number == 1:
        total = rows[0][-1] if rows else 0
        result = Page([row[:-1] for row in rows], number, max(1, -(-total // QUEUE_PAGE_SIZE)), total, QUEUE_PAGE_SIZE)
    else:  # past the end: counted and clamped as counted_page does
        query = _queue_query(filters.status, filters.kind, None, None).tuples()
        result = paginate(query, number, QUEUE_PAGE_SIZE)
        result.items = [row[:-1] for row in result.items]
    result.items = [QueueRow(*row) for row in result.items]
    return result


def _queue_counts_query(today):
    overdue = fn.COUNT(Case(None, [(DataRequest.due_on < today, 1)], None))
    return DataRequest.select(fn.COUNT(SQL("*")), overdue).where(DataRequest.status == OPEN, DataRequest.kind != EXPORT)


# on the admin's home page and the queue: built once per process (a date nothing equals stands for today)
_QUEUE_COUNTS = PreparedSelect(_queue_counts_query, "checkup_data_request_counts", (datetime.date(1901, 2, 5),))


def queue_counts(today=None):
    """{"open": n, "overdue": n} of the requests staff must answer (exports answer themselves), in one query."""
    waiting, overdue = _QUEUE_COUNTS.plain(today or clock.today())[0]
    return {"open": waiting, "overdue": overdue}


def get_request(request_id):
    handler = User.alias()
    request = (
        (
            DataRequest.select(DataRequest, Client, handler)
            .join(Client)
            .join_from(DataRequest, handler, JOIN.LEFT_OUTER, on=(DataRequest.handled_by == handler.id))
            .where(DataRequest.id == request_id)
            .first()
        )
        if valid_id(request_id)
        else None
    )
    if request is None:
        raise NotFound(_l("No such request."))
    return request


def view_request(actor, request_id):
    """A request for its staff page, with the client's other requests; the view is audited."""
    request = get_request(request_id)
    others = list(
        DataRequest.select()
        .where(DataRequest.client == request.client_id, DataRequest.id != request.id)
        .order_by(DataRequest.id.desc())
        .limit(CLIENT_LIST_LIMIT)
    )
    audit.record(actor, "data_request.viewed", request, kind=request.kind)
    return request, others


def _closing_note(text, field, missing):
    text = (text or "").strip()
    if not text:
        raise ValidationError(missing, {field: missing})
    if len(text) > NOTE_MAX:
        message = _l("Use at most %(max)d characters.", max=NOTE_MAX)
        raise ValidationError(message, {field: message})
    return text


def _close(actor, request_id, status, note):
    """Move an open correction or deletion request to ``status``; NotFound, Conflict otherwise."""
    request = get_request(request_id)
    if request.kind == EXPORT:
        raise Conflict(_l("A copy of the data is made automatically; there is nothing to answer."))
    if request.status != OPEN:
        raise Conflict(_l("This request was already answered."))
    changed = (
        DataRequest.update(
            status=status,
            handled_by=actor.user_id,
            handled_at=utcnow(),
            note=note,
            outcome_email=outcome_address(request.client_id),
        )
        .where(DataRequest.id == request.id, DataRequest.status == OPEN)
        .execute()
    )
    if not changed:
        raise Conflict(_l("This request was already answered."))
    return request


def complete(actor, request_id, note):
    """Mark a request done with ``note`` (what was done; the client reads it). A deletion anonymizes the
    client in the same transaction (kept: what the law requires). Raises ValidationError (note missing
    or too long), NotFound, Conflict (already answered, an export, or a deletion that cannot run yet).
    The client is emailed once the transaction commits."""
    note = _closing_note(note, "note", _l("Say what was done: the client reads this."))

    with db.atomic():
        request = _close(actor, request_id, DONE, note)
        if request.kind == DELETION:
            anonymization.anonymize_client(actor, request.client_id, "request")
        audit.record(actor, "data_request.done", request, kind=request.kind, client=request.client_id)
        tasks.defer("mail.data_request_outcome", request.id, caused_by=actor.user_id)
    return get_request(request.id)


def refuse(actor, request_id, reason):
    """Refuse a request with ``reason`` (the client reads it). Raises ValidationError, NotFound, Conflict.
    The client is emailed once the transaction commits."""
    reason = _closing_note(reason, "reason", _l("Give the reason: the client reads it."))
    with db.atomic():
        request = _close(actor, request_id, REFUSED, reason)
        audit.record(actor, "data_request.refused", request, kind=request.kind, client=request.client_id)
        tasks.defer("mail.data_request_outcome", request.id, caused_by=actor.user_id)
    return get_request(request.id)


# --- the outcome email ---------------------------------------------------------------------------------


def outcome_address(client_id):
    """Where the client reads our answer: their account's email, else the record's."""
    account = User.get_or_none(User.client == client_id)
    if account is not None:
        return account.email
    return Client.select(Client.email).where(Client.id == client_id).scalar() or ""


@tasks.handler("mail.data_request_outcome")
def send_outcome(request_id):
    """Task: email the client the answer to their request, to the address kept when it was answered;
    the address is forgotten once the email is sent (after a deletion it is the last copy we hold)."""
    request = DataRequest.get_or_none(DataRequest.id == request_id)
    if request is None or request.status == OPEN or not request.outcome_email:
        return None
    account = User.get_or_none(User.client == request.client_id)
    template = "email/data_request_done.txt" if request.status == DONE else "email/data_request_refused.txt"
    with force_locale(accounts.language_of(account)):
        subject = _("Your data request is done") if request.status == DONE else _("Your data request was refused")
        text = render_template(
            template,
            request=request,
            kind=KIND_LABELS[request.kind],
            field=FIELD_LABELS.get(request.field, ""),
            center=current_app.config["CENTER_NAME"],
            link=current_app.config["BASE_URL"].rstrip("/") + "/me/privacy",
        )
        message = messages.send_owed(
            "data_request",
            request.outcome_email,
            subject,
            text,
            client_id=request.client_id,
            user_id=account.id if account else None,
        )
    DataRequest.update(outcome_email="").where(DataRequest.id == request.id).execute()
    if request.kind == DELETION and message is not None:
        Message.update(email="").where(Message.id == message.id).execute()
    return message
