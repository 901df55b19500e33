"""Facts about a client that lists and segments filter on, kept up to date by the writes that change them
(services/care/client_facts.py) so that a segment or a funnel is an indexed lookup, not an aggregate over
every appointment. Derived data: ``client_facts.rebuild_all`` recomputes it from the rows it stands for.

A client without a row has no completed checkup, no signed report and no re-enrollment invitation.
"""

from peewee import DateField, DateTimeField, ForeignKeyField

from checkup.models.appointments import Appointment
from checkup.models.base import BaseModel
from checkup.models.directory import Client
from checkup.models.results import Report


class ClientFacts(BaseModel):
    client = ForeignKeyField(Client, primary_key=True, backref="facts", on_delete="CASCADE")
    # the client's latest completed checkup (by day, then id)
    last_exam_day = DateField(null=True)
    last_exam_appointment = ForeignKeyField(Appointment, null=True, backref="+", on_delete="SET NULL")
    # the version in force (signed or published) of the report of the latest checkup that has one
    latest_report = ForeignKeyField(Report, null=True, backref="+", on_delete="SET NULL")
    # re-enrollment, per cycle (a cycle is named by its last exam's day; a new completed checkup starts the
    # next): the cycle the yearly invitation went out for, and when; and, like Appointment.live_day, the
    # cycle's day while the daily job has not looked at the client for it yet (NULL once it has: it invited
    # them, or they were not to be invited then), so "who became due since the last run" is a short range
    invited_for_day = DateField(null=True)
    invited_at = DateTimeField(null=True)
    unreviewed_day = DateField(null=True)

    class Meta:
        table_name = "client_facts"
        indexes = ((("last_exam_day", "client"), False), (("unreviewed_day", "client"), False))


NOT_INVITED = ClientFacts.invited_for_day.is_null() | (ClientFacts.invited_for_day != ClientFacts.last_exam_day)
