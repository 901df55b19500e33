"""The audit log at a million events: keyset pages (before/after an event id) read off an index, no count
and no OFFSET; the action filter is kept on every link."""

import re

import pytest

from checkup.core import audit
from checkup.core.prepared import statement_sql
from checkup.models import AuditEvent
from checkup.models.base import db
from checkup.services.admin import admin_overview
from tests import factories

pytestmark = pytest.mark.both_dbs
ROW = re.compile(r"<tr><td>[^<]*</td><td>[^<]*</td><td>([a-z_.]+)</td>\s*<td>[^<]*</td>")
EXECUTE = re.compile(r"\('EXECUTE ([a-z_0-9]+)")


def _statement(line):
    """A logged statement; a prepared select's ``EXECUTE name`` read as the SQL it runs."""
    found = EXECUTE.match(line)
    return (statement_sql(found.group(1), db.obj) or line) if found else line


@pytest.fixture
def admin(client, login):
    user = factories.make_user("admin")
    login(user)
    return user


def _events(n, action="test.thing"):
    """n events of ``action`` (oldest first); their ids."""
    return [audit.record(audit.SYSTEM, action, detail_n=i).id for i in range(n)]


def _detail_numbers(html):
    return [int(n) for n in re.findall(r"&#34;detail_n&#34;: (\d+)", html)]


def test_pages_step_back_and_forth_by_event_id(client, admin):
    ids = _events(120)
    newest = client.get("/admin/audit?action=test.thing").get_data(as_text=True)
    assert _detail_numbers(newest) == list(range(119, 69, -1)) and "50 events shown" in newest
    assert 'rel="prev"' not in newest and f"before={ids[70]}&amp;action=test.thing" in newest

    second = client.get(f"/admin/audit?before={ids[70]}&action=test.thing").get_data(as_text=True)
    assert _detail_numbers(second) == list(range(69, 19, -1))
    assert f"after={ids[69]}&amp;action=test.thing" in second and f"before={ids[20]}" in second

    last = client.get(f"/admin/audit?before={ids[20]}&action=test.thing").get_data(as_text=True)
    assert _detail_numbers(last) == list(range(19, -1, -1)) and 'rel="next"' not in last and "20 events shown" in last

    back = client.get(f"/admin/audit?after={ids[69]}&action=test.thing").get_data(as_text=True)
    assert _detail_numbers(back) == list(range(119, 69, -1)) and 'rel="prev"' not in back  # the newest again


def test_the_action_filter_lists_every_action_once_and_filters(client, admin):
    _events(3, "test.alpha")
    _events(2, "test.beta")
    assert {"test.alpha", "test.beta"} <= set(admin_overview.audit_actions())
    actions = admin_overview.audit_actions()
    assert actions == sorted(set(actions))
    html = client.get("/admin/audit?action=test.beta").get_data(as_text=True)
    assert set(ROW.findall(html)) == {"test.beta"} and "2 events shown" in html
    assert '<option value="test.beta" selected>' in html


def test_no_page_counts_or_skips_over_the_log(client, admin, count_queries):
    ids = _events(60)
    for url in ("/admin/audit", f"/admin/audit?before={ids[30]}", f"/admin/audit?after={ids[5]}&action=test.thing"):
        with count_queries() as page:
            assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
        log_queries = [q for q in map(_statement, page.queries) if '"audit_event"' in q]
        assert len(log_queries) == 1, url  # the fragment: the page of events only
        assert "COUNT(" not in log_queries[0].upper() and "OFFSET" not in log_queries[0].upper()


def test_the_log_runs_the_same_queries_however_long_it_is(client, admin, count_queries):
    _events(3)
    with count_queries() as short:
        client.get("/admin/audit")
    _events(200)
    with count_queries() as long:
        client.get("/admin/audit")
    assert short.count == long.count


@pytest.mark.parametrize(
    "query", ["page=abc", "before=abc", "after=-4&action=nope", "before=99999999999999", "before="]
)
def test_odd_cursors_never_break_the_log(client, admin, query):
    _events(2)
    assert client.get(f"/admin/audit?{query}").status_code == 200


def test_a_cursor_past_the_oldest_event_says_so_and_links_to_the_newest(client, admin):
    first = _events(1)[0]
    html = client.get(f"/admin/audit?before={first}&action=test.thing").get_data(as_text=True)
    assert "No older events." in html and 'href="/admin/audit?action=test.thing"' in html
    assert AuditEvent.select().where(AuditEvent.id == first).exists()
