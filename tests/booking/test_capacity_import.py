"""Capacity import: CSV and XLSX, every row checked first, all rows or nothing, on SQLite and PostgreSQL."""

import datetime
import io

import pytest
from openpyxl import Workbook

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import AuditEvent, ResourceDay, Slot
from checkup.services.booking import booking, capacity_import
from checkup.services.booking.capacity_import import ImportFileError, ImportRejected
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent
from tests.upload_helpers import EXTERNAL_ENTITY, rewritten, sheet_part, workbook_shell

pytestmark = pytest.mark.both_dbs

T = datetime.time


def ahead(days):
    return clock.today() + datetime.timedelta(days=days)


def csv_bytes(*rows, header="date,start,end,capacity"):
    return ("\n".join([header] + [",".join(str(v) for v in row) for row in rows]) + "\n").encode("utf-8")


def xlsx_bytes(*rows, header=("date", "start", "end", "capacity")):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def problems_of(filename, content):
    with pytest.raises(ImportRejected) as rejected:
        capacity_import.import_capacity(Actor(), filename, content)
    return {(p.row, p.column) for p in rejected.value.problems}, rejected.value.problems


def nothing_written():
    return (
        Slot.select().count() == 0
        and ResourceDay.select().count() == 0
        and not AuditEvent.select().where(AuditEvent.action.startswith("capacity.")).exists()
    )


@pytest.fixture
def scheduler_http(client, make_user):
    factories.sign_in_directly(client, make_user("scheduler"))
    return client


def test_csv_import_opens_slots_and_resource_days(app):
    ct = factories.make_resource("CT", capacity=3)
    factories.make_resource("OFF", capacity=3, active=False)
    day1, day2 = ahead(10), ahead(11)
    result = capacity_import.import_capacity(
        Actor(),
        "april.CSV",
        csv_bytes((day1, "07:30", "08:30", 30), (day1, "8:30", "09:30", 25), (day2, "07:30", "08:30", 0)),
    )
    assert (result.created, result.updated, result.unchanged, result.resource_days) == (3, 0, 0, 2)
    assert sorted((s.day, s.start_time, s.end_time, s.capacity) for s in Slot.select()) == [
        (day1, T(7, 30), T(8, 30), 30),
        (day1, T(8, 30), T(9, 30), 25),
        (day2, T(7, 30), T(8, 30), 0),
    ]
    assert sorted((r.day, r.resource_id, r.capacity) for r in ResourceDay.select()) == [
        (day1, ct.id, 3),
        (day2, ct.id, 3),
    ]
    assert AuditEvent.select().where(AuditEvent.action == "capacity.imported").count() == 1


def test_xlsx_import_reads_date_and_time_cells_and_text(app):
    day = ahead(9)
    content = xlsx_bytes(
        (day, T(7, 30), T(8, 30), 30),
        (day.isoformat(), "08:30", "09:30", "20"),
        (datetime.datetime.combine(day, T(0)), 0.4375, 0.4791666666666667, 12.0),
    )  # 10:30–11:30
    result = capacity_import.import_capacity(Actor(), "capacity.xlsx", content)
    assert result.created == 3
    assert sorted((s.start_time, s.end_time, s.capacity) for s in Slot.select()) == [
        (T(7, 30), T(8, 30), 30),
        (T(8, 30), T(9, 30), 20),
        (T(10, 30), T(11, 30), 12),
    ]


def test_import_updates_existing_slots_but_not_below_bookings(app):
    center = Center(slot_capacity=5, days_ahead=4)
    booking.book(Actor(), factories.make_client(name="王芳").id, center.slot.id, "BASIC")
    day = center.day.isoformat()
    ok = capacity_import.import_capacity(
        Actor(), "x.csv", csv_bytes((day, "08:00", "09:00", 9), (day, "09:00", "10:00", 5))
    )
    assert (ok.created, ok.updated, ok.unchanged) == (0, 1, 1)
    assert Slot.get_by_id(center.slot.id).capacity == 9
    found, problems = problems_of("x.csv", csv_bytes((day, "08:00", "09:00", 0), (day, "10:00", "11:00", 5)))
    assert found == {(2, "capacity")}
    assert "1 places are already booked" in str(problems[0].message)
    assert Slot.get_by_id(center.slot.id).capacity == 9 and Slot.select().count() == 2  # row 3 not written either
    assert_counters_consistent()


