"""The care pages' merged reads (#16) give what the separate reads gave: the catalogs with the actor's head
departments, a follow-up's contact log and referrals in one statement, the re-check page's item choices with
their default ticks, and the re-check page's visibility check (one read instead of the head departments and
the follow-up); and the pages' kept parts (the worklist's filters, a fresh follow-up page's fields) print
what the first request printed."""

import datetime

import pytest

from checkup.blueprints.care import care_followups
from checkup.core.errors import NotFound
from checkup.models import ContactAttempt, Referral, StaffDepartment
from checkup.services.care import followup_assignment, followup_detail, followups, recheck
from tests import factories
from tests.followup_helpers import CareWorld

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    world = CareWorld()
    world.sign()
    return world


def test_catalogs_and_heads_are_the_catalogs_and_the_head_departments(world):
    StaffDepartment.create(user=world.chen, department=world.us, is_head=True)
    StaffDepartment.create(user=world.anna, department=world.us, is_head=False)
    for user in (world.chen, world.anna, world.admin):
        catalogs, heads = followup_assignment.care_catalogs_and_heads(user.id)
        assert catalogs == followup_assignment.care_catalogs()
        assert sorted(heads) == sorted(followup_assignment.head_department_ids(user.id))
    assert len(followup_assignment.care_catalogs_and_heads(world.chen.id)[1]) == 2
    for user in (world.chen, world.anna, world.admin, world.physician):
        viewer, catalogs = followups.viewer_and_catalogs(world.as_(user))
        expected = followups.viewer_for(world.as_(user))
        assert (viewer.user_id, viewer.is_admin, viewer.is_counselor) == (
            expected.user_id,
            expected.is_admin,
            expected.is_counselor,
        )
        assert sorted(viewer.head_of) == sorted(expected.head_of) and catalogs == followup_assignment.care_catalogs()


def test_the_contact_log_and_referrals_in_one_read(world):
    follow_up = world.follow_ups()["A"]
    other = world.follow_ups()["B"]
    at = datetime.datetime(2026, 3, 1, 9, 0)
    ContactAttempt.create(follow_up=follow_up, channel="phone", outcome="no_answer", notes="", by=world.anna, at=at)
    ContactAttempt.create(follow_up=follow_up, channel="sms", outcome="reached", notes="<b>ok</b>", by=None, at=at)
    ContactAttempt.create(
        follow_up=follow_up, channel="email", outcome="refused", notes="later", by=world.bo, at=at.replace(hour=10)
    )
    ContactAttempt.create(follow_up=other, channel="visit", outcome="reached", by=world.anna, at=at)
    Referral.create(follow_up=follow_up, client=world.client, target_kind="internal", department=world.chem, reason="r")
    Referral.create(follow_up=follow_up, client=world.client, target_kind="external", hospital="General", reason="r")
    Referral.create(follow_up=other, client=world.client, target_kind="external", hospital="Other", reason="r")

    attempts, referrals = followup_detail._shown_log(follow_up.id)
    expected_attempts = [
        (a.at, a.channel, a.outcome, a.notes, a.by_id, a.by.name if a.by_id else None)
        for a in ContactAttempt.select()
        .where(ContactAttempt.follow_up == follow_up.id)
        .order_by(ContactAttempt.at.desc(), ContactAttempt.id.desc())
    ]
    assert [(a.at, a.channel, a.outcome, a.notes, a.by_id, a.attempt_by and a.attempt_by.name) for a in attempts] == (
        expected_attempts
    )
    expected_referrals = [
        (
            r.id,
            r.target_kind,
            r.department_id,
            (r.department.name_en, r.department.name_zh) if r.department_id else None,
        )
        + (r.hospital, r.status)
        for r in Referral.select().where(Referral.follow_up == follow_up.id).order_by(Referral.id.desc())
    ]
    assert [
        (r.id, r.target_kind, r.department_id, tuple(r.department) if r.department else None, r.hospital, r.status)
        for r in referrals
    ] == expected_referrals
    assert followup_detail._shown_log(world.follow_ups()["C"].id) == ([], [])


def test_the_recheck_page_choices_are_the_item_choices(world):
    follow_ups = world.follow_ups()
    service = world.extra("B", kind="service", assignee=world.anna)
    for follow_up in (*follow_ups.values(), service):
        items, defaults = recheck.page_choices(follow_up)
        models, model_defaults = recheck.item_choices(follow_up)
        assert [(i.id, i.code, i.name_en, i.name_zh, i.price, i.resource_id) for i in items] == [
            (m.id, m.code, m.name_en, m.name_zh, m.price, m.resource_id) for m in models
        ]
        assert defaults == model_defaults
    assert recheck.page_choices(follow_ups["A"])[1] and recheck.page_choices(service)[1] == []


def test_the_recheck_visibility_is_get_visible(world):
    follow_ups = world.follow_ups()
    mine = world.extra("B", assignee=world.anna)
    bos_in_chemistry = world.extra("B", assignee=world.bo, department=world.chem)
    bos_elsewhere = world.extra("B", assignee=world.bo, department=world.us)
    pool = world.extra("C")
    cases = [*follow_ups.values(), mine, bos_in_chemistry, bos_elsewhere, pool]
    nobody = factories.make_user("physician", email="doc2@example.com", name="Doc")
    for user in (world.anna, world.bo, world.chen, world.admin, nobody):
        actor = world.as_(user)
        for follow_up in cases:
            try:
                expected = followups.get_visible(followups.viewer_for(actor), follow_up.id).id
            except NotFound:
                expected = None
            try:
                seen = recheck._visible(actor, follow_up.id)
            except NotFound:
                seen = None
            else:
                assert seen.client.name == world.client.name
                seen = seen.id
            assert seen == expected, (user.name, follow_up.id)
        with pytest.raises(NotFound):
            recheck._visible(actor, 10**8)
    assert recheck._visible(world.as_(world.chen), bos_in_chemistry.id).id == bos_in_chemistry.id
    with pytest.raises(NotFound):
        recheck._visible(world.as_(world.chen), bos_elsewhere.id)


def test_kept_filters_and_fields_print_what_the_first_request_printed(world, client, login):
    care_followups._kept_filters.clear()
    care_followups._kept_fields.clear()
    login(world.anna)
    follow_up = world.follow_ups()["A"]
    for language in ("en", "zh"):
        headers = {"Accept-Language": language}
        for path in (
            "/care/followups",
            "/care/followups?level=A&due=overdue",
            "/care/followups?assignee=me&status=all",
            f"/care/followups/{follow_up.id}",
        ):
            first = client.get(path, headers=headers)
            second = client.get(path, headers=headers)  # from the kept filters and fields
            assert first.status_code == second.status_code == 200
            assert first.get_data(as_text=True) == second.get_data(as_text=True)
    page = client.get("/care/followups?level=B").get_data(as_text=True)
    assert '<option value="B" selected>' in page and '<option value="A" selected>' not in page
    assert care_followups._kept_filters and care_followups._kept_fields
