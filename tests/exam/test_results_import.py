"""Instrument import: every row checked first, each problem by row and column, then all or nothing."""

from decimal import Decimal

import pytest

from checkup.core.errors import ValidationError
from checkup.models import AuditEvent, CriticalAlert, Result
from checkup.services.exam import results, results_import
from tests import factories
from tests.factories import row_counts
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs

HEADER = "exam_code,item_code,value,unit,time\n"


@pytest.fixture
def lab(app):
    return Lab()


def csv_bytes(*rows, header=HEADER):
    return (header + "".join(line + "\n" for line in rows)).encode("utf-8")


def written():
    return row_counts(Result, CriticalAlert, AuditEvent)


def test_a_clean_file_is_stored_in_full(lab):
    first, second = lab.appointment(name="甲"), lab.appointment(name="乙")
    results.record_result(lab.actor, first.id, "HB", "120")  # entered at the station: the analyser's 131 waits
    data = csv_bytes(
        f"{first.exam_code},GLU,5.2,mmol/L,2026-03-02 08:15",
        f"{first.exam_code},HB,131,g/L,08:16",
        f"{second.exam_code},GLU,1.5,mmol/L,",
        f"{second.exam_code},HB,158.25,g/L,2026-03-02T08:20:05",
    )
    outcome = results_import.import_instrument_csv(lab.actor, "analyser.csv", data)
    assert (outcome.rows, outcome.created, outcome.conflicts, outcome.critical, outcome.appointments) == (4, 3, 1, 1, 2)
    stored = {(r.appointment_id, r.item.code): r for r in Result.select()}
    assert (stored[(first.id, "HB")].value_num, stored[(first.id, "HB")].source) == (120, "station")
    assert stored[(second.id, "HB")].source == "instrument"
    assert stored[(second.id, "GLU")].flag == "LL" and stored[(second.id, "HB")].flag == "H"
    assert stored[(first.id, "GLU")].ref_high == Decimal("6.1") and stored[(first.id, "GLU")].unit == "mmol/L"
    [alert] = CriticalAlert.select()
    assert alert.result_id == stored[(second.id, "GLU")].id
    event = AuditEvent.get(AuditEvent.action == "results.imported")
    assert '"rows": 4' in event.detail and event.user_id == lab.physician.id


@pytest.fixture
def good_row(lab):
    appointment = lab.appointment(name="Good")
    return f"{appointment.exam_code},GLU,5.0,mmol/L,08:00"


def bad_rows(lab):
    """Each kind of bad row: (label, row builder, column reported, words of the message)."""

    def booked():
        return f"{lab.appointment(status='booked', name='B').exam_code},GLU,5,mmol/L,"

    def signed():
        appointment = lab.appointment(name="S")
        lab.sign(appointment)
        return f"{appointment.exam_code},GLU,5,mmol/L,"

    def not_in_appointment():
        factories.make_item("CHOL", lab.lab, unit="mmol/L")
        return f"{lab.appointment(name='C').exam_code},CHOL,5,mmol/L,"

    def text_item():
        return f"{lab.appointment(name='T').exam_code},URO,negative,,"

    def duplicate():
        code = lab.appointment(name="D").exam_code
        return f"{code},HB,120,g/L,\n{code},HB,121,g/L,"

    return {
        "unknown exam code": (lambda: "NOSUCHCODE,GLU,5,mmol/L,", "exam_code", "No appointment"),
        "unknown item code": (
            lambda: f"{lab.appointment(name='U').exam_code},XYZ,5,mmol/L,",
            "item_code",
            "No exam item",
        ),
        "item not in appointment": (not_in_appointment, "item_code", "not part of"),
        "unit mismatch": (lambda: f"{lab.appointment(name='M').exam_code},GLU,90,mg/dL,", "unit", "mmol/L"),
        "unparsable value": (
            lambda: f"{lab.appointment(name='V').exam_code},GLU,5..2,mmol/L,",
            "value",
            "Enter a number",
        ),
        "not a number at all": (
            lambda: f"{lab.appointment(name='N').exam_code},GLU,NaN,mmol/L,",
            "value",
            "Enter a number",
        ),
        "too many decimals": (
            lambda: f"{lab.appointment(name='X').exam_code},GLU,5.00001,mmol/L,",
            "value",
            "4 decimal",
        ),
        "empty value": (lambda: f"{lab.appointment(name='E').exam_code},GLU,,mmol/L,", "value", "empty"),
        "bad time": (lambda: f"{lab.appointment(name='Ti').exam_code},GLU,5,mmol/L,yesterday", "time", "Not a time"),
        "not checked in": (booked, "exam_code", "checked-in"),
        "locked by a signed report": (signed, "exam_code", "locked"),
        "text item": (text_item, "item_code", "not a numeric"),
        "duplicate row": (duplicate, "item_code", "Row 3 already"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "unknown exam code",
        "unknown item code",
        "item not in appointment",
        "unit mismatch",
        "unparsable value",
        "not a number at all",
        "too many decimals",
        "empty value",
        "bad time",
        "not checked in",
        "locked by a signed report",
        "text item",
        "duplicate row",
    ],
)
def test_each_bad_row_is_reported_and_nothing_is_written(lab, good_row, kind):
    build, column, words = bad_rows(lab)[kind]
    bad = build()
    before = written()
    with pytest.raises(results_import.ImportRejected) as caught:
        results_import.import_instrument_csv(lab.actor, "lis.csv", csv_bytes(good_row, bad))
    problems = caught.value.problems
    assert problems, kind
    last_row = 2 + bad.count("\n") + 1
    assert [(p.row, p.column) for p in problems] == [(last_row, column)], [
        (p.row, p.column, str(p.message)) for p in problems
    ]
    assert words in str(problems[0].message)
    assert written() == before