def test_every_bad_row_is_reported_by_row_and_column_and_nothing_is_written(app):
    factories.make_resource("CT", capacity=3)
    good = ahead(5).isoformat()
    content = csv_bytes(
        (good, "07:30", "08:30", 30),  # row 2: fine
        ("2026-02-30", "07:30", "08:30", 30),  # row 3: no such date
        ("05/03/2030", "7h30", "08:30", 30),  # row 4: date and start in the wrong format
        (good, "09:00", "08:00", 10),  # row 5: ends before it starts
        (good, "10:00", "11:00", "ten"),  # row 6: capacity not a number
        (good, "11:00", "12:00", 10001),  # row 7: capacity too large
        (good, "12:00", "13:00", -1),  # row 8: negative
        (good, "07:30", "08:00", 5),  # row 9: same date and start as row 2
        (ahead(-1).isoformat(), "07:30", "08:30", 3),  # row 10: in the past
        (good, "24:00", "25:00", 3),  # row 11: no such times
        (good, "", "", ""),  # row 12: empty cells
        (good, "08:00", "09:00", 3),  # row 13: overlaps row 2 (07:30–08:30)
        (good, "13:30", "14:30", "12.5"),  # row 14: not a whole number
    )
    found, problems = problems_of("bad.csv", content)
    assert found == {
        (3, "date"),
        (4, "date"),
        (4, "start"),
        (5, "end"),
        (6, "capacity"),
        (7, "capacity"),
        (8, "capacity"),
        (9, "start"),
        (10, "date"),
        (11, "start"),
        (11, "end"),
        (12, "start"),
        (12, "end"),
        (12, "capacity"),
        (13, "start"),
        (14, "capacity"),
    }
    assert [p.row for p in problems] == sorted(p.row for p in problems)
    assert "Row 2" in str(next(p.message for p in problems if p.row == 9))
    assert nothing_written()


def test_rows_overlapping_existing_slots_or_on_closed_days_are_refused(app):
    day, closed = ahead(6), ahead(7)
    Slot.create(day=day, start_time=T(8), end_time=T(9), capacity=4)
    Slot.create(day=closed, start_time=T(8), end_time=T(9), capacity=4, closed=True)
    found, problems = problems_of("x.csv", csv_bytes((day, "08:30", "09:30", 3), (closed, "10:00", "11:00", 3)))
    assert found == {(2, "start"), (3, "date")}
    assert Slot.select().count() == 2


def test_xlsx_with_bad_rows_reports_them_all(app):
    day = ahead(8)
    content = xlsx_bytes(
        (day, T(7, 30), T(8, 30), 30),
        ("tomorrow", T(8, 30), T(9, 30), 30),
        (day, T(9, 30), T(9, 0), 2.5),
        (day, datetime.datetime(2030, 1, 1, 9), T(11), 3),
    )
    found, _ = problems_of("c.xlsx", content)
    assert found == {(3, "date"), (4, "end"), (4, "capacity"), (5, "start")}
    assert nothing_written()


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("capacity.pdf", b"%PDF-1.4", "CSV or XLSX"),
        ("capacity", b"date,start,end,capacity\n", "CSV or XLSX"),
        ("old.xls", b"\xd0\xcf\x11\xe0", ".xls"),
        (
            "fake.xlsx",
            b"date,start,end,capacity\n2030-01-01,07:30,08:30,3\n",
            "named .xlsx but is not an Excel workbook",
        ),
        ("broken.xlsx", b"PK\x03\x04garbage", "not a readable XLSX"),
        ("binary.csv", b"\x00\x01\x02PK", "not a readable CSV"),
        ("empty.csv", b"", "empty"),
        ("blank.csv", b"\n\n ,, \n", "empty"),
        ("noheader.csv", b"2030-01-01,07:30,08:30,3\n", "header"),
        ("onlyheader.csv", b"date,start,end,capacity\n", "no rows"),
        ("latin.csv", b"date,start,end,capacity\n\xff\xfe\xfa,07:30,08:30,3\n", None),
    ],
)
def test_unusable_files_are_refused_with_a_clear_message(app, filename, content, message):
    with pytest.raises((ImportFileError, ImportRejected)) as refused:
        capacity_import.import_capacity(Actor(), filename, content)
    if message:
        assert isinstance(refused.value, ImportFileError)
        assert message in str(refused.value.message)
    assert nothing_written()


