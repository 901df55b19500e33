"""Shared set-up for follow-up, referral and re-check tests: a signed report, counselors, a head, an admin."""

import datetime

from checkup.core.audit import Actor
from checkup.models import FollowUp, StaffDepartment
from checkup.models.base import utcnow
from checkup.services.exam import reports
from tests import factories
from tests.report_helpers import ReportWorld


class CareWorld(ReportWorld):
    """ReportWorld plus three counselors (Anna, Bo, and Chen who heads chemistry), an admin and the
    physician (no counselor). ``sign()`` signs the four-item report: GLU critical (A), liver ultrasound (B), ALT (C)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.chem = self.glu.department
        self.us = self.liver.department
        self.anna = factories.make_user("counselor", email="anna@example.com", name="Anna")
        self.bo = factories.make_user("counselor", email="bo@example.com", name="Bo")
        self.chen = factories.make_user("counselor", email="chen@example.com", name="Chen")
        StaffDepartment.create(user=self.chen, department=self.chem, is_head=True)
        self.admin = factories.make_user("admin", email="admin@example.com", name="Ada")
        self.report = None

    def sign(self):
        self.all_results()
        self.report = reports.sign(
            self.actor(), self.appointment.id, "Glucose critical.", "See a doctor.", queue_job=False
        )
        return self.report

    def follow_ups(self):
        return {f.level: f for f in FollowUp.select().where(FollowUp.report == self.report.id)}

    def extra(
        self, level="B", due_in_hours=48, assignee=None, department=None, status="open", closed_at=None, kind="finding"
    ):
        """Another follow-up on the signed report, with the due time (from now) and the owner given."""
        due = utcnow() + datetime.timedelta(hours=due_in_hours)
        return FollowUp.create(
            client=self.client,
            report=self.report,
            level=level,
            due_at=due,
            assignee=assignee,
            department=department,
            status=status,
            closed_at=closed_at,
            kind=kind,
            summary=f"extra {level}",
        )

    @staticmethod
    def as_(user):
        return Actor(user, "127.0.0.1")
