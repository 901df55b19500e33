"""Group documents end to end: the center releases the summary, HR and staff request billing statements,
a job renders them, downloads are scoped and audited."""

import datetime
import io
import json
import re
import subprocess
import sys

import openpyxl
import pypdf
import pytest

from checkup.core.audit import Actor
from checkup.core.stored_files import sha256_of
from checkup.models import AuditEvent, Enrollment, GroupContract, GroupDocument, SummaryRelease
from checkup.models.base import utcnow
from checkup.services.groups import group_documents, summary_releases
from tests import factories
from tests.exam.test_reports_worker import ROOT, worker_env
from tests.group_documents_helpers import GroupWorld
from tests.task_helpers import redis_app  # noqa: F401  (the fixture)

FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def world(app):
    return GroupWorld()


@pytest.fixture
def hr(world):
    return factories.make_user("hr", email="hr@acme.example", organization=world.organization)


@pytest.fixture
def hr_client(app, hr):
    http = app.test_client()
    factories.sign_in_directly(http, hr)
    return http


def documents_url(world, area="hr"):
    return f"/{area}/contracts/{world.contract.id}/documents"


def request_document(http, world, kind, fmt, area="hr"):
    response = http.post(documents_url(world, area), data={"kind": kind, "fmt": fmt})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return GroupDocument.select().order_by(GroupDocument.id.desc()).first()


def released_document(release, fmt, locale="en"):
    return GroupDocument.get(
        GroupDocument.release == release.id, GroupDocument.fmt == fmt, GroupDocument.locale == locale
    )


def download(http, world, document, area="hr"):
    return http.get(f"{documents_url(world, area)}/{document.id}/download")


def pdf_text(data):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def small_numbers(text, k):
    """Standalone whole numbers 1..k-1 in the text (page numbers, dates and the release number aside)."""
    text = re.sub(r"Page \d+ of \d+|\d{4}-\d{2}-\d{2}|release \d+", "", text)
    return [int(n) for n in re.findall(r"(?<![\w.\-–])(\d+)(?![\w.%\-–])", text) if 0 < int(n) < k]


def downloads():
    return list(AuditEvent.select().where(AuditEvent.action == "group.document_downloaded"))


def test_hr_downloads_the_released_summary_pdf_with_suppressed_cells_and_no_small_number(world, hr, hr_client):
    page = hr_client.get(documents_url(world)).get_data(as_text=True)
    assert "No summary has been released yet." in page
    release = summary_releases.release_final(world.contract.id)  # what closing the contract owes
    page = hr_client.get(documents_url(world)).get_data(as_text=True)
    assert "Release 1 (final)" in page
    assert page.count('name="kind"') == 1 and 'value="summary"' not in page  # HR can ask for billing only
    document = released_document(release, "pdf")
    assert (document.state, document.requested_by_id) == ("ready", None)  # no Redis here: the job ran inline

    response = download(hr_client, world, document)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert f"group-summary-{world.contract.id}-release-1-en.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    assert "Group health summary" in text and "Page 1 of" in text and "release 1 (final)" in text
    assert "* not shown: fewer than 10 people" in text
    assert re.search(r"<30\s+\*\s+\*\s+\*", text)  # the band of three, in the participation table
    assert re.search(r"Lab\s+3\s+3\s+100\.0%", text)  # ... while its department is shown as on HR's dashboard
    assert small_numbers(text.split("By age band")[1], 10) == []  # beyond department and category tables
    assert "Employee 01" not in text and "E001" not in text  # aggregates only, nobody named
    [event] = downloads()
    assert (event.user_id, event.object_id) == (hr.id, str(document.id))
    assert json.loads(event.detail) == {
        "contract": world.contract.id,
        "kind": "summary",
        "fmt": "pdf",
        "release": 1,
        "locale": "en",
    }


def test_the_summary_xlsx_hides_the_same_cells_and_neutralises_formulas(world, hr_client):
    Enrollment.update(department=FORMULA).where(Enrollment.department == "Lab").execute()
    release = summary_releases.release_final(world.contract.id)
    response = download(hr_client, world, released_document(release, "xlsx"))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "Participation" and "Recommendations" in book.sheetnames
    assert "*" in [v for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row]
    findings = [v for sheet in book.worksheets[1:] for row in sheet.iter_rows(values_only=True) for v in row]
    assert all(v == 0 or v >= 10 for v in findings if isinstance(v, int))
    participation = list(book["Participation"].iter_rows(values_only=True))
    assert ("By age band", "<30", "*", "*", "*") in participation
    assert ("By department", "'" + FORMULA, 3, 3, 100.0) in participation  # neutralised, never run
    assert not any(FORMULA == v for row in participation for v in row)


