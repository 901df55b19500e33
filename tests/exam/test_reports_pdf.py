"""The report PDF: content (Chinese name, values, flags, pages), escaping, atomic idempotent job, sweeper."""

import datetime
import hashlib
import io
import os

import pypdf
import pytest

from checkup.core import stored_files
from checkup.models import Report
from checkup.models.base import utcnow
from checkup.reports.client_report import ClientReportRenderer
from checkup.services.exam import report_pdf, reports
from tests.report_helpers import ReportWorld


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def signed(world, summary="Glucose critically high.", advice="Repeat fasting glucose this week."):
    world.all_results()
    world.last_year({world.glu: 5.5, world.alt: 30})
    report = reports.sign(world.actor(), world.appointment.id, summary, advice)
    return Report.get_by_id(report.id)


@pytest.fixture
def world(app):
    return ReportWorld()


@pytest.mark.both_dbs
def test_the_pdf_shows_names_values_flags_and_trends_in_the_clients_language(app, world):
    report = signed(world)
    path = report_pdf.file_for(report)
    pages, text = pdf_text(path.read_bytes())
    assert pages >= 2
    assert "王芳" in text and world.appointment.exam_code in text
    for expected in (
        "25.1",
        "mmol/L",
        "3.9–6.1",
        "↑ Critical",
        "52",
        "↑ High",
        "Fatty liver, mild",
        "Abnormal",
        "Fasting glucose: 25.1 mmol/L ↑ Critical (Reference range 3.9–6.1)",
        "Repeat fasting glucose this week.",
        "李医生",
        report.verification_code,
        f"Page 1 of {pages}",
        "5.5 (",
        "higher",
    ):
        assert expected in text, expected
    assert "空腹血糖" not in text and "[H]" not in text  # an English report: no Chinese, no flag codes
    assert report.pdf_checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.pdf_attempts == 1 and report.pdf_path == f"{world.appointment.id}/1.pdf"


def test_user_text_that_looks_like_markup_renders_literally(app):
    world = ReportWorld(name="<b>&amp;")
    report = signed(world, summary="<i>not italic</i> & <font size=40>x</font>", advice="a < b")
    _pages, text = pdf_text(report_pdf.file_for(report).read_bytes())
    assert "<b>&amp;" in text
    assert "<i>not italic</i> & <font size=40>x</font>" in text
    assert "a < b" in text


def test_the_renderer_takes_plain_data_and_gives_bytes():
    data = {
        "client": {"name": "张伟", "sex": "Male", "age": "40"},
        "exam": {"code": "X1", "date": "2026-01-02"},
        "departments": [
            {
                "name": "Lab",
                "rows": [
                    {
                        "name": "WBC",
                        "value": "12.5",
                        "unit": "10^9/L",
                        "reference": "3.5–9.5",
                        "flag": "H",
                        "flag_label": "High",
                    }
                ],
            }
        ],
        "findings": [],
        "verification_code": "ABCD-EFGH-JKLM",
        "signature": {"physician": "Dr", "signed_at": "x"},
    }
    first = ClientReportRenderer().build(data)
    assert first == ClientReportRenderer().build(data)  # deterministic: a re-render gives the same bytes
    pages, text = pdf_text(first)
    assert "张伟" in text and "12.5" in text and "High" in text and f"Page 1 of {pages}" in text


def test_running_the_job_twice_gives_one_file_with_the_same_checksum(app, world):
    report = signed(world)
    folder = report_pdf.file_for(report).parent
    first_checksum, first_mtime = report.pdf_checksum, os.stat(report_pdf.file_for(report)).st_mtime_ns
    assert report_pdf.render_report_pdf(report.id) == str(report_pdf.file_for(report))
    again = Report.get_by_id(report.id)
    assert again.pdf_checksum == first_checksum and again.pdf_attempts == 1  # ready and intact: nothing to do
    assert os.stat(report_pdf.file_for(report)).st_mtime_ns == first_mtime
    # a lost "ready" (say the row was reset) renders again to the very same bytes and path
    Report.update(pdf_state="pending").where(Report.id == report.id).execute()
    report_pdf.render_report_pdf(report.id)
    again = Report.get_by_id(report.id)
    assert (again.pdf_state, again.pdf_checksum, again.pdf_attempts) == ("ready", first_checksum, 2)
    assert sorted(p.name for p in folder.iterdir()) == ["1.pdf"]


