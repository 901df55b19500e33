"""What the desk prints speaks the client's language (the center's name from configuration, a translated PDF
title), and an analyser's unit is read as a lab writes it (µ or μ, ``u`` for micro)."""

import io

import pytest
from pypdf import PdfReader

from checkup.core.audit import Actor
from checkup.models import Appointment, Result
from checkup.services.exam import exam_day, results_import, specimens
from tests.exam_day_helpers import ExamDay, booked_client, freeze_clock
from tests.results_helpers import Lab


@pytest.mark.both_dbs
def test_labels_carry_the_centers_name_in_the_clients_language_and_a_translated_title(app, monkeypatch):
    app.config.update(CENTER_NAME_EN="Harmony Checkup Center", CENTER_NAME_ZH="和睦体检中心")
    day = ExamDay()
    day.blood.container = "EDTA"
    day.blood.save()
    _person, appointment = booked_client(day, monkeypatch, day.mid, "王芳", package="CT-PKG")
    freeze_clock(monkeypatch, 9, 30)
    exam_day.check_in(Actor(), appointment.id, ["name", "birth_date", "national_id"])
    with app.test_request_context():
        assert specimens.label_data(appointment.id, chinese=True)["center_name"] == "和睦体检中心"
        data = specimens.label_data(appointment.id)
        assert data["center_name"] == "Harmony Checkup Center"
        _code, pdf = specimens.print_labels(Actor(), appointment.id)
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta.title == f"Specimen labels {appointment.exam_code}" and meta.author == "Harmony Checkup Center"


@pytest.mark.parametrize("unit", ["µmol/L", "μmol/L", "umol/L", "UMOL/L"])
def test_an_analyser_may_write_micro_as_mu_or_u(unit):
    assert results_import.unit_matches(unit, "µmol/L") and results_import.unit_matches(unit, "μmol/L")


def test_u_stands_for_micro_only_where_the_item_has_micro():
    assert results_import.unit_matches("U/L", "U/L") and results_import.unit_matches("u/l", "U/L")
    assert not results_import.unit_matches("µ/L", "U/L")
    assert not results_import.unit_matches("mmol/L", "µmol/L") and not results_import.unit_matches("umol", "µmol/L")


@pytest.mark.both_dbs
def test_an_import_in_umol_is_accepted_for_a_micromole_item(app):
    lab = Lab()
    lab.glu.unit = "µmol/L"
    lab.glu.save()
    appointment = lab.appointment()
    code = Appointment.get_by_id(appointment.id).exam_code
    data = f"exam_code,item_code,value,unit,time\n{code},GLU,5.4,umol/L,\n".encode()
    outcome = results_import.import_instrument_csv(lab.actor, "cobas.csv", data)
    assert outcome.created == 1 and Result.get().value_text == "5.4"
