"""The group summary leaks by differencing (issue #11): released versions instead of live answers.

The attack: HR downloads the summary, one named employee turns "Completed" on the dashboard, HR asks
again and compares — a cell moving from 12 to 13 says that person has the finding. Now a summary is
computed only when the center releases it, HR can only fetch released versions (byte for byte the
same), a new interim release waits for k more people, and no figure of one release differs from
another's by what fewer than k people did.
"""

import io
import re

import pytest
from openpyxl import load_workbook

from checkup.core.audit import Actor
from checkup.core.errors import Conflict
from checkup.models import Appointment, AuditEvent, GroupDocument, SummaryRelease
from checkup.models.appointments import COMPLETED
from checkup.services.groups import group_summary, summary_releases
from tests import factories
from tests.group_documents_helpers import GroupWorld
from tests.groups.test_group_summary import assert_no_subtraction_reveals_a_hidden_cell

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    return GroupWorld(status="active")


@pytest.fixture
def staff(app, world):
    return factories.make_user("scheduler", email="desk@center.example")


@pytest.fixture
def staff_client(app, staff):
    http = app.test_client()
    factories.sign_in_directly(http, staff)
    return http


@pytest.fixture
def hr_client(app, world):
    http = app.test_client()
    hr = factories.make_user("hr", email="hr@acme.example", organization=world.organization)
    factories.sign_in_directly(http, hr)
    return http


def release_url(world):
    return f"/desk/contracts/{world.contract.id}/summary-releases"


def release(staff_client, world):
    """Staff press "Release an interim summary"; returns the page they land on."""
    response = staff_client.post(release_url(world))
    assert response.status_code == 303 and response.headers["Location"].endswith("#summary-releases")
    return staff_client.get(response.headers["Location"]).get_data(as_text=True)


def stored(number, world):
    return summary_releases.figures_of(
        SummaryRelease.get(SummaryRelease.contract == world.contract.id, SummaryRelease.number == number)
    )


class Newcomers:
    """Employees who complete their checkup after a release: (appointment, band, sex) each."""

    def __init__(self, world):
        self.world, self.people = world, []

    def complete(self, band, sex, findings=()):
        _enrollment, appointment = self.world.employee(band, sex)
        self.world.report(appointment, findings)
        self.people.append((appointment.id, band, sex))
        return appointment


def hr_answers(http, world):
    """Everything HR can get about the summary: the documents page, every released file, the on-screen view."""
    page = http.get(f"/hr/contracts/{world.contract.id}/documents").get_data(as_text=True)
    files = {}
    for document_id in sorted(set(re.findall(r"/documents/(\d+)/download", page))):
        response = http.get(f"/hr/contracts/{world.contract.id}/documents/{document_id}/download")
        assert response.status_code == 200
        files[document_id] = response.data
    screen = http.get(f"/hr/contracts/{world.contract.id}/summary").get_data(as_text=True)
    return main(page), files, main(screen)


