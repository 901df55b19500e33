"""Roster rows, rule by rule: each bad value is reported by row, column and reason; good values are normalised."""

import datetime
from types import SimpleNamespace

import pytest

from checkup.services.groups.roster import roster_file, roster_rules
from checkup.services.groups.roster.roster_rules import check_row, check_rows
from tests.factories import national_id_for

TODAY = datetime.date(2026, 3, 1)
WINDOW_START = datetime.date(2026, 4, 1)
BORN = datetime.date(1985, 6, 1)
ID_F = national_id_for(BORN, "female")
ID_M = national_id_for(BORN, "male")
ALL_STAFF = SimpleNamespace(id=1, label="All staff", sex="", age_min=None, age_max=None)


def row(**changes):
    values = {
        "employee_no": "E001",
        "name": "王芳",
        "sex": "女",
        "birth_date": "1985-06-01",
        "national_id": ID_F,
        "phone": "13800138000",
        "email": "wang@example.com",
        "department": "财务部",
        "category": "",
    }
    values.update(changes)
    return [values[f] for f in roster_file.FIELDS]


def problems(values, categories=(ALL_STAFF,)):
    clean, errors = check_row(7, values, list(categories), WINDOW_START, TODAY)
    return clean, [(e.row, e.column, e.code) for e in errors]


def test_a_good_row_is_normalised():
    clean, errors = problems(row(phone="+86 138-0013-8000", email=" Wang@Example.COM ", sex="F"))
    assert errors == []
    assert clean == {
        "row": 7,
        "employee_no": "E001",
        "name": "王芳",
        "sex": "female",
        "birth_date": "1985-06-01",
        "national_id": ID_F,
        "phone": "13800138000",
        "email": "wang@example.com",
        "department": "财务部",
        "category": 1,
    }


@pytest.mark.parametrize(
    "changes, column, code",
    [
        ({"employee_no": ""}, "employee_no", "required"),
        ({"name": ""}, "name", "required"),
        ({"sex": ""}, "sex", "required"),
        ({"birth_date": ""}, "birth_date", "required"),
        ({"employee_no": "E" * 51}, "employee_no", "too_long"),
        ({"name": "名" * 101}, "name", "too_long"),
        ({"department": "d" * 101}, "department", "too_long"),
        ({"sex": "unknown"}, "sex", "sex"),
        ({"sex": "x"}, "sex", "sex"),
        ({"birth_date": "01/06/1985"}, "birth_date", "date"),
        ({"birth_date": "1985-02-30"}, "birth_date", "date"),
        ({"birth_date": "yesterday"}, "birth_date", "date"),
        ({"birth_date": "1899-12-31", "national_id": ""}, "birth_date", "date_range"),
        ({"birth_date": "2027-01-01", "national_id": ""}, "birth_date", "date_range"),
        ({"national_id": "12345"}, "national_id", "id_format"),
        ({"national_id": ID_F[:17] + ("1" if ID_F[17] != "1" else "2")}, "national_id", "id_checksum"),
        ({"national_id": "110105198502301234"}, "national_id", "id_birth_date"),
        ({"national_id": ID_M}, "national_id", "id_sex"),
        ({"national_id": national_id_for(datetime.date(1986, 6, 1), "female")}, "national_id", "id_born"),
        ({"phone": "12345"}, "phone", "phone"),
        ({"phone": "23800138000"}, "phone", "phone"),
        ({"phone": "1380013800"}, "phone", "phone"),
        ({"phone": "138001380001"}, "phone", "phone"),
        ({"email": "wang@"}, "email", "email"),
        ({"email": "wang example.com"}, "email", "email"),
        ({"email": "wang@example"}, "email", "email"),
        ({"category": "Managers"}, "category", "category_rule"),
    ],
)
def test_each_rule_reports_row_column_and_reason(changes, column, code):
    clean, errors = problems(row(**changes))
    assert clean is None
    assert (7, column, code) in errors


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1985-06-01", "1985-06-01"),
        ("1985/6/1", "1985-06-01"),
        ("1985.06.01", "1985-06-01"),
        ("19850601", "1985-06-01"),
        ("1985年6月1日", "1985-06-01"),
        ("1985-06-01 00:00:00", "1985-06-01"),
        ("１９８５－０６－０１", "1985-06-01"),
    ],
)
def test_birth_dates_in_several_formats(text, expected):
    clean, errors = problems(row(birth_date=text))
    assert errors == [] and clean["birth_date"] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("男", "male"),
        ("M", "male"),
        ("male", "male"),
        ("Male", "male"),
        ("男性", "male"),
        ("女", "female"),
        ("f", "female"),
        ("FEMALE", "female"),
        ("女性", "female"),
    ],
)
def test_sex_values(text, expected):
    clean, errors = problems(row(sex=text, national_id=""))
    assert errors == [] and clean["sex"] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("010-12345678", "010-12345678"),
        ("0755-1234567-123", "0755-1234567-123"),
        ("(010) 12345678", "01012345678"),
        ("", ""),
    ],
)
def test_phone_numbers_mobile_or_landline(text, expected):
    clean, errors = problems(row(phone=text))
    assert errors == [] and clean["phone"] == expected


