"""HR's employee export of a long list: made by the worker with its progress, downloaded when ready, with
the same columns, filters and audit as the export made in the request; only HR of the organization
reaches it (another organization's export answers like a missing one)."""

import datetime
import io
import json

import pytest
from openpyxl import load_workbook

from checkup.core import tasks
from checkup.core.audit import Actor
from checkup.models import AuditEvent, EmployeeExport, Task
from checkup.models.base import utcnow
from checkup.services.groups import employee_exports, enrollments
from checkup.services.groups.enrollments import EmployeeFilters
from tests import factories
from tests.enrollment_helpers import Roster
from tests.factories import sign_in_directly

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def roster(app, monkeypatch):
    monkeypatch.setattr(employee_exports, "INLINE_LIMIT", 3)  # five employees: a "long" list
    roster = Roster()
    roster.employee("Ann Not", "not_invited", department="Sales")
    roster.employee("Ben Invited", "invited", department="Sales")
    roster.employee("Dan Booked", "booked", department="Plant", category="Managers")
    roster.employee("=cmd|' /C calc'!A0", "completed", department="@evil", employee_no="-1+1")
    roster.employee("Nora NoMail", "not_invited", department="Plant", email=False)
    return roster


@pytest.fixture
def hr(client, roster):
    return sign_in_directly(client, factories.make_user("hr", organization=roster.org, email="hr@acme.test"))


def _rows(data):
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def _main(response):
    """The page's own content (the header carries a per-request CSRF token)."""
    return response.get_data(as_text=True).split("<main", 1)[-1].split("</main>", 1)[0]


def _export_id(response):
    assert response.status_code == 303, response.status_code
    location = response.headers["Location"]
    assert location.startswith("/hr/exports/")
    return int(location.rsplit("/", 1)[1])


def test_a_long_list_is_made_by_the_worker_then_downloaded_like_the_inline_one(client, hr, roster):
    inline = enrollments.export_employees(Actor(hr), roster.org.id, roster.contract.id, EmployeeFilters())[1]
    export_id = _export_id(client.post("/hr/employees.xlsx", data={"contract": roster.contract.id}))

    page = client.get(f"/hr/exports/{export_id}").get_data(as_text=True)  # tests run tasks inline: done
    assert "Ready" in page and "5 employees." in page and f"/hr/exports/{export_id}/file" in page
    assert 'hx-get="' not in page  # done: the status stops polling
    download = client.get(f"/hr/exports/{export_id}/file")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _rows(download.data) == _rows(inline)  # the same sheet: status only, formulas neutralised
    evil = next(r for r in _rows(download.data) if "calc" in str(r[1]))
    assert evil[:3] == ("'-1+1", "'=cmd|' /C calc'!A0", "'@evil")

    asked = AuditEvent.get(AuditEvent.action == "hr.export", AuditEvent.detail.contains('"export"'))
    assert (asked.user_id, asked.object_id) == (hr.id, str(roster.contract.id))
    assert json.loads(asked.detail)["export"] == export_id
    downloaded = AuditEvent.get(AuditEvent.action == "hr.export_downloaded")
    assert (downloaded.user_id, downloaded.object_id, json.loads(downloaded.detail)["rows"]) == (
        hr.id,
        str(export_id),
        5,
    )


def test_the_job_keeps_the_filters_and_the_search_never_enters_an_address(client, hr, roster, monkeypatch):
    monkeypatch.setattr(employee_exports, "INLINE_LIMIT", 1)
    response = client.post(
        "/hr/employees.xlsx", data={"contract": roster.contract.id, "q": "n", "status": "not_invited"}
    )
    export_id = _export_id(response)
    assert "q=" not in response.headers["Location"] and "Ann" not in response.headers["Location"]
    rows = _rows(client.get(f"/hr/exports/{export_id}/file").data)
    assert [r[1] for r in rows[1:]] == ["Ann Not", "Nora NoMail"]


def test_the_employee_list_offers_a_background_export_for_a_long_list(client, hr, roster):
    html = client.get("/hr/employees", query_string={"contract": roster.contract.id}).get_data(as_text=True)
    form = html[html.index('action="/hr/employees.xlsx"') - 40 :]
    assert form.startswith('<form method="post"'[:5]) or '<form method="post" action="/hr/employees.xlsx"' in html
    # a GET of the export (an old link) only offers to start the job: nothing is owed by a GET
    page = client.get("/hr/employees.xlsx", query_string={"contract": roster.contract.id})
    assert page.status_code == 200 and "made in the background" in page.get_data(as_text=True)
    assert EmployeeExport.select().count() == 0 and not AuditEvent.select().where(AuditEvent.action == "hr.export")


def test_a_short_list_is_still_made_in_the_request(client, hr, roster, monkeypatch):
    monkeypatch.setattr(employee_exports, "INLINE_LIMIT", 5)
    response = client.post("/hr/employees.xlsx", data={"contract": roster.contract.id})
    assert response.status_code == 200 and len(_rows(response.data)) == 6
    assert EmployeeExport.select().count() == 0


