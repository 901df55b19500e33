"""The care pages' cheaper reads give what the plain reads gave: the worklist's pages (rows picked from
follow_up alone, then joined) in order with their total, the home counts of open follow-ups only, the
re-check choices of a service-recovery follow-up, the referral list's windowed total, and the
re-enrollment page's due list (prepared) as ``due_clients`` lists them."""

import datetime

import pytest

from checkup.models import FollowUp
from checkup.services.care import followup_worklist, followups, recheck, reenrollment, referrals
from tests.followup_helpers import CareWorld

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    world = CareWorld()
    world.sign()
    return world


def _reference_order(user_world, visible):
    """The worklist's order, worked out in Python: overdue open first, then open, then by due time and id."""
    now = followups.utc(datetime.datetime.now(datetime.UTC))
    return [
        f.id
        for f in sorted(
            visible,
            key=lambda f: (
                0 if f.status == "open" and f.due_at < now else 1,
                0 if f.status == "open" else 1,
                f.due_at,
                f.id,
            ),
        )
    ]


def test_the_worklist_pages_keep_their_order_and_total(world, monkeypatch):
    monkeypatch.setattr(followup_worklist, "PER_PAGE", 3)
    for n in range(7):
        world.extra("ABC"[n % 3], due_in_hours=[-5, 30, 2, -1, 70, 9, 1][n], department=world.chem)
    world.extra("B", due_in_hours=-3, status="closed", closed_at=datetime.datetime(2026, 1, 1))
    everything = list(FollowUp.select())
    expected = _reference_order(world, everything)
    seen, totals = [], set()
    for number in (1, 2, 3, 4):
        page = followup_worklist.worklist(world.as_(world.admin), followup_worklist.Filters(status="all", page=number))
        seen += [row.id for row in page.items]
        totals.add(page.total)
        assert all(row.client.name == world.client.name for row in page.items)
    assert seen == expected and totals == {len(everything)}
    past_end = followup_worklist.worklist(world.as_(world.admin), followup_worklist.Filters(status="all", page=9))
    assert past_end.number == 4 and past_end.total == len(everything)  # clamped, as before


def test_the_home_counts_count_open_follow_ups_only(world):
    world.extra("B", due_in_hours=-3, status="closed", closed_at=datetime.datetime(2026, 1, 1), assignee=world.anna)
    world.extra("B", due_in_hours=-3, assignee=world.anna)
    world.extra("C", due_in_hours=5)
    counts = followup_worklist.home_counts(world.as_(world.anna))
    visible = [f for f in FollowUp.select() if f.status == "open" and (f.assignee_id in (None, world.anna.id))]
    now = followups.utc(datetime.datetime.now(datetime.UTC))
    assert counts["mine"] == sum(1 for f in visible if f.assignee_id == world.anna.id)
    assert counts["pool"] == sum(1 for f in visible if f.assignee_id is None)
    assert counts["overdue"] == sum(1 for f in visible if f.due_at < now)


def test_a_service_recovery_follow_up_offers_its_checkup_items_and_ticks_none(world):
    finding = world.follow_ups()["A"]
    service = world.extra("B", kind="service", assignee=world.anna)
    _f, items, default_ids = recheck.options(world.as_(world.anna), service.id)
    _f, finding_items, finding_defaults = recheck.options(world.as_(world.admin), finding.id)
    assert default_ids == [] and finding_defaults
    assert [i.id for i in items] == [i.id for i in finding_items]  # the same checkup, the same catalog order


def test_the_referral_list_total_is_the_whole_count(world):
    finding = world.follow_ups()["B"]
    for n in range(3):
        referrals.create(world.as_(world.admin), finding.id, "external", None, f"Hospital {n}", "", "Because.")
    page = referrals.referral_list(world.as_(world.admin), referrals.ListFilters())
    assert page.total == 3 and len(page.items) == 3 and page.pages == 1
    assert [r.hospital for r in page.items] == ["Hospital 2", "Hospital 1", "Hospital 0"]
    assert referrals.referral_list(world.as_(world.admin), referrals.ListFilters(page=5)).total == 3


def test_the_reenrollment_page_lists_whom_due_clients_lists(world):
    today = datetime.date.today() + datetime.timedelta(days=400)
    listed = [(c.id, c.name, day) for c, day in reenrollment.due_clients(today, limit=reenrollment.PAGE_DUE)]
    assert [(c.id, c.name, day) for c, day in reenrollment.due_names(today)] == listed
