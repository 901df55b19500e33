"""Flags: every boundary of a reference range, sex- and age-specific ranges, missing ranges, text results."""

from decimal import Decimal

import pytest

from checkup.core.errors import ValidationError
from checkup.models import ExamItem, ReferenceRange
from checkup.services.exam import results
from tests import factories

GLUCOSE = ReferenceRange(
    id=1,
    sex="any",
    age_min=0,
    age_max=120,
    low=Decimal("3.9"),
    high=Decimal("6.1"),
    critical_low=Decimal("2.8"),
    critical_high=Decimal("25"),
)
NUMERIC = ExamItem(id=1, code="GLU", result_type="numeric", unit="mmol/L")


@pytest.mark.parametrize(
    "value,flag",
    [
        ("5", "N"),
        ("3.9", "N"),  # exactly at low: normal
        ("6.1", "N"),  # exactly at high: normal
        ("3.8999", "L"),
        ("6.1001", "H"),
        ("2.8001", "L"),  # just above the critical low: only low
        ("2.8", "LL"),  # exactly at the critical low: critical
        ("0", "LL"),
        ("-1", "LL"),
        ("24.9999", "H"),
        ("25", "HH"),  # exactly at the critical high: critical
        ("1000", "HH"),
    ],
)
def test_numeric_flags_at_and_around_every_limit(app, value, flag):
    assert results.flag_for(NUMERIC, "female", 40, value, ranges=[GLUCOSE])[0] == flag


@pytest.mark.parametrize(
    "row,value,flag",
    [
        (dict(low="3.9", high=None), "100", "N"),  # no upper limit
        (dict(low=None, high="6.1"), "-5", "N"),  # no lower limit
        (dict(low=None, high=None), "5", ""),  # a range with no limits flags nothing
        (dict(low="1", high="2", critical_high="2"), "2", "HH"),  # critical wins when limits coincide
        (dict(low="1", high="2", critical_low="1"), "1", "LL"),
    ],
)
def test_partial_ranges(app, row, value, flag):
    values = {k: (Decimal(v) if v is not None else None) for k, v in row.items()}
    values.setdefault("critical_low", None)
    values.setdefault("critical_high", None)
    rng = ReferenceRange(id=2, sex="any", age_min=0, age_max=120, **values)
    assert results.flag_for(NUMERIC, "male", 40, value, ranges=[rng])[0] == flag


@pytest.fixture
def haemoglobin(app):
    item = factories.make_item("HB", unit="g/L")
    factories.make_range(item, low="110", high="160")  # any sex, any age
    factories.make_range(item, sex="male", low="130", high="175", age_min=18)
    factories.make_range(item, sex="female", low="115", high="150", age_min=18, age_max=64)
    return item


@pytest.mark.both_dbs
@pytest.mark.parametrize(
    "sex,age,value,flag,low",
    [
        ("male", 30, "128", "L", 130),  # the men's row, not the "any" row (which would say N)
        ("male", 30, "170", "N", 130),
        ("female", 30, "155", "H", 115),  # the women's row
        ("female", 30, "115", "N", 115),
        ("female", 18, "112", "L", 115),  # age_min is inclusive
        ("female", 64, "151", "H", 115),  # age_max is inclusive
        ("female", 65, "151", "N", 110),  # past the women's band: the "any" row
        ("male", 17, "128", "N", 110),  # a child: the "any" row
        ("male", 17, "105", "L", 110),
    ],
)
def test_sex_and_age_specific_ranges(haemoglobin, sex, age, value, flag, low):
    got, row, number = results.flag_for(haemoglobin, sex, age, value)
    assert (got, row.low, number) == (flag, low, Decimal(value))


@pytest.mark.both_dbs
def test_no_range_gives_no_flag(app):
    item = factories.make_item("VITD", unit="ng/mL")
    assert results.flag_for(item, "female", 40, "12") == ("", None, Decimal("12"))
    men_only = factories.make_item("PSA", unit="ng/mL")
    factories.make_range(men_only, sex="male", low="0", high="4")
    assert results.flag_for(men_only, "female", 40, "9")[:2] == ("", None)
    assert results.flag_for(men_only, "male", 40, "9")[0] == "H"


@pytest.mark.parametrize("result_type", ["text", "choice"])
def test_text_and_choice_results_are_abnormal_only_when_marked(app, result_type):
    item = ExamItem(code="ECG", result_type=result_type)
    assert results.flag_for(item, "male", 40, "sinus rhythm")[0] == "N"
    assert results.flag_for(item, "male", 40, "ST elevation", abnormal=True)[0] == "A"


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1e5",
        "1E+2",
        "1,5",
        "1 000",
        "",
        "   ",
        "--1",
        ".",
        "٣",
        "１２",
        "0x10",
        "1.23456",
        "12345678901",
        "9" * 40,
        "5.5 mmol/L",
        None,
        Decimal("NaN"),
        Decimal("Infinity"),
        True,
    ],
)
def test_values_are_parsed_strictly(app, raw):
    with pytest.raises(ValidationError):
        results.parse_value(raw)


@pytest.mark.parametrize(
    "raw,value",
    [
        (" 5.5 ", "5.5"),
        ("+1", "1"),
        (".5", "0.5"),
        ("-0", "0"),
        ("1234567890.1234", "1234567890.1234"),
        ("5.", "5"),
        (7, "7"),
        (Decimal("2.50"), "2.50"),
    ],
)
def test_accepted_numbers(app, raw, value):
    assert results.parse_value(raw) == Decimal(value)


def test_too_many_decimals_is_refused_not_rounded(app):
    with pytest.raises(ValidationError) as caught:
        results.parse_value("6.10001")
    assert "4 decimal" in str(caught.value.message)