def test_optional_columns_may_be_blank():
    clean, errors = problems(row(national_id="", phone="", email="", department=""))
    assert errors == [] and (clean["national_id"], clean["phone"], clean["email"]) == ("", "", "")


def test_national_id_typed_in_lower_case_or_full_width_is_accepted():
    number = next(
        national_id_for(BORN, "female", sequence=s)
        for s in range(100)
        if national_id_for(BORN, "female", sequence=s).endswith("X")
    )
    clean, errors = problems(row(national_id=number.lower()))
    assert errors == [] and clean["national_id"] == number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in ID_F)
    clean, errors = problems(row(national_id=full_width))
    assert errors == [] and clean["national_id"] == ID_F


def test_several_problems_of_one_row_are_all_reported():
    _clean, errors = problems(row(employee_no="", sex="?", phone="1", email="no"))
    assert [c for _r, c, _code in errors] == ["employee_no", "sex", "phone", "email"]


# --- categories (contract_rules.match_category) ------------------------------------------------------------

MEN_40 = SimpleNamespace(id=2, label="Men over 40", sex="male", age_min=40, age_max=None)
WOMEN = SimpleNamespace(id=3, label="Women", sex="female", age_min=None, age_max=None)
YOUNG = SimpleNamespace(id=4, label="Under 30", sex="", age_min=None, age_max=29)


@pytest.mark.parametrize(
    "sex, born, label, expected",
    [
        ("男", "1980-01-01", "", 2),  # 46 on the first day of the window: only "Men over 40" fits
        ("女", "1980-01-01", "", 3),
        ("女", "1980-01-01", "women", 3),  # labels are case-insensitive
        ("男", "1986-04-02", "", None),  # 39 on 2026-04-01: no category fits
        ("女", "2000-01-01", "", None),  # "Women" and "Under 30" both fit: the label must say which
        ("女", "2000-01-01", "Under 30", 4),
        ("男", "1980-01-01", "Women", None),  # named category, wrong sex
        ("男", "1986-04-01", "", 2),  # turns 40 on the window's first day
    ],
)
def test_category_rules(sex, born, label, expected):
    clean, errors = problems(row(sex=sex, birth_date=born, national_id="", category=label), [MEN_40, WOMEN, YOUNG])
    if expected is None:
        assert clean is None and [c for _r, c, _code in errors] == ["category"]
    else:
        assert errors == [] and clean["category"] == expected


def test_category_reason_is_the_contract_rules_message(app):
    _clean, errors = check_row(3, row(category="Nope"), [ALL_STAFF], WINDOW_START, TODAY)
    [error] = errors
    assert roster_rules.reason_text(error.code, error.params) == "No category of the contract is called this."


# --- across the file ----------------------------------------------------------------------------------------


def test_duplicates_across_rows_point_at_the_first_row(app):
    other_id = national_id_for(BORN, "female", sequence=40)
    raw = [
        (2, row()),
        (3, row(employee_no="E001", national_id=other_id, phone="13900000000")),  # same employee number
        (4, row(employee_no="E002", phone="13900000001")),  # same ID number as row 2
        (5, row(employee_no="E003", national_id="", phone="13800138000")),  # same name + phone as row 2
        (6, row(employee_no="E004", name="李雷", national_id="", phone="13800138000")),
    ]  # other name: fine
    clean, errors = check_rows(raw, [ALL_STAFF], WINDOW_START, TODAY)
    assert [(e.row, e.column, e.code, e.params) for e in errors] == [
        (3, "employee_no", "duplicate_employee", {"row": 2}),
        (4, "national_id", "duplicate_id", {"row": 2}),
        (5, "phone", "duplicate_person", {"row": 2}),
    ]
    assert [r["row"] for r in clean] == [2, 6]
    assert roster_rules.reason_text("duplicate_employee", {"row": 2}) == "The same employee number is on row 2."


def test_progress_is_reported_while_checking():
    raw = [(n, row(employee_no=f"E{n}", national_id="", phone="")) for n in range(2, 1202)]
    seen = []
    clean, errors = check_rows(raw, [ALL_STAFF], WINDOW_START, TODAY, progress=seen.append, every=500)
    assert (len(clean), errors, seen) == (1200, [], [500, 1000])


def test_excel_date_cells_and_serial_numbers_become_dates():
    cells = [datetime.datetime(1985, 6, 1), datetime.date(1985, 6, 1), 31199, 31199.0]
    texts = [roster_file.cell_text(c, "birth_date", "xlsx") for c in cells]
    assert texts == ["1985-06-01"] * 4
    assert roster_file.cell_text(31199, "birth_date", "csv") == "31199"  # a CSV has no serial dates
    assert roster_file.cell_text(13800138000.0, "phone", "xlsx") == "13800138000"
    assert roster_file.cell_text(19850601, "birth_date", "xlsx") == "19850601"  # YYYYMMDD typed as a number
    clean, errors = problems(row(birth_date=texts[2]))
    assert errors == [] and clean["birth_date"] == "1985-06-01"
