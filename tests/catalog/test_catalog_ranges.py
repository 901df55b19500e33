"""Admin catalog: reference ranges of an item — the rules, and adding/deleting them with htmx or plain forms."""

from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import ValidationError
from checkup.models import AuditEvent, ReferenceRange
from checkup.services.catalog import catalog
from tests import factories
from tests.catalog import HX

pytestmark = pytest.mark.both_dbs

GOOD = {
    "sex": "male",
    "age_min": "18",
    "age_max": "59",
    "low": "3.9",
    "high": "6.1",
    "critical_low": "2.8",
    "critical_high": "25",
}


@pytest.fixture
def glucose(app):
    return factories.make_item("GLU", name_en="Fasting glucose", unit="mmol/L")


def html(response):
    return response.get_data(as_text=True)


# --- the rules, at the service --------------------------------------------------------------------


def test_a_valid_range_is_stored_with_exact_decimals_and_audited(glucose):
    row = catalog.add_range(Actor(), glucose.id, GOOD)
    row = ReferenceRange.get_by_id(row.id)
    assert (row.sex, row.age_min, row.age_max) == ("male", 18, 59)
    assert (row.low, row.high, row.critical_low, row.critical_high) == (
        Decimal("3.9"),
        Decimal("6.1"),
        Decimal("2.8"),
        Decimal("25"),
    )
    assert AuditEvent.get(AuditEvent.action == "catalog.range_added").object_id == str(glucose.id)


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"low": "7", "high": "6"}, "high", "The high value must not be below the low value."),
        ({"age_min": "60", "age_max": "18"}, "age_max", "The highest age must not be below the lowest age."),
        ({"age_max": "151"}, "age_max", "Enter 150 or less."),
        ({"age_min": "-1"}, "age_min", "Enter 0 or more."),
        ({"age_min": "x"}, "age_min", "Enter a whole number"),
        ({"age_min": ""}, "age_min", "This field is required."),
        ({"low": "abc"}, "low", "Enter a number"),
        ({"high": "Infinity"}, "high", "Enter a number"),
        ({"low": "1.23456"}, "low", "Use at most 4 decimal places."),
        ({"low": "", "high": "", "critical_low": "", "critical_high": ""}, "low", "Give a low value, a high value"),
        ({"critical_low": "4"}, "critical_low", "The critical low must not be above the low value."),
        ({"critical_high": "6"}, "critical_high", "The critical high must not be below the high value."),
        ({"sex": "other"}, "sex", "Choose any, male or female."),
    ],
)
def test_each_broken_rule_is_a_field_error_and_nothing_is_written(glucose, changes, field, message):
    with pytest.raises(ValidationError) as raised:
        catalog.add_range(Actor(), glucose.id, dict(GOOD, **changes))
    assert message in str(raised.value.field_errors[field])
    assert ReferenceRange.select().count() == 0


def test_overlapping_bands_for_the_same_sex_are_refused_but_other_sexes_may_overlap(glucose):
    catalog.add_range(Actor(), glucose.id, GOOD)
    with pytest.raises(ValidationError) as raised:
        catalog.add_range(Actor(), glucose.id, dict(GOOD, age_min="50", age_max="80"))
    assert "overlap the existing 18–59 band" in str(raised.value.field_errors["age_min"])
    catalog.add_range(Actor(), glucose.id, dict(GOOD, age_min="60", age_max="150"))  # touching is not overlapping
    catalog.add_range(Actor(), glucose.id, dict(GOOD, sex="female"))
    assert ReferenceRange.select().count() == 3


def test_only_numeric_items_take_ranges(app):
    text_item = factories.make_item("ECG", result_type="text")
    with pytest.raises(ValidationError) as raised:
        catalog.add_range(Actor(), text_item.id, GOOD)
    assert "numeric items only" in str(raised.value.message)
    assert ReferenceRange.select().count() == 0


def test_one_sided_ranges_are_allowed(glucose):
    catalog.add_range(Actor(), glucose.id, dict(GOOD, low="", critical_low="", high="5.2", critical_high=""))
    assert ReferenceRange.get().low is None


