"""Set-up for survey and consultation tests: published reports written straight to the model, the survey link."""

import datetime
import itertools
import re
from decimal import Decimal

from checkup.core import clock
from checkup.models import Appointment, Report, Survey
from checkup.models.appointments import COMPLETED
from checkup.models.base import utcnow
from checkup.services.care import surveys

_sequence = itertools.count(1)
SURVEY_SUBJECT = "How was your checkup?"


def published_report(world, client=None, day=None, status="published"):
    """A completed checkup of ``client`` (default the world's) with a published, PDF-ready report, no job run."""
    client = client or world.client
    n = next(_sequence)
    appointment = Appointment.create(
        exam_code=f"SV{n:06d}",
        client=client,
        slot=world.center.slot,
        day=day or clock.today(),
        package=world.package,
        status=COMPLETED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    return Report.create(
        appointment=appointment,
        version=1,
        status=status,
        summary="Summary",
        signed_at=utcnow(),
        signed_by=world.physician,
        verification_code=f"SV-{n:06d}",
        pdf_state="ready",
        pdf_path=f"{appointment.id}/1.pdf",
    )


def survey_mails(outbox):
    return [m for m in outbox() if m["Subject"] == SURVEY_SUBJECT]


def token_from(mail):
    return re.search(r"http://localhost/survey/([A-Za-z0-9_\-]+)", mail.get_content()).group(1)


def sent_survey(world, outbox, client=None, day=None):
    """A published report whose survey job has run; returns (survey, token read from the email)."""
    report = published_report(world, client=client, day=day)
    survey = surveys.send_survey(report.id)
    return survey, token_from(survey_mails(outbox)[-1])


def answered(world, at, overall, comment="", client=None, **areas):
    """A survey answered at ``at`` (naive UTC), sent a day earlier."""
    report = published_report(world, client=client)
    return Survey.create(
        report=report,
        client=client or world.client,
        sent_at=at - datetime.timedelta(days=1),
        expires_at=at + datetime.timedelta(days=29),
        answered_at=at,
        overall=overall,
        comment=comment,
        **areas,
    )
