"""Annual re-enrollment: clients whose last completed checkup was eleven months ago or more, with no
upcoming appointment and a current consent to service reminders, get one personal invitation per
checkup cycle (the dedupe key names the last exam's day, so a re-run or retry never sends twice).

Who is due is read from the client facts (models/client_facts.py): the last completed checkup, and the
cycle the invitation went out for, marked in the transaction that writes the invitation's Message row.
A new completed checkup starts a new cycle."""

import datetime
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from peewee import JOIN, SQL, Case, Cast, PostgresqlDatabase, Select, Tuple, Value, fn

from checkup.core import audit, clock, tasks
from checkup.core.headline_figures import headline
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import (
    Appointment,
    AppointmentItem,
    Client,
    ClientFacts,
    Consent,
    ExamItem,
    Finding,
    Message,
    Package,
    Report,
)
from checkup.models.appointments import COMPLETED, LIVE_STATUSES
from checkup.models.base import db
from checkup.models.care import SERVICE_REMINDERS
from checkup.models.client_facts import NOT_INVITED
from checkup.services.accounts import accounts, consents
from checkup.services.mail import messages

DUE_AFTER_MONTHS = 11
KIND = "reenrollment"
BATCH = 500
COUNT_CAP = 1000  # the due count on the pages stops here ("1000+"): it never reads a whole backlog


def months_before(day, months):
    """The same day of the month ``months`` earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def invitation_key(client_id, last_day):
    """The dedupe key of a client's invitation for the cycle that began with the checkup on ``last_day``."""
    return f"{KIND}:{client_id}:{last_day.isoformat()}"


def _due(today):
    """Clients due for re-enrollment today, whether invited for this cycle or not: a completed checkup on or
    before the cutoff as their latest, an address, no upcoming appointment and service reminders agreed to."""
    return (
        Client.select(Client, ClientFacts.last_exam_day)
        .join(ClientFacts, on=(ClientFacts.client == Client.id))
        .where(*_due_conditions(today, months_before(today, DUE_AFTER_MONTHS)))
    )


def _due_conditions(today, cutoff, value=lambda value: value):
    """``_due``'s rule, with ``cutoff`` = months_before(today, DUE_AFTER_MONTHS); ``value`` puts each value
    into the SQL (``_literal``: written into the text, for the page's list)."""
    upcoming = Appointment.select(SQL("1")).where(
        Appointment.client == ClientFacts.client,
        Appointment.status.in_([value(status) for status in LIVE_STATUSES]),
        Appointment.day >= value(today),
    )
    return (
        ClientFacts.last_exam_day <= value(cutoff),
        Client.email != value(""),
        ~fn.EXISTS(upcoming),
        _agrees_to_reminders(value),
    )


def _agrees_to_reminders(value=lambda value: value):
    """The client's latest answer on service reminders is yes, looked up per client by the consent index
    (``consents.consented_ids`` groups every client's answers first: far slower when few clients are read)."""
    later = Consent.alias("later")
    newer = later.select(SQL("1")).where(
        later.client == Consent.client, later.purpose == Consent.purpose, later.id > Consent.id
    )
    return fn.EXISTS(
        Consent.select(SQL("1")).where(
            Consent.client == ClientFacts.client,
            Consent.purpose == value(SERVICE_REMINDERS),
            Consent.granted == value(True),
            ~fn.EXISTS(newer),
        )
    )


def _literal(value):
    """``value`` written into the SQL text rather than sent as a parameter: a day, or one of this module's own
    constants (never anything a user typed)."""
    if isinstance(value, bool):
        return SQL("TRUE" if value else "FALSE")
    if isinstance(value, int):
        return SQL(str(value))
    if isinstance(value, datetime.date):
        value = value.isoformat()
    return SQL("'" + value.replace("'", "''") + "'")


