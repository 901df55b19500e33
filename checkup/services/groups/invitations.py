"""Invitations to a group checkup: HR sends a wave (everyone not yet invited, everyone not yet booked,
or the employees it picked); each employee gets an email with a personal single-use link
``/invite/<token>`` (only its sha256 is stored, it expires after CHECKUP_INVITATION_DAYS). A daily job
reminds the invited who have not booked, at most once every three days.

Sending is idempotent: a wave first marks its enrollments (``invite_count`` + 1, the token column
holding the placeholder ``pending:<id>``), then each enrollment's real token replaces the placeholder
with a conditional UPDATE before its email goes out through ``messages.send_once`` (dedupe key
``invite:<enrollment>:<invite_count>``), so a retried or doubled job never sends the same invitation
twice. The placeholders still left are the wave's progress. What happens to the links lives in
``invitation_links``.

Where an invitation goes: to the roster's address while nobody has an account on the enrollment's record;
once someone has, to that account's own address, with a sign-in link and no personal link (an account
needs none, and an address HR typed or changed later must never reach an account it does not own).
"""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, Case, Value, fn

from checkup.core import audit, clock, links, tasks
from checkup.core.errors import Conflict, ValidationError
from checkup.core.headline_figures import headline
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, Client, Enrollment, GroupContract, Organization, User
from checkup.models.base import db
from checkup.models.groups import ACTIVE
from checkup.services.accounts import accounts
from checkup.services.groups.enrollments import (
    APPOINTMENT_STATES,
    INVITED,
    NOT_BOOKED,
    NOT_INVITED,
    contract_for_hr,
    status_sql,
)
from checkup.services.mail import messages

ALL, NOT_YET_BOOKED, SELECTED = "all", "not_booked", "selected"
MODES = (ALL, NOT_YET_BOOKED, SELECTED)
BATCH_SIZE = 100
CHUNK = 500  # ids per IN (...) list: well inside every database's parameter limit
REMINDER_EVERY = datetime.timedelta(days=3)
STUCK_AFTER = datetime.timedelta(hours=1)  # a marked enrollment still without a link: its job was lost
INVITE_KIND, REMINDER_KIND = "invitation", "invite_reminder"
PENDING = "pending:"  # the token column of an enrollment whose invitation email is still to go out


def now_utc():
    """The center's clock as naive UTC (tests move ``clock.now``)."""
    return clock.now().astimezone(datetime.UTC).replace(tzinfo=None)


def pending_marker(enrollment_id):
    return f"{PENDING}{enrollment_id}"  # unique like the column; never a sha256 hex digest


def _is_pending():
    # the marker's prefix compared in the SQL text itself (no LIKE pattern, no parameter): a partial index on
    # this very expression can then answer the pending count in any plan, prepared ones included
    return fn.SUBSTR(Enrollment.invite_token_hash, SQL("1"), SQL(str(len(PENDING)))) == SQL(f"'{PENDING}'")


def token_hash(token):
    return hashlib.sha256(str(token).encode()).hexdigest()


def link_days():
    return int(current_app.config.get("INVITATION_DAYS") or 14)


def _chunks(ids, size=CHUNK):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


# --- planning a wave -------------------------------------------------------------------------


@dataclass
class Plan:
    contract: object
    mode: str
    to_send: list  # enrollment ids that get an invitation now
    resend: int = 0  # of those, how many were invited before (they get a fresh link)
    no_email: int = 0
    already_invited: int = 0  # skipped: invited before ("all" invites only the not yet invited)
    booked: int = 0  # skipped: they have booked already

    @property
    def sent(self):
        return len(self.to_send)


def recipient_sql():
    """The address an enrollment's mail goes to, over Enrollment JOIN Client LEFT JOIN User (see module doc)."""
    return Case(None, [(User.id.is_null(False), User.email)], Client.email)


def with_account(query):
    return query.join_from(Enrollment, User, JOIN.LEFT_OUTER, on=(User.client == Enrollment.client))


def _roster(contract_id, enrollment_ids=None):
    query = (
        with_account(
            Enrollment.select(Enrollment.id, status_sql(), recipient_sql().alias("recipient")).join_from(
                Enrollment, Client
            )
        )
        .where(Enrollment.contract == contract_id)
        .order_by(Enrollment.id)
    )
    if enrollment_ids is None:
        return list(query.tuples())
    rows = []
    for chunk in _chunks(enrollment_ids):
        rows += list(query.where(Enrollment.id.in_(chunk)).tuples())
    return rows


