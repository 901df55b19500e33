"""A follow-up's findings take their values, units and ranges from the report's results snapshot, which the
database now picks out for the findings' items (services/care/followup_detail): the rows are the ones the
whole snapshot parsed in Python gave, for every level, a code met twice (the last one wins), an item missing
from the snapshot, a finding without an item, markup and Chinese in the values, and an empty snapshot."""

import json

import pytest

from checkup.models import Finding, FollowUp, Report
from checkup.services.care import followup_detail
from tests.followup_helpers import CareWorld


def _as_before(follow_up):
    """finding_rows as it was: the whole snapshot parsed, each finding's item looked up in it."""
    if follow_up.kind != "finding":
        return []
    report = Report.get_by_id(follow_up.report_id)
    snapshot = {}
    if report.results_snapshot:
        snapshot = {row["code"]: row for row in json.loads(report.results_snapshot).get("rows", [])}
    rows = []
    for finding in (
        Finding.select().where(Finding.report == report.id, Finding.level == follow_up.level).order_by(Finding.id)
    ):
        item = finding.item if finding.item_id else None
        snap = snapshot.get(item.code, {}) if item else {}
        rows.append(
            followup_detail.FindingRow(
                text=finding.text,
                code=item.code if item else "",
                name=(item.name_en + (f" {item.name_zh}" if item.name_zh else "")) if item else "",
                value=snap.get("value", ""),
                unit=snap.get("unit", ""),
                reference=followup_detail._reference(snap),
                flag=snap.get("flag", ""),
                item_id=item.id if item else None,
            )
        )
    return rows


@pytest.mark.both_dbs
def test_findings_rows_as_the_whole_snapshot_gave_them(app):
    world = CareWorld()
    report = world.sign()
    levels = world.follow_ups()
    assert set(levels) >= {"A", "B", "C"}
    for follow_up in levels.values():
        made = followup_detail.finding_rows(follow_up)
        assert made == _as_before(follow_up) and made
    assert any(row.value and row.reference for row in followup_detail.finding_rows(levels["A"]))

    # a snapshot edited by hand: the first A item met twice (the later row wins), one row with markup and
    # Chinese, the B item left out; a finding without an item
    snapshot = json.loads(report.results_snapshot)
    a_code = next(row.code for row in followup_detail.finding_rows(levels["A"]) if row.code)
    b_codes = {row.code for row in followup_detail.finding_rows(levels["B"]) if row.code}
    first = next(row for row in snapshot["rows"] if row["code"] == a_code)
    later = {**first, "value": "<9.9> & 高", "unit": "mmol/L 毫摩尔", "flag": "HH", "ref_low": "", "ref_high": "6"}
    snapshot["rows"] = [row for row in snapshot["rows"] if row["code"] not in b_codes] + [later]
    Report.update(results_snapshot=json.dumps(snapshot, ensure_ascii=False)).where(Report.id == report.id).execute()
    Finding.create(report=report, text="Observed: <pale>", level="A", source="physician")
    for follow_up in levels.values():
        assert followup_detail.finding_rows(FollowUp.get_by_id(follow_up.id)) == _as_before(follow_up)
    rows = followup_detail.finding_rows(levels["A"])
    assert any(row.value == "<9.9> & 高" and row.reference == "≤ 6" for row in rows)
    assert any(row.text == "Observed: <pale>" and row.item_id is None for row in rows)
    assert all(row.value == "" for row in followup_detail.finding_rows(levels["B"]) if row.code)

    Report.update(results_snapshot="").where(Report.id == report.id).execute()
    for follow_up in levels.values():
        assert followup_detail.finding_rows(follow_up) == _as_before(follow_up)


@pytest.mark.both_dbs
def test_a_service_recovery_follow_up_has_no_findings(app):
    world = CareWorld()
    world.sign()
    service = world.extra(kind="service")
    assert followup_detail.finding_rows(service) == [] == _as_before(service)


@pytest.mark.both_dbs
def test_the_page_keeps_a_signed_reports_picked_rows(app, count_queries):
    """``detail`` reads the report and the findings in one statement; a signed report's picked snapshot rows
    (it never changes) are read once per process, then kept: the rows are the same, one statement fewer.
    A report not signed is read every time; a kept pair is for its report's signing only."""
    world = CareWorld()
    report = world.sign()
    FollowUp.update(assignee=world.anna).where(FollowUp.report == report.id).execute()
    levels = world.follow_ups()
    followup_detail._kept_snapshots.clear()  # pairs of other tests' reports (same ids, other signings)
    counts, picked = [], []
    for _ in range(2):
        for follow_up in levels.values():
            with count_queries() as q:
                data = followup_detail.detail(world.as_(world.anna), follow_up.id)
            assert data.findings == _as_before(follow_up) and data.findings
            assert data.report.id == report.id and data.report.status == report.status
            counts.append(q.count)
            picked.append(sum(1 for sql in q.queries if "json_" in sql or "checkup_followup_report " in sql))
    assert picked == [1] * len(levels) + [0] * len(levels)
    assert counts[-1] == counts[len(levels) - 1] - 1
    assert {key[1] for key in followup_detail._kept_snapshots} == {report.verification_code}

    # a draft's rows are picked on every view
    Report.update(status="draft").where(Report.id == report.id).execute()
    follow_up = levels["A"]
    with count_queries() as draft:
        data = followup_detail.detail(world.as_(world.anna), follow_up.id)
    assert data.findings == _as_before(follow_up) and draft.count == counts[len(levels) - 1]

    # the kept size is bounded
    followup_detail._kept_snapshots.clear()
    Report.update(status="signed").where(Report.id == report.id).execute()
    kept = followup_detail.KEPT_SNAPSHOTS
    try:
        followup_detail.KEPT_SNAPSHOTS = 1
        for follow_up in levels.values():
            followup_detail.detail(world.as_(world.anna), follow_up.id)
        assert len(followup_detail._kept_snapshots) == 1
    finally:
        followup_detail.KEPT_SNAPSHOTS = kept


@pytest.mark.both_dbs
def test_the_page_of_a_service_follow_up_reads_no_snapshot(app, count_queries):
    world = CareWorld()
    world.sign()
    service = world.extra(kind="service", assignee=world.anna)
    FollowUp.update(assignee=world.anna).where(FollowUp.report == world.report.id).execute()
    finding = world.follow_ups()["B"]
    followup_detail._kept_snapshots.clear()
    data = followup_detail.detail(world.as_(world.anna), service.id)
    assert data.findings == [] and data.report.id == world.report.id and not followup_detail._kept_snapshots
    assert followup_detail.detail(world.as_(world.anna), finding.id).findings == _as_before(finding)