def due_clients(today=None, limit=None, after=None, reviewed_too=False):
    """[(client, last exam day)] due today and not invited for their current cycle, oldest exam first (then
    by client id). By default only those the daily job has not looked at for this cycle yet: who became due
    since its last run (an indexed range, small once the job runs daily). ``reviewed_too``: also those it
    passed over then (no consent, no address or booked at the time) who are due now: the job's own list.
    ``after`` = (day, client id) of the last one read continues from there."""
    today = today or clock.today()
    query = _due(today).where(NOT_INVITED if reviewed_too else _unreviewed(today))
    if after is not None:
        query = query.where(Tuple(ClientFacts.last_exam_day, ClientFacts.client) > Tuple(*after))
    query = query.order_by(ClientFacts.last_exam_day, ClientFacts.client)
    if limit:
        query = query.limit(limit)
    return [(client, _as_date(client.last_exam_day)) for client in query.objects()]


def _due_names_query(today):
    # ``_due`` and ``_unreviewed`` as the page reads them, every value written into the SQL (see _DUE_NAMES)
    cutoff = months_before(today, DUE_AFTER_MONTHS)
    return (
        Client.select(Client.id, Client.name, ClientFacts.last_exam_day)
        .join(ClientFacts, on=(ClientFacts.client == Client.id))
        .where(*_due_conditions(today, cutoff, _literal), ClientFacts.unreviewed_day <= _literal(cutoff))
        .order_by(ClientFacts.last_exam_day, ClientFacts.client)
        .limit(_literal(PAGE_DUE))
        .objects()
    )


PAGE_DUE = 50
# The page's list: one prepared select per day, built once per process, with the day's dates and the
# constants written into its SQL. A statement with parameters is planned again for their values on every
# EXECUTE (PostgreSQL keeps its plan for any value only when that plan looks as cheap, which this one's
# never does: "LIMIT 50 of how many due?"), and planning this five-table read cost more than running it
# (~0.9 of ~1.4 ms on the 100k-client dataset). One without parameters is planned on its first EXECUTE on a
# connection, for that day's values, and that plan is kept. A pooled connection is replaced within minutes
# (database.py: stale_timeout), so the days gone by do not pile up on the server; this process keeps a few
# hundred bytes of SQL per day it served.
_DUE_NAMES = PerShape(
    lambda today: PreparedSelect(lambda: _due_names_query(today), f"checkup_reenrollment_due_names_{today:%Y%m%d}")
)


class DueName(NamedTuple):
    id: int
    name: str


def due_names(today=None):
    """The page's "due now": [(DueName: the client's id and name, last exam day)], the first PAGE_DUE
    ``due_clients`` lists (same clients, same order), as plain rows: no client rows or model objects."""
    today = today or clock.today()
    return [(DueName(client_id, name), _as_date(day)) for client_id, name, day in _DUE_NAMES(today).plain()]


def _unreviewed(today):
    # implies last_exam_day <= cutoff, which _due states too; this one reads the short index range
    return ClientFacts.unreviewed_day <= months_before(today, DUE_AFTER_MONTHS)


def due_count(today=None, cap=COUNT_CAP):
    """(how many clients ``due_clients`` lists today, up to ``cap``; whether there are more): counted in the
    database, and never more than ``cap`` + 1 rows read, however large a backlog."""
    today = today or clock.today()
    query = _due(today).where(_unreviewed(today)).select(SQL("1")).limit(cap + 1)
    count = query.count()
    return min(count, cap), count > cap


def _as_date(value):
    if isinstance(value, str):  # SQLite hands some values back as text
        return datetime.date.fromisoformat(value[:10])
    return value


def suggestion(client_id, last_day):
    """Last time's package and the items its findings call for that the package does not hold."""
    appointment = (
        Appointment.select(Appointment, Package)
        .join(Package, JOIN.LEFT_OUTER)
        .where(Appointment.client == client_id, Appointment.day == last_day, Appointment.status == COMPLETED)
        .first()
    )
    if appointment is None:
        return None, []
    in_package = {
        row.item_id
        for row in AppointmentItem.select(AppointmentItem.item).where(
            AppointmentItem.appointment == appointment.id, AppointmentItem.is_addon == False
        )
    }
    report = (
        Report.select()
        .where(Report.appointment == appointment.id, Report.status.in_(("signed", "published")))
        .order_by(Report.version.desc())
        .first()
    )
    items = []
    if report is not None:
        query = (
            ExamItem.select()
            .join(Finding)
            .where(Finding.report == report.id, Finding.level != "")
            .distinct()
            .order_by(ExamItem.code)
        )
        items = [item for item in query if item.id not in in_package]
        # finding items already in the package are repeated by booking the package again
    return appointment.package, items