# --- adding and deleting over HTTP ----------------------------------------------------------------


def test_htmx_add_returns_the_rows_and_a_fresh_form(client, admin, glucose):
    response = client.post(f"/admin/catalog/items/{glucose.id}/ranges", data=GOOD, headers=HX)
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and body.lstrip().startswith("<tr")
    assert "3.9" in body and "6.1" in body and "Male" in body
    assert 'id="range-form"' in body and 'hx-swap-oob="true"' in body and "Reference range added." in body
    assert ReferenceRange.select().count() == 1


def test_htmx_add_with_errors_swaps_the_form_in_place(client, admin, glucose):
    response = client.post(f"/admin/catalog/items/{glucose.id}/ranges", data=dict(GOOD, low="7", high="6"), headers=HX)
    assert response.status_code == 200  # htmx swaps only 2xx
    assert response.headers["HX-Retarget"] == "#range-form" and response.headers["HX-Reswap"] == "outerHTML"
    body = html(response)
    assert body.lstrip().startswith('<form id="range-form"') and 'id="high-error"' in body
    assert 'value="7"' in body  # what the user typed is kept
    assert ReferenceRange.select().count() == 0


def test_plain_form_add_shows_errors_on_the_page_with_422(client, admin, glucose):
    response = client.post(f"/admin/catalog/items/{glucose.id}/ranges", data=dict(GOOD, age_min="x"))
    assert response.status_code == 422
    page = html(response)
    assert "<html" in page and 'id="age_min-error"' in page and "Enter a whole number" in page
    ok = client.post(f"/admin/catalog/items/{glucose.id}/ranges", data=GOOD)
    assert ok.status_code == 303 and ok.headers["Location"].endswith(f"/items/{glucose.id}#ranges")
    assert "Reference range added." in html(client.get(f"/admin/catalog/items/{glucose.id}"))


def test_a_range_on_a_text_item_is_a_clear_message_not_an_error_page(client, admin):
    item = factories.make_item("ECG", result_type="text")
    response = client.post(f"/admin/catalog/items/{item.id}/ranges", data=GOOD)
    assert response.status_code == 422
    assert "Reference ranges apply to numeric items only; ECG is not numeric." in html(response)
    assert ReferenceRange.select().count() == 0


def test_deleting_a_range(client, admin, glucose):
    keep = factories.make_range(glucose, sex="female")
    gone = factories.make_range(glucose, sex="male")
    response = client.post(f"/admin/catalog/items/{glucose.id}/ranges/{gone.id}/delete", headers=HX)
    assert response.status_code == 200 and "<html" not in html(response)
    assert f'id="range-{keep.id}"' in html(response) and f'id="range-{gone.id}"' not in html(response)
    assert [r.id for r in ReferenceRange.select()] == [keep.id]
    plain = client.post(f"/admin/catalog/items/{glucose.id}/ranges/{keep.id}/delete")
    assert plain.status_code == 303 and ReferenceRange.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "catalog.range_deleted").count() == 2


def test_a_range_is_deleted_only_through_its_own_item(client, admin, glucose):
    other = factories.make_item("ALT")
    row = factories.make_range(glucose)
    assert client.post(f"/admin/catalog/items/{other.id}/ranges/{row.id}/delete").status_code == 404
    assert client.post(f"/admin/catalog/items/{glucose.id}/ranges/999/delete").status_code == 404
    assert client.post("/admin/catalog/items/999/ranges", data=GOOD).status_code == 404
    assert ReferenceRange.select().count() == 1


def test_detail_page_lists_ranges_and_the_physician_table_still_works(client, admin, make_user, login, glucose):
    factories.make_range(glucose, sex="female", low="3.5", high="5.5", age_min=0, age_max=17)
    page = html(client.get(f"/admin/catalog/items/{glucose.id}"))
    assert "Fasting glucose" in page and "0–17" in page and "3.5" in page and "hx-confirm=" in page
    assert [item.code for item in catalog.reference_table("GLU")] == ["GLU"]
    doctor = client.application.test_client()
    login(make_user("physician"), http=doctor)
    assert "3.5" in html(doctor.get("/exam/ranges?q=GLU"))
