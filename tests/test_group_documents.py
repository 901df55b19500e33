"""Group documents end to end: HR and staff request them, a job renders them, downloads are scoped and audited."""
import datetime
import io
import json
import re
import subprocess
import sys

import openpyxl
import pypdf
import pytest

from checkup.core import tasks
from checkup.models import AuditEvent, Enrollment, GroupDocument
from checkup.models.base import utcnow
from checkup.services import group_documents
from checkup.services.audit import Actor
from checkup.services.report_pdf import sha256_of
from tests import factories
from tests.group_documents_helpers import GroupWorld
from tests.task_helpers import redis_app  # noqa: F401  (the fixture)
from tests.test_reports_worker import ROOT, worker_env

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


def download(http, world, document, area="hr"):
    return http.get(f"{documents_url(world, area)}/{document.id}/download")


def pdf_text(data):
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def small_numbers(text, k):
    """Standalone whole numbers 1..k-1 in the text (page numbers and dates aside)."""
    text = re.sub(r"Page \d+ of \d+|\d{4}-\d{2}-\d{2}", "", text)
    return [int(n) for n in re.findall(r"(?<![\w.\-–])(\d+)(?![\w.%\-–])", text) if 0 < int(n) < k]


def downloads():
    return list(AuditEvent.select().where(AuditEvent.action == "group.document_downloaded"))


def test_hr_gets_a_summary_pdf_with_suppressed_cells_and_no_small_number(world, hr, hr_client):
    page = hr_client.get(documents_url(world))
    assert page.status_code == 200 and "Prepare as PDF" in page.get_data(as_text=True)
    document = request_document(hr_client, world, "summary", "pdf")
    assert (document.state, document.requested_by_id) == ("ready", hr.id)  # no Redis here: the job ran inline

    response = download(hr_client, world, document)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data)
    assert "Group health summary" in text and "Page 1 of" in text
    assert "* not shown: fewer than 10 people" in text
    assert re.search(r"<30\s+\*\s+\*\s+\*", text)  # the band of three, in the participation table
    assert small_numbers(text, 10) == []
    assert "Employee 01" not in text and "E001" not in text  # aggregates only, nobody named
    [event] = downloads()
    assert (event.user_id, event.object_id) == (hr.id, str(document.id))
    assert json.loads(event.detail) == {"contract": world.contract.id, "kind": "summary", "fmt": "pdf"}


def test_the_summary_xlsx_hides_the_same_cells_and_neutralises_formulas(world, hr_client):
    Enrollment.update(department=FORMULA).where(Enrollment.department == "Lab").execute()
    document = request_document(hr_client, world, "summary", "xlsx")
    response = download(hr_client, world, document)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "Participation" and "Recommendations" in book.sheetnames
    values = [v for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for v in row]
    counts = [v for v in values if isinstance(v, int)]
    assert counts and all(v == 0 or v >= 10 for v in counts)
    assert "*" in values
    assert "'" + FORMULA in values and FORMULA not in values
    participation = list(book["Participation"].iter_rows(values_only=True))
    assert ("By age band", "<30", "*", "*", "*") in participation


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
    assert lines[0] == ("Employee number", "Full name", "Company department", "Category", "Date", "Status", "Company amount")
    assert ("'=1+1", "Employee 01", "Lab", "Staff", world.day.isoformat(), "Completed", 270) in lines
    assert lines[-1][0] == "Total" and lines[-1][-1] == 10775
    assert len(downloads()) == 2


@pytest.mark.both_dbs
def test_a_real_rq_worker_renders_the_document(redis_app, world, hr):
    document = group_documents.request(Actor(hr), world.contract.id, "summary", "pdf", world.organization.id)
    assert document.state == "pending" and tasks.queue().count == 1
    env = dict(worker_env(redis_app), CHECKUP_GROUP_DOCS_DIR=redis_app.config["GROUP_DOCS_DIR"])
    finished = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], env=env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-3000:]
    ready = GroupDocument.get_by_id(document.id)
    assert (ready.state, ready.error) == ("ready", "")
    path = group_documents.file_for(ready)
    assert sha256_of(path) == ready.checksum and ready.path.startswith(f"{world.contract.id}/{document.id}-")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    assert "* not shown" in pdf_text(path.read_bytes())
    # a late duplicate of the job changes nothing
    assert group_documents.generate(document.id) == str(path)
    assert GroupDocument.get_by_id(document.id).checksum == ready.checksum


def test_hr_of_another_organization_gets_a_404_like_a_missing_contract(app, world, hr_client):
    other = factories.make_user("hr", organization=factories.make_organization("Other Co"))
    theirs = group_documents.request(Actor(other), world.contract.id, "summary", "pdf")
    http = app.test_client()
    factories.sign_in_directly(http, other)
    base, missing = documents_url(world), "/hr/contracts/987654/documents"

    for suffix in ("", f"/{theirs.id}", f"/{theirs.id}/download"):
        mine, gone = http.get(base + suffix), http.get(missing + suffix)
        assert mine.status_code == gone.status_code == 404
        assert factories.page_shape(mine, base + suffix) == factories.page_shape(gone, missing + suffix)
    assert http.get(f"/hr/contracts/{world.contract.id}/summary").status_code == 404
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


