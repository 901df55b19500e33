"""Booking emails: confirmation with .ics, waitlist offers, day-before reminders, and the updated or
cancelling .ics when an appointment moves or is cancelled. Task handlers taking ids."""

import datetime
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import JOIN

from checkup.config import center_identity
from checkup.core import calendar_file, clock, links, tasks
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, Client, ExamItem, Package, Slot, User, WaitlistEntry
from checkup.models.appointments import BOOKED, CANCELLED
from checkup.models.base import db, utcnow
from checkup.services.accounts import accounts
from checkup.services.booking import waitlist  # waitlist owes this mail
from checkup.services.catalog.packages import preparation_notes
from checkup.services.mail import messages


def _recipient(client):
    """The client's email, language and account id (their account's language if they have one)."""
    account = User.get_or_none(User.client == client.id)
    return (
        (account.email if account else client.email),
        accounts.language_of(account),
        (account.id if account else None),
    )


def _details_query(appointment_id):
    return (
        Appointment.select(Appointment, Slot, Package, Client)
        .join(Slot)
        .join_from(Appointment, Package, JOIN.LEFT_OUTER)
        .join_from(Appointment, Client)
        .where(Appointment.id == appointment_id)
    )


def _details_items_query(appointment_id):
    return (
        ExamItem.select()
        .join(AppointmentItem)
        .where(AppointmentItem.appointment == appointment_id)
        .order_by(ExamItem.department, ExamItem.code)
    )


_DETAILS = PreparedSelect(_details_query, "checkup_mail_appointment_details")
_DETAILS_ITEMS = PreparedSelect(_details_items_query, "checkup_mail_appointment_items")


def appointment_details(appointment_id):
    """An appointment with slot, package, client and its items (department order) in two prepared queries."""
    found = _DETAILS.rows(appointment_id)
    if not found:
        return None, []
    appointment = found[0]
    return appointment, _DETAILS_ITEMS.rows(appointment.id)


def ics_for(appointment, items, chinese=False, method=calendar_file.PUBLISH, email=""):
    """The appointment's calendar event: the same UID for its whole life (the exam code, which never
    changes), SEQUENCE = ``appointment.ics_sequence``. Emailed: ``method`` REQUEST or CANCEL, with the
    center as organizer and the client (``email``) as attendee."""
    slot = appointment.slot
    notes = preparation_notes(items, chinese)
    center = center_identity(current_app.config, "zh" if chinese else "en")
    location = ", ".join(part for part in (center["name"], center["address"]) if part)
    emailed = method != calendar_file.PUBLISH
    return calendar_file.appointment_ics(
        uid=f"{appointment.exam_code}@checkup-portal",
        start=clock.local(slot.day, slot.start_time),
        end=clock.local(slot.day, slot.end_time),
        summary=_("Health checkup at %(center)s", center=center["name"]),
        location=location,
        description=_("Exam code: %(code)s", code=appointment.exam_code) + "\n" + "\n".join(notes),
        sequence=appointment.ics_sequence or 0,
        method=method,
        organizer=(parseaddr(current_app.config["MAIL_SENDER"])[1], center["name"]) if emailed else None,
        attendee=(email, appointment.client.name) if emailed and email else None,
    )


@tasks.handler("mail.booking_confirmation")
def send_confirmation(appointment_id):
    appointment, items = appointment_details(appointment_id)
    if appointment is None or appointment.status != BOOKED:
        return None
    email, locale, user_id = _recipient(appointment.client)
    if not email:
        return None
    with force_locale(locale):
        chinese = locale == "zh"
        text = render_template(
            "email/booking_confirmation.txt",
            appointment=appointment,
            notes=preparation_notes(items, chinese),
            center=center_identity(current_app.config, locale)["name"],
            link=links.my_appointments(),
        )
        return messages.send_owed(
            "booking_confirmation",
            email,
            _("Your checkup on %(day)s is booked", day=appointment.day.isoformat()),
            text,
            client_id=appointment.client_id,
            user_id=user_id,
            attachments=[
                ("checkup.ics", ics_for(appointment, items, chinese, calendar_file.REQUEST, email), "text/calendar")
            ],
        )