def _name(obj, chinese):
    return obj.name_zh if chinese and obj.name_zh else obj.name_en


def _text(client, last_day, package, items, chinese):
    base = current_app.config["BASE_URL"].rstrip("/")
    lines = [
        _("Dear %(name)s,", name=client.name),
        "",
        _(
            "Your last health checkup with us was on %(day)s. A yearly checkup helps to notice changes early.",
            day=last_day.isoformat(),
        ),
    ]
    if package is not None:
        lines += ["", _("Last time you had the package: %(package)s.", package=_name(package, chinese))]
    if items:
        names = ", ".join(_name(item, chinese) for item in items)
        lines += [_("Your results suggest also checking: %(items)s.", items=names)]
    lines += [
        "",
        _("Book your next checkup: %(url)s", url=base + "/me/packages"),
        "",
        _("Questions? Call us at %(phone)s.", phone=current_app.config["CENTER_PHONE"]),
    ]
    return "\n".join(lines)


def run_now(actor):
    """Staff asked to send the due invitations now (audited); the sending is a task."""
    with db.atomic():
        audit.record(actor, "reenrollment.run", None)
        return tasks.defer("reenrollment.send_invitations", caused_by=actor.user_id)


def _mark_invited(client_id, last_day, at):
    """The client's current cycle (the checkup on ``last_day``) has had its invitation."""
    ClientFacts.update(invited_for_day=last_day, invited_at=at, unreviewed_day=None).where(
        ClientFacts.client == client_id, ClientFacts.last_exam_day == last_day
    ).execute()


def _mark_reviewed(today):
    """Every client whose cycle is due by ``today`` has been looked at (set-based, after a run): those not
    invited were not to be invited then; the next runs still invite them once they are."""
    return ClientFacts.update(unreviewed_day=None).where(_unreviewed(today)).execute()


def _invite(client, last_day):
    """Send one client's invitation; True when it went out now. The Message row and the cycle mark commit
    together before the mail goes out: a crash or a second run never sends it again."""
    # consent is re-read at the moment of sending: a withdrawal takes effect before the next message
    if not consents.has_consent(client.id, SERVICE_REMINDERS):
        return False
    package, items = suggestion(client.id, last_day)
    locale = accounts.language_of_client(client.id)
    key = invitation_key(client.id, last_day)
    message = messages.send_once(
        client,
        KIND,
        key,
        lambda: _("Time for your yearly checkup at %(center)s", center=current_app.config["CENTER_NAME"]),
        lambda: _text(client, last_day, package, items, locale == "zh"),
        locale=locale,
        on_claim=lambda claimed: _mark_invited(client.id, last_day, claimed.created_at),
    )
    if message is None:  # the key was used before (a run that stopped, or rows loaded in bulk): mark the cycle
        _mark_invited(client.id, last_day, Message.select(Message.created_at).where(Message.dedupe_key == key))
        return False
    return message.status == "sent"


# a first run over a backlog (after a bulk load or an outage) sends thousands, each through the mail server
@tasks.handler("reenrollment.send_invitations", lease_minutes=120)
def send_invitations(today=None, batch=BATCH):
    """Daily job: invite every client who is due and not yet invited for their current cycle, ``batch`` at a
    time (oldest checkup first) until none is left; returns how many invitations went out now.

    Each invitation commits on its own, with its cycle mark, so a retry or a second run sends nobody twice
    and starts where this one stopped. A client left out now (consent withdrawn after the batch was read)
    is not read again in this run. At the end every client due today counts as looked at for this cycle
    (``due_clients`` then lists only who becomes due later)."""
    today = today or clock.today()
    sent, after = 0, None
    while True:
        due = due_clients(today, limit=batch, after=after, reviewed_too=True)
        if not due:
            break
        sent += sum(_invite(client, last_day) for client, last_day in due)
        after = (due[-1][1], due[-1][0].id)
    _mark_reviewed(today)
    return sent


