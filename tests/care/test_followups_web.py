"""Follow-up pages: the worklist with filters (page and htmx fragment), bulk assign, the detail page with
its forms and inline errors, 404 for what one may not see, the head's department page, the counselor
home, the admin's assignment settings, and a worklist whose query count does not grow with its rows."""

import re

import pytest

from checkup.models import AuditEvent, ContactAttempt, FollowUp, Setting, StaffDepartment
from tests import factories
from tests.followup_helpers import CareWorld


@pytest.fixture
def world(app):
    world = CareWorld()
    world.sign()
    return world


def http_for(app, user):
    http = app.test_client()
    factories.sign_in_directly(http, user)
    return http


def text(response):
    return response.get_data(as_text=True)


# --- the worklist --------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_worklist_page_filters_and_fragment(app, world):
    http = http_for(app, world.admin)
    made = world.follow_ups()
    page = http.get("/care/followups")
    assert page.status_code == 200
    html = text(page)
    assert html.count('name="ids"') == 3 and "王芳" in html and "A · urgent" in html and "Anna" in html
    fragment = http.get("/care/followups?level=B", headers={"HX-Request": "true"})
    assert "<html" not in text(fragment) and f'id="pick-{made["B"].id}"' in text(fragment)
    assert f'id="pick-{made["A"].id}"' not in text(fragment)
    # nonsense filters are ignored rather than failing
    assert http.get("/care/followups?level=Q&due=soon&department=abc&page=-4&assignee=x").status_code == 200


def test_overdue_items_show_a_text_badge_on_top(app, world):
    late = world.extra("C", due_in_hours=-3, assignee=world.anna)
    html = text(http_for(app, world.anna).get("/care/followups"))
    assert (
        html.index(f'id="pick-{late.id}"')
        < html.index('<span class="badge danger">Overdue</span>')
        < html.index(f'id="pick-{world.follow_ups()["A"].id}"')
    )


def test_a_counselor_only_lists_their_own_and_the_pool(app, world):
    made = world.follow_ups()
    pool = world.extra("C")
    html = text(http_for(app, world.bo).get("/care/followups"))
    assert f'id="pick-{made["B"].id}"' in html and f'id="pick-{pool.id}"' in html
    assert f'id="pick-{made["A"].id}"' not in html and f'id="pick-{made["C"].id}"' not in html


