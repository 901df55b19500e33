"""Admin: the follow-up rule table drives what signing creates; the advice library."""

import pytest

from checkup.models import AdviceSnippet, AuditEvent, FollowUpRule
from checkup.services.catalog import care_rules

pytestmark = pytest.mark.both_dbs


def test_page_lists_every_kind_with_its_defaults(client, admin):
    html = client.get("/admin/care").get_data(as_text=True)
    for label in ("Critical value", "Clearly abnormal", "Mildly abnormal", "Physician&#39;s observation"):
        assert label in html


def test_changing_a_rule_changes_what_signing_uses_and_is_audited(client, admin):
    response = client.post(
        "/admin/care/rules/significant", data={"significant-level": "A", "significant-due_hours": "48"}
    )
    assert response.status_code == 303
    assert care_rules.follow_up_rules()["significant"] == ("A", 48)
    assert FollowUpRule.get(FollowUpRule.kind == "significant").due_hours == 48
    assert AuditEvent.select().where(AuditEvent.action == "care.rule_changed").count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"mild-level": "D", "mild-due_hours": "24"},
        {"mild-level": "C", "mild-due_hours": "0"},
        {"mild-level": "C", "mild-due_hours": "abc"},
        {"mild-level": "C", "mild-due_hours": "999999"},
    ],
)
def test_bad_rule_input_changes_nothing(client, admin, data):
    before = care_rules.follow_up_rules()["mild"]
    response = client.post("/admin/care/rules/mild", data=data)
    assert response.status_code == 422
    assert care_rules.follow_up_rules()["mild"] == before


def test_unknown_rule_is_404(client, admin):
    assert (
        client.post("/admin/care/rules/nonsense", data={"nonsense-level": "A", "nonsense-due_hours": "5"}).status_code
        == 404
    )


def test_advice_library_add_validate_delete(client, admin):
    assert (
        client.post(
            "/admin/care/advice", data={"key": "glu:h", "text_en": "Cut sugar.", "text_zh": "减少糖分摄入。"}
        ).status_code
        == 303
    )
    snippet = AdviceSnippet.get()
    assert snippet.key == "GLU:H"
    duplicate = client.post("/admin/care/advice", data={"key": "GLU:H", "text_en": "x"})
    assert duplicate.status_code == 422 and "already advice" in duplicate.get_data(as_text=True)
    bad = client.post("/admin/care/advice", data={"key": "GLU", "text_en": "x"})
    assert bad.status_code == 422 and AdviceSnippet.select().count() == 1
    assert client.post(f"/admin/care/advice/{snippet.id}/delete").status_code == 303
    assert AdviceSnippet.select().count() == 0
    assert client.post("/admin/care/advice/999999/delete").status_code == 404
