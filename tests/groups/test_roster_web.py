"""HR's roster pages: upload, preview with paged problems, polling status, commit or discard, templates, 404s."""

import io
import re

import pytest

from checkup.models import AuditEvent, Client, Enrollment, GroupContract, RosterImport
from checkup.services.groups.roster import roster
from tests import factories
from tests.roster_helpers import RosterWorld, csv_bytes, employee, xlsx_bytes

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    return RosterWorld()


@pytest.fixture
def http(client, world):
    factories.sign_in_directly(client, world.hr)
    return client


def base(world):
    return f"/hr/contracts/{world.contract.id}/roster"


def post_file(http, world, content, filename="roster.csv"):
    return http.post(base(world), data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def text(response):
    return response.get_data(as_text=True)


def test_the_roster_page_offers_the_upload_and_the_templates(http, world):
    page = text(http.get(base(world)))
    assert '<label for="file">' in page and 'type="file"' in page and 'accept=".csv,.xlsx' in page
    assert f"{base(world)}/template.xlsx" in page and f"{base(world)}/template.csv" in page
    assert "No file uploaded for this contract yet." in page and "At most 20,000 rows and 10 MB." in page


def test_upload_preview_and_import_the_valid_rows(http, world):
    response = post_file(http, world, csv_bytes([employee(1), employee(2, sex="x"), employee(3)]))
    assert response.status_code == 303
    roster_import = RosterImport.get()
    assert response.headers["Location"].endswith(f"{base(world)}/imports/{roster_import.id}")

    page = text(http.get(response.headers["Location"]))
    assert "Import the 2 correct rows" in page and "Fix the file first" in page
    assert re.search(r'<td class="num">3</td><td>Sex</td><td>Write the sex as male or female', page)
    assert 'hx-trigger="every 1s"' not in page  # checked already: nothing to poll

    done = http.post(f"{base(world)}/imports/{roster_import.id}/commit")
    assert done.status_code == 303
    page = text(http.get(done.headers["Location"]))
    assert "Imported 2 employees." in page and "known to the center" not in page
    assert Enrollment.select().count() == 2
    again = http.post(f"{base(world)}/imports/{roster_import.id}/commit")
    assert again.status_code == 409 and "no longer waiting for a decision" in text(again)
    assert Enrollment.select().count() == 2
    listing = text(http.get(base(world)))
    assert "roster.csv" in listing and "Imported" in listing


def test_discarding_keeps_nothing(http, world):
    post_file(http, world, xlsx_bytes([employee(1), employee(2, **{"birth date": "soon"})]), "roster.xlsx")
    roster_import = RosterImport.get()
    response = http.post(f"{base(world)}/imports/{roster_import.id}/discard")
    assert response.status_code == 303 and response.headers["Location"].endswith(base(world))
    assert "nothing was imported" in text(http.get(base(world)))
    stored = RosterImport.get_by_id(roster_import.id)
    assert (stored.state, stored.rows_json) == ("discarded", "")
    assert Client.select().count() == 0


@pytest.mark.parametrize(
    "content, filename, says",
    [
        (b"employee number,name\r\nE1,x\r\n", "roster.xlsx", "is named .xlsx but is not an Excel workbook"),
        (None, "roster.csv", "packed file"),
        ("姓名,手机\r\n王芳,1\r\n".encode(), "roster.csv", "missing: employee number"),
    ],
)
def test_a_refused_file_is_explained_next_to_the_field_and_nothing_is_stored(http, world, content, filename, says):
    content = xlsx_bytes([employee(1)]) if content is None else content
    response = post_file(http, world, content, filename)
    assert response.status_code == 422
    assert re.search(r'<small id="file-error" class="field-error">[^<]*' + re.escape(says), text(response))
    assert RosterImport.select().count() == 0 and Client.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action.startswith("roster.")).count() == 0


def test_a_file_over_the_limit_is_refused_inline(app, http, world):
    app.config["UPLOAD_MAX_BYTES"] = 2048
    content = csv_bytes([employee(n) for n in range(1, 40)])
    assert 2048 < len(content) < app.config["MAX_CONTENT_LENGTH"]
    response = post_file(http, world, content)
    assert response.status_code == 422 and "The file is larger than 2 KB." in text(response)
    assert RosterImport.select().count() == 0