def test_progress_is_shown_while_the_worker_makes_the_file(client, hr, roster, monkeypatch):
    monkeypatch.setattr(tasks, "wake", lambda task_id: None)  # owed, not yet run
    monkeypatch.setattr(employee_exports, "PROGRESS_EVERY", 2)
    export_id = _export_id(client.post("/hr/employees.xlsx", data={"contract": roster.contract.id}))
    again = _export_id(client.post("/hr/employees.xlsx", data={"contract": roster.contract.id}))
    assert again == export_id  # the same list asked again while it is made: the same job
    pending = client.get(f"/hr/exports/{export_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Queued" in pending and f'hx-get="/hr/exports/{export_id}"' in pending and "<html" not in pending
    assert client.get(f"/hr/exports/{export_id}/file").status_code == 404

    seen = []
    original = EmployeeExport.update

    def watch(**values):
        if "rows_done" in values and len(values) == 1:
            seen.append(values["rows_done"])
        return original(**values)

    monkeypatch.setattr(EmployeeExport, "update", watch)
    task = Task.get(Task.kind == "hr_export.build")
    assert tasks.perform(task.id) == "done"
    assert seen == [2, 4]
    export = EmployeeExport.get_by_id(export_id)
    assert (export.state, export.rows_done, export.rows_total) == ("ready", 5, 5)
    assert employee_exports.progress_percent(export) == 100


def test_another_organizations_export_answers_like_a_missing_one(app, client, roster):
    owner = factories.make_user("hr", organization=roster.org)
    export = employee_exports.export_or_owe(Actor(owner), roster.org.id, roster.contract.id, EmployeeFilters())
    assert export.state == "ready"
    other = Roster(center=roster.center, name="Other Co")
    sign_in_directly(client, factories.make_user("hr", organization=other.org))
    for path in (f"/hr/exports/{export.id}", f"/hr/exports/{export.id}/file"):
        theirs, missing = client.get(path), client.get(path.replace(str(export.id), "999999"))
        assert theirs.status_code == missing.status_code == 404
        assert _main(theirs) == _main(missing)
    assert not AuditEvent.select().where(AuditEvent.action == "hr.export_downloaded").exists()


def test_a_file_can_be_downloaded_for_a_day_then_it_is_deleted(client, hr, roster):
    export_id = _export_id(client.post("/hr/employees.xlsx", data={"contract": roster.contract.id}))
    export = EmployeeExport.get_by_id(export_id)
    path = employee_exports.file_for(export)
    assert path.is_file() and str(path).startswith(str(employee_exports.exports_dir()))
    old = utcnow() - datetime.timedelta(hours=employee_exports.EXPORT_HOURS, minutes=1)
    EmployeeExport.update(ready_at=old).where(EmployeeExport.id == export_id).execute()
    assert client.get(f"/hr/exports/{export_id}/file").status_code == 404
    short = client.post("/hr/employees.xlsx", data={"contract": roster.contract.id, "status": "invited"})
    assert short.status_code == 200  # any export asked for deletes the organization's old files
    assert not path.exists() and EmployeeExport.get_by_id(export_id).state == "expired"
    assert "This file was deleted" in client.get(f"/hr/exports/{export_id}").get_data(as_text=True)


def test_a_damaged_file_is_not_served(client, hr, roster):
    export_id = _export_id(client.post("/hr/employees.xlsx", data={"contract": roster.contract.id}))
    employee_exports.file_for(EmployeeExport.get_by_id(export_id)).write_bytes(b"not the file")
    assert client.get(f"/hr/exports/{export_id}/file").status_code == 404


def test_the_file_is_made_in_the_language_hr_asked_in(client, hr, roster):
    client.post("/language", data={"locale": "zh"})
    export_id = _export_id(client.post("/hr/employees.xlsx", data={"contract": roster.contract.id}))
    assert EmployeeExport.get_by_id(export_id).locale.startswith("zh")
    header = _rows(client.get(f"/hr/exports/{export_id}/file").data)[0]
    assert header[0] != "Employee number"


def test_the_hourly_purge_deletes_every_old_file_without_waiting_for_the_next_export(client, hr, roster):
    from checkup.core import periodic

    assert ("hr_export.purge_expired", periodic.HOUR) in periodic.SCHEDULE
    ids = [_export_id(client.post("/hr/employees.xlsx", data={"contract": roster.contract.id})) for _ in range(3)]
    paths = [employee_exports.file_for(EmployeeExport.get_by_id(i)) for i in ids]
    assert all(path.is_file() for path in paths)
    old = utcnow() - datetime.timedelta(hours=employee_exports.EXPORT_HOURS, minutes=1)
    EmployeeExport.update(ready_at=old).where(EmployeeExport.id.in_(ids[:2])).execute()

    assert employee_exports.purge_expired(batch=1) == 2  # batch after batch until none is left

    assert [path.exists() for path in paths] == [False, False, True]
    assert [EmployeeExport.get_by_id(i).state for i in ids] == ["expired", "expired", "ready"]
    assert employee_exports.purge_expired() == 0