def rebuild_invitation_state():
    """The cycle marks from the messages (after a bulk load wrote them straight to the tables): a client
    counts as invited (and looked at) for the current cycle when the message keyed for its last exam day
    exists. Set-based: one UPDATE. Returns the number of clients marked."""
    if isinstance(db.obj, PostgresqlDatabase):
        day_text = fn.to_char(ClientFacts.last_exam_day, "YYYY-MM-DD")
    else:
        day_text = ClientFacts.last_exam_day  # SQLite keeps dates as ISO text
    key = Value(f"{KIND}:").concat(Cast(ClientFacts.client, "TEXT")).concat(":").concat(day_text)
    invitation = Message.select(Message.created_at).where(Message.dedupe_key == key)
    return (
        ClientFacts.update(
            invited_for_day=ClientFacts.last_exam_day,
            invited_at=invitation,
            unreviewed_day=None,
        )
        .where(ClientFacts.last_exam_day.is_null(False), NOT_INVITED, fn.EXISTS(invitation))
        .execute()
    )


def funnel(since=None, until=None):
    """Due → invited → booked → completed, counted in the database: ``due`` is how many ``due_clients``
    lists (up to COUNT_CAP; ``due_more`` when there are more); the rest follow the clients first invited in
    [since, until) (default: the last 365 days) to an appointment made after that invitation."""
    until = until or clock.today() + datetime.timedelta(days=1)
    since = since or until - datetime.timedelta(days=366)
    start = datetime.datetime.combine(since, datetime.time())
    end = datetime.datetime.combine(until, datetime.time())
    today = clock.today()
    first = (
        Message.select(Message.client.alias("client_id"), fn.MIN(Message.sent_at).alias("invited_at"))
        .where(Message.kind == KIND, Message.status == "sent", Message.sent_at >= start, Message.sent_at < end)
        .group_by(Message.client)
        .alias("first_invitation")
    )
    after_invitation = (
        (Appointment.client == first.c.client_id)
        & (Appointment.created_at >= first.c.invited_at)
        & (Appointment.day >= since)  # implied (nothing is booked for a day already past): the day index serves
    )
    per_client = (
        Select(
            [first],
            [
                first.c.client_id,
                fn.MAX(Case(None, [(Appointment.id.is_null(False), 1)], 0)).alias("booked"),
                fn.MAX(Case(None, [(Appointment.status == COMPLETED, 1)], 0)).alias("completed"),
            ],
        )
        .join(Appointment, JOIN.LEFT_OUTER, on=after_invitation)
        .group_by(first.c.client_id)
        .alias("per_client")
    )
    invited, booked, completed = (
        Select([per_client], [fn.COUNT(SQL("*")), fn.SUM(per_client.c.booked), fn.SUM(per_client.c.completed)])
        .bind(db)
        .tuples()
        .get()
    )
    booked, completed = int(booked or 0), int(completed or 0)
    due, due_more = due_count(today)
    return {
        "due": due,
        "due_more": due_more,
        "invited": invited,
        "booked": booked,
        "completed": completed,
        "rate": round(100 * booked / invited, 1) if invited else None,
    }


def _recent_query():
    return (
        Message.select(Message.id, Message.sent_at, Message.status, Client.id, Client.name)
        .join(Client)
        .where(Message.kind == KIND)
        .order_by(Message.id.desc())
        .limit(PAGE_SENT)
    )


PAGE_SENT = 50
_RECENT = PreparedSelect(_recent_query, "checkup_reenrollment_recent", samples=())


class SentInvitation(NamedTuple):
    id: int
    sent_at: datetime.datetime | None
    status: str
    client_id: int
    client_name: str


def recent_invitations():
    """The latest PAGE_SENT invitations with their client's name (the columns the page shows), as plain rows."""
    return [SentInvitation(*row) for row in _RECENT.plain()]


def funnel_figures(recent):
    """``funnel()`` as the page's headline: counted at most once per HEADLINE_MAX_AGE_SECONDS (core/headline_figures),
    and again at once when the page's ``recent`` invitations (``recent_invitations``) changed: the counselor who
    has just sent them, or whose queued ones went out, sees them counted."""
    basis = tuple((message.id, message.status) for message in recent)
    return headline("care.reenrollment_funnel", funnel, basis=basis)
