"""The admin's Background work page: counts by kind and state, the failed and dead tasks a page at a time,
"retry now" and "discard" (audited), the dashboard's warning, the task figures of /healthz, and a 503
(never a 500) when the database is out of reach."""

import datetime
import json
import uuid

import pytest

from checkup.core import tasks
from checkup.models import AuditEvent
from checkup.models.base import utcnow
from checkup.models.tasks import DEAD, DONE, FAILED, QUEUED, RUNNING, Task
from checkup.web.templating import center_time
from tests.conftest import base_config
from tests.factories import row_counts, sign_in_directly

pytestmark = pytest.mark.both_dbs

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(client, make_user):
    return sign_in_directly(client, make_user("admin", name="Ada Admin"))


@pytest.fixture
def woken(monkeypatch):
    """Task ids a retry woke (instead of running them inline: the test looks at the row as the retry left it)."""
    ids = []
    monkeypatch.setattr(tasks, "wake", ids.append)
    return ids


def make_task(
    state=DEAD, kind="tasks.noop", args=(7,), error="", attempts=6, caused_by=None, created_ago=60, due_ago=0
):
    """A task row as the runner would have left it (the kind need not be registered to be listed)."""
    now = utcnow()
    return Task.create(
        kind=kind,
        args_json=json.dumps(list(args)),
        dedupe_key=f"{kind}:{uuid.uuid4().hex}",
        state=state,
        attempts=attempts,
        last_error=error,
        caused_by=caused_by,
        created_at=now - datetime.timedelta(seconds=created_ago),
        next_attempt_at=now - datetime.timedelta(seconds=due_ago),
        finished_at=None if state in (QUEUED, RUNNING) else now,
    )


def task_events(action):
    return list(AuditEvent.select().where(AuditEvent.action == action))


# --- who may use it ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["client", "hr", "scheduler", "physician", "counselor"])
def test_only_admins_see_or_touch_background_work(client, make_user, role):
    task = make_task()
    sign_in_directly(client, make_user(role))
    assert client.get("/admin/tasks").status_code == 403
    assert client.post(f"/admin/tasks/{task.id}/retry").status_code == 403
    assert client.post(f"/admin/tasks/{task.id}/discard", data={"reason": "x"}).status_code == 403
    assert Task.get_by_id(task.id).state == DEAD and task_events("task.retry") == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    task = make_task()
    assert client.get("/admin/tasks").headers["Location"].startswith("/login")
    assert client.post(f"/admin/tasks/{task.id}/retry").headers["Location"].startswith("/login")
    assert Task.get_by_id(task.id).state == DEAD


# --- what the page shows -------------------------------------------------------------------------------