def test_every_problem_of_the_file_is_listed_at_once(lab, good_row):
    booked = lab.appointment(status="booked", name="B")
    data = csv_bytes("NOPE,GLU,5,mmol/L,", good_row, f"{booked.exam_code},GLU,abc,mg/dL,")
    with pytest.raises(results_import.ImportRejected) as caught:
        results_import.import_instrument_csv(lab.actor, "lis.csv", data)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (2, "exam_code"),
        (4, "exam_code"),
        (4, "value"),
        (4, "unit"),
    ]
    assert Result.select().count() == 0


@pytest.mark.parametrize(
    "filename,data,words",
    [
        ("lis.txt", csv_bytes("A,GLU,5,mmol/L,"), "CSV export"),
        ("lis.csv", b"", "empty"),
        ("lis.csv", b"exam_code,item_code,value\nA,B,1\n", "missing: unit, time"),
        ("lis.csv", HEADER.encode(), "no rows"),
        ("lis.csv", b"\x00\x01\x02binary", "not a readable CSV"),
        ("lis.csv", b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_files_that_cannot_be_used(lab, filename, data, words):
    with pytest.raises(results_import.ImportFileError) as caught:
        results_import.import_instrument_csv(lab.actor, filename, data)
    assert words in str(caught.value.message)
    assert written() == row_counts(Result, CriticalAlert, AuditEvent) and Result.select().count() == 0


def test_at_most_20000_rows(lab, good_row):
    data = csv_bytes(*([good_row] * (results_import.MAX_IMPORT_ROWS + 1)))
    with pytest.raises(results_import.ImportFileError) as caught:
        results_import.import_instrument_csv(lab.actor, "lis.csv", data)
    assert "more than 20000 rows" in str(caught.value.message)


def test_a_large_file_checks_in_a_fixed_number_of_queries(lab, count_queries):
    appointments = [lab.appointment(name=f"c{n}") for n in range(3)]
    few = csv_bytes(f"{appointments[0].exam_code},GLU,5,mmol/L,")
    many = csv_bytes(
        *[
            f"{a.exam_code},{code},{value},{unit},"
            for a in appointments
            for code, value, unit in (("GLU", "5", "mmol/L"), ("HB", "120", "g/L"))
        ]
    )
    with count_queries() as q_few:
        results_import.validate_instrument_rows(results_import._import_rows("a.csv", few))
    with count_queries() as q_many:
        good, problems, _context = results_import.validate_instrument_rows(results_import._import_rows("a.csv", many))
    assert (len(good), problems) == (6, [])
    assert q_few.count == q_many.count


def test_rejected_file_is_a_validation_error(lab):
    assert issubclass(results_import.ImportRejected, ValidationError)
