"""Admin: the follow-up rule table drives what signing creates; the advice library."""

import re

import pytest
from flask import render_template
from flask_babel import force_locale

from checkup.core.audit import Actor
from checkup.forms.care_rules import RuleForm, SnippetForm
from checkup.models import AdviceSnippet, AuditEvent, FollowUpRule
from checkup.services.catalog import care_rules
from tests import factories

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


# --- the page as a GET prints it is kept per language, rules and advice (blueprints/admin/care_rules.py, #16) ---

TOKEN = re.compile(r'name="(?:[a-z]+-)?csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _fresh_content(app, language):
    """The content as admin/_care_rules_body.html prints it from forms built now, tokens blanked."""
    with app.test_request_context("/admin/care"), force_locale(language):
        rows = care_rules.rule_table()
        forms = {kind: RuleForm(prefix=kind, data={"level": level, "due_hours": hours}) for kind, level, hours in rows}
        html = render_template(
            "admin/_care_rules_body.html",
            rows=rows,
            forms=forms,
            snippets=care_rules.snippets(),
            snippet_form=SnippetForm(),
        )
        return TOKEN.sub("-", html)


def _content(page):
    return TOKEN.sub("-", page[page.index("<h1>") : page.index("</main>")]).rstrip()


@pytest.mark.parametrize("language", ["en", "zh"])
def test_kept_page_is_the_fresh_one_with_each_session_its_own_token(app, client, make_user, language):
    app.config["WTF_CSRF_ENABLED"] = True
    care_rules.save_snippet(Actor(), "GLU:H", "Cut down on <sugar> & sweets", "少吃糖")
    factories.sign_in_directly(client, make_user("admin"))
    headers = {"Accept-Language": language}
    first = client.get("/admin/care", headers=headers).get_data(as_text=True)
    second = client.get("/admin/care", headers=headers).get_data(as_text=True)
    assert _content(first) == _content(second) == _fresh_content(app, language).rstrip()
    tokens = set(TOKEN.findall(second))
    assert len(TOKEN.findall(second)) >= 7 and len(tokens) == 1  # every form carries the request's own token
    other = app.test_client()
    factories.sign_in_directly(other, make_user("admin"))
    theirs = other.get("/admin/care", headers=headers).get_data(as_text=True)
    assert set(TOKEN.findall(theirs)).isdisjoint(tokens) and _content(theirs) == _content(second)


def test_a_changed_rule_new_advice_or_other_language_shows_at_once(app, client, admin):
    page = client.get("/admin/care").get_data(as_text=True)
    assert 'value="C" selected' not in page.split("significant-level", 1)[1][:400]
    care_rules.set_rule(Actor(), "significant", "C", 12)
    page = client.get("/admin/care").get_data(as_text=True)
    assert 'value="12"' in page and "No advice yet." in page
    care_rules.save_snippet(Actor(), "TSH:L", "Recheck thyroid", "复查甲状腺")
    page = client.get("/admin/care").get_data(as_text=True)
    assert "Recheck thyroid" in page and "No advice yet." not in page
    zh = client.get("/admin/care", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "复查甲状腺" in zh and "Recheck thyroid" not in zh


def test_a_form_sent_back_with_errors_is_printed_with_them_and_not_kept(client, admin):
    client.get("/admin/care")
    refused = client.post("/admin/care/advice", data={"key": "nonsense", "text_en": "x"}).get_data(as_text=True)
    assert "Use an item code and a direction" in refused and 'value="nonsense"' in refused
    again = client.get("/admin/care").get_data(as_text=True)
    assert "Use an item code and a direction" not in again and 'value="nonsense"' not in again