def _clean_ids(values):
    ids = set()
    for value in values or ():
        text = str(value).strip()
        if text.isascii() and text.isdigit() and len(text) <= 9:
            ids.add(int(text))
    return sorted(ids)


def plan_invitations(organization_id, contract_id, mode, enrollment_ids=()):
    """Who a wave would reach and why the others are left out; writes nothing.

    NotFound for another organization's contract; Conflict unless it is active; ValidationError for an
    unknown mode or an empty selection."""
    contract = contract_for_hr(organization_id, contract_id)
    if contract.status != ACTIVE:
        raise Conflict(_l("Invitations go out only for an active contract."))
    if mode not in MODES:
        raise ValidationError(_l("Choose whom to invite."), {"mode": _l("Choose whom to invite.")})
    ids = _clean_ids(enrollment_ids) if mode == SELECTED else None
    if mode == SELECTED and not ids:
        raise ValidationError(
            _l("Select at least one employee in the list."), {"ids": _l("Select at least one employee in the list.")}
        )
    plan = Plan(contract, mode, [])
    for enrollment_id, status, email in _roster(contract.id, ids):
        if status not in NOT_BOOKED:
            plan.booked += 1
        elif mode == ALL and status == INVITED:
            plan.already_invited += 1
        elif not (email or "").strip():
            plan.no_email += 1
        else:
            plan.to_send.append(enrollment_id)
            plan.resend += status == INVITED
    return plan


def send_invitations(actor, organization_id, contract_id, mode, enrollment_ids=()):
    """Start a wave: mark the enrollments invited and owe one sending task per batch, in one transaction.

    Returns the Plan. Raises like ``plan_invitations``."""
    plan = plan_invitations(organization_id, contract_id, mode, enrollment_ids)
    now = now_utc()
    with db.atomic():
        for chunk in _chunks(plan.to_send):
            (
                Enrollment.update(
                    invite_count=Enrollment.invite_count + 1,
                    invited_at=now,
                    invite_token_hash=Value(PENDING).concat(Enrollment.id),
                    invite_expires_at=None,
                    invite_used_at=None,
                )
                .where(Enrollment.id.in_(chunk), Enrollment.contract == plan.contract.id)
                .execute()
            )
        audit.record(
            actor,
            "hr.invitations_sent",
            plan.contract,
            mode=mode,
            sent=plan.sent,
            resend=plan.resend,
            no_email=plan.no_email,
            already_invited=plan.already_invited,
            booked=plan.booked,
        )
        for batch in _chunks(plan.to_send, BATCH_SIZE):
            tasks.defer("invitation.send_batch", plan.contract.id, batch, caused_by=actor.user_id)
    return plan


# --- the emails ------------------------------------------------------------------------------


def _accounts(client_ids):
    if not client_ids:
        return {}
    return {
        u.client_id: u
        for u in User.select(User.id, User.client, User.email, User.locale, User.is_active).where(
            User.client.in_(list(client_ids))
        )
    }


def _marked(contract_id, ids):
    return (
        Enrollment.select(Enrollment, Client, GroupContract, Organization)
        .join_from(Enrollment, Client)
        .join_from(Enrollment, GroupContract)
        .join(Organization)
        .where(Enrollment.contract == contract_id, Enrollment.id.in_(ids), _is_pending())
    )


@tasks.handler("invitation.send_batch", lease_minutes=30)
def send_invitation_batch(contract_id, enrollment_ids):
    """Task: email the marked enrollments among ``enrollment_ids`` their personal link. Idempotent: an
    enrollment whose link was already issued is skipped. Returns how many emails were sent now."""
    contract = GroupContract.get_or_none(GroupContract.id == contract_id)
    if contract is None or contract.status != ACTIVE:
        return 0
    enrollments = list(_marked(contract_id, list(enrollment_ids)))
    accounts_by_client = _accounts({e.client_id for e in enrollments})
    sent = 0
    for enrollment in enrollments:
        account = accounts_by_client.get(enrollment.client_id)
        # an account holder signs in: no personal link, and the mail goes to the account's own address
        token = None if account is not None else secrets.token_urlsafe(32)
        expires = None if account is not None else now_utc() + datetime.timedelta(days=link_days())
        claimed = (
            Enrollment.update(invite_token_hash=token_hash(token) if token else None, invite_expires_at=expires)
            .where(
                Enrollment.id == enrollment.id,
                Enrollment.invite_token_hash == pending_marker(enrollment.id),
                Enrollment.invite_count == enrollment.invite_count,
            )
            .execute()
        )
        if not claimed:  # another run issued this wave's link already
            continue
        message = messages.send_once(
            enrollment.client,
            INVITE_KIND,
            f"invite:{enrollment.id}:{enrollment.invite_count}",
            lambda: _(
                "Your company checkup: invitation from %(company)s", company=enrollment.contract.organization.name
            ),
            lambda: _invitation_text("email/group_invitation.txt", enrollment, token, expires),
            locale=accounts.language_of(account),
            email=account.email if account is not None else None,
        )
        sent += message is not None and message.status == "sent"
    return sent