def test_the_billing_statement_as_pdf_and_xlsx(world, hr_client):
    Enrollment.update(employee_no="=1+1").where(Enrollment.employee_no == "E001").execute()
    Enrollment.update(department="R&D <b>Lab</b>").where(Enrollment.employee_no == "E002").execute()
    pdf = download(hr_client, world, request_document(hr_client, world, "billing", "pdf")).data
    text = pdf_text(pdf)
    assert "R&D <b>Lab</b>" in text  # user text is escaped, never read as Paragraph markup
    assert "Billing statement" in text and "Amount due from the company: 10,775.00" in text
    assert "Employee 01" in text  # billing names the employees (not health data) ...
    assert "LDL" not in text  # ... and never a finding

    xlsx = download(hr_client, world, request_document(hr_client, world, "billing", "xlsx")).data
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    lines = list(book["Employees"].iter_rows(values_only=True))
    assert lines[0] == (
        "Employee number",
        "Full name",
        "Company department",
        "Category",
        "Date",
        "Status",
        "Company amount",
    )
    assert ("'=1+1", "Employee 01", "Lab", "Staff", world.day.isoformat(), "Completed", 270) in lines
    assert lines[-1][0] == "Total" and lines[-1][-1] == 10775
    assert len(downloads()) == 2


@pytest.mark.both_dbs
def test_a_real_rq_worker_renders_the_released_documents(redis_app, world):
    release = summary_releases.release_final(world.contract.id)
    made = list(GroupDocument.select().where(GroupDocument.release == release.id))
    assert len(made) == 4 and {d.state for d in made} == {"pending"}  # owed, woken through Redis
    env = dict(worker_env(redis_app), CHECKUP_GROUP_DOCS_DIR=redis_app.config["GROUP_DOCS_DIR"])
    finished = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    ready = [GroupDocument.get_by_id(d.id) for d in made]
    assert [(d.state, d.error) for d in ready] == [("ready", "")] * 4
    paths = [group_documents.file_for(d) for d in ready]
    assert all(
        sha256_of(p) == d.checksum and d.path.startswith(f"{world.contract.id}/{d.id}-") for p, d in zip(paths, ready)
    )
    assert sorted(p.name for p in paths[0].parent.iterdir()) == sorted(p.name for p in paths)  # no temp file left
    pdf = released_document(release, "pdf")
    assert "* not shown" in pdf_text(group_documents.file_for(pdf).read_bytes())
    # a late duplicate of the job changes nothing
    assert group_documents.generate(pdf.id) == str(group_documents.file_for(pdf))
    assert GroupDocument.get_by_id(pdf.id).checksum == pdf.checksum


def test_hr_of_another_organization_gets_a_404_like_a_missing_contract(app, world, hr_client):
    other = factories.make_user("hr", organization=factories.make_organization("Other Co"))
    release = summary_releases.release_final(world.contract.id)
    theirs = released_document(release, "pdf")
    http = app.test_client()
    factories.sign_in_directly(http, other)
    base, missing = documents_url(world), "/hr/contracts/987654/documents"

    for suffix in ("", f"/{theirs.id}", f"/{theirs.id}/download"):
        mine, gone = http.get(base + suffix), http.get(missing + suffix)
        assert mine.status_code == gone.status_code == 404
        assert factories.page_shape(mine, base + suffix) == factories.page_shape(gone, missing + suffix)
    for suffix in ("", "/1"):
        assert http.get(f"/hr/contracts/{world.contract.id}/summary{suffix}").status_code == 404
    before = GroupDocument.select().count()
    assert http.post(base, data={"kind": "billing", "fmt": "pdf"}).status_code == 404
    assert http.post(f"{base}/{theirs.id}/retry").status_code == 404
    assert GroupDocument.select().count() == before and downloads() == []
    # an HR account of no organization sees nothing either
    orphan = factories.make_user("hr")
    orphan.organization = None
    orphan.save()
    factories.sign_in_directly(http, orphan)
    assert http.get(base).status_code == 404