def main(html):
    """The page's own content, its forms' per-request CSRF tokens aside."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html.split("<main", 1)[-1].split("</main>", 1)[0])


# --- the attack: asking again --------------------------------------------------------------------------


def test_hr_asking_again_after_an_employee_completes_gets_the_same_frozen_release(
    app, world, staff_client, hr_client, monkeypatch
):
    release(staff_client, world)
    page, files, screen = hr_answers(hr_client, world)
    assert len(files) == 4 and "Release 1 (interim)" in page and "LDL-C (high)" in screen

    # the employee HR watches on the dashboard completes, with a finding
    appointment = world.booked.appointment
    Appointment.update(status=COMPLETED).where(Appointment.id == appointment.id).execute()
    world.report(Appointment.get_by_id(appointment.id), [(world.ldl, "H")])

    def no_live_summary(*args, **kwargs):
        raise AssertionError("a summary was computed for HR")

    monkeypatch.setattr(group_summary, "figures", no_live_summary)
    again_page, again_files, again_screen = hr_answers(hr_client, world)
    assert again_files == files  # byte for byte the same release
    assert again_screen == screen and again_page == page
    # and HR cannot have a new one made: not by asking, not through the center's button
    refused = hr_client.post(f"/hr/contracts/{world.contract.id}/documents", data={"kind": "summary", "fmt": "pdf"})
    assert refused.status_code == 409 and "the center releases it" in refused.get_data(as_text=True)
    assert hr_client.post(release_url(world)).status_code == 403
    assert SummaryRelease.select().count() == 1
    assert GroupDocument.select().where(GroupDocument.kind == "summary").count() == 4
    assert AuditEvent.select().where(AuditEvent.action == "group.summary_released").count() == 1


def test_a_release_is_never_recomputed_whatever_changes_afterwards(app, world, staff_client):
    release(staff_client, world)
    before = SummaryRelease.get().figures_json
    newcomers = Newcomers(world)
    for n in range(12):
        newcomers.complete("30–39", "male", [(world.ldl, "H")])
    world.ldl.name_en = "Renamed"
    world.ldl.save()
    assert SummaryRelease.get().figures_json == before
    with app.test_request_context():
        _contract, _release, data = summary_releases.view(Actor(), world.contract.id)
    assert "LDL-C (high)" in [row["label"] for row in data["prevalence"][0]["rows"]]


# --- an interim release waits for k more people ----------------------------------------------------


def test_an_interim_release_is_refused_until_k_more_people_completed(app, world, staff, staff_client):
    page = release(staff_client, world)
    assert "Summary release 1 is published" in page
    assert "Release 1 is still current: a new one needs at least 10 more employees" in page
    assert "Release an interim summary</button>" not in page  # the page says why instead of offering it

    # asked anyway (a second tab, a double click): refused with the reason, nothing made
    page = release(staff_client, world)
    assert "a new one needs at least 10 more employees with a completed checkup and a signed report (0 so far)" in page
    newcomers = Newcomers(world)
    for n in range(9):
        newcomers.complete(
            "40–49" if n % 2 else "30–39", "female" if n % 3 else "male", [(world.ldl, "H")] if n < 4 else []
        )
    page = release(staff_client, world)
    assert "(9 so far)" in page and "Summary release 2" not in page
    with pytest.raises(Conflict):
        summary_releases.release_interim(Actor(staff), world.contract.id)
    assert SummaryRelease.select().count() == 1

    # a completed checkup whose report is not signed yet does not count
    _enrollment, unsigned = world.employee("30–39", "male")
    world.report(unsigned, [(world.ldl, "H")], status="draft")
    assert "(9 so far)" in release(staff_client, world)

    newcomers.complete("30–39", "male")
    page = release(staff_client, world)
    assert "Summary release 2 is published" in page
    assert [r.number for r in summary_releases.releases(world.contract.id)] == [2, 1]


def test_the_first_release_needs_k_people_and_only_an_active_contract_takes_interim_releases(
    app, world, staff, staff_client
):
    app.config["SUPPRESSION_K"] = 40  # more than the 36 who completed
    page = release(staff_client, world)
    assert "once at least 40 employees have completed their checkup with a signed report (36 so far)" in page
    assert SummaryRelease.select().count() == 0
    app.config["SUPPRESSION_K"] = 10
    world.contract.status = "draft"
    world.contract.save()
    with pytest.raises(Conflict, match="only while the contract is active"):
        summary_releases.release_interim(Actor(staff), world.contract.id)
    with pytest.raises(Exception, match="administrators and schedulers"):
        summary_releases.release_interim(Actor(factories.make_user("physician")), world.contract.id)


# --- differencing two releases -------------------------------------------------------------------------


def table_of(figures, key):
    return next(t for t in figures["prevalence"] if t["key"] == key)


def cell_at(figures, key, finding, group):
    table = table_of(figures, key)
    row = next(r for r in table["rows"] if tuple(r["finding"]) == finding)
    return row["cells"][[c["group"] for c in table["columns"]].index(group)]


def total_of(figures, key, finding):
    return next(r for r in table_of(figures, key)["rows"] if tuple(r["finding"]) == finding)["total"]


def shown(figure):
    return not figure.get("hidden")


def differences(before, after):
    """Every finding figure shown in both releases: (table, finding, group or None for its total, change)."""
    for key in ("band", "sex"):
        old, new = table_of(before, key), table_of(after, key)
        old_rows = {tuple(r["finding"]): r for r in old["rows"]}
        old_columns = [c["group"] for c in old["columns"]]
        for row in new["rows"]:
            was = old_rows.get(tuple(row["finding"]))
            if was is None:
                continue
            for j, column in enumerate(new["columns"]):
                a, b = was["cells"][old_columns.index(column["group"])], row["cells"][j]
                if shown(a) and shown(b):
                    yield key, tuple(row["finding"]), column["group"], b["n"] - a["n"]
            if shown(was["total"]) and shown(row["total"]):
                yield key, tuple(row["finding"]), None, row["total"]["n"] - was["total"]["n"]


def assert_passes_suppression(figures, k):
    """No finding figure about 1..k-1 people (or all but that many of a group), nothing derivable."""
    for table in figures["prevalence"]:
        for row in table["rows"]:
            for cell, column in zip(row["cells"], table["columns"]):
                if shown(cell):
                    assert cell["n"] == 0 or (cell["n"] >= k and column["size"]["n"] - cell["n"] >= k), (
                        table["key"],
                        row,
                    )
            assert not shown(row["total"]) or row["total"]["n"] >= k
    assert_no_subtraction_reveals_a_hidden_cell(group_summary.present(figures))


def assert_no_difference_isolates_fewer_than_k(before, after, newcomers, k):
    """Between two releases, a figure shown in both moved by what no fewer than k people did."""
    for key, finding, group, change in differences(before, after):
        index = 1 if key == "band" else 2
        people = sum(1 for person in newcomers if group is None or person[index] == group)
        assert (people == 0 and change == 0) or (
            people >= k and (change == 0 or (abs(change) >= k and people - abs(change) >= k))
        ), (key, finding, group, change, people)


def test_differencing_releases_cannot_isolate_fewer_than_k_people(app, world, staff_client):
    app.config["SUPPRESSION_K"] = 5
    k, ldl, glu = 5, (world.ldl.id, "high"), (world.glu.id, "high")
    release(staff_client, world)
    first = stored(1, world)
    assert_passes_suppression(first, k)
    assert cell_at(first, "band", ldl, "30–39") == {"n": 5, "pct": "41.7"}
    assert total_of(first, "band", ldl)["n"] == 20 and shown(total_of(first, "sex", ldl))
    assert [c["size"]["n"] for c in table_of(first, "sex")["columns"]] == [19, 17]

    # seven people aged 30–39 (four men, three women), one of them with high LDL and six with high
    # glucose, and one aged 40–49 with nothing: eight in all, enough for a release
    batch = Newcomers(world)
    for n in range(7):
        batch.complete(
            "30–39",
            "male" if n < 4 else "female",
            ([(world.ldl, "H")] if n == 0 else []) + ([(world.glu, "H")] if n < 6 else []),
        )
    batch.complete("40–49", "female")
    page = release(staff_client, world)
    assert "Summary release 2 is published" in page
    second = stored(2, world)
    assert_passes_suppression(second, k)
    assert_no_difference_isolates_fewer_than_k(first, second, batch.people, k)
    # what the plain subtraction would have told, one by one, is not there to subtract:
    assert not shown(cell_at(second, "band", ldl, "30–39"))  # 5 -> 6: the one newcomer with high LDL
    assert not shown(total_of(second, "band", ldl)) and not shown(total_of(second, "sex", ldl))  # 20 -> 21
    assert not shown(total_of(second, "band", glu))  # 10 -> 16: six of the seven
    sizes = {c["group"]: c["size"] for c in table_of(second, "band")["columns"]}
    assert not shown(sizes["40–49"]) and shown(sizes["30–39"])  # one newcomer: the whole group is withheld
    assert all(not shown(c["size"]) for c in table_of(second, "sex")["columns"])  # four men, three women
    assert not any("LDL-C (high):" in text for text in group_summary.present(second)["recommendations"])

    # five more, all aged 50–59 and all with high LDL: release 3 is checked against 2 and against 1
    more = Newcomers(world)
    for n in range(5):
        more.complete("50–59", "male", [(world.ldl, "H")])
    release(staff_client, world)
    third = stored(3, world)
    assert_passes_suppression(third, k)
    assert_no_difference_isolates_fewer_than_k(second, third, more.people, k)
    assert_no_difference_isolates_fewer_than_k(first, third, batch.people + more.people, k)
    assert not shown(cell_at(third, "band", ldl, "50–59")) or not shown(cell_at(second, "band", ldl, "50–59"))


def test_the_final_release_is_always_made_and_checked_against_the_interim_one(app, world, staff_client):
    app.config["SUPPRESSION_K"] = 5
    k, ldl = 5, (world.ldl.id, "high")
    release(staff_client, world)
    first = stored(1, world)
    late = Newcomers(world)
    late.complete("30–39", "male", [(world.ldl, "H")])
    late.complete("30–39", "female")
    assert "(2 so far)" in release(staff_client, world)  # too few for an interim release ...
    response = staff_client.post(f"/desk/contracts/{world.contract.id}/close", data={"understood": "y"})
    assert response.status_code == 303
    final = SummaryRelease.get(SummaryRelease.number == 2)  # ... the contract's close releases anyway
    assert final.reason == "final" and final.counted == 38
    second = summary_releases.figures_of(final)
    assert_passes_suppression(second, k)
    assert_no_difference_isolates_fewer_than_k(first, second, late.people, k)
    assert shown(cell_at(first, "band", ldl, "30–39")) and not shown(cell_at(second, "band", ldl, "30–39"))
    assert not shown(total_of(second, "band", ldl))
    # participation is what HR's dashboard shows anyway: exact in the final release
    department = {row["group"]: row["completed"]["n"] for row in second["participation"][0]["rows"]}
    assert department["Assembly"] == 23


def test_staff_see_the_releases_on_the_contract_page_and_hr_on_its_documents_page(app, world, staff_client, hr_client):
    page = staff_client.get(f"/desk/contracts/{world.contract.id}").get_data(as_text=True)
    assert "No summary has been released yet." in page and "Release an interim summary</button>" in page
    release(staff_client, world)
    page = staff_client.get(f"/desk/contracts/{world.contract.id}").get_data(as_text=True)
    assert f'href="/desk/contracts/{world.contract.id}/summary/1"' in page
    hr_page = hr_client.get(f"/hr/contracts/{world.contract.id}/documents").get_data(as_text=True)
    assert f'href="/hr/contracts/{world.contract.id}/summary/1"' in hr_page
    assert hr_page.count("/download") == 4  # PDF and XLSX, English and Chinese
    chinese = GroupDocument.get(GroupDocument.fmt == "xlsx", GroupDocument.locale == "zh")
    book = load_workbook(
        io.BytesIO(hr_client.get(f"/hr/contracts/{world.contract.id}/documents/{chinese.id}/download").data)
    )
    assert book.sheetnames[0] != "Participation"  # the Chinese workbook speaks Chinese


def test_the_contract_page_asks_for_the_latest_release_only_when_one_is_listed(
    app, world, staff, staff_client, count_queries
):
    """Before the first release the listed releases (none) say there is no previous one: the page does not
    ask for it; once one is listed, it reads it (its counted people) as before."""
    page_url = f"/desk/contracts/{world.contract.id}"
    staff_client.get(page_url)
    with count_queries() as before:
        page = staff_client.get(page_url).get_data(as_text=True)
    assert "No summary has been released yet." in page and "Release an interim summary</button>" in page
    release(staff_client, world)
    staff_client.get(page_url)
    with count_queries() as after:
        page = staff_client.get(page_url).get_data(as_text=True)
    assert "Release 1 is still current" in page
    latest = [q for q in after.queries if "latest_counted" in q or "counted_json" in q]  # PostgreSQL / SQLite
    assert len(latest) == 1 and not [q for q in before.queries if "latest_counted" in q or "counted_json" in q]
    # before: the people counted so far; after: the latest release and the reports counted now
    assert len(after.queries) == len(before.queries) + 1
