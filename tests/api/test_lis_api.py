"""The LIS through /api/v1: the worklist with barcodes and LOINC codes, results in (idempotent, conflicts to
the station doctor, critical values alerted), idempotency keys, ETags and cursor pages."""

import pytest

from checkup.models import CriticalAlert, ExamItem, Result
from checkup.models.appointments import BOOKED
from checkup.models.integrations import ExternalResult
from checkup.models.result_conflicts import ResultConflict
from tests.api.api_helpers import assert_problem, bearer, post_json, token_for
from tests.results_helpers import Lab

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def lab(app):
    lab = Lab()
    ExamItem.update(loinc="14771-0", container="FLU").where(ExamItem.id == lab.glu.id).execute()
    ExamItem.update(container="EDTA").where(ExamItem.id == lab.hb.id).execute()
    return lab


def _results(http, token, exam_code, *entries, **headers):
    return post_json(http, "/api/v1/results", token, {"exam_code": exam_code, "results": list(entries)}, **headers)


def test_the_worklist_lists_the_days_checked_in_orders_with_barcodes_and_loinc(app, client, lab):
    checked_in = lab.appointment(name="张三")
    lab.appointment(status=BOOKED, name="李四")
    _system, token = token_for("orders:read")
    response = client.get(f"/api/v1/worklist?day={checked_in.day}", headers=bearer(token))
    assert response.status_code == 200
    orders = response.get_json()["data"]
    assert [o["exam_code"] for o in orders] == [checked_in.exam_code]
    order = orders[0]
    assert order["patient"]["name"] == "张三"
    assert order["specimens"] == [
        {"container": "EDTA", "barcode": f"{checked_in.exam_code}-EDTA"},
        {"container": "FLU", "barcode": f"{checked_in.exam_code}-FLU"},
    ]
    glu = next(i for i in order["items"] if i["code"] == "GLU")
    assert glu["loinc"] == "14771-0" and glu["barcode"] == f"{checked_in.exam_code}-FLU"
    assert next(i for i in order["items"] if i["code"] == "ABD")["barcode"] is None


def test_cursor_pages_walk_the_worklist_without_gaps_or_repeats(app, client, lab):
    made = [lab.appointment(name=f"客户{i}") for i in range(5)]
    _system, token = token_for("orders:read")
    seen, cursor, pages = [], "", 0
    while True:
        response = client.get(f"/api/v1/worklist?day={made[0].day}&limit=2&cursor={cursor}", headers=bearer(token))
        body = response.get_json()
        seen += [o["appointment_id"] for o in body["data"]]
        pages += 1
        if not body["next_cursor"]:
            break
        cursor = body["next_cursor"]
    assert seen == [a.id for a in made] and pages == 3


def test_a_read_carries_an_etag_and_answers_304_until_the_data_changes(app, client, lab):
    appointment = lab.appointment()
    _system, token = token_for("orders:read")
    path = f"/api/v1/worklist?day={appointment.day}"
    first = client.get(path, headers=bearer(token))
    etag = first.headers["ETag"]
    again = client.get(path, headers=bearer(token, **{"If-None-Match": etag}))
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    lab.appointment(name="新来的")
    changed = client.get(path, headers=bearer(token, **{"If-None-Match": etag}))
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_results_in_by_item_code_or_loinc_are_stored_as_instrument_results(app, client, lab):
    appointment = lab.appointment()
    _system, token = token_for("results:write")
    response = _results(
        client,
        token,
        appointment.exam_code,
        {"external_id": "LIS-1", "loinc": "14771-0", "value": "5.2", "unit": "mmol/L", "instrument_id": "AU5800"},
        {"external_id": "LIS-2", "item_code": "HB", "value": "128", "unit": "g/L"},
    )
    assert response.status_code == 200
    outcomes = {o["external_id"]: o for o in response.get_json()["results"]}
    assert outcomes["LIS-1"]["outcome"] == "stored" and outcomes["LIS-1"]["item_code"] == "GLU"
    assert outcomes["LIS-2"]["outcome"] == "stored" and outcomes["LIS-2"]["flag"] == "N"
    glu = Result.get(Result.appointment == appointment.id, Result.item == lab.glu.id)
    assert glu.value_text == "5.2" and glu.source == "instrument"
    assert ExternalResult.get(ExternalResult.external_id == "LIS-1").instrument_id == "AU5800"


