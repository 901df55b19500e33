"""A batch of results through /api/v1 is read and written in a fixed number of statements in one transaction, and
every value still has its own outcome: the same external id twice in one batch, two values for one item, derived
items computed once from the batch, an audit row per new value, a critical value alerted at once."""

import pytest

from checkup.models import AuditEvent, CriticalAlert, PackageItem, Result
from checkup.models.integrations import ExternalResult
from checkup.models.result_conflicts import ResultConflict
from checkup.services.catalog import units
from checkup.services.exam import results
from tests import factories
from tests.api.api_helpers import post_json, token_for
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def lab(app):
    lab = Lab()
    lab.height = factories.make_item("HEIGHT", lab.lab, unit="cm", name_en="Height")
    lab.weight = factories.make_item("WEIGHT", lab.lab, unit="kg", name_en="Weight")
    lab.bmi = factories.make_item("BMI", lab.lab, unit="kg/m²", name_en="Body mass index")
    factories.make_range(lab.bmi, low="18.5", high="23.9")
    lab.analytes = [factories.make_item(f"AN{n}", lab.lab, unit="mmol/L") for n in range(1, 6)]
    for item in [lab.height, lab.weight, *lab.analytes]:
        factories.make_range(item, low="1", high="200")
    for item in [lab.height, lab.weight, lab.bmi, *lab.analytes]:
        PackageItem.create(package=lab.package, item=item)
    return lab


@pytest.fixture
def send(app, client):
    _system, token = token_for("results:write")

    def send(exam_code, *entries):
        response = post_json(client, "/api/v1/results", token, {"exam_code": exam_code, "results": list(entries)})
        assert response.status_code == 200
        return [(o["external_id"], o["outcome"]) for o in response.get_json()["results"]], response.get_json()

    return send


def _statements(queries, verb):
    return sum(1 for q in queries if q.lstrip("('\"").upper().startswith(verb))


def test_a_batch_reads_the_same_whatever_its_length_and_writes_one_row_per_new_value(lab, send, count_queries):
    one, five = lab.appointment(name="甲"), lab.appointment(name="乙")
    with count_queries() as small:
        send(one.exam_code, {"external_id": "S1", "item_code": "AN1", "value": "5"})
    with count_queries() as large:
        send(
            five.exam_code,
            *({"external_id": f"L{n}", "item_code": f"AN{n}", "value": "5"} for n in range(1, 6)),
        )
    assert _statements(large.queries, "SELECT") == _statements(small.queries, "SELECT")
    # the new Results, the external ids and the audit rows of the batch in one INSERT each, no savepoint per value
    assert _statements(large.queries, "INSERT") == _statements(small.queries, "INSERT")
    assert len(large.queries) == len(small.queries)
    assert _statements(large.queries, "SAVEPOINT") == 0
    assert Result.select().where(Result.appointment == five.id).count() == 5
    assert ExternalResult.select().where(ExternalResult.appointment == five.id).count() == 5
    entered = AuditEvent.select().where(AuditEvent.action == "results.entered", AuditEvent.client_id == five.client_id)
    assert entered.count() == 5 and all('"source": "' in e.detail for e in entered)


def test_an_external_id_twice_in_one_batch_is_a_duplicate_or_refused(lab, send):
    appointment = lab.appointment()
    outcomes, _body = send(
        appointment.exam_code,
        {"external_id": "X", "item_code": "GLU", "value": "5.2"},
        {"external_id": "X", "item_code": "GLU", "value": "5.2"},
        {"external_id": "Y", "item_code": "HB", "value": "128"},
        {"external_id": "Y", "item_code": "HB", "value": "130"},
    )
    assert outcomes == [("X", "stored"), ("X", "duplicate"), ("Y", "stored"), ("Y", "refused")]
    assert ExternalResult.select().count() == 2
    stored = Result.get(Result.item == lab.glu.id).id
    assert [o["result_id"] for o in _body["results"][:2]] == [stored, stored]  # the duplicate names the first's


def test_a_second_value_for_an_item_in_the_same_batch_meets_the_first(lab, send):
    appointment = lab.appointment()
    outcomes, body = send(
        appointment.exam_code,
        {"external_id": "A", "item_code": "GLU", "value": "5.2"},
        {"external_id": "B", "item_code": "GLU", "value": "5.20"},
        {"external_id": "C", "item_code": "GLU", "value": "6.1"},
    )
    assert outcomes == [("A", "stored"), ("B", "same"), ("C", "conflict")]
    [conflict] = ResultConflict.select()
    assert (conflict.instrument_value, conflict.source_ref, conflict.entered_value) == ("6.1", "C", "5.2")
    assert Result.get(Result.item == lab.glu.id).value_text == "5.2"


def test_derived_items_are_computed_from_the_batch_and_a_critical_value_alerted(lab, send):
    appointment = lab.appointment()
    outcomes, body = send(
        appointment.exam_code,
        {"external_id": "H", "item_code": "HEIGHT", "value": "160"},
        {"external_id": "W", "item_code": "WEIGHT", "value": "64"},
        {"external_id": "B", "item_code": "BMI", "value": "30"},
        {"external_id": "G", "item_code": "GLU", "value": "30"},
    )
    assert outcomes == [("H", "stored"), ("W", "stored"), ("B", "refused"), ("G", "stored")]
    assert "computed" in body["results"][2]["error"]
    bmi = Result.get(Result.appointment == appointment.id, Result.item == lab.bmi.id)
    assert (bmi.value_text, bmi.source, bmi.flag) == ("25.0", "derived", "H")
    assert AuditEvent.select().where(AuditEvent.action == "results.derived").count() == 1
    [alert] = CriticalAlert.select()
    assert alert.id == body["results"][3]["critical_alert_id"] and alert.result.flag == "HH"


@pytest.mark.parametrize(("station", "outcome"), [("5.20", "same"), ("5.4", "conflict")])
def test_a_value_the_station_saves_after_the_batch_read_meets_the_rule(lab, send, monkeypatch, station, outcome):
    """The station saves GLU after the batch read the checkup's results, before the batch writes: the batch's GLU
    value is not stored over it but meets it (the same value a no-op, a different one a conflict)."""
    appointment = lab.appointment()
    convert = units.convert

    def station_saves_meanwhile(*args):
        if not Result.select().where(Result.appointment == appointment.id, Result.item == lab.glu.id).exists():
            results.record_result(lab.actor, appointment.id, "GLU", station)
        return convert(*args)

    monkeypatch.setattr(units, "convert", station_saves_meanwhile)
    outcomes, body = send(
        appointment.exam_code,
        {"external_id": "G", "item_code": "GLU", "value": "5.2"},
        {"external_id": "H", "item_code": "HB", "value": "128"},
    )
    assert outcomes == [("G", outcome), ("H", "stored")]
    glu = Result.get(Result.appointment == appointment.id, Result.item == lab.glu.id)
    assert (glu.value_text, glu.source) == (station, "station")
    assert body["results"][0]["result_id"] == glu.id and body["results"][0]["critical_alert_id"] is None
    assert ExternalResult.get(ExternalResult.external_id == "G").outcome == outcome
    conflicts = [(c.entered_value, c.instrument_value, c.source_ref) for c in ResultConflict.select()]
    assert conflicts == ([] if outcome == "same" else [("5.4", "5.2", "G")])
    entered = AuditEvent.select().where(
        AuditEvent.action == "results.entered", AuditEvent.client_id == appointment.client_id
    )
    assert sorted(e.detail.count('"source": "station"') for e in entered) == [0, 1]  # the station's; the API's HB