def test_the_page_lists_a_dead_task_with_its_error_and_who_caused_it(client, admin):
    dead = make_task(
        kind="mail.booking_confirmation",
        args=(41, "en"),
        caused_by=admin,
        error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    failed = make_task(state=FAILED, kind="pdf.report", attempts=2, error="OSError: disk full", due_ago=-600)
    make_task(state=DONE, kind="pdf.report", args=(999,))
    make_task(state=QUEUED, kind="mail.booking_confirmation", attempts=0)
    response = client.get("/admin/tasks")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>Background work</h1>" in html
    assert f'id="task-{dead.id}"' in html and "SMTPServerDisconnected: Connection unexpectedly closed" in html
    assert "<code>mail.booking_confirmation</code>" in html and "[41, &#34;en&#34;]" in html
    assert "Ada Admin" in html
    # a failed task shows when it is tried next, in the center's time zone; the done task is not listed
    assert f'id="task-{failed.id}"' in html and center_time(Task.get_by_id(failed.id).next_attempt_at) in html
    assert "[999]" not in html
    # counts by kind and state
    assert '<th scope="row"><code>pdf.report</code></th>' in html
    pdf_row = html.split('<th scope="row"><code>pdf.report</code></th>')[1].split("</tr>")[0]
    assert [cell.split(">")[1] for cell in pdf_row.split("<td")[1:]] == [
        "0</td",
        "0</td",
        "1</td",
        "0</td",
        "1</td",
        "2</td",
    ]


def test_filters_narrow_the_list_and_unknown_values_are_ignored(client, admin):
    make_task(kind="mail.booking_confirmation", error="dead-mail")
    make_task(state=FAILED, kind="pdf.report", error="failed-pdf", due_ago=-60)
    only_dead = client.get("/admin/tasks?state=dead").get_data(as_text=True)
    assert "dead-mail" in only_dead and "failed-pdf" not in only_dead
    only_pdf = client.get("/admin/tasks?kind=pdf.report").get_data(as_text=True)
    assert "failed-pdf" in only_pdf and "dead-mail" not in only_pdf
    for query in (
        "state=done",
        "state=%27%20OR%201=1",
        "kind=no.such.kind",
        "page=-3",
        "page=abc",
        "page=99999999999999999999",
        "kind=" + "x" * 5000,
    ):
        response = client.get(f"/admin/tasks?{query}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200, query
        assert "dead-mail" in html and "failed-pdf" in html, query


def test_nothing_failed_says_so(client, admin):
    make_task(state=DONE)
    html = client.get("/admin/tasks").get_data(as_text=True)
    assert "No failed or dead background work." in html
    make_task(state=DEAD)
    filtered = client.get("/admin/tasks?state=failed").get_data(as_text=True)
    assert "No failed or dead task matches these filters." in filtered


def test_the_list_is_an_htmx_fragment_when_swapped(client, admin):
    make_task(error="boom")
    fragment = client.get("/admin/tasks?state=dead", headers=HTMX)
    assert "boom" in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/admin/tasks", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_the_list_issues_a_fixed_number_of_queries(client, admin, make_user, count_queries):
    make_task(caused_by=admin, error="first")
    with count_queries() as few:
        assert client.get("/admin/tasks").status_code == 200
    for n in range(30):
        make_task(
            state=FAILED if n % 2 else DEAD,
            kind=f"kind.{n % 4}",
            caused_by=make_user("scheduler"),
            error=f"error {n}",
            due_ago=-60,
        )
    with count_queries() as many:
        html = client.get("/admin/tasks").get_data(as_text=True)
    assert "error 29" in html and "Page 1 of 2" in html
    assert many.count == few.count


# --- retry ---------------------------------------------------------------------------------------------


def test_retry_makes_a_dead_task_due_now_and_is_audited(client, admin, woken):
    task = make_task(error="SMTP down", attempts=6)
    response = client.post(f"/admin/tasks/{task.id}/retry", data={"state": "dead", "page": "1"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/tasks?page=1&state=dead"
    row = Task.get_by_id(task.id)
    assert row.state == FAILED and row.next_attempt_at <= utcnow()
    assert woken == [task.id]  # the worker is woken once the change is committed
    [event] = task_events("task.retry")
    assert (event.user_id, event.object_type, event.object_id) == (admin.id, "task", str(task.id))
    assert json.loads(event.detail)["kind"] == "tasks.noop"
    assert "is due again" in client.get("/admin/tasks").get_data(as_text=True)


def test_retry_through_htmx_swaps_the_overview_in_place(client, admin, woken):
    task = make_task(state=FAILED, attempts=2, due_ago=-3600)
    response = client.post(f"/admin/tasks/{task.id}/retry", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert f"Task {task.id} is due again" in html and f'id="task-{task.id}"' in html
    assert Task.get_by_id(task.id).next_attempt_at <= utcnow() and woken == [task.id]


# --- discard -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_discard_needs_a_reason_and_changes_nothing_without_one(client, admin, reason):
    task = make_task(state=FAILED, attempts=2, error="timeout", due_ago=-60)
    before = row_counts(AuditEvent)
    response = client.post(f"/admin/tasks/{task.id}/discard", data={"reason": reason})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = html.split(f'id="reason-{task.id}-error"')[1].split("</small>")[0]
    assert ("Say why this work is discarded." if len(reason) < 500 else "at most 500 characters") in error
    assert f'aria-describedby="reason-{task.id}-error"' in html
    row = Task.get_by_id(task.id)
    assert (row.state, row.last_error) == (FAILED, "timeout") and row_counts(AuditEvent) == before
    # through htmx the error comes back in the swapped fragment (htmx 2 does not swap a 4xx)
    fragment = client.post(f"/admin/tasks/{task.id}/discard", data={"reason": reason}, headers=HTMX)
    assert fragment.status_code == 200 and f'id="reason-{task.id}-error"' in fragment.get_data(as_text=True)


def test_discard_with_a_reason_buries_the_task_and_is_audited(client, admin):
    task = make_task(state=FAILED, attempts=2, error="timeout", due_ago=-60)
    response = client.post(f"/admin/tasks/{task.id}/discard", data={"reason": "  Client asked by phone  "})
    assert response.status_code == 303
    row = Task.get_by_id(task.id)
    assert row.state == DEAD and row.last_error == "Discarded: Client asked by phone"
    [event] = task_events("task.discard")
    assert (event.user_id, event.object_id) == (admin.id, str(task.id))
    assert json.loads(event.detail)["reason"] == "Client asked by phone"
    assert tasks.run(task.id) is None  # a discarded task is not run again


# --- what is not there ---------------------------------------------------------------------------------


def test_a_missing_task_or_one_not_failed_answers_404_like_a_missing_page(client, admin):
    others = [make_task(state=state, due_ago=-3600) for state in (QUEUED, RUNNING, DONE)]
    missing_page = client.get("/admin/no-such-page")
    assert missing_page.status_code == 404
    for task_id in [999999] + [task.id for task in others]:
        for action, data in (("retry", {}), ("discard", {"reason": "because"}), ("discard", {})):
            response = client.post(f"/admin/tasks/{task_id}/{action}", data=data)
            assert response.status_code == 404, (task_id, action)
            assert "<h1>Page not found</h1>" in response.get_data(as_text=True)
    assert [Task.get_by_id(task.id).state for task in others] == [QUEUED, RUNNING, DONE]
    assert task_events("task.retry") == task_events("task.discard") == []
    assert client.post("/admin/tasks/abc/retry").status_code == 404


# --- the dashboard -------------------------------------------------------------------------------------


def test_the_dashboard_links_the_page_and_warns_only_when_work_is_dead_or_waiting(client, admin):
    def dashboard():
        return client.get("/admin").get_data(as_text=True)

    html = dashboard()
    assert 'href="/admin/tasks"' in html and 'id="task-warning"' not in html
    recent = make_task(state=QUEUED, attempts=0, due_ago=5 * 60)
    make_task(state=FAILED, attempts=1, due_ago=-3600)  # failed, but not due yet: nothing to worry about
    assert 'id="task-warning"' not in dashboard()
    Task.update(next_attempt_at=utcnow() - datetime.timedelta(minutes=20)).where(Task.id == recent.id).execute()
    html = dashboard()
    assert (
        'id="task-warning"' in html
        and "has waited 20 minutes" in html
        and "dead" not in html.split('id="task-warning"')[1].split("</div>")[0]
    )
    Task.delete().where(Task.id == recent.id).execute()
    make_task(state=DEAD, error="gave up")
    warning = dashboard().split('id="task-warning"')[1].split("</div>")[0]
    assert "1 background task is dead" in warning and 'href="/admin/tasks"' in warning
    assert "has waited" not in warning


# --- /healthz ------------------------------------------------------------------------------------------


def test_healthz_reports_the_oldest_due_task_and_the_dead_ones(client, monkeypatch):
    from checkup.services.admin import health

    monkeypatch.setattr(health, "FIGURES_MAX_AGE_SECONDS", 0)  # counted afresh on every probe
    report = client.get("/healthz").get_json()
    assert (report["status"], report["oldest_queued_seconds"], report["dead_tasks"]) == ("ok", None, 0)
    make_task(state=QUEUED, attempts=0, due_ago=120)
    make_task(state=FAILED, attempts=1, due_ago=-600)  # not due yet
    make_task(state=DEAD)
    make_task(state=DEAD)
    response = client.get("/healthz")
    report = response.get_json()
    assert response.status_code == 200 and report["status"] == "ok"
    assert 120 <= report["oldest_queued_seconds"] < 180 and report["dead_tasks"] == 2


def test_an_unreachable_database_answers_503_not_500(tmp_path):
    from checkup import create_app

    down = create_app(base_config(tmp_path, DATABASE_URL="postgresql://postgres@127.0.0.1:1/x"))
    http = down.test_client()
    health = http.get("/healthz")
    assert health.status_code == 503 and health.is_json
    report = health.get_json()
    assert report["status"] == "error" and report["database"].startswith("error: ")
    assert "dead_tasks" not in report  # unknown, not zero
    for path in ("/login", "/admin/tasks", "/"):
        page = http.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 503, path
        assert "<h1>Service unavailable</h1>" in html and "Traceback" not in html
        assert page.headers["Retry-After"] == "60"
    assert http.post("/login", data={"email": "a@example.com", "password": "x"}).status_code == 503
    assert http.get("/static/css/app.css").status_code == 200  # the page keeps its style
    chinese = http.get("/login", headers={"Accept-Language": "zh-CN"})
    assert chinese.status_code == 503 and 'lang="zh-Hans"' in chinese.get_data(as_text=True)
