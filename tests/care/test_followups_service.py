"""Follow-up worklist rules: assignment on signing, who sees what, filters, overdue first, contact
attempts and closing, the department's service level, and the audit of every view of findings."""

import datetime

import pytest

from checkup.core import clock
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, ContactAttempt, FollowUp, Setting, StaffDepartment, User
from checkup.models.base import utcnow
from checkup.services.care import followup_actions, followup_assignment, followup_detail, followup_worklist, followups
from tests.followup_helpers import CareWorld

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    return CareWorld()


def ids(page):
    return [row.id for row in page.items]


def worklist(world, user, **filters):
    return followup_worklist.worklist(world.as_(user), followup_worklist.Filters(**filters))


# --- assignment when a report is signed --------------------------------------------------------------


def test_signing_gives_each_follow_up_its_department_and_a_counselor_in_turn(world):
    world.sign()
    made = world.follow_ups()
    assert {level: f.department_id for level, f in made.items()} == {
        "A": world.chem.id,
        "B": world.us.id,
        "C": world.chem.id,
    }
    assert {level: f.assignee_id for level, f in made.items()} == {
        "A": world.anna.id,
        "B": world.bo.id,
        "C": world.chen.id,
    }
    assert AuditEvent.select().where(AuditEvent.action == "followup.assigned").count() == 3


def test_round_robin_prefers_the_fewest_open_and_rotates_among_equals(world):
    world.sign()
    assert followup_assignment.choose_assignee() == world.anna.id  # all hold one; after Chen comes Anna
    followup_actions.close(world.as_(world.bo), world.follow_ups()["B"].id, "advice_given", "Advised by phone.")
    assert followup_assignment.choose_assignee() == world.bo.id  # Bo now holds none
    User.update(is_active=False).where(User.id == world.bo.id).execute()
    assert followup_assignment.choose_assignee() == world.anna.id  # inactive counselors get nothing


def test_assignment_by_department_falls_back_to_round_robin(world):
    followup_assignment.save_settings(world.as_(world.admin), "department", 3)
    world.sign()
    made = world.follow_ups()
    # chemistry has Chen; ultrasound has nobody, so its follow-up goes round robin to the least loaded
    assert (made["A"].assignee_id, made["C"].assignee_id) == (world.chen.id, world.chen.id)
    assert made["B"].assignee_id == world.anna.id
    assert Setting.get(Setting.key == "followup.assignment").value == "department"


def test_without_active_counselors_follow_ups_wait_in_the_pool(world):
    User.update(is_active=False).where(User.id.in_([world.anna.id, world.bo.id, world.chen.id])).execute()
    world.sign()
    assert all(f.assignee_id is None for f in world.follow_ups().values())


def test_department_is_the_most_frequent_among_the_findings_items(world):
    assert followup_assignment.department_for([world.glu.id, world.liver.id, world.alt.id]) == world.chem.id
    assert followup_assignment.department_for([world.liver.id]) == world.us.id
    assert followup_assignment.department_for([]) is None


def test_settings_are_validated_and_audited(world):
    with pytest.raises(ValidationError) as error:
        followup_assignment.save_settings(world.as_(world.admin), "lottery", 0)
    assert set(error.value.field_errors) == {"mode", "unreachable_after"}
    followup_assignment.save_settings(world.as_(world.admin), "round_robin", 5)
    assert followup_assignment.unreachable_after() == 5
    assert AuditEvent.select().where(AuditEvent.action == "care.assignment_changed").count() == 1


# --- who sees what -----------------------------------------------------------------------------------


def test_counselors_see_their_own_and_the_pool_heads_their_department_admins_all(world, make_user):
    world.sign()
    made = world.follow_ups()
    pool = world.extra("C", department=world.us)
    assert set(ids(worklist(world, world.anna))) == {made["A"].id, pool.id}
    assert set(ids(worklist(world, world.bo))) == {made["B"].id, pool.id}
    # Chen heads chemistry: Anna's chemistry follow-up too
    assert set(ids(worklist(world, world.chen))) == {made["A"].id, made["C"].id, pool.id}
    assert set(ids(worklist(world, world.admin))) == {made["A"].id, made["B"].id, made["C"].id, pool.id}
    assert ids(worklist(world, world.physician)) == []
    assert ids(worklist(world, make_user("hr"))) == []


