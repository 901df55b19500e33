"""Segment criteria read from the client facts: the last completed checkup (none / before / after a date)
and a finding in the report in force of the latest reported checkup — the edges of each, and that they
follow signing, amending and the retention purge."""

import datetime

import pytest

from checkup.core import audit
from checkup.models import Finding, Report
from checkup.models.care import HEALTH_TARGETING, MARKETING_EMAIL
from checkup.services.accounts import consents
from checkup.services.care import campaign_segments, client_facts
from checkup.services.exam import reports
from tests import factories
from tests.campaign_helpers import checkup, consenting_client, signed_report
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs

BOTH = (MARKETING_EMAIL, HEALTH_TARGETING)


def audience(**segment):
    return sorted(c.name for c in campaign_segments.audience(campaign_segments.clean_segment(segment)))


def count(**segment):
    return campaign_segments.preview(campaign_segments.clean_segment(segment))[0]


def test_the_date_itself_is_after_not_before(app):
    consenting_client("Never")
    on_the_day = consenting_client("Exact")
    day_before = consenting_client("DayBefore")
    checkup(on_the_day, datetime.date(2024, 1, 1))
    checkup(day_before, datetime.date(2023, 12, 31))
    assert audience(last_exam="after", last_exam_date="2024-01-01") == ["Exact"]
    assert audience(last_exam="before", last_exam_date="2024-01-01") == ["DayBefore"]
    assert audience(last_exam="none") == ["Never"]
    assert count(last_exam="none") == 1


def test_only_completed_checkups_count_and_the_latest_decides(app):
    came_back = consenting_client("CameBack")
    booked_only = consenting_client("BookedOnly")
    no_show = consenting_client("NoShow")
    checkup(came_back, datetime.date(2022, 5, 1))
    checkup(came_back, datetime.date(2024, 5, 1))
    checkup(booked_only, datetime.date(2024, 5, 1), status="booked")
    checkup(no_show, datetime.date(2023, 5, 1))
    checkup(no_show, datetime.date(2024, 5, 1), status="no_show")
    assert audience(last_exam="before", last_exam_date="2024-01-01") == ["NoShow"]
    assert audience(last_exam="after", last_exam_date="2024-01-01") == ["CameBack"]
    assert audience(last_exam="none") == ["BookedOnly"]


def test_a_client_whose_only_checkup_went_away_has_never_had_one(app):
    person = consenting_client("Gone")
    appointment = checkup(person, datetime.date(2024, 2, 2))
    appointment.status = "cancelled"
    appointment.save()
    client_facts.refresh([person.id])  # the facts row stays, with nothing in it
    assert audience(last_exam="none") == ["Gone"]
    assert audience(last_exam="before", last_exam_date="2030-01-01") == []


def test_a_finding_counts_only_in_the_version_in_force_of_the_latest_reported_checkup(app):
    item = factories.make_item("TSH")
    amended_away = consenting_client("AmendedAway", purposes=BOTH)
    old = signed_report(amended_away, datetime.date(2024, 3, 1), [item], status="superseded")
    Report.create(appointment=old.appointment_id, version=2, status="published")
    client_facts.refresh([amended_away.id])
    unreported_since = consenting_client("UnreportedSince", purposes=BOTH)
    signed_report(unreported_since, datetime.date(2024, 3, 1), [item])
    checkup(unreported_since, datetime.date(2025, 3, 1))  # completed, its report not signed yet
    purged = consenting_client("Purged", purposes=BOTH)
    report = signed_report(purged, datetime.date(2024, 3, 1), [item])
    Finding.delete().where(Finding.report == report.id).execute()  # the retention purge
    assert audience(finding_item_id=item.id) == ["UnreportedSince"]
    assert count(finding_item_id=item.id, last_exam="after", last_exam_date="2025-01-01") == 1
    assert audience(finding_item_id=item.id, last_exam="before", last_exam_date="2025-01-01") == []


def test_signing_and_amending_move_the_finding_criterion_with_them(app):
    world = ReportWorld(name="林芳", email="lin@example.com")
    consents.record_changes(audit.SYSTEM, world.client.id, {p: True for p in BOTH}, "registration")
    world.all_results()  # GLU critical high, ALT high, the liver ultrasound abnormal
    first = reports.sign(world.actor(), world.appointment.id, "Summary", "Advice")
    assert audience(finding_item_id=world.glu.id) == [world.client.name]
    glu = next(r for r in world.appointment.results if r.item_id == world.glu.id)
    reports.amend(
        world.actor(),
        first.id,
        "Re-tested",
        "Glucose normal",
        "Advice",
        changes=[{"result_id": glu.id, "value": "5.0"}],
    )
    assert audience(finding_item_id=world.glu.id) == []
    assert audience(finding_item_id=world.alt.id) == [world.client.name]
