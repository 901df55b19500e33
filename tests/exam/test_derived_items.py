"""Derived items at the stations and in imports: computed, flagged and recomputed in the same
transaction as their inputs, never typed; shown as computed on the station form."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.models import (
    Appointment,
    AuditEvent,
    CriticalAlert,
    ExamItem,
    Package,
    PackageItem,
    ReferenceRange,
    Result,
)
from checkup.services.booking import booking
from checkup.services.exam import results, results_import, station_sheets
from tests import factories
from tests.booking_helpers import Center
from tests.factories import sign_in_directly

pytestmark = pytest.mark.both_dbs

HX = {"HX-Request": "true"}


class DerivedLab:
    """GEN: height, weight, BMI, waist, hip, WHR; LAB: creatinine, eGFR, lipids and the two computed ones."""

    def __init__(self):
        self.center = Center(slot_capacity=50)
        self.gen = factories.make_department("GEN", name_en="General examination")
        self.lab = self.center.blood.department
        make = factories.make_item
        self.height = make("HEIGHT", self.gen, unit="cm", name_en="Height")
        self.weight = make("WEIGHT", self.gen, unit="kg", name_en="Weight")
        self.bmi = make("BMI", self.gen, unit="kg/m²", name_en="Body mass index")
        factories.make_range(self.bmi, low="18.5", high="23.9")
        self.waist = make("WAIST", self.gen, unit="cm", name_en="Waist")
        self.hip = make("HIP", self.gen, unit="cm", name_en="Hip")
        self.whr = make("WHR", self.gen, unit="", name_en="Waist-to-hip ratio")
        factories.make_range(self.whr, sex="female", low=None, high="0.85")
        self.crea = make("CREA", self.lab, unit="μmol/L", name_en="Creatinine")
        self.egfr = make("EGFR", self.lab, unit="mL/min/1.73m²", name_en="eGFR")
        factories.make_range(self.egfr, low="90", high=None, critical_low=Decimal("15"))
        self.tc = make("TC", self.lab, unit="mmol/L", name_en="Total cholesterol")
        self.hdl = make("HDL-C", self.lab, unit="mmol/L", name_en="HDL cholesterol")
        self.tg = make("TG", self.lab, unit="mmol/L", name_en="Triglycerides")
        self.ldl = make("LDL-C-CALC", self.lab, unit="mmol/L", name_en="LDL-C (calculated)")
        factories.make_range(self.ldl, low=None, high="3.40")
        self.non_hdl = make("NON-HDL-C", self.lab, unit="mmol/L", name_en="Non-HDL cholesterol")
        factories.make_range(self.non_hdl, low=None, high="4.10")
        items = [self.height, self.weight, self.bmi, self.waist, self.hip, self.whr, self.crea, self.egfr]
        factories.make_package("DERIVED", items + [self.tc, self.hdl, self.tg, self.ldl, self.non_hdl])
        self.physician = factories.make_user("physician", name="Dr. Zhou")

    @property
    def actor(self):
        return Actor(self.physician, "127.0.0.1")

    def appointment(self, sex="female", age=50, name="周丽", today=False):
        day = clock.today() if today else self.center.day
        birth = datetime.date(day.year - age - 1, 12, 31) if day.month < 12 else datetime.date(day.year - age, 1, 1)
        client = factories.make_client(name=name, sex=sex, birth_date=birth)
        appointment = booking.book(Actor(), client.id, self.center.slot.id, "DERIVED")
        Appointment.update(status="checked_in", day=day).where(Appointment.id == appointment.id).execute()
        return Appointment.get_by_id(appointment.id)


@pytest.fixture
def lab(app):
    return DerivedLab()


def stored(appointment, item):
    return Result.get_or_none(Result.appointment == appointment.id, Result.item == item.id)


def test_bmi_is_computed_and_flagged_once_height_and_weight_are_entered(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "HEIGHT", "172")
    assert stored(appointment, lab.bmi) is None  # weight still to come: pending, not a guess
    results.record_result(lab.actor, appointment.id, "WEIGHT", "81.5")
    bmi = stored(appointment, lab.bmi)
    assert (bmi.value_num, bmi.value_text, bmi.flag, bmi.source) == (Decimal("27.5"), "27.5", "H", "derived")
    assert (bmi.ref_low, bmi.ref_high, bmi.unit) == (Decimal("18.5"), Decimal("23.9"), "kg/m²")
    assert bmi.entered_by_id == lab.physician.id
    event = AuditEvent.get(AuditEvent.action == "results.derived")
    assert '"item": "BMI"' in event.detail and event.client_id == appointment.client_id


def test_changing_an_input_recomputes_and_an_unchanged_outcome_writes_nothing(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "HEIGHT", "172")
    results.record_result(lab.actor, appointment.id, "WEIGHT", "81.5")
    results.record_result(lab.actor, appointment.id, "WEIGHT", "65")
    assert (stored(appointment, lab.bmi).value_text, stored(appointment, lab.bmi).flag) == ("22.0", "N")
    derived_events = AuditEvent.select().where(AuditEvent.action == "results.derived").count()
    results.record_result(lab.actor, appointment.id, "WEIGHT", "65.0")  # the same number again
    assert AuditEvent.select().where(AuditEvent.action == "results.derived").count() == derived_events
    assert Result.select().where(Result.item == lab.bmi.id).count() == 1


def test_a_typed_value_for_a_derived_item_is_ignored_by_the_service_and_refused_at_the_station(lab):
    appointment = lab.appointment()
    assert results.record_result(lab.actor, appointment.id, "BMI", "30") is None
    assert stored(appointment, lab.bmi) is None
    outcome = station_sheets.save_station(lab.actor, appointment.id, lab.gen.id, {lab.bmi.id: {"value": "30"}})
    assert outcome.saved == [] and "computed from other results" in str(outcome.errors[lab.bmi.id])
    skipped = station_sheets.save_station(
        lab.actor, appointment.id, lab.gen.id, {lab.bmi.id: {"value": "", "skipped": True, "skip_reason": "x"}}
    )
    assert lab.bmi.id in skipped.errors and stored(appointment, lab.bmi) is None


def test_a_skipped_input_gives_a_note_instead_of_a_value(lab):
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "WAIST", "80")
    results.record_result(lab.actor, appointment.id, "HIP", None, skipped=True, skip_reason="declined")
    whr = stored(appointment, lab.whr)
    assert whr.skipped and whr.value_num is None and whr.skip_reason == "derived:unmeasured:HIP"  # a key
    assert str(results.skip_reason_label(whr.skip_reason)) == "Not computed: Hip circumference was not measured."
    results.record_result(lab.actor, appointment.id, "HIP", "100")
    whr = stored(appointment, lab.whr)
    assert (whr.skipped, whr.value_text, whr.flag, whr.skip_reason) == (False, "0.80", "N", "")


def test_friedewald_is_not_computed_from_high_triglycerides_but_non_hdl_is(lab):
    appointment = lab.appointment()
    for code, value in (("TC", "6.8"), ("HDL-C", "0.9"), ("TG", "5.2")):
        results.record_result(lab.actor, appointment.id, code, value)
    ldl, non_hdl = stored(appointment, lab.ldl), stored(appointment, lab.non_hdl)
    assert ldl.skipped and ldl.skip_reason == "derived:tg" and ldl.flag == ""
    assert "4.5 mmol/L" in results.skip_reason_label(ldl.skip_reason)
    assert (non_hdl.value_text, non_hdl.flag) == ("5.90", "H")
    results.record_result(lab.actor, appointment.id, "TG", "1.1")  # a re-measured TG: now it holds
    ldl = stored(appointment, lab.ldl)
    assert (ldl.skipped, ldl.value_text, ldl.flag) == (False, "5.40", "H")  # 6.8 − 0.9 − 0.5


def test_egfr_follows_imported_creatinine_and_the_analysers_own_egfr_is_ignored(lab):
    woman = lab.appointment(sex="female", age=50)
    data = (
        "exam_code,item_code,value,unit,time\n"
        f"{woman.exam_code},CREA,80,μmol/L,08:10\n"
        f"{woman.exam_code},EGFR,81,mL/min/1.73m²,08:10\n"
    ).encode()
    outcome = results_import.import_instrument_csv(lab.actor, "cobas.csv", data)
    assert (outcome.rows, outcome.created, outcome.ignored, outcome.derived) == (1, 1, 1, 1)
    egfr = stored(woman, lab.egfr)
    assert (egfr.value_text, egfr.flag, egfr.source) == ("77", "L", "derived")  # the worked example


def test_a_critical_derived_value_opens_its_alert(lab):
    appointment = lab.appointment(sex="male", age=45)
    results.record_result(lab.actor, appointment.id, "CREA", "600")
    egfr = stored(appointment, lab.egfr)
    assert (egfr.value_text, egfr.flag) == ("10", "LL")
    [alert] = CriticalAlert.select()
    assert alert.result_id == egfr.id


def test_an_input_missing_from_the_checkup_says_so(lab):
    package = Package.get(Package.code == "DERIVED")
    PackageItem.delete().where(PackageItem.package == package.id, PackageItem.item == lab.hip.id).execute()
    appointment = lab.appointment()
    results.record_result(lab.actor, appointment.id, "WAIST", "80")
    whr = stored(appointment, lab.whr)
    assert whr.skipped and whr.skip_reason == "derived:unplanned:HIP"
    assert results.skip_reason_label(whr.skip_reason) == "Not computed: Hip circumference is not part of this checkup."


def test_derived_results_follow_the_reference_range_for_the_clients_sex(lab):
    man = lab.appointment(sex="male", name="周强")
    results.record_result(lab.actor, man.id, "WAIST", "92")
    results.record_result(lab.actor, man.id, "HIP", "100")
    assert stored(man, lab.whr).flag == ""  # no range for men in this catalog: not flagged
    ReferenceRange.create(item=lab.whr, sex="male", low=None, high=Decimal("0.90"))
    results.record_result(lab.actor, man.id, "WAIST", "93")
    assert (stored(man, lab.whr).value_text, stored(man, lab.whr).flag) == ("0.93", "H")


# --- the station form --------------------------------------------------------------------------------


@pytest.fixture
def doctor(app, lab):
    http = app.test_client()
    sign_in_directly(http, lab.physician)
    return http


def test_the_station_form_shows_derived_items_computed_with_no_input(doctor, lab):
    appointment = lab.appointment(today=True)
    url = f"/exam/appointments/{appointment.id}/stations/GEN"
    html = doctor.get(url).get_data(as_text=True)
    assert f'name="value-{lab.height.id}"' in html
    assert f'name="value-{lab.bmi.id}"' not in html and f'name="skip-{lab.bmi.id}"' not in html
    assert "computed" in html and "Computed once its inputs are entered." in html
    doctor.post(url, data={f"value-{lab.height.id}": "160", f"value-{lab.weight.id}": "64"})
    html = doctor.get(url).get_data(as_text=True)
    assert f'<output id="value-{lab.bmi.id}" aria-labelledby="label-{lab.bmi.id}">25.0</output>' in html


def test_saving_an_input_row_swaps_the_computed_row_too(doctor, lab):
    appointment = lab.appointment(today=True)
    url = f"/exam/appointments/{appointment.id}/stations/GEN"
    results.record_result(lab.actor, appointment.id, "HEIGHT", "160")
    response = doctor.post(url, data={f"value-{lab.weight.id}": "64", "only": lab.weight.id}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<tr id="row-{lab.bmi.id}" class="result-row derived-row" hx-swap-oob="true">' in html
    assert ">25.0</output>" in html


def test_a_forged_value_for_a_derived_item_is_refused_with_a_message(doctor, lab):
    appointment = lab.appointment(today=True)
    url = f"/exam/appointments/{appointment.id}/stations/GEN"
    response = doctor.post(url, data={f"value-{lab.bmi.id}": "19", f"value-{lab.height.id}": "160"})
    assert response.status_code == 422
    assert "This item is computed from other results; it cannot be typed." in response.get_data(as_text=True)
    assert stored(appointment, lab.bmi) is None and stored(appointment, lab.height).value_text == "160"


# --- the demo catalog ----------------------------------------------------------------------------------


def test_the_demo_adds_the_inputs_and_computed_items_to_the_packages_that_have_their_inputs(app):
    from checkup.demo.demo_derived import add_derived_items

    gen, lipid = factories.make_department("GEN"), factories.make_department("LAB-LIPID")
    waist = factories.make_item("WAIST", gen, unit="cm")
    tc = factories.make_item("TC", lipid, unit="mmol/L")
    for code in ("HDL-C", "TG"):
        factories.make_item(code, lipid, unit="mmol/L")
    cardio = factories.make_package("CARDIO-40", [waist, tc])
    factories.make_package("EXEC", [waist, tc])
    assert add_derived_items() == 4
    codes = {line.item.code for line in PackageItem.select().where(PackageItem.package == cardio.id)}
    assert {"HIP", "WHR", "LDL-C-CALC", "NON-HDL-C"} <= codes
    whr = ExamItem.get(ExamItem.code == "WHR")
    assert whr.department_id == gen.id and whr.price == 0
    assert {(r.sex, r.high) for r in ReferenceRange.select().where(ReferenceRange.item == whr.id)} == {
        ("male", Decimal("0.90")),
        ("female", Decimal("0.85")),
    }