def test_center_staff_request_billing_and_download_for_any_company(app, world, make_user):
    summary_releases.release_final(world.contract.id)
    for role in ("scheduler", "admin"):
        http = app.test_client()
        factories.sign_in_directly(http, make_user(role))
        document = request_document(http, world, "billing", "xlsx", area="desk")
        assert download(http, world, document, area="desk").status_code == 200
        assert "Release 1 (final)" in http.get(f"/desk/contracts/{world.contract.id}/summary").get_data(as_text=True)
    assert len(downloads()) == 2


def test_the_status_fragment_polls_while_the_document_is_being_made(world, hr_client):
    pending = GroupDocument.create(
        contract=world.contract, kind="billing", fmt="pdf", state="pending", updated_at=utcnow()
    )
    url = f"{documents_url(world)}/{pending.id}"
    fragment = hr_client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in fragment and "<html" not in fragment and "Queued" in fragment
    GroupDocument.update(state="rendering").where(GroupDocument.id == pending.id).execute()
    assert "Being prepared" in hr_client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert group_documents.generate(pending.id) is None  # another worker holds a fresh claim
    # that worker died an hour ago: its claim is stale and the job takes the document over
    an_hour_ago = utcnow() - datetime.timedelta(hours=1)
    GroupDocument.update(updated_at=an_hour_ago).where(GroupDocument.id == pending.id).execute()
    group_documents.generate(pending.id)
    ready = hr_client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 2s" not in ready and f"/{pending.id}/download" in ready
    page = hr_client.get(url)
    assert page.status_code == 200 and "<h1>" in page.get_data(as_text=True)
    listing = hr_client.get(documents_url(world)).get_data(as_text=True)
    assert f"document-status-{pending.id}" in listing


def test_refused_requests_explain_why_and_write_nothing(app, hr_client, world):
    draft = factories.make_contract(world.organization, status="draft")
    url = f"/hr/contracts/{draft.id}/documents"
    page = hr_client.get(url).get_data(as_text=True)
    assert "once the contract is active" in page and "No summary has been released yet." in page
    response = hr_client.post(url, data={"kind": "billing", "fmt": "pdf"})
    assert response.status_code == 409 and "once the contract is active" in response.get_data(as_text=True)
    # a summary is never made on request, by HR or by staff: the center releases it
    response = hr_client.post(documents_url(world), data={"kind": "summary", "fmt": "pdf"})
    assert response.status_code == 409 and "the center releases it" in response.get_data(as_text=True)
    response = hr_client.post(documents_url(world), data={"kind": "everything", "fmt": "docx"})
    assert response.status_code == 422
    swap = hr_client.post(url, data={"kind": "summary", "fmt": "pdf"}, headers={"HX-Request": "true"})
    assert swap.status_code == 200 and 'role="alert"' in swap.get_data(as_text=True)
    assert GroupDocument.select().count() == 0 and SummaryRelease.select().count() == 0


def test_a_failed_render_is_recorded_and_can_be_tried_again(app, world, hr, hr_client, monkeypatch):
    def broken(document):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(group_documents, "render_bytes", broken)
    release = summary_releases.release_final(world.contract.id)
    document = released_document(release, "pdf")
    assert (document.state, document.error) == ("failed", "RuntimeError: renderer exploded")
    assert download(hr_client, world, document).status_code == 404
    monkeypatch.undo()
    response = hr_client.post(f"{documents_url(world)}/{document.id}/retry")
    assert response.status_code == 303
    assert GroupDocument.get_by_id(document.id).state == "ready"
    assert SummaryRelease.select().count() == 1  # made again from the same release, not a new one


def test_generate_is_idempotent_and_heals_a_missing_file(world, hr):
    document = group_documents.request(Actor(hr), world.contract.id, "billing", "pdf")
    first = GroupDocument.get_by_id(document.id)
    assert group_documents.generate(document.id) == str(group_documents.file_for(first))
    assert GroupDocument.get_by_id(document.id).updated_at == first.updated_at  # left alone
    group_documents.file_for(first).unlink()
    group_documents.generate(document.id)
    healed = GroupDocument.get_by_id(document.id)
    assert healed.state == "ready" and sha256_of(group_documents.file_for(healed)) == healed.checksum
    assert group_documents.generate(987654) is None


