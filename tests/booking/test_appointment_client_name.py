"""The client's name kept on the appointment (``appointment.client_name``, migration 0032) by the database's
triggers, on SQLite and PostgreSQL: a new appointment takes its client's name, whoever inserts it; a renamed
client's appointments follow; an appointment moved to another client (records joined) takes that client's
name; a stale name written back by a whole-row save is put right. The day sheet orders a slot by it."""

import pytest

from checkup.models import Appointment, Client
from checkup.services.exam import day_sheets
from tests import factories
from tests.exam_day_helpers import ExamDay, booked_client

pytestmark = pytest.mark.both_dbs


def _kept(appointment_id):
    return Appointment.select(Appointment.client_name).where(Appointment.id == appointment_id).scalar()


@pytest.fixture
def day(app):
    return ExamDay(slot_capacity=8)


def test_a_booking_takes_its_clients_name(app, day, monkeypatch):
    client, appointment = booked_client(day, monkeypatch, day.mid, "王 <芳>")
    assert _kept(appointment.id) == "王 <芳>" == Client.get_by_id(client.id).name


def test_a_renamed_client_is_followed_and_a_moved_appointment_takes_the_new_clients_name(app, day, monkeypatch):
    client, appointment = booked_client(day, monkeypatch, day.mid, "Old Name")
    other, other_appointment = booked_client(day, monkeypatch, day.early, "Someone Else")
    Client.update(name="New Name").where(Client.id == client.id).execute()
    assert _kept(appointment.id) == "New Name"
    assert _kept(other_appointment.id) == "Someone Else"  # another client's appointments are left alone

    joined = factories.make_client(name="Joined Record")
    Appointment.update(client=joined.id).where(Appointment.id == appointment.id).execute()
    assert _kept(appointment.id) == "Joined Record"

    # a whole-row save carrying a stale name (read before the rename) is put right in the same statement
    stale = Appointment.get_by_id(other_appointment.id)
    Client.update(name="Renamed Meanwhile").where(Client.id == other.id).execute()
    stale.ics_sequence += 1
    stale.save()
    assert _kept(other_appointment.id) == "Renamed Meanwhile"
    # and a name written straight to the column cannot go astray
    Appointment.update(client_name="Wrong").where(Appointment.id == other_appointment.id).execute()
    assert _kept(other_appointment.id) == "Renamed Meanwhile"


def test_every_appointment_holds_its_clients_name_and_the_sheet_is_in_name_order(app, day, monkeypatch):
    names = ["Zhou", "an", "Ábel", "Li", "李", "Bo"]
    for name in names:
        booked_client(day, monkeypatch, day.mid, name, with_id=False)
    mismatched = (
        Appointment.select()
        .join(Client)
        .where((Appointment.client_name != Client.name) | Appointment.client_name.is_null())
        .count()
    )
    assert mismatched == 0
    sheet = day_sheets.day_sheet(day.today, day.mid.id)
    shown = [row.name for group in sheet.slots for row in group.rows]
    by_client = [
        name
        for (name,) in Client.select(Client.name)
        .join(Appointment)
        .where(Appointment.slot == day.mid.id, Appointment.status != "cancelled")
        .order_by(Client.name, Appointment.id)
        .tuples()
    ]
    assert shown == by_client