def test_files_over_the_size_and_row_limits_are_refused(app):
    day = ahead(3).isoformat()
    big = b"date,start,end,capacity\n" + b"x" * (2 * 1024 * 1024)
    with pytest.raises(ImportFileError, match="2 MB"):
        capacity_import.import_capacity(Actor(), "big.csv", big)
    rows = [(day, f"{h:02d}:{m:02d}", f"{h:02d}:{m:02d}", 1) for h in range(24) for m in range(60)] * 4
    with pytest.raises(ImportFileError, match="5000 rows"):
        capacity_import.import_capacity(Actor(), "many.csv", csv_bytes(*rows))
    assert nothing_written()


def test_header_may_be_in_any_order_with_extra_columns_and_a_bom(app):
    day = ahead(4).isoformat()
    content = f"\ufeffCapacity,Note,Date,End,Start\n12,first,{day},08:30,07:30\n".encode()
    assert capacity_import.import_capacity(Actor(), "x.csv", content).created == 1
    assert Slot.get().capacity == 12


def test_gbk_csv_from_a_chinese_excel_is_read(app):
    day = ahead(4).isoformat()
    content = f"日期,开始,结束,容量\n{day},07:30,08:30,9\n".encode("gb18030")
    assert capacity_import.import_capacity(Actor(), "中文.csv", content).created == 1


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_downloaded_templates_parse_back_and_import(app, scheduler_http, kind):
    response = scheduler_http.get(f"/desk/capacity/import/template.{kind}")
    assert response.status_code == 200
    assert f"capacity-template.{kind}" in response.headers["Content-Disposition"]
    rows = capacity_import.validate(f"template.{kind}", response.data)
    assert len(rows) == 2 and rows[0].day >= clock.today() and rows[0].day.weekday() == 0
    assert [(r.start, r.end, r.capacity) for r in rows] == [(T(7, 30), T(8, 30), 30), (T(8, 30), T(9, 30), 30)]
    assert capacity_import.import_capacity(Actor(), f"template.{kind}", response.data).created == 2


def test_upload_page_imports_a_good_file_and_redirects(app, scheduler_http):
    day = ahead(12)
    response = scheduler_http.post(
        "/desk/capacity/import",
        data={"file": (io.BytesIO(xlsx_bytes((day, T(7, 30), T(8, 30), 30))), "capacity.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert f"month={day:%Y-%m}" in response.headers["Location"]
    page = scheduler_http.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported: 1 slots opened" in page
    assert Slot.select().count() == 1


def test_upload_page_lists_every_problem_in_a_table_and_writes_nothing(app, scheduler_http):
    good = ahead(5).isoformat()
    content = csv_bytes(
        (good, "07:30", "08:30", 30), ("2030-13-01", "07:30", "08:30", 30), (good, "09:00", "08:00", "many")
    )
    response = scheduler_http.post(
        "/desk/capacity/import", data={"file": (io.BytesIO(content), "c.csv")}, content_type="multipart/form-data"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was imported" in page and "Problems in the file" in page
    assert page.count('<tr><td class="num">') == 3  # row 3 date, row 4 end, row 4 capacity
    assert "<code>date</code>" in page and "<code>capacity</code>" in page
    assert nothing_written()


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("notes.txt", b"hello", "CSV or XLSX"),
        ("fake.xlsx", b"not a zip", "named .xlsx but is not an Excel workbook"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_upload_page_refuses_wrong_or_unreadable_files(app, scheduler_http, filename, content, message):
    response = scheduler_http.post(
        "/desk/capacity/import", data={"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert nothing_written()


def test_upload_without_a_file_asks_for_one(app, scheduler_http):
    response = scheduler_http.post("/desk/capacity/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a file to upload" in response.get_data(as_text=True)


@pytest.mark.parametrize("attack", ["entities", "bomb"])
def test_a_workbook_with_xml_entities_or_a_zip_bomb_is_refused_like_a_roster(app, attack):
    """The capacity import goes through the same upload checks as the roster import."""
    if attack == "entities":
        workbook = xlsx_bytes(("2030-01-07", "07:30", "08:30", 3))
        content, says = rewritten(workbook, sheet_part(workbook), EXTERNAL_ENTITY), "not allowed"
    else:
        content, says = workbook_shell(xl__worksheets__sheet1__xml=b"\x20" * (60 * 1024 * 1024)), "too large"
    with pytest.raises(ImportFileError) as refused:
        capacity_import.import_capacity(Actor(), "capacity.xlsx", content)
    assert says in str(refused.value.message)
    assert nothing_written()
