"""Annual re-enrollment: clients whose last completed checkup was eleven months ago or more, with no
upcoming appointment and a current consent to service reminders, get one personal invitation per
checkup cycle (the dedupe key names the last exam's day, so a re-run or retry never sends twice)."""

import datetime

from flask import current_app
from flask_babel import gettext as _
from peewee import JOIN, fn

from checkup.core import audit, clock, tasks
from checkup.models import Appointment, AppointmentItem, Client, ExamItem, Finding, Message, Package, Report
from checkup.models.appointments import COMPLETED, LIVE_STATUSES
from checkup.models.base import db
from checkup.models.care import SERVICE_REMINDERS
from checkup.services.accounts import accounts, consents
from checkup.services.mail import messages

DUE_AFTER_MONTHS = 11
KIND = "reenrollment"


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


def _last_exams():
    return (
        Appointment.select(Appointment.client, fn.MAX(Appointment.day).alias("last_day"))
        .where(Appointment.status == COMPLETED)
        .group_by(Appointment.client)
    )


def due_clients(today=None, limit=None):
    """[(client, last exam day)] due for an invitation today, oldest exam first."""
    today = today or clock.today()
    cutoff = months_before(today, DUE_AFTER_MONTHS)
    last = _last_exams().alias("last")
    upcoming = Appointment.select(Appointment.client).where(
        Appointment.status.in_(LIVE_STATUSES), Appointment.day >= today
    )
    query = (
        Client.select(Client, last.c.last_day)
        .join(last, on=(last.c.client_id == Client.id))
        .where(
            last.c.last_day <= cutoff,
            Client.email != "",
            Client.id.not_in(upcoming),
            Client.id.in_(consents.consented_ids(SERVICE_REMINDERS)),
        )
        .order_by(last.c.last_day, Client.id)
    )
    if limit:
        query = query.limit(limit)
    return [(client, _as_date(client.last_day)) for client in query.objects()]


def _as_date(value):
    if isinstance(value, str):  # SQLite hands aggregates back as text
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


@tasks.handler("reenrollment.send_invitations", lease_minutes=30)
def send_invitations(today=None, batch=500):
    """Daily job: invite every client who is due; returns how many invitations went out now."""
    today = today or clock.today()
    sent = 0
    for client, last_day in due_clients(today, limit=batch):
        # consent is re-read at the moment of sending: a withdrawal takes effect before the next message
        if not consents.has_consent(client.id, SERVICE_REMINDERS):
            continue
        package, items = suggestion(client.id, last_day)
        locale = accounts.language_of_client(client.id)
        message = messages.send_once(
            client,
            KIND,
            f"{KIND}:{client.id}:{last_day.isoformat()}",
            lambda: _("Time for your yearly checkup at %(center)s", center=current_app.config["CENTER_NAME"]),
            lambda: _text(client, last_day, package, items, locale == "zh"),
            locale=locale,
        )
        if message is not None and message.status == "sent":
            sent += 1
    return sent


def funnel(since=None, until=None):
    """Due → invited → booked → completed for invitations sent in [since, until) (default: last 365 days)."""
    until = until or clock.today() + datetime.timedelta(days=1)
    since = since or until - datetime.timedelta(days=366)
    start = datetime.datetime.combine(since, datetime.time())
    end = datetime.datetime.combine(until, datetime.time())
    invited = list(
        Message.select(Message.client, Message.sent_at)
        .where(Message.kind == KIND, Message.status == "sent", Message.sent_at >= start, Message.sent_at < end)
        .tuples()
    )
    first_invite = {}
    for client_id, sent_at in invited:
        first_invite[client_id] = min(sent_at, first_invite.get(client_id, sent_at))
    booked, completed = set(), set()
    if first_invite:
        rows = (
            Appointment.select(Appointment.client, Appointment.created_at, Appointment.status)
            .where(Appointment.client.in_(list(first_invite)), Appointment.created_at >= start)
            .tuples()
        )
        for client_id, created_at, status in rows:
            if created_at >= first_invite[client_id]:
                booked.add(client_id)
                if status == COMPLETED:
                    completed.add(client_id)
    due_now = len(due_clients())
    invited_count = len(first_invite)
    return {
        "due": due_now,
        "invited": invited_count,
        "booked": len(booked),
        "completed": len(completed),
        "rate": round(100 * len(booked) / invited_count, 1) if invited_count else None,
    }


def recent_invitations(limit=50):
    return list(
        Message.select(Message, Client)
        .join(Client)
        .where(Message.kind == KIND)
        .order_by(Message.id.desc())
        .limit(limit)
    )