def test_a_follow_up_one_may_not_see_needs_the_glass_broken_and_a_missing_one_is_not_found(world):
    from checkup.services.access.care_access import NoCareRelationship

    world.sign()
    theirs = world.follow_ups()["B"].id
    with pytest.raises(NoCareRelationship) as hidden:
        followup_detail.detail(world.as_(world.anna), theirs)
    assert hidden.value.client_id == world.client.id
    with pytest.raises(NotFound):
        followup_detail.detail(world.as_(world.anna), 987654)
    for bad in (0, -1, 2**40, "7"):
        with pytest.raises(NotFound):
            followup_detail.detail(world.as_(world.admin), bad)
    assert AuditEvent.select().where(AuditEvent.action == "followup.viewed").count() == 0


def test_every_view_of_the_findings_is_audited_with_values_from_the_snapshot(world):
    world.sign()
    follow_up = world.follow_ups()["A"]
    data = followup_detail.detail(world.as_(world.anna), follow_up.id)
    [row] = data.findings
    assert (row.code, row.value, row.unit, row.reference, row.flag) == ("GLU", "25.1", "mmol/L", "3.9–6.1", "HH")
    assert data.client.id == world.client.id
    followup_detail.detail(world.as_(world.chen), follow_up.id)
    events = list(AuditEvent.select().where(AuditEvent.action == "followup.viewed").order_by(AuditEvent.id))
    assert [(e.user_id, e.object_id) for e in events] == [
        (world.anna.id, str(follow_up.id)),
        (world.chen.id, str(follow_up.id)),
    ]


def test_a_service_recovery_follow_up_shows_no_findings(world):
    world.sign()
    service = world.extra("B", kind="service", assignee=world.anna)
    assert followup_detail.detail(world.as_(world.anna), service.id).findings == []


# --- filters and order -------------------------------------------------------------------------------


def test_overdue_open_items_come_first_then_by_due_time(world):
    world.sign()
    FollowUp.delete().execute()
    later = world.extra("C", due_in_hours=200)
    soon = world.extra("A", due_in_hours=2)
    overdue_old = world.extra("B", due_in_hours=-100)
    overdue_new = world.extra("C", due_in_hours=-1)
    closed = world.extra("A", due_in_hours=-500, status="closed", closed_at=utcnow())
    page = worklist(world, world.admin, status="all")
    assert ids(page) == [overdue_old.id, overdue_new.id, soon.id, later.id, closed.id]
    assert [row.is_overdue for row in page.items] == [True, True, False, False, False]


def test_a_list_of_one_status_is_in_due_order_with_the_overdue_open_ones_first(world):
    """An open or a closed list is ordered by due time alone (then id), which ranks exactly as the "all" list's
    order does within one status: the open ones overdue are the ones due first."""
    world.sign()
    FollowUp.delete().execute()
    later = world.extra("C", due_in_hours=200)
    soon = world.extra("A", due_in_hours=2)
    same_time = world.extra("B", due_in_hours=5)
    FollowUp.update(due_at=FollowUp.select(FollowUp.due_at).where(FollowUp.id == soon.id)).where(
        FollowUp.id == same_time.id
    ).execute()
    overdue_old = world.extra("B", due_in_hours=-100)
    overdue_new = world.extra("C", due_in_hours=-1)
    closed_late = world.extra("A", due_in_hours=-500, status="closed", closed_at=utcnow())
    closed_early = world.extra("B", due_in_hours=-600, status="closed", closed_at=utcnow())
    page = worklist(world, world.admin)
    assert ids(page) == [overdue_old.id, overdue_new.id, soon.id, same_time.id, later.id]
    assert [row.is_overdue for row in page.items] == [True, True, False, False, False]
    assert ids(worklist(world, world.admin, status="closed")) == [closed_early.id, closed_late.id]
    everything = ids(worklist(world, world.admin, status="all"))
    assert everything == ids(page) + [closed_early.id, closed_late.id]
    assert ids(worklist(world, world.admin, due="overdue")) == [overdue_old.id, overdue_new.id]