def test_the_same_external_id_again_changes_nothing(app, client, lab):
    appointment = lab.appointment()
    _system, token = token_for("results:write")
    entry = {"external_id": "LIS-9", "item_code": "GLU", "value": "5.2"}
    _results(client, token, appointment.exam_code, entry)
    again = _results(client, token, appointment.exam_code, entry).get_json()["results"][0]
    assert again["outcome"] == "duplicate"
    reused = _results(client, token, appointment.exam_code, dict(entry, value="6.6")).get_json()["results"][0]
    assert reused["outcome"] == "refused" and "already used" in reused["error"]
    assert Result.get(Result.appointment == appointment.id, Result.item == lab.glu.id).value_text == "5.2"
    assert ResultConflict.select().count() == 0


def test_a_value_differing_from_the_entered_one_goes_to_the_conflict_list(app, client, lab):
    appointment = lab.appointment()
    lab_result = Result.create(appointment=appointment.id, item=lab.glu.id, value_text="5.2", value_num=5.2, flag="N")
    _system, token = token_for("results:write")
    outcome = _results(client, token, appointment.exam_code, {"external_id": "X1", "item_code": "GLU", "value": "7.4"})
    body = outcome.get_json()["results"][0]
    assert body["outcome"] == "conflict"
    conflict = ResultConflict.get_by_id(body["conflict_id"])
    assert conflict.result_id == lab_result.id and conflict.instrument_value == "7.4" and conflict.source_ref == "X1"
    assert Result.get_by_id(lab_result.id).value_text == "5.2"  # never silently replaced


def test_a_critical_value_raises_its_alert_at_once(app, client, lab):
    appointment = lab.appointment()
    _system, token = token_for("results:write")
    body = _results(client, token, appointment.exam_code, {"external_id": "C1", "item_code": "GLU", "value": "30"})
    outcome = body.get_json()["results"][0]
    assert outcome["flag"] == "HH"
    alert = CriticalAlert.get_by_id(outcome["critical_alert_id"])
    assert alert.appointment_id == appointment.id and alert.acknowledged_at is None


def test_refused_values_say_why_and_leave_the_others_stored(app, client, lab):
    appointment = lab.appointment()
    _system, token = token_for("results:write")
    body = _results(
        client,
        token,
        appointment.exam_code,
        {"external_id": "A", "item_code": "GLU", "value": "5.0", "unit": "mg/L"},  # no conversion known
        {"external_id": "B", "item_code": "NOPE", "value": "1"},
        {"external_id": "C", "item_code": "HB", "value": "abc"},
        {"external_id": "D", "item_code": "HB", "value": "140"},
    ).get_json()["results"]
    assert [o["outcome"] for o in body] == ["refused", "refused", "refused", "stored"]
    assert "mg/L" in body[0]["error"]
    assert Result.select().where(Result.appointment == appointment.id).count() == 1


def test_an_unknown_exam_code_is_a_404_problem_and_a_bad_body_a_422(app, client, lab):
    _system, token = token_for("results:write")
    assert_problem(_results(client, token, "NOSUCHCODE", {"external_id": "A", "item_code": "GLU", "value": "1"}), 404)
    body = assert_problem(post_json(client, "/api/v1/results", token, {"exam_code": "X", "results": []}), 422)
    assert "results" in body["errors"]
    assert_problem(
        client.post("/api/v1/results", data="not json", content_type="application/json", headers=bearer(token)), 422
    )


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(app, client, lab):
    appointment = lab.appointment()
    _system, token = token_for("results:write")
    entry = {"external_id": "K1", "item_code": "GLU", "value": "5.5"}
    first = _results(client, token, appointment.exam_code, entry, **{"Idempotency-Key": "batch-1"})
    second = _results(client, token, appointment.exam_code, entry, **{"Idempotency-Key": "batch-1"})
    assert second.status_code == first.status_code == 200
    assert second.get_json() == first.get_json() and second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["results"][0]["outcome"] == "stored"  # the first answer, not "duplicate"
    other = _results(client, token, appointment.exam_code, dict(entry, value="9"), **{"Idempotency-Key": "batch-1"})
    body = assert_problem(other, 422)
    assert body["type"] == "urn:checkup:problem:key-reused"


def test_the_worklist_is_read_in_a_fixed_number_of_queries(app, client, lab, count_queries):
    for i in range(2):
        lab.appointment(name=f"甲{i}")
    _system, token = token_for("orders:read")
    with count_queries() as few:
        client.get(f"/api/v1/worklist?day={lab.center.day}", headers=bearer(token))
    for i in range(4):
        lab.appointment(name=f"乙{i}")
    with count_queries() as more:
        client.get(f"/api/v1/worklist?day={lab.center.day}", headers=bearer(token))
    assert more.count == few.count