def _invitation_text(template, enrollment, token, expires):
    contract = enrollment.contract
    link = links.invitation(token) if token else links.sign_in(links.group_booking_path(enrollment.id))
    return render_template(
        template,
        name=enrollment.client.name,
        company=contract.organization.name,
        contract=contract,
        link=link,
        has_account=token is None,
        expires=clock.from_utc(expires).strftime("%Y-%m-%d") if expires else "",
        center=current_app.config["CENTER_NAME"],
        phone=current_app.config["CENTER_PHONE"],
    )


def _pending(contract_id):
    return Enrollment.select(fn.COUNT(Enrollment.id)).where(Enrollment.contract == contract_id, _is_pending())


def pending_count(contract_id):
    """Enrollments of a wave still waiting for their email (the progress of the background jobs)."""
    return _pending(contract_id).scalar()


def invitation_progress(organization_id, contract_id):
    """(contract, pending) for HR's progress bar; NotFound for another organization's contract."""
    contract = contract_for_hr(organization_id, contract_id)
    return contract, pending_count(contract.id) if contract.status == ACTIVE else 0


@dataclass
class Overview:
    total: int = 0
    not_invited: int = 0
    invited: int = 0  # invited and not booked yet
    booked: int = 0  # booked, checked in, completed or no-show
    no_email: int = 0  # not booked and no email address on file: nobody can invite them
    pending: int = 0


def _count_where(condition):
    # the numbers as literals: a prepared statement's parameters would have no type to sum
    return fn.COALESCE(fn.SUM(Case(None, [(condition, SQL("1"))], SQL("0"))), SQL("0"))


def overview(contract):
    """The figures of the invitations page for a contract already found for the organization
    (``enrollments.pick_contract``), however large the roster: the counts by status read the enrollments'
    kept status alone (off the index), the pending count is only for an active contract (one query). How
    many not yet booked have no address joins them to their clients and accounts (~25 ms for 3,000 on a big
    center): a warning figure, kept up to HEADLINE_MAX_AGE_SECONDS (core/headline_figures) and counted again at
    once when the counts by status move; whom an invitation goes to is always worked out afresh
    (``plan_invitations``)."""
    figures = _FIGURES_ACTIVE if contract.status == ACTIVE else _FIGURES
    total, not_invited, invited, waiting = (int(value or 0) for value in figures.plain(contract.id)[0])
    no_email = (
        headline(
            f"hr.invitations.no_email.{contract.id}",
            lambda: _unreachable(contract.id),
            basis=(total, not_invited, invited),
        )
        if not_invited or invited
        else 0
    )
    return Overview(
        total=total,
        not_invited=not_invited,
        invited=invited,
        booked=total - not_invited - invited,
        no_email=no_email,
        pending=waiting,
    )


def _figures(contract_id, with_pending=False):
    """The counts of ``overview`` in one query (the pending invitations counted only ``with_pending``)."""
    status = status_sql()
    return Enrollment.select(
        fn.COUNT(SQL("*")),  # *: the counts by status are read off the index alone
        _count_where(status == NOT_INVITED),
        _count_where(status == INVITED),
        _pending(contract_id) if with_pending else SQL("0"),
    ).where(Enrollment.contract == contract_id)


# every view of the invitations page asks them: their SQL built once per process (core/prepared)
_FIGURES = PreparedSelect(_figures, "checkup_hr_invitation_figures", samples=(-2_000_000_001,))
_FIGURES_ACTIVE = PreparedSelect(
    lambda contract_id: _figures(contract_id, with_pending=True),
    "checkup_hr_invitation_figures_active",
    samples=(-2_000_000_001,),
)