def test_filters_by_level_status_due_department_and_assignee(world, monkeypatch):
    world.sign()
    FollowUp.delete().execute()
    now = clock.local(clock.today(), datetime.time(10, 0))  # a Monday-to-Sunday week around a fixed hour
    monkeypatch.setattr(clock, "now", lambda: now)
    base = followups.utc(now)

    def at(hours, **kw):
        row = world.extra(**kw)
        FollowUp.update(due_at=base + datetime.timedelta(hours=hours)).where(FollowUp.id == row.id).execute()
        return row

    overdue = at(-30, level="A", assignee=world.anna, department=world.chem)
    today = at(3, level="B", department=world.us)
    week_end = followups.utc(
        clock.local(clock.today() + datetime.timedelta(days=7 - now.weekday()), datetime.time(0, 0))
    )
    later = at((week_end - base).total_seconds() / 3600 + 1, level="C", assignee=world.bo)
    closed_yesterday = at(-20, level="A", status="closed", closed_at=utcnow())

    def found(**filters):
        return set(ids(worklist(world, world.admin, **filters)))

    assert found() == {overdue.id, today.id, later.id}
    assert found(status="closed") == {closed_yesterday.id}
    assert found(status="all") == {overdue.id, today.id, later.id, closed_yesterday.id}
    assert found(level="B") == {today.id}
    assert found(due="overdue") == {overdue.id}
    # overdue items stay on the "today" and "this week" lists until closed
    assert found(due="today") == {overdue.id, today.id}
    assert found(due="week") == {overdue.id, today.id}
    assert found(department=world.us.id) == {today.id}
    assert found(assignee="none") == {today.id}
    assert found(assignee=str(world.bo.id)) == {later.id}
    assert set(ids(worklist(world, world.anna, assignee="me"))) == {overdue.id}
    # anything outside the allow-lists means "no filter"
    assert found(level="Z", due="yesterday", assignee="drop table", department=-3, page=-1) == found()