@pytest.mark.both_dbs
def test_bulk_assign(app, world):
    http = http_for(app, world.anna)
    pool = [world.extra("C"), world.extra("B")]
    response = http.post(
        "/care/followups/assign",
        data={"ids": [str(p.id) for p in pool], "assignee": str(world.bo.id), "next": "/care/followups?assignee=none"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/care/followups?assignee=none")
    assert {FollowUp.get_by_id(p.id).assignee_id for p in pool} == {world.bo.id}


def test_bulk_assign_errors_are_shown_and_nothing_changes(app, world):
    http = http_for(app, world.anna)
    pool = world.extra("C")
    nothing = http.post("/care/followups/assign", data={"assignee": str(world.bo.id)})
    assert nothing.status_code == 422 and "Tick at least one follow-up." in text(nothing)
    not_counselor = http.post(
        "/care/followups/assign", data={"ids": [str(pool.id)], "assignee": str(world.physician.id)}
    )
    assert not_counselor.status_code == 422
    assert 'id="bulk-assignee-error"' in text(not_counselor) and "active counselors only" in text(not_counselor)
    garbage = http.post("/care/followups/assign", data={"ids": ["abc"], "assignee": "x"})
    assert garbage.status_code == 404
    others = http.post(
        "/care/followups/assign", data={"ids": [str(world.follow_ups()["B"].id)], "assignee": str(world.anna.id)}
    )
    assert others.status_code == 404
    outside = http.post(
        "/care/followups/assign",
        data={"ids": [str(pool.id)], "assignee": str(world.bo.id), "next": "https://evil.example/"},
    )
    assert outside.status_code == 303 and outside.headers["Location"].endswith("/care/followups")
    assert FollowUp.get_by_id(world.follow_ups()["B"].id).assignee_id == world.bo.id


def test_worklist_query_count_does_not_grow_with_rows(app, world, count_queries):
    http = http_for(app, world.admin)
    http.get("/care/followups")
    with count_queries() as few:
        assert http.get("/care/followups?status=all").status_code == 200
    for n in range(12):
        world.extra(
            "ABC"[n % 3], assignee=[world.anna, world.bo, None][n % 3], department=[world.chem, None, world.us][n % 3]
        )
    with count_queries() as many:
        assert http.get("/care/followups?status=all").status_code == 200
    assert few.count == many.count
    chen = http_for(app, world.chen)
    with count_queries() as head:
        chen.get(f"/care/departments/{world.chem.id}")
    world.extra("A", department=world.chem, assignee=world.bo)
    with count_queries() as head_more:
        chen.get(f"/care/departments/{world.chem.id}")
    assert head.count == head_more.count


# --- one follow-up -------------------------------------------------------------------------------------


@pytest.mark.both_dbs
def test_detail_shows_contact_details_findings_and_is_audited(app, world):
    world.client.phone, world.client.address = "13800001111", "1 Long Street"
    world.client.save()
    follow_up = world.follow_ups()["A"]
    response = http_for(app, world.anna).get(f"/care/followups/{follow_up.id}")
    html = text(response)
    assert response.status_code == 200
    for expected in (
        "王芳",
        "13800001111",
        "1 Long Street",
        "Fasting glucose",
        "25.1",
        "mmol/L",
        "3.9–6.1",
        "No contact attempts yet.",
    ):
        assert expected in html, expected
    [event] = AuditEvent.select().where(AuditEvent.action == "followup.viewed")
    assert event.user_id == world.anna.id and event.object_id == str(follow_up.id)


@pytest.mark.both_dbs
def test_another_counselors_follow_up_shows_no_finding_and_offers_only_to_break_the_glass(app, world):
    http = http_for(app, world.bo)
    theirs = world.follow_ups()["A"].id
    page = http.get(f"/care/followups/{theirs}")
    assert page.status_code == 403
    html = page.get_data(as_text=True)
    assert "No care relationship" in html and f"/access/clients/{world.client.id}/break-glass" in html
    assert "25.1" not in html and world.client.name not in html
    assert http.get("/care/followups/987654").status_code == 404
    mine, missing = http.get(f"/care/followups/{theirs}/recheck"), http.get("/care/followups/987654/recheck")
    assert mine.status_code == missing.status_code == 404
    assert factories.page_shape(mine, f"/care/followups/{theirs}/recheck") == factories.page_shape(
        missing, "/care/followups/987654/recheck"
    )
    for action, data in (
        ("take", {}),
        ("assign", {"assignee": str(world.bo.id)}),
        ("attempts", {"channel": "phone", "outcome": "reached"}),
        ("attempts", {"channel": "nonsense"}),
        ("close", {"outcome_code": "resolved", "note": "x"}),
        ("referrals", {"target_kind": "internal", "reason": "x"}),
    ):
        assert http.post(f"/care/followups/{theirs}/{action}", data=data).status_code == 404, action
    assert http.get("/care/followups/99999999999").status_code == 404
    assert ContactAttempt.select().count() == 0 and FollowUp.get_by_id(theirs).assignee_id == world.anna.id
    assert AuditEvent.select().where(AuditEvent.action == "followup.viewed").count() == 0


def test_contact_log_form_with_inline_errors(app, world):
    http = http_for(app, world.anna)
    follow_up = world.follow_ups()["A"]
    bad = http.post(f"/care/followups/{follow_up.id}/attempts", data={"channel": "pigeon", "outcome": "reached"})
    assert bad.status_code == 422
    assert re.search(r'id="channel-error" class="field-error">Choose how you contacted the client.', text(bad))
    assert ContactAttempt.select().count() == 0
    good = http.post(
        f"/care/followups/{follow_up.id}/attempts",
        data={"channel": "phone", "outcome": "no_answer", "notes": "<script>x</script>"},
    )
    assert good.status_code == 303
    html = text(http.get(f"/care/followups/{follow_up.id}"))
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "No answer" in html
    assert FollowUp.get_by_id(follow_up.id).attempt_count == 1


def test_close_form(app, world):
    http = http_for(app, world.anna)
    follow_up = world.follow_ups()["A"]
    early = http.post(f"/care/followups/{follow_up.id}/close", data={"outcome_code": "unreachable", "note": "No."})
    assert early.status_code == 422 and "Unreachable needs at least 3 contact attempts" in text(early)
    blank = http.post(f"/care/followups/{follow_up.id}/close", data={"outcome_code": "resolved", "note": ""})
    assert blank.status_code == 422 and 'id="note-error"' in text(blank)
    assert FollowUp.get_by_id(follow_up.id).status == "open"
    assert (
        http.post(
            f"/care/followups/{follow_up.id}/close",
            data={"outcome_code": "referred", "note": "Referred to endocrinology."},
        ).status_code
        == 303
    )
    again = http.post(f"/care/followups/{follow_up.id}/close", data={"outcome_code": "resolved", "note": "x"})
    assert again.status_code == 409 and "already closed" in text(again)
    html = text(http.get(f"/care/followups/{follow_up.id}"))
    assert "Referred to endocrinology." in html and "Record the attempt" not in html


def test_take_and_assign_from_the_detail_page(app, world):
    pool = world.extra("C")
    http = http_for(app, world.bo)
    assert http.post(f"/care/followups/{pool.id}/take").status_code == 303
    assert FollowUp.get_by_id(pool.id).assignee_id == world.bo.id
    bad = http.post(f"/care/followups/{pool.id}/assign", data={"assignee": str(world.admin.id)})
    assert bad.status_code == 422 and 'id="assignee-error"' in text(bad)
    assert http.post(f"/care/followups/{pool.id}/assign", data={"assignee": ""}).status_code == 303
    assert FollowUp.get_by_id(pool.id).assignee_id is None


def test_referral_form_errors_stay_on_the_follow_up(app, world):
    http = http_for(app, world.anna)
    follow_up = world.follow_ups()["A"]
    response = http.post(f"/care/followups/{follow_up.id}/referrals", data={"target_kind": "external", "reason": ""})
    assert response.status_code == 422
    assert 'id="hospital-error"' in text(response) and 'id="reason-error"' in text(response)


@pytest.mark.both_dbs
def test_the_detail_pages_fresh_form_fields_are_kept_per_language_and_setting(app, world):
    """A GET's fresh forms print the same fields on every open follow-up: printed once per language,
    department choices and "unreachable" setting, then kept (care_followups._kept_fields); a refused form's
    fields (its values and errors) are printed each time and never kept."""
    from checkup.blueprints.care import care_followups
    from checkup.services.care import followup_assignment

    http = http_for(app, world.anna)
    made = world.follow_ups()
    care_followups._kept_fields.clear()
    other = world.extra("C", assignee=world.anna)
    pages = [text(http.get(f"/care/followups/{follow_up.id}")) for follow_up in (made["A"], other)]
    assert len(care_followups._kept_fields) == 1
    chinese = text(http.get(f"/care/followups/{made['A'].id}", headers={"Accept-Language": "zh"}))
    assert len(care_followups._kept_fields) == 2 and chinese.count("<label") == pages[0].count("<label")
    kept = care_followups._kept_fields.copy()
    for html in pages:
        assert 'id="channel-field"' in html and 'id="reason-field"' in html and 'id="note-field"' in html
        assert "Unreachable is possible after 3 contact attempts." in html
    bad = http.post(f"/care/followups/{made['A'].id}/attempts", data={"channel": "pigeon", "notes": "<b>x</b>"})
    assert bad.status_code == 422 and 'id="channel-error"' in text(bad) and "&lt;b&gt;x&lt;/b&gt;" in text(bad)
    assert care_followups._kept_fields == kept
    again = text(http.get(f"/care/followups/{made['A'].id}"))
    assert 'id="channel-error"' not in again and "&lt;b&gt;x&lt;/b&gt;" not in again
    followup_assignment._put_setting(followup_assignment.UNREACHABLE_KEY, "5")
    assert "Unreachable is possible after 5 contact attempts." in text(http.get(f"/care/followups/{made['A'].id}"))
    assert len(care_followups._kept_fields) == 3


# --- the department head, the home page, the admin's settings ----------------------------------------


def test_department_head_page(app, world):
    chen = http_for(app, world.chen)
    page = chen.get(f"/care/departments/{world.chem.id}")
    html = text(page)
    assert page.status_code == 200 and "Service level" in html
    made = world.follow_ups()
    assert f'id="pick-{made["A"].id}"' in html and f'id="pick-{made["B"].id}"' not in html
    assert chen.get(f"/care/departments/{world.us.id}").status_code == 404
    assert http_for(app, world.anna).get(f"/care/departments/{world.chem.id}").status_code == 404
    assert http_for(app, world.admin).get(f"/care/departments/{world.us.id}").status_code == 200


def test_counselor_home_shows_worklist_counts_and_head_links(app, world):
    world.extra("C")
    html = text(http_for(app, world.chen).get("/care"))
    assert "My open follow-ups" in html and "Unassigned follow-ups" in html
    assert f"/care/departments/{world.chem.id}" in html


def test_admin_assignment_settings(app, world):
    http = http_for(app, world.admin)
    assert http.get("/admin/care/assignment").status_code == 200
    bad = http.post("/admin/care/assignment", data={"mode": "lottery", "unreachable_after": "0"})
    assert bad.status_code == 422 and Setting.select().where(Setting.key == "followup.assignment").count() == 0
    assert http.post("/admin/care/assignment", data={"mode": "department", "unreachable_after": "4"}).status_code == 303
    assert Setting.get(Setting.key == "followup.unreachable_after").value == "4"
    missing = http.post(
        "/admin/care/assignment/departments", data={"user": str(world.physician.id), "department": str(world.us.id)}
    )
    assert missing.status_code == 422 and "Choose an active counselor." in text(missing)
    assert (
        http.post(
            "/admin/care/assignment/departments",
            data={"user": str(world.bo.id), "department": str(world.us.id), "is_head": "y"},
        ).status_code
        == 303
    )
    row = StaffDepartment.get(StaffDepartment.user == world.bo.id)
    assert row.is_head and row.department_id == world.us.id
    assert "Bo" in text(http.get("/admin/care/assignment"))
    assert http.post(f"/admin/care/assignment/departments/{row.id}/delete").status_code == 303
    assert http.post("/admin/care/assignment/departments/987654/delete").status_code == 404
    assert StaffDepartment.select().where(StaffDepartment.user == world.bo.id).count() == 0