def _unreachable(contract_id):
    """How many of the contract's not yet booked employees have no email address on file."""
    no_address = fn.TRIM(fn.COALESCE(recipient_sql(), "")) == ""
    return int(
        with_account(Enrollment.select(fn.COUNT(Enrollment.id)).join_from(Enrollment, Client))
        .where(Enrollment.contract == contract_id, status_sql().in_(NOT_BOOKED), no_address)
        .scalar()
        or 0
    )


# --- reminders -------------------------------------------------------------------------------


def _due_reminders(now):
    today = clock.today()
    cutoff = now - REMINDER_EVERY
    return (
        with_account(
            Enrollment.select(Enrollment, Client, GroupContract, Organization)
            .join_from(Enrollment, Client)
            .join_from(Enrollment, GroupContract)
            .join(Organization)
        )
        .join_from(Enrollment, Appointment, JOIN.LEFT_OUTER, on=(Enrollment.appointment == Appointment.id))
        .where(
            GroupContract.status == ACTIVE,
            GroupContract.window_start <= today,
            GroupContract.window_end >= today,
            Enrollment.invited_at.is_null(False),
            Enrollment.invited_at <= cutoff,
            Enrollment.invite_token_hash.is_null() | ~_is_pending(),
            (Enrollment.last_reminded_at.is_null()) | (Enrollment.last_reminded_at <= cutoff),
            Appointment.id.is_null() | Appointment.status.not_in(APPOINTMENT_STATES),
            fn.TRIM(recipient_sql()) != "",
        )
        .order_by(Enrollment.id)
    )


@tasks.handler("invitation.send_reminders", lease_minutes=30)
def send_invitation_reminders():
    """Daily task: remind every invited, not yet booked employee of an active contract inside its window,
    at most once every three days (a conditional UPDATE claims the reminder, so concurrent or repeated
    runs send it once). Also finishes waves whose job was lost. Returns how many reminders went out."""
    resume_stuck_invitations()
    now = now_utc()
    cutoff = now - REMINDER_EVERY
    due = list(_due_reminders(now))
    accounts_by_client = _accounts({e.client_id for e in due})
    sent = 0
    for enrollment in due:
        account = accounts_by_client.get(enrollment.client_id)
        token = None if account is not None else secrets.token_urlsafe(32)
        changes = {"last_reminded_at": now}
        if token:  # a fresh link: the earlier one is only in an older email
            changes.update(
                invite_token_hash=token_hash(token),
                invite_expires_at=now + datetime.timedelta(days=link_days()),
                invite_used_at=None,
            )
        claimed = (
            Enrollment.update(**changes)
            .where(
                Enrollment.id == enrollment.id,
                Enrollment.last_reminded_at.is_null() | (Enrollment.last_reminded_at <= cutoff),
                Enrollment.invite_token_hash.is_null() | ~_is_pending(),
            )
            .execute()
        )
        if not claimed:
            continue
        expires = changes.get("invite_expires_at")
        message = messages.send_once(
            enrollment.client,
            REMINDER_KIND,
            f"invite-reminder:{enrollment.id}:{clock.today().isoformat()}",
            lambda: _(
                "Reminder: book your company checkup (%(company)s)", company=enrollment.contract.organization.name
            ),
            lambda: _invitation_text("email/group_invitation_reminder.txt", enrollment, token, expires),
            locale=accounts.language_of(account),
            email=account.email if account is not None else None,
        )
        sent += message is not None and message.status == "sent"
    return sent


def resume_stuck_invitations():
    """Send the links of waves whose background job never ran (worker lost, Redis flushed)."""
    stale = now_utc() - STUCK_AFTER
    rows = (
        Enrollment.select(Enrollment.contract, Enrollment.id)
        .join(GroupContract)
        .where(GroupContract.status == ACTIVE, _is_pending(), Enrollment.invited_at <= stale)
        .tuples()
    )
    by_contract = {}
    for contract_id, enrollment_id in rows:
        by_contract.setdefault(contract_id, []).append(enrollment_id)
    for contract_id, ids in by_contract.items():
        for batch in _chunks(ids, BATCH_SIZE):
            tasks.defer("invitation.send_batch", contract_id, batch)
    return sum(len(ids) for ids in by_contract.values())
