"""Every webhook event of #14 is owed by the real code path that makes the change — booking, cancelling,
checking in, a critical value, signing and amending a report — and reaches a real receiver signed; an event
an endpoint did not subscribe to owes it nothing."""

import json

import pytest

from checkup.core import clock
from checkup.core.audit import SYSTEM, Actor
from checkup.models import Appointment
from checkup.models.integrations import DELIVERED, EVENTS, WebhookDelivery
from checkup.services.booking import booking
from checkup.services.exam import exam_day, reports, results
from checkup.services.integrations import webhooks
from tests import factories
from tests.api.api_helpers import token_for
from tests.api.test_webhooks import Receiver
from tests.report_helpers import ReportWorld
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def receiver(app):
    with Receiver() as receiver:
        system, _token = token_for("reports:read")
        _endpoint, receiver.secret = webhooks.add_endpoint(SYSTEM, system.id, receiver.url, list(EVENTS))
        yield receiver


def received(receiver, event):
    """The payloads of ``event`` the receiver got, each checked against the endpoint's signature."""
    found = []
    for headers, body in receiver.requests:
        assert webhooks.verify(receiver.secret, headers["X-Checkup-Signature"], body)
        payload = json.loads(body)
        assert payload["event"] == headers["X-Checkup-Event"]
        if payload["event"] == event:
            found.append(payload["data"])
    return found


def test_booking_a_checkup_sends_appointment_booked(receiver):
    appointment = Lab().appointment(status="booked")
    [data] = received(receiver, "appointment.booked")
    assert data == {
        "appointment_id": appointment.id,
        "exam_code": appointment.exam_code,
        "client_id": appointment.client_id,
        "day": appointment.day.isoformat(),
        "status": "booked",
    }
    assert WebhookDelivery.get(WebhookDelivery.event == "appointment.booked").state == DELIVERED


def test_cancelling_sends_appointment_cancelled(receiver):
    appointment = Lab().appointment(status="booked")
    booking.cancel(Actor(factories.make_user("scheduler"), "127.0.0.1"), appointment.id, "Ill", staff=True)
    [data] = received(receiver, "appointment.cancelled")
    assert data["appointment_id"] == appointment.id and data["status"] == "cancelled"


def test_checking_in_sends_appointment_checked_in(receiver):
    appointment = Lab().appointment(status="booked", day=clock.today())
    desk = Actor(factories.make_user("scheduler"), "127.0.0.1")
    exam_day.check_in(desk, appointment.id, exam_day.IDENTITY_FIELDS)
    assert Appointment.get_by_id(appointment.id).status == "checked_in"
    [data] = received(receiver, "appointment.checked_in")
    assert data["appointment_id"] == appointment.id and data["exam_code"] == appointment.exam_code


def test_a_critical_value_sends_critical_value_raised_without_the_value(receiver):
    lab = Lab()
    appointment = lab.appointment()
    result = results.record_result(lab.actor, appointment.id, "GLU", "26.4")
    results.record_result(lab.actor, appointment.id, "HB", "130")  # a normal value raises nothing
    [data] = received(receiver, "critical_value.raised")
    assert data["result_id"] == result.id and data["item_code"] == "GLU" and data["flag"] == "HH"
    assert data["appointment_id"] == appointment.id and data["alert_id"]
    assert "26.4" not in json.dumps(data)


def test_signing_sends_report_signed_and_amending_report_amended(receiver):
    world = ReportWorld()
    world.all_results()
    report = reports.sign(world.actor(), world.appointment.id, "Fatty liver.", "Recheck.")
    [signed] = received(receiver, "report.signed")
    assert signed["report_id"] == report.id and signed["version"] == 1 and signed["amendment"] is False
    assert received(receiver, "report.amended") == []
    amended = reports.amend(world.actor(), report.id, "Typo in the summary", "Fatty liver, mild.", "Recheck.")
    [data] = received(receiver, "report.amended")
    assert data["report_id"] == amended.id and data["version"] == 2 and data["amendment"] is True
    assert len(received(receiver, "report.signed")) == 1


def test_an_endpoint_gets_only_the_events_it_subscribed_to(app):
    with Receiver() as only_signed:
        system, _token = token_for("reports:read")
        webhooks.add_endpoint(SYSTEM, system.id, only_signed.url, ["report.signed"])
        lab = Lab()
        appointment = lab.appointment(status="booked")
        booking.cancel(Actor(factories.make_user("scheduler"), "127.0.0.1"), appointment.id, "Ill", staff=True)
    assert only_signed.requests == [] and WebhookDelivery.select().count() == 0