def test_center_staff_request_and_download_for_any_company(app, world, make_user):
    for role in ("scheduler", "admin"):
        http = app.test_client()
        factories.sign_in_directly(http, make_user(role))
        document = request_document(http, world, "billing", "xlsx", area="desk")
        assert download(http, world, document, area="desk").status_code == 200
        assert http.get(f"/desk/contracts/{world.contract.id}/summary").status_code == 200
    assert len(downloads()) == 2


def test_the_status_fragment_polls_while_the_document_is_being_made(world, hr_client):
    pending = GroupDocument.create(contract=world.contract, kind="summary", fmt="pdf", state="pending",
                                   updated_at=utcnow())
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
    assert "at least one checkup of the contract is completed" in page and "once the contract is active" in page
    response = hr_client.post(url, data={"kind": "billing", "fmt": "pdf"})
    assert response.status_code == 409 and "once the contract is active" in response.get_data(as_text=True)
    response = hr_client.post(documents_url(world), data={"kind": "everything", "fmt": "docx"})
    assert response.status_code == 422
    swap = hr_client.post(url, data={"kind": "summary", "fmt": "pdf"}, headers={"HX-Request": "true"})
    assert swap.status_code == 200 and 'role="alert"' in swap.get_data(as_text=True)
    assert GroupDocument.select().count() == 0


def test_a_failed_render_is_recorded_and_can_be_tried_again(app, world, hr, hr_client, monkeypatch):
    def broken(document):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(group_documents, "render_bytes", broken)
    document = request_document(hr_client, world, "summary", "pdf")
    assert (document.state, document.error) == ("failed", "RuntimeError: renderer exploded")
    assert download(hr_client, world, document).status_code == 404
    monkeypatch.undo()
    response = hr_client.post(f"{documents_url(world)}/{document.id}/retry")
    assert response.status_code == 303
    assert GroupDocument.get_by_id(document.id).state == "ready"


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


def test_a_second_request_while_one_is_pending_reuses_it(world, hr, app):
    app.config["JOBS_INLINE"] = False
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # unreachable: queueing fails, the row stays pending
    first = group_documents.request(Actor(hr), world.contract.id, "summary", "xlsx")
    again = group_documents.request(Actor(hr), world.contract.id, "summary", "xlsx")
    assert first.id == again.id and first.state == "pending"
    app.config["REDIS_URL"] = None
    GroupDocument.update(updated_at=None).where(GroupDocument.id == first.id).execute()
    assert group_documents.requeue_stuck_documents() == [first.id]
    assert GroupDocument.get_by_id(first.id).state == "ready"


def test_closing_a_contract_requests_the_summary_in_both_formats(world, app):
    made = group_documents.generate_for_closed_contract(world.contract.id)
    assert sorted((d.kind, d.fmt, d.state) for d in made) == [("summary", "pdf", "ready"), ("summary", "xlsx", "ready")]
    assert group_documents.generate_for_closed_contract(factories.make_contract(status="closed").id) == []


def test_the_preview_shows_the_tables_with_suppressed_cells(world, hr_client):
    response = hr_client.get(f"/hr/contracts/{world.contract.id}/summary")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "not shown" in html and "LDL-C (high)" in html
    assert "Employee 01" not in html
    assert re.search(r'<th scope="row">&lt;30</th>\s*<td class="num"><span aria-hidden="true">\*</span>', html)
    assert AuditEvent.select().where(AuditEvent.action == "group.summary_viewed").count() == 1


def test_the_documents_page_runs_a_fixed_number_of_queries(world, hr, hr_client, count_queries):
    group_documents.request(Actor(hr), world.contract.id, "billing", "pdf")
    with count_queries() as few:
        hr_client.get(documents_url(world))
    for fmt in ("xlsx", "pdf", "xlsx"):
        group_documents.request(Actor(hr), world.contract.id, "summary" if fmt == "pdf" else "billing", fmt)
    with count_queries() as many:
        hr_client.get(documents_url(world))
    assert many.count == few.count



def test_chinese_text_renders_in_the_requesters_language(world, hr, hr_client):
    from checkup.models import Client

    hr.locale = "zh"
    hr.save()
    Client.update(name="王芳").where(Client.id == world.enrollments[0].client_id).execute()
    summary = pdf_text(download(hr_client, world, request_document(hr_client, world, "summary", "pdf")).data)
    assert "低密度脂蛋白胆固醇" in summary  # the item's Chinese name, in the embedded CJK font
    statement = pdf_text(download(hr_client, world, request_document(hr_client, world, "billing", "pdf")).data)
    assert "王芳" in statement
