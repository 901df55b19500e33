"""Shared set-up for the data-rights tests: a client with a signed report (PDF on disk), an administrator,
and a second client whose data must never show up in the first one's answers."""

import io
import json
import zipfile

from checkup.core import audit
from checkup.core.audit import Actor
from checkup.models import Report
from checkup.models.care import MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.exam import reports
from tests import factories
from tests.report_helpers import ReportWorld


class RightsWorld(ReportWorld):
    """ReportWorld's client (王芳, with an account) whose checkup is signed and published, with consents
    given; an administrator; another client (with a report of their own) who must stay invisible."""

    def __init__(self):
        super().__init__(name="王芳", email="wang@example.com")
        self.all_results()
        self.report = Report.get_by_id(
            reports.sign(self.actor(), self.appointment.id, "Glucose high.", "Repeat fasting glucose.").id
        )
        consents.record_changes(
            audit.SYSTEM, self.client.id, {SERVICE_REMINDERS: True, MARKETING_EMAIL: True}, "registration"
        )
        self.admin = factories.make_user("admin", email="boss@example.com", name="Director Zhao")
        other = factories.make_user(
            "client",
            email="other@example.com",
            client=factories.make_client(name="Other Person", email="other@example.com", phone="13911112222"),
        )
        self.other_client = other.client
        self.other_user = other

    def as_client(self):
        return Actor(self.client_user, "10.0.0.1")

    def as_admin(self):
        return Actor(self.admin, "10.0.0.2")


def zip_contents(data):
    """(names in the ZIP, the parsed record.json, the raw text of record.json)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        text = archive.read("record.json").decode("utf-8")
        pdfs = {name: archive.read(name) for name in names if name.endswith(".pdf")}
    return names, json.loads(text), text, pdfs
