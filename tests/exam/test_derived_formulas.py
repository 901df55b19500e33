"""The derived-item formulas against published worked examples, each number also worked out here
independently (in mg/dL, or with floats), so a slip in the module's constants cannot pass unseen."""

import math
from decimal import Decimal

import pytest

from checkup.services.exam import derived_items
from checkup.services.exam.derived_items import InputValue

D = Decimal


def ckd_epi_2021_by_hand(creatinine_mg_dl, age, female):
    """Inker et al. 2021, written out again from the paper's table (mg/dL)."""
    if female:
        kappa, alpha, factor = 0.7, -0.241, 1.012
    else:
        kappa, alpha, factor = 0.9, -0.302, 1.0
    ratio = creatinine_mg_dl / kappa
    return 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.2 * 0.9938**age * factor


@pytest.mark.parametrize(
    "umol, age, sex, published",
    [
        (80, 50, "female", 77),  # the issue's example: a woman of 50 with 80 µmol/L (0.905 mg/dL)
        (100, 60, "male", 74),  # NKF calculator: man, 60, 1.13 mg/dL → 74
        (50, 30, "female", 126),  # below κ: the min() term raises the estimate
        (600, 45, "male", 10),  # kidney failure range (9.50 by hand)
    ],
)
def test_egfr_ckd_epi_2021_matches_the_published_equation(umol, age, sex, published):
    by_hand = ckd_epi_2021_by_hand(umol / 88.4, age, sex == "female")
    assert round(by_hand) == published
    assert derived_items.egfr_ckd_epi_2021(D(umol), age, sex) == D(published)


def test_egfr_at_kappa_uses_neither_power_and_women_get_the_factor():
    # 0.7 mg/dL × 88.4 = 61.88 µmol/L: both min and max are 1, so only age and sex remain
    expected = 142 * 0.9938**40 * 1.012
    assert derived_items.egfr_ckd_epi_2021(D("61.88"), 40, "female") == D(round(expected))
    assert math.isclose(expected, 112.05, abs_tol=0.01)


def test_egfr_is_not_computed_without_a_usable_sex_or_for_a_child():
    with pytest.raises(derived_items.NotComputed) as caught:
        derived_items.egfr_ckd_epi_2021(D(80), 50, "other")
    assert "sex" in str(caught.value.note)
    with pytest.raises(derived_items.NotComputed):
        derived_items.egfr_ckd_epi_2021(D(80), 12, "female")


@pytest.mark.parametrize("umol", ["0.8", "0.0001", "9", "3001", "99999"])
def test_egfr_is_not_computed_from_a_creatinine_no_person_has(umol):
    # 0.8 is a value in mg/dL typed into the µmol/L field: it would give an eGFR of 428 flagged normal,
    # and 99999 an eGFR of 0 flagged critical
    with pytest.raises(derived_items.NotComputed):
        derived_items.egfr_ckd_epi_2021(D(umol), 50, "female")
    assert derived_items.egfr_ckd_epi_2021(D(10), 50, "female") > 0
    assert derived_items.egfr_ckd_epi_2021(D(3000), 50, "female") > 0


def test_bmi_is_weight_over_height_squared_rounded_half_up():
    assert derived_items.bmi(D(70), D(175)) == D("22.9")  # 70 / 1.75² = 22.857
    assert derived_items.bmi(D("81.5"), D(172)) == D("27.5")  # 81.5 / 2.9584 = 27.548
    assert derived_items.bmi(D("22.45"), D(100)) == D("22.5")  # exactly half: up, as labs print (not 22.4)
    assert float(derived_items.bmi(D(63), D(165))) == round(63 / 1.65**2, 1)


def test_bmi_refuses_what_a_person_cannot_measure():
    with pytest.raises(derived_items.NotComputed):
        derived_items.bmi(D(70), D("1.75"))  # the height typed in metres
    with pytest.raises(derived_items.NotComputed):
        derived_items.bmi(D(0), D(170))


def test_waist_to_hip_ratio_has_two_decimals():
    assert derived_items.waist_to_hip(D(85), D(100)) == D("0.85")
    assert derived_items.waist_to_hip(D(90), D(97)) == D("0.93")  # 0.9278
    with pytest.raises(derived_items.NotComputed):
        derived_items.waist_to_hip(D(85), D(1))


def test_friedewald_ldl_in_mmol_agrees_with_the_mg_dl_textbook_example():
    # textbook: TC 200, HDL 50, TG 150 mg/dL → LDL 200 − 50 − 150/5 = 120 mg/dL
    tc, hdl, tg = D(200) / D("38.67"), D(50) / D("38.67"), D(150) / D("88.57")
    ldl = derived_items.ldl_friedewald(tc.quantize(D("0.01")), hdl.quantize(D("0.01")), tg.quantize(D("0.01")))
    assert abs(ldl * D("38.67") - 120) < 1
    assert derived_items.ldl_friedewald(D("5.2"), D("1.3"), D("1.5")) == D("3.22")  # 5.2 − 1.3 − 0.682


def test_friedewald_stops_at_triglycerides_of_4_5_mmol_l():
    assert derived_items.ldl_friedewald(D("6.5"), D("1.0"), D("4.49")) == D("3.46")
    with pytest.raises(derived_items.NotComputed) as caught:
        derived_items.ldl_friedewald(D("6.5"), D("1.0"), D("4.5"))
    assert "4.5 mmol/L" in str(caught.value.note) and "Friedewald" in str(caught.value.note)


def test_non_hdl_is_total_minus_hdl():
    assert derived_items.non_hdl(D("5.2"), D("1.3")) == D("3.90")
    assert derived_items.non_hdl(D("6.18"), D("0.95")) == D("5.23")


def test_compute_waits_for_missing_inputs_and_explains_the_rest():
    weight, height = InputValue(D(70), "kg"), InputValue(D(175), "cm")
    assert derived_items.compute("BMI", {"WEIGHT": weight}) is None  # height not entered yet: pending
    assert derived_items.compute("BMI", {"WEIGHT": weight, "HEIGHT": height}).value == D("22.9")
    skipped = derived_items.compute(
        "BMI", {"WEIGHT": weight, "HEIGHT": InputValue(None, "cm", skipped=True, name="Height")}
    )
    assert skipped.value is None and str(skipped.note) == "Not computed: Height was not measured."
    wrong_unit = derived_items.compute("BMI", {"WEIGHT": InputValue(D(154), "lb"), "HEIGHT": height})
    assert wrong_unit.value is None and "lb" in str(wrong_unit.note) and "kg" in str(wrong_unit.note)


def test_compute_reads_creatinine_in_either_micro_sign_and_needs_the_client():
    greek = InputValue(D(80), "\u03bcmol/L")  # Greek mu, as the demo catalog writes it
    assert derived_items.compute("EGFR", {"CREA": greek}, "female", 50).value == D(77)
    assert derived_items.compute("EGFR", {"CREA": InputValue(D(80), "\u00b5mol/L")}, "female", 50).value == D(77)


def test_the_formulas_name_their_inputs_and_derived_codes_are_found_by_input():
    assert derived_items.FORMULAS["LDL-C-CALC"].input_codes == ("TC", "HDL-C", "TG")
    assert derived_items.derived_codes_using({"TC"}) == {"LDL-C-CALC", "NON-HDL-C"}
    assert derived_items.derived_codes_using({"HEIGHT", "GLU"}) == {"BMI"}
    assert derived_items.derived_codes_using({"GLU"}) == set()
    assert derived_items.is_derived("BMI") and not derived_items.is_derived("WEIGHT")
