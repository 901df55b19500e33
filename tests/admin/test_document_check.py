"""`flask verify-documents`: a ready document whose file is missing or changed is made again by the task table."""

import json

import pytest

from checkup.core.audit import Actor
from checkup.core.stored_files import sha256_of
from checkup.models import GroupDocument, Report, Task
from checkup.services.admin import document_check
from checkup.services.exam import report_pdf
from checkup.services.groups import group_documents, summary_releases
from tests import factories
from tests.exam.test_reports_pdf import signed
from tests.group_documents_helpers import GroupWorld
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs


def verify(app):
    result = app.test_cli_runner().invoke(args=["verify-documents"])
    assert result.exit_code == 0, result.output
    return result.output


def render_tasks(kind, object_id):
    return [
        task
        for task in Task.select().where(Task.kind == kind).order_by(Task.id)
        if json.loads(task.args_json) == [object_id]
    ]


@pytest.fixture
def report(app):
    report = signed(ReportWorld())
    assert report.pdf_state == "ready" and report_pdf.file_for(report).is_file()
    return report


def test_a_deleted_report_pdf_comes_back_with_the_same_checksum(app, report):
    path, checksum = report_pdf.file_for(report), report.pdf_checksum
    before = len(render_tasks("report.render_pdf", report.id))
    path.unlink()

    output = verify(app)

    assert f"report {report.id}: file missing" in output and "renders queued: 1" in output
    again = Report.get_by_id(report.id)
    assert again.pdf_state == "ready" and again.pdf_checksum == checksum
    assert path.is_file() and sha256_of(path) == checksum
    owed = render_tasks("report.render_pdf", report.id)
    assert len(owed) == before + 1 and owed[-1].state == "done"


def test_a_corrupted_report_pdf_is_rendered_again(app, report):
    path, checksum = report_pdf.file_for(report), report.pdf_checksum
    original = path.read_bytes()
    path.write_bytes(original[:-100] + b"%% tampered %%")

    output = verify(app)

    assert f"report {report.id}: file changed" in output
    again = Report.get_by_id(report.id)
    assert again.pdf_state == "ready" and again.pdf_checksum == checksum
    assert path.read_bytes() == original


def test_intact_documents_are_left_alone(app, report):
    path = report_pdf.file_for(report)
    mtime, tasks_before = path.stat().st_mtime_ns, Task.select().count()

    output = verify(app)

    assert "missing or changed: 0; renders queued: 0" in output
    assert Task.select().count() == tasks_before
    assert path.stat().st_mtime_ns == mtime
    assert Report.get_by_id(report.id).pdf_attempts == report.pdf_attempts


def test_when_the_render_fails_the_report_stays_pending_with_its_task_owed(app, report, monkeypatch):
    def broken(report_id):
        raise OSError("disk full")

    monkeypatch.setattr(report_pdf, "render_bytes", broken)
    report_pdf.file_for(report).unlink()

    checked, damaged = document_check.verify_documents()

    assert checked == 1 and [(d.kind, d.id, d.problem, d.queued) for d in damaged] == [
        ("report", report.id, "missing", True)
    ]
    again = Report.get_by_id(report.id)
    assert again.pdf_state == "failed" and again.pdf_checksum == ""
    owed = render_tasks("report.render_pdf", report.id)[-1]
    assert owed.state == "failed" and "disk full" in owed.last_error  # the task table tries it again later
    assert document_check.verify_documents() == (0, [])  # no longer "ready": nothing more is owed


def test_a_missing_or_changed_group_document_is_made_again(app):
    world = GroupWorld()
    staff = factories.make_user("admin")
    billing = group_documents.request(Actor(staff), world.contract.id, "billing", "pdf")
    release = summary_releases.release_final(world.contract.id)
    summary = GroupDocument.get(
        GroupDocument.release == release.id, GroupDocument.fmt == "xlsx", GroupDocument.locale == "en"
    )
    assert billing.state == summary.state == "ready"
    group_documents.file_for(billing).unlink()
    group_documents.file_for(summary).write_bytes(b"not a workbook")

    output = verify(app)

    assert f"group document {billing.id}: file missing" in output
    assert f"group document {summary.id}: file changed" in output
    for document in (billing, summary):
        again = GroupDocument.get_by_id(document.id)
        path = group_documents.file_for(again)
        assert again.state == "ready" and path.is_file() and sha256_of(path) == again.checksum
        assert render_tasks("group_document.render", document.id)[-1].state == "done"