@tasks.handler("mail.waitlist_offer")
def send_waitlist_offer(entry_id):
    """Offer a held place; the link's token is minted now (a retry mints a new one)."""
    entry = (
        WaitlistEntry.select(WaitlistEntry, Slot, Client)
        .join(Slot)
        .join_from(WaitlistEntry, Client)
        .where(WaitlistEntry.id == entry_id)
        .first()
    )
    if entry is None:
        return None
    email, locale, user_id = _recipient(entry.client)
    if not email:
        return None
    token = waitlist.mint_offer_token(entry.id)
    if token is None:  # expired, claimed or left before the mail could go
        return None
    with force_locale(locale):
        text = render_template(
            "email/waitlist_offer.txt",
            entry=entry,
            center=center_identity(current_app.config, locale)["name"],
            link=links.waitlist_offer(token),
            hours=current_app.config.get("WAITLIST_HOLD_HOURS", 2),
        )
        return messages.send_owed(
            "waitlist_offer",
            email,
            _("A place is free on %(day)s — held for you", day=entry.day.isoformat()),
            text,
            client_id=entry.client_id,
            user_id=user_id,
        )


def send_reminders(day_iso=None):
    """Owe a reminder to every client booked on ``day`` (default: tomorrow at the center). Never twice:
    the appointment is marked and the reminder task written in one transaction. Returns how many."""
    day = datetime.date.fromisoformat(day_iso) if day_iso else clock.today() + datetime.timedelta(days=1)
    sent = 0
    for appointment in Appointment.select(Appointment.id).where(
        Appointment.day == day, Appointment.status == BOOKED, Appointment.reminder_sent_at.is_null()
    ):
        with db.atomic():
            # claim the reminder first: a second run (or a second worker) finds it taken
            claimed = (
                Appointment.update(reminder_sent_at=utcnow())
                .where(Appointment.id == appointment.id, Appointment.reminder_sent_at.is_null())
                .execute()
            )
            if claimed:
                tasks.defer("mail.booking_reminder", appointment.id)
                sent += 1
    return sent


@tasks.handler("booking.send_due_reminders")
def send_due_reminders():
    """The periodic job: from the configured local hour on, remind tomorrow's clients (idempotent)."""
    if clock.now().hour < current_app.config.get("REMINDER_HOUR", 9):
        return 0
    return send_reminders()


@tasks.handler("mail.booking_reminder")
def send_reminder(appointment_id):
    appointment, items = appointment_details(appointment_id)
    if appointment is None or appointment.status != BOOKED:
        return None
    email, locale, user_id = _recipient(appointment.client)
    if not email:
        return None
    with force_locale(locale):
        text = render_template(
            "email/booking_reminder.txt",
            appointment=appointment,
            notes=preparation_notes(items, locale == "zh"),
            center=center_identity(current_app.config, locale)["name"],
            link=links.my_appointments(),
        )
        return messages.send_owed(
            "booking_reminder",
            email,
            _("Reminder: your checkup is tomorrow"),
            text,
            client_id=appointment.client_id,
            user_id=user_id,
        )


def _send_calendar_change(appointment_id, sequence, status, kind, template, subject, method):
    """The email of one change to an appointment (``sequence``: its ``ics_sequence`` after the change),
    with the event again: same UID, that SEQUENCE. A change overtaken by a later one sends nothing (the
    later change owes its own email, with the newer event)."""
    appointment, items = appointment_details(appointment_id)
    if appointment is None or appointment.ics_sequence != sequence or appointment.status != status:
        return None
    email, locale, user_id = _recipient(appointment.client)
    if not email:
        return None
    with force_locale(locale):
        chinese = locale == "zh"
        text = render_template(
            template,
            appointment=appointment,
            notes=preparation_notes(items, chinese) if status == BOOKED else [],
            center=center_identity(current_app.config, locale)["name"],
            link=links.my_appointments(),
        )
        return messages.send_owed(
            kind,
            email,
            subject(appointment),
            text,
            client_id=appointment.client_id,
            user_id=user_id,
            attachments=[("checkup.ics", ics_for(appointment, items, chinese, method, email), "text/calendar")],
        )


@tasks.handler("mail.appointment_rescheduled")
def send_rescheduled(appointment_id, sequence):
    """Task: the new date and time, with the updated event (METHOD:REQUEST, SEQUENCE ``sequence``)."""
    return _send_calendar_change(
        appointment_id,
        sequence,
        BOOKED,
        "booking_moved",
        "email/appointment_rescheduled.txt",
        lambda a: _("Your checkup has moved to %(day)s", day=a.day.isoformat()),
        calendar_file.REQUEST,
    )


@tasks.handler("mail.appointment_cancelled")
def send_cancelled(appointment_id, sequence):
    """Task: the cancellation, with the cancelling event (METHOD:CANCEL, SEQUENCE ``sequence``)."""
    return _send_calendar_change(
        appointment_id,
        sequence,
        CANCELLED,
        "booking_cancelled",
        "email/appointment_cancelled.txt",
        lambda a: _("Your checkup on %(day)s is cancelled", day=a.day.isoformat()),
        calendar_file.CANCEL,
    )
