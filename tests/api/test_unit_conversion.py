"""Results in through /api/v1 in another unit than the catalog's: converted where the catalog knows the
analyte (mg/dL → mmol/L or µmol/L, g/dL → g/L), stored and flagged in the catalog's unit; refused, storing
nothing, where no conversion is known for that item."""

import pytest

from checkup.models import ExamItem, PackageItem, Result
from checkup.models.integrations import ExternalResult
from checkup.services.catalog import units
from tests import factories
from tests.api.api_helpers import post_json, token_for
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def lab(app):
    lab = Lab()
    lab.crea = factories.make_item("CREA", lab.lab, unit="µmol/L", name_en="Creatinine")
    factories.make_range(lab.crea, low="41", high="81")
    lab.tc = factories.make_item("LIPID-1", lab.lab, unit="mmol/L", name_en="Total cholesterol")
    ExamItem.update(loinc="14647-2").where(ExamItem.id == lab.tc.id).execute()
    factories.make_range(lab.tc, low="2.8", high="5.2")
    for item in (lab.crea, lab.tc):
        PackageItem.create(package=lab.package, item=item)
    return lab


@pytest.fixture
def send(app, client):
    _system, token = token_for("results:write")

    def send(exam_code, *entries):
        return _send(client, token, exam_code, *entries)

    return send


def _send(http, token, exam_code, *entries):
    response = post_json(http, "/api/v1/results", token, {"exam_code": exam_code, "results": list(entries)})
    assert response.status_code == 200
    return {o["external_id"]: o for o in response.get_json()["results"]}


def test_conventional_units_are_converted_to_the_catalogs_and_flagged_there(send, lab):
    appointment = lab.appointment()
    outcomes = send(
        appointment.exam_code,
        {"external_id": "G1", "item_code": "GLU", "value": "99", "unit": "mg/dL"},
        {"external_id": "H1", "item_code": "HB", "value": "13.6", "unit": "g/dL"},
        {"external_id": "C1", "item_code": "CREA", "value": "1.2", "unit": "mg/dl"},
        {"external_id": "T1", "loinc": "14647-2", "value": "232", "unit": "MG/DL"},
    )
    assert {k: (o["outcome"], o["value"], o["unit"]) for k, o in outcomes.items()} == {
        "G1": ("stored", "5.50", "mmol/L"),
        "H1": ("stored", "136", "g/L"),
        "C1": ("stored", "106", "µmol/L"),
        "T1": ("stored", "6.00", "mmol/L"),
    }
    stored = {r.item.code: (r.value_text, r.flag) for r in Result.select().where(Result.appointment == appointment.id)}
    assert stored == {"GLU": ("5.50", "N"), "HB": ("136", "N"), "CREA": ("106", "H"), "LIPID-1": ("6.00", "H")}
    # the sender's own value stays on the record of what it sent (idempotency compares it)
    assert ExternalResult.get(ExternalResult.external_id == "C1").value == "1.2"
    again = send(appointment.exam_code, {"external_id": "C1", "item_code": "CREA", "value": "1.2"})
    assert again["C1"]["outcome"] == "duplicate"


def test_a_unit_with_no_known_conversion_is_refused_and_nothing_is_stored(send, lab):
    appointment = lab.appointment()
    outcomes = send(
        appointment.exam_code,
        {"external_id": "G1", "item_code": "GLU", "value": "99", "unit": "mmol/mol"},
        {"external_id": "H1", "item_code": "HB", "value": "8.4", "unit": "mmol/L"},
        {"external_id": "C1", "item_code": "CREA", "value": "96", "unit": "umol/L"},
    )
    assert outcomes["G1"]["outcome"] == outcomes["H1"]["outcome"] == "refused"
    assert "no conversion is known" in outcomes["G1"]["error"] and "'mmol/mol'" in outcomes["G1"]["error"]
    assert outcomes["C1"]["outcome"] == "stored"  # µ written as u is the same unit
    assert [r.item.code for r in Result.select().where(Result.appointment == appointment.id)] == ["CREA"]
    assert ExternalResult.select().where(ExternalResult.external_id.in_(["G1", "H1"])).count() == 0


def test_an_item_the_table_does_not_know_is_never_converted():
    with pytest.raises(units.UnknownConversion):
        units.convert("ALT", "1742-6", "U/L", "ukat/L", "0.8")
    with pytest.raises(units.UnknownConversion):  # the catalog keeps glucose in another unit than the table's
        units.convert("GLU", "", "mg/dL", "mmol/L", "5.5")
    assert units.convert("ALT", "", "U/L", "u/l", "41") == "41"
    assert units.convert("UA", "", "µmol/L", "mg/dL", "5.06") == "301"
    assert units.convert("UA", "", "µmol/L", "mg/dL", "high") == "high"


def test_hl7_powers_and_micro_signs_name_the_same_unit():
    assert units.same_unit("10*9/L", "10^9/L") and units.same_unit("μmol/L", "umol/L")
    assert not units.same_unit("mg/dL", "mmol/L")