def test_a_damaged_file_is_rendered_again(app, world):
    report = signed(world)
    path = report_pdf.file_for(report)
    path.write_bytes(b"%PDF-1.4 truncated")
    report_pdf.render_report_pdf(report.id)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == Report.get_by_id(report.id).pdf_checksum
    assert pdf_text(path.read_bytes())[0] >= 1


def test_a_failing_render_leaves_no_partial_file_records_failed_and_raises(app, world, monkeypatch):
    world.all_results()
    monkeypatch.setattr(reports, "queue_pdf", lambda report_id: None)  # sign without rendering
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "")
    folder = report_pdf.reports_dir() / str(world.appointment.id)

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(stored_files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        report_pdf.render_report_pdf(report.id)
    failed = Report.get_by_id(report.id)
    assert failed.pdf_state == "failed" and "disk full" in failed.pdf_error and failed.pdf_attempts == 1
    assert list(folder.iterdir()) == []  # the temp file was removed, and no 1.pdf appeared
    monkeypatch.undo()
    report_pdf.render_report_pdf(report.id)
    assert sorted(p.name for p in folder.iterdir()) == ["1.pdf"]
    assert Report.get_by_id(report.id).pdf_state == "ready"


def test_write_atomically_replaces_the_whole_file(tmp_path):
    target = tmp_path / "7" / "1.pdf"
    checksum = stored_files.write_atomically(target, b"first version")
    assert target.read_bytes() == b"first version" and checksum == hashlib.sha256(b"first version").hexdigest()
    stale = target.parent / ".1.pdf.abandoned.tmp"
    stale.write_bytes(b"half")
    old = datetime.datetime.now().timestamp() - 3600
    os.utime(stale, (old, old))
    stored_files.write_atomically(target, b"second")
    assert sorted(p.name for p in target.parent.iterdir()) == ["1.pdf"]  # a killed writer's leftover is swept


def test_the_ready_report_is_published_and_the_client_emailed_once(app, world, outbox):
    report = signed(world)
    assert report.status == "published"
    report_pdf.render_report_pdf(report.id)
    ready = [m for m in outbox() if m["Subject"] == "Your checkup report is ready"]
    assert len(ready) == 1 and ready[0]["To"] == world.client_user.email
    assert "/me/reports" in ready[0].get_content() and "25.1" not in ready[0].get_content()


@pytest.mark.both_dbs
def test_the_sweeper_requeues_only_reports_stuck_longer_than_the_timeout(app, world, monkeypatch):
    world.all_results()
    monkeypatch.setattr(reports, "queue_pdf", lambda report_id: None)
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "")
    monkeypatch.undo()
    Report.update(pdf_state="rendering").where(Report.id == report.id).execute()  # its worker died
    assert report_pdf.requeue_stuck_reports(older_than_minutes=10) == []  # too recent to call stuck
    Report.update(pdf_updated_at=utcnow() - datetime.timedelta(minutes=11)).where(Report.id == report.id).execute()
    assert report_pdf.requeue_stuck_reports(older_than_minutes=10) == [report.id]
    swept = Report.get_by_id(report.id)
    assert (swept.pdf_state, swept.status) == ("ready", "published")  # inline without Redis
    assert report_pdf.requeue_stuck_reports(older_than_minutes=0) == []


def test_the_requeue_reports_command(app, world, monkeypatch):
    world.all_results()
    monkeypatch.setattr(reports, "queue_pdf", lambda report_id: None)
    report = reports.sign(world.actor(), world.appointment.id, "Summary", "")
    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["requeue-reports", "--older-than", "0"])
    assert result.exit_code == 0 and "reports re-queued: 1" in result.output
    assert Report.get_by_id(report.id).pdf_state == "ready"