def test_posting_without_a_file_asks_for_one(http, world):
    response = http.post(base(world), data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose a file to upload." in text(response)


def test_a_closed_contract_shows_no_upload_and_refuses_one(http, world):
    GroupContract.update(status="closed").where(GroupContract.id == world.contract.id).execute()
    page = text(http.get(base(world)))
    assert "no longer takes roster imports" in page and 'type="file"' not in page
    response = post_file(http, world, csv_bytes([employee(1)]))
    assert response.status_code == 409 and RosterImport.select().count() == 0


def test_problems_are_paged(http, world):
    post_file(http, world, csv_bytes([employee(n, sex="?") for n in range(1, 61)]))
    url = f"{base(world)}/imports/{RosterImport.get().id}"
    first = text(http.get(url))
    assert first.count("Write the sex as male or female") == 50 and "Page 1 of 2" in first
    second = http.get(url + "?page=2", headers={"HX-Request": "true"})
    assert text(second).count("Write the sex as male or female") == 10 and "<h1>" not in text(second)
    assert '<td class="num">61</td>' in text(second)
    assert http.get(url + "?page=abc").status_code == 200 and http.get(url + "?page=-4").status_code == 200


def test_the_status_block_polls_every_second_until_the_job_is_done(http, world):
    post_file(http, world, csv_bytes([employee(1), employee(2)]))
    roster_import = RosterImport.get()
    RosterImport.update(state="validating", processed_rows=1).where(RosterImport.id == roster_import.id).execute()
    status_url = f"{base(world)}/imports/{roster_import.id}/status"
    running = text(http.get(status_url, headers={"HX-Request": "true"}))
    assert f'hx-get="{status_url}" hx-trigger="every 1s" hx-swap="outerHTML"' in running
    assert '<progress id="roster-progress" max="100" value="50">' in running and "<h1>" not in running
    assert "Checking row 1 of 2" in running and "Import the" not in running
    RosterImport.update(state="importing", processed_rows=0).where(RosterImport.id == roster_import.id).execute()
    importing = text(http.get(status_url, headers={"HX-Request": "true"}))
    assert 'hx-trigger="every 1s"' in importing and "Importing 2 employees" in importing
    assert '<progress id="roster-progress" max="100"></progress>' in importing  # one transaction: no row count
    RosterImport.update(state="ready", processed_rows=2).where(RosterImport.id == roster_import.id).execute()
    finished = text(http.get(status_url, headers={"HX-Request": "true"}))
    assert "hx-trigger" not in finished and "Import the 2 correct rows" in finished
    assert "<h1>" in text(http.get(status_url))  # without htmx: the whole page


def test_another_organizations_contract_and_import_are_404_like_missing_ones(app, http, world):
    other = RosterWorld()
    theirs = roster.upload(other.actor(), other.organization.id, other.contract.id, "r.csv", csv_bytes([employee(1)]))

    pairs = [
        (f"/hr/contracts/{other.contract.id}/roster", "/hr/contracts/987654/roster"),
        (f"/hr/contracts/{other.contract.id}/roster/template.csv", "/hr/contracts/987654/roster/template.csv"),
        (f"{base(world)}/imports/{theirs.id}", f"{base(world)}/imports/987654"),
        (f"{base(world)}/imports/{theirs.id}/status", f"{base(world)}/imports/987654/status"),
    ]
    for their_path, missing_path in pairs:
        their_answer, missing_answer = http.get(their_path), http.get(missing_path)
        assert their_answer.status_code == missing_answer.status_code == 404
        assert factories.page_shape(their_answer, their_path) == factories.page_shape(missing_answer, missing_path)
    for action in ("commit", "discard"):
        assert http.post(f"/hr/contracts/{other.contract.id}/roster/imports/{theirs.id}/{action}").status_code == 404
    assert (
        http.post(
            f"/hr/contracts/{other.contract.id}/roster",
            data={"file": (io.BytesIO(b"x"), "r.csv")},
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
    assert RosterImport.get_by_id(theirs.id).state == "ready" and RosterImport.select().count() == 1


def test_template_downloads(http, world):
    as_csv = http.get(f"{base(world)}/template.csv")
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    assert as_csv.headers["Content-Disposition"] == "attachment; filename=roster-template.csv"
    assert as_csv.data.decode("utf-8-sig").startswith("employee number,name,sex,birth date,national ID")
    assert "All staff" in as_csv.data.decode("utf-8-sig")
    as_xlsx = http.get(f"{base(world)}/template.xlsx")
    assert as_xlsx.data.startswith(b"PK\x03\x04") and "spreadsheetml" in as_xlsx.headers["Content-Type"]


def test_the_imports_list_costs_the_same_queries_for_one_or_many(http, world, count_queries):
    post_file(http, world, csv_bytes([employee(1)]))
    with count_queries() as one:
        assert http.get(base(world)).status_code == 200
    for n in range(2, 7):
        post_file(http, world, csv_bytes([employee(n)]))
    with count_queries() as many:
        page = text(http.get(base(world)))
    assert page.count("roster.csv") == 6
    assert many.count == one.count
