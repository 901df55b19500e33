"""The demo catalog's lab items carry real LOINC codes (well-formed, with a valid check digit)."""

import pytest

from checkup.demo import demo_data, demo_loinc
from checkup.models import ExamItem
from tests import factories


def _check_digit_ok(code):
    """LOINC's mod-10 check digit (the digit after the hyphen)."""
    number, check = code.split("-")
    digits = [int(d) for d in number][::-1]
    total = sum(sum(divmod(d * 2, 10)) if i % 2 == 0 else d for i, d in enumerate(digits))
    return (10 - total % 10) % 10 == int(check)


def test_every_loinc_code_names_a_demo_item_and_is_well_formed():
    demo_codes = {row["code"] for row in demo_data.EXAM_ITEMS}
    assert set(demo_loinc.LOINC_CODES) <= demo_codes
    assert all(_check_digit_ok(code) for code in demo_loinc.LOINC_CODES.values()), [
        item for item, code in demo_loinc.LOINC_CODES.items() if not _check_digit_ok(code)
    ]
    for group in ("WBC", "ALT", "CREA", "TC", "FPG", "HBA1C", "TSH", "CEA", "U-PRO"):
        assert group in demo_loinc.LOINC_CODES


@pytest.mark.both_dbs
def test_filling_sets_the_codes_on_the_catalog_and_leaves_other_items_local(app):
    wbc = factories.make_item("WBC")
    local = factories.make_item("CA72-4")
    assert demo_loinc.fill_loinc_codes() == 1
    assert ExamItem.get_by_id(wbc.id).loinc == "6690-2"
    assert ExamItem.get_by_id(local.id).loinc == ""