def test_paging_keeps_the_count(world):
    world.sign()
    for _ in range(followup_worklist.PER_PAGE + 2):
        world.extra("C")
    first = worklist(world, world.admin)
    second = worklist(world, world.admin, page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (55, 2, 50, 5)
    assert not set(ids(first)) & set(ids(second))


def test_home_counts(world):
    world.sign()
    world.extra("C")
    world.extra("B", due_in_hours=-5, assignee=world.anna)
    counts = followup_worklist.home_counts(world.as_(world.anna))
    assert (counts["mine"], counts["pool"], counts["overdue"]) == (2, 1, 1)
    assert [d.id for d in followup_worklist.home_counts(world.as_(world.chen))["head_of"]] == [world.chem.id]


# --- assigning ---------------------------------------------------------------------------------------


def test_bulk_assign_is_all_or_nothing_and_only_to_counselors(world):
    world.sign()
    made = world.follow_ups()
    pool = [world.extra("C"), world.extra("B")]
    with pytest.raises(ValidationError):
        followup_actions.assign(world.as_(world.admin), [p.id for p in pool], world.physician.id)
    with pytest.raises(NotFound):  # Bo's follow-up is not Anna's to hand out
        followup_actions.assign(world.as_(world.anna), [pool[0].id, made["B"].id], world.anna.id)
    assert FollowUp.get_by_id(pool[0].id).assignee_id is None
    with pytest.raises(ValidationError):
        followup_actions.assign(world.as_(world.anna), [], world.anna.id)
    assert followup_actions.assign(world.as_(world.anna), [p.id for p in pool], world.bo.id) == 2
    assert {FollowUp.get_by_id(p.id).assignee_id for p in pool} == {world.bo.id}
    assert (
        AuditEvent.select().where(AuditEvent.action == "followup.assigned", AuditEvent.user == world.anna.id).count()
        == 2
    )


def test_take_assigns_to_me_and_an_admin_who_is_no_counselor_cannot_take(world):
    world.sign()
    pool = world.extra("C")
    followup_actions.take(world.as_(world.bo), pool.id)
    assert FollowUp.get_by_id(pool.id).assignee_id == world.bo.id
    with pytest.raises(ValidationError):
        followup_actions.take(world.as_(world.admin), pool.id)
    followup_actions.close(world.as_(world.bo), pool.id, "resolved", "Done.")
    with pytest.raises(Conflict):
        followup_actions.assign(world.as_(world.admin), [pool.id], world.anna.id)


# --- contact attempts and closing --------------------------------------------------------------------


def test_contact_attempts_are_logged_counted_and_audited(world):
    world.sign()
    follow_up = world.follow_ups()["A"]
    anna = world.as_(world.anna)
    followup_actions.log_attempt(anna, follow_up.id, "phone", "no_answer", "Rang twice.")
    followup_actions.log_attempt(anna, follow_up.id, "sms", "reached", "")
    assert FollowUp.get_by_id(follow_up.id).attempt_count == 2
    attempts = list(ContactAttempt.select().order_by(ContactAttempt.id))
    assert [(a.channel, a.outcome, a.by_id) for a in attempts] == [
        ("phone", "no_answer", world.anna.id),
        ("sms", "reached", world.anna.id),
    ]
    assert AuditEvent.select().where(AuditEvent.action == "followup.contact_logged").count() == 2
    with pytest.raises(ValidationError) as error:
        followup_actions.log_attempt(anna, follow_up.id, "pigeon", "maybe", "x" * 2001)
    assert set(error.value.field_errors) == {"channel", "outcome", "notes"}
    with pytest.raises(NotFound):
        followup_actions.log_attempt(world.as_(world.bo), follow_up.id, "phone", "reached")
    assert ContactAttempt.select().count() == 2


def test_unreachable_needs_n_attempts(world):
    world.sign()
    follow_up = world.follow_ups()["B"]
    bo = world.as_(world.bo)
    for _ in range(2):
        followup_actions.log_attempt(bo, follow_up.id, "phone", "no_answer")
    with pytest.raises(ValidationError) as error:
        followup_actions.close(bo, follow_up.id, "unreachable", "Never answers.")
    assert "3" in str(error.value.message) and "outcome_code" in error.value.field_errors
    Setting.create(key="followup.unreachable_after", value="2")
    closed = followup_actions.close(bo, follow_up.id, "unreachable", "Never answers.")
    assert (closed.status, closed.outcome_code, closed.closed_by_id) == ("closed", "unreachable", world.bo.id)
    assert closed.closed_at is not None and closed.outcome == "Never answers."


def test_closing_rules(world):
    world.sign()
    follow_up = world.follow_ups()["C"]
    chen = world.as_(world.chen)
    with pytest.raises(ValidationError) as error:
        followup_actions.close(chen, follow_up.id, "recheck_normal", "  ")
    assert set(error.value.field_errors) == {"outcome_code", "note"}
    followup_actions.close(chen, follow_up.id, "advice_given", "Diet advice by phone.")
    with pytest.raises(Conflict):
        followup_actions.close(chen, follow_up.id, "resolved", "Again.")
    with pytest.raises(Conflict):
        followup_actions.log_attempt(chen, follow_up.id, "phone", "reached")
    [event] = AuditEvent.select().where(AuditEvent.action == "followup.closed")
    assert event.user_id == world.chen.id and event.object_id == str(follow_up.id)


# --- the department's service level ------------------------------------------------------------------


def test_department_sla_counts_on_time_closings_by_level_and_open_overdue(world):
    world.sign()
    FollowUp.delete().execute()
    now = utcnow()
    early = now - datetime.timedelta(hours=5)
    world.extra("A", due_in_hours=-2, department=world.chem, status="closed", closed_at=early)
    world.extra("A", due_in_hours=-2, department=world.chem, status="closed", closed_at=now)
    world.extra("A", due_in_hours=-2, department=world.chem)
    world.extra("B", due_in_hours=10, department=world.chem)
    world.extra("A", due_in_hours=-2, department=world.us)
    rows = {row["level"]: row for row in followups.sla(world.chem.id)}
    assert rows["A"] == {"level": "A", "closed": 2, "on_time": 1, "on_time_pct": 50, "open": 1, "overdue": 1}
    assert rows["B"] == {"level": "B", "closed": 0, "on_time": 0, "on_time_pct": None, "open": 1, "overdue": 0}
    assert rows["C"]["closed"] == 0
    with pytest.raises(NotFound):
        followups.department_for_viewer(world.as_(world.anna), world.chem.id)
    assert followups.department_for_viewer(world.as_(world.chen), world.chem.id).id == world.chem.id
    assert followups.department_for_viewer(world.as_(world.admin), world.us.id).id == world.us.id
    StaffDepartment.update(is_head=False).execute()
    with pytest.raises(NotFound):
        followups.department_for_viewer(world.as_(world.chen), world.chem.id)