def test_a_summary_document_is_made_again_from_its_frozen_figures(world):
    """A lost file comes back with the figures of its release, whatever happened since."""
    release = summary_releases.release_final(world.contract.id)
    document = released_document(release, "pdf")
    before = pdf_text(group_documents.file_for(document).read_bytes())
    _enrollment, appointment = world.employee("30–39", "male")
    world.report(appointment, [(world.ldl, "H")])
    world.ldl.name_en = "Renamed since"
    world.ldl.save()
    group_documents.file_for(document).unlink()
    group_documents.generate(document.id)
    assert pdf_text(group_documents.file_for(GroupDocument.get_by_id(document.id)).read_bytes()) == before


def test_a_second_request_while_one_is_pending_reuses_it(world, hr, app):
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # unreachable: queueing fails, the row stays pending
    first = group_documents.request(Actor(hr), world.contract.id, "billing", "xlsx")
    again = group_documents.request(Actor(hr), world.contract.id, "billing", "xlsx")
    assert first.id == again.id and first.state == "pending"
    app.config["REDIS_URL"] = None
    GroupDocument.update(updated_at=None).where(GroupDocument.id == first.id).execute()
    assert group_documents.requeue_stuck_documents() == [first.id]
    assert GroupDocument.get_by_id(first.id).state == "ready"


def test_closing_a_contract_releases_the_final_summary_once_in_both_formats_and_languages(world, app):
    made = summary_releases.release_for_closed_contract(world.contract.id)
    assert sorted((d.kind, d.fmt, d.locale, d.state) for d in made) == [
        ("summary", "pdf", "en", "ready"),
        ("summary", "pdf", "zh", "ready"),
        ("summary", "xlsx", "en", "ready"),
        ("summary", "xlsx", "zh", "ready"),
    ]
    [release] = SummaryRelease.select()
    assert (release.number, release.reason, release.counted, release.completed) == (1, "final", 36, 36)
    # the task run again (a retry, a late duplicate) makes nothing more
    assert [d.id for d in summary_releases.release_for_closed_contract(world.contract.id)] == [d.id for d in made]
    assert SummaryRelease.select().count() == 1
    assert summary_releases.release_for_closed_contract(factories.make_contract(status="closed").id) == []


def test_the_on_screen_summary_is_the_latest_release(world, hr_client):
    url = f"/hr/contracts/{world.contract.id}/summary"
    empty = hr_client.get(url)
    assert empty.status_code == 200 and "No summary has been released yet." in empty.get_data(as_text=True)
    summary_releases.release_final(world.contract.id)
    response = hr_client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "not shown" in html and "LDL-C (high)" in html
    assert "Release 1 (final)" in html and "Employee 01" not in html
    assert re.search(r'<th scope="row">&lt;30</th>\s*<td class="num"><span aria-hidden="true">\*</span>', html)
    assert hr_client.get(f"{url}/1").get_data(as_text=True).count("LDL-C (high)") == html.count("LDL-C (high)")
    assert hr_client.get(f"{url}/2").status_code == 404
    assert AuditEvent.select().where(AuditEvent.action == "group.summary_viewed").count() == 2


def test_the_documents_page_runs_a_fixed_number_of_queries(world, hr, hr_client, count_queries):
    group_documents.request(Actor(hr), world.contract.id, "billing", "pdf")
    summary_releases.release_final(world.contract.id)
    with count_queries() as few:
        hr_client.get(documents_url(world))
    for fmt in ("xlsx", "pdf", "xlsx"):
        group_documents.request(Actor(hr), world.contract.id, "billing", fmt)
    # a second release (the rule that it waits for k more people is not this test's business)
    GroupContract.update(status="active").where(GroupContract.id == world.contract.id).execute()
    SummaryRelease.update(reason="interim").execute()
    summary_releases.release_final(world.contract.id)
    assert SummaryRelease.select().count() == 2
    with count_queries() as many:
        hr_client.get(documents_url(world))
    assert many.count == few.count


def test_the_release_comes_in_chinese_and_billing_in_the_requesters_language(world, hr, hr_client):
    from checkup.models import Client

    hr.locale = "zh"
    hr.save()
    Client.update(name="王芳").where(Client.id == world.enrollments[0].client_id).execute()
    release = summary_releases.release_final(world.contract.id)
    summary = pdf_text(download(hr_client, world, released_document(release, "pdf", "zh")).data)
    assert "低密度脂蛋白胆固醇" in summary  # the item's Chinese name, in the embedded CJK font
    assert "LDL-C" in pdf_text(download(hr_client, world, released_document(release, "pdf", "en")).data)
    statement = pdf_text(download(hr_client, world, request_document(hr_client, world, "billing", "pdf")).data)
    assert "王芳" in statement
