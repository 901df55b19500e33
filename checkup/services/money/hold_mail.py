"""The email a released prepayment hold owes the client (``booking.expire_payment_hold`` writes the task in
the release's transaction): the booking was released because it was not paid in time, nothing is owed,
the calendar event is cancelled (same UID, the SEQUENCE the release gave it), and how to book again. In the
client's language; sent once per task like every owed email (services/mail/messages.py)."""

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from checkup.config import center_identity
from checkup.core import calendar_file, links, tasks
from checkup.models import User
from checkup.models.appointments import CANCELLED
from checkup.services.accounts import accounts
from checkup.services.booking import payment_holds
from checkup.services.mail import booking_mail, messages

# a release is a cancellation the client did not ask for: staff see it among the cancellation emails
MESSAGE_KIND = "booking_cancelled"


def rebook_link(package):
    """Where the client books again: the same package while it is offered, else the packages."""
    if package is not None and package.active:
        return links.absolute(f"/me/packages/{package.code}")
    return links.absolute("/me/packages")


def render(appointment, hold, locale):
    """(subject, text) of the release email for ``appointment`` (slot, package and client loaded)."""
    with force_locale(locale):
        center = center_identity(current_app.config, locale)
        text = render_template(
            "email/payment_hold_released.txt",
            appointment=appointment,
            held=hold.minutes if hold is not None else payment_holds.hold_minutes(),
            minutes=payment_holds.hold_minutes(),
            center=center["name"],
            phone=center["phone"],
            link=rebook_link(appointment.package),
        )
        subject = _("Your booking for %(day)s was released: it was not paid in time", day=appointment.day.isoformat())
        return str(subject), text


@tasks.handler(payment_holds.RELEASED_MAIL)
def send_released(appointment_id, sequence):
    """Task: tell the client their unpaid booking was released, with the cancelling calendar event. A booking
    changed again since (another SEQUENCE, or no longer cancelled) sends nothing. Returns the message row."""
    appointment, items = booking_mail.appointment_details(appointment_id)
    if appointment is None or appointment.ics_sequence != sequence or appointment.status != CANCELLED:
        return None
    account = User.get_or_none(User.client == appointment.client_id)
    email = account.email if account is not None else appointment.client.email
    if not email:
        return None
    locale = accounts.language_of(account)
    subject, text = render(appointment, payment_holds.hold_of(appointment_id), locale)
    with force_locale(locale):
        event = booking_mail.ics_for(appointment, items, locale == "zh", calendar_file.CANCEL, email)
    return messages.send_owed(
        MESSAGE_KIND,
        email,
        subject,
        text,
        client_id=appointment.client_id,
        user_id=account.id if account is not None else None,
        attachments=[("checkup.ics", event, "text/calendar")],
    )
