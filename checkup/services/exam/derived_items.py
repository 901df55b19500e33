"""Derived exam items: results computed from other results of the same checkup, never typed.

The catalog knows an item is derived by its code: ``FORMULAS`` maps the derived item's code to its
formula (a key naming the function below) and the codes of its inputs, each with the unit the formula
needs. ``results.recompute_derived`` stores what ``compute`` answers, in the transaction that entered,
changed or imported an input, and flags it against the item's reference range like any result.

The formulas (published sources):

* BMI = weight (kg) / height (m)²; one decimal (WS/T 428).
* Waist-to-hip ratio = waist / hip circumference (same unit); two decimals (WHO 2008).
* eGFR, CKD-EPI 2021 without race (Inker et al., NEJM 2021): creatinine in µmol/L ÷ 88.4 = mg/dL;
  κ = 0.7, α = −0.241 for women, κ = 0.9, α = −0.302 for men;
  142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age (× 1.012 for women); whole mL/min/1.73 m².
* LDL-C by Friedewald in mmol/L = TC − HDL-C − TG / 2.2, only while TG < 4.5 mmol/L; two decimals.
* Non-HDL-C = TC − HDL-C; two decimals.

Rounding is half up, as labs print. Nothing here touches the database: it is all plain arithmetic.
"""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

# --- the formulas ---------------------------------------------------------------------------------

CREATININE_MG_DL = Decimal("88.4")  # µmol/L per mg/dL
FRIEDEWALD_TG_LIMIT = Decimal("4.5")  # mmol/L: from here on TG/2.2 no longer estimates VLDL cholesterol
TG_TO_VLDL = Decimal("2.2")  # mmol/L (5 in mg/dL)


# --- why a derived item is not computed: a reason key, stored; its words, in the reader's language ----------

REASON_PREFIX = "derived:"  # Result.skip_reason of a derived item not computed: "derived:<reason>[:code[:unit]]"
REASONS = {
    "zero": _l("Not computed: an input is zero or negative."),
    "implausible": _l("Not computed: an input is outside what a person can measure; check it."),
    "sex": _l("Not computed: the formula needs the client's sex (female or male)."),
    "adult": _l("Not computed: CKD-EPI is for adults (18 and over)."),
    "tg": _l(
        "Not computed: triglycerides are 4.5 mmol/L or more, where the Friedewald formula does not "
        "hold; measure LDL-C directly."
    ),
    "ldl": _l("Not computed: the inputs give an LDL-C of zero or less."),
    "hdl": _l("Not computed: HDL-C is above total cholesterol."),
}
# the inputs as a reason names them (the catalog's own names need the database; these never change)
INPUT_NAMES = {
    "WEIGHT": _l("Weight"),
    "HEIGHT": _l("Height"),
    "WAIST": _l("Waist circumference"),
    "HIP": _l("Hip circumference"),
    "CREA": _l("Creatinine"),
    "TC": _l("Total cholesterol"),
    "HDL-C": _l("HDL cholesterol"),
    "TG": _l("Triglycerides"),
}


def reason_key(reason, code="", unit=""):
    """The stored key of a reason ("derived:unmeasured:HIP", "derived:unit:WEIGHT:lb", "derived:tg")."""
    return REASON_PREFIX + ":".join(part for part in (reason, code, unit) if part)


def is_reason_key(text):
    return str(text or "").startswith(REASON_PREFIX)


def reason_text(key, names=None):
    """The words of a stored reason key in the language of the moment (call it when showing the reason).
    ``names`` ({item code: name}) gives the input's name as the catalog words it in that language (the
    caller's rows have it); else ``INPUT_NAMES``. Text that is not a key is returned as it is (results
    stored before the keys)."""
    text = str(key or "")
    if not is_reason_key(text):
        return text
    reason, _sep, rest = text[len(REASON_PREFIX) :].partition(":")
    code, _sep, unit = rest.partition(":")
    name = (names or {}).get(code)
    item = str(name) if name else str(INPUT_NAMES.get(code, code))
    if reason == "unmeasured":
        return str(_l("Not computed: %(item)s was not measured.", item=item))
    if reason == "unplanned":
        return str(_l("Not computed: %(item)s is not part of this checkup.", item=item))
    if reason == "unit":
        expected = dict(_INPUT_UNITS).get(code, "")
        return str(
            _l(
                "Not computed: %(item)s is in %(unit)s; the formula needs %(expected)s.",
                item=item,
                unit=unit or "—",
                expected=expected,
            )
        )
    return str(REASONS.get(reason, text))


class NotComputed(Exception):
    """The inputs are there but give no valid value; ``reason`` (a key of ``REASONS``) says why, ``note`` in
    words (for the station and the report)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason_key(reason)

    @property
    def note(self):
        return reason_text(self.reason)


def _rounded(value, places):
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _positive(*values):
    if any(v <= 0 for v in values):
        raise NotComputed("zero")


# what a person's body can measure (a typing slip such as 1.72 for the height in cm gives no BMI)
PLAUSIBLE = {
    "height_cm": (40, 250),
    "weight_kg": (2, 400),
    "girth_cm": (30, 250),
    # serum creatinine: 0.8 is a value in mg/dL typed into a µmol/L field, 99999 a slip; neither is a person's
    "creatinine_umol_l": (10, 3000),
}


def _plausible(kind, *values):
    low, high = PLAUSIBLE[kind]
    if any(not (low <= v <= high) for v in values):
        raise NotComputed("implausible")


def bmi(weight_kg, height_cm):
    """Body mass index in kg/m², one decimal: 70 kg at 175 cm → 22.9."""
    _positive(weight_kg, height_cm)
    _plausible("weight_kg", weight_kg)
    _plausible("height_cm", height_cm)
    height_m = Decimal(height_cm) / 100
    return _rounded(Decimal(weight_kg) / (height_m * height_m), 1)


def waist_to_hip(waist, hip):
    """Waist-to-hip ratio, two decimals: 85 cm / 100 cm → 0.85."""
    _positive(waist, hip)
    _plausible("girth_cm", waist, hip)
    return _rounded(Decimal(waist) / Decimal(hip), 2)


def egfr_ckd_epi_2021(creatinine_umol_l, age, sex):
    """eGFR (mL/min/1.73 m², whole number) by CKD-EPI 2021: a woman of 50 with 80 µmol/L → 77."""
    if sex not in ("female", "male"):
        raise NotComputed("sex")
    _positive(creatinine_umol_l)
    _plausible("creatinine_umol_l", creatinine_umol_l)
    if age is None or age < 18:
        raise NotComputed("adult")
    female = sex == "female"
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = float(Decimal(creatinine_umol_l) / CREATININE_MG_DL) / kappa
    value = 142 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age
    if female:
        value *= 1.012
    if not math.isfinite(value):  # pragma: no cover - positive inputs give a finite value
        raise NotComputed("zero")
    return _rounded(Decimal(repr(value)), 0)


def ldl_friedewald(total_cholesterol, hdl, triglycerides):
    """LDL-C (mmol/L, two decimals) = TC − HDL-C − TG/2.2; NotComputed when TG ≥ 4.5 mmol/L."""
    _positive(total_cholesterol, hdl, triglycerides)
    if Decimal(triglycerides) >= FRIEDEWALD_TG_LIMIT:
        raise NotComputed("tg")
    value = Decimal(total_cholesterol) - Decimal(hdl) - Decimal(triglycerides) / TG_TO_VLDL
    if value <= 0:
        raise NotComputed("ldl")
    return _rounded(value, 2)


def non_hdl(total_cholesterol, hdl):
    """Non-HDL cholesterol (mmol/L, two decimals) = TC − HDL-C."""
    _positive(total_cholesterol, hdl)
    value = Decimal(total_cholesterol) - Decimal(hdl)
    if value < 0:
        raise NotComputed("hdl")
    return _rounded(value, 2)


# --- which items they compute ---------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A derived item: its formula key, its inputs (item code, unit the formula needs) in argument order,
    and whether the formula also needs the client's age and sex."""

    key: str
    inputs: tuple
    description: object
    needs_client: bool = False

    @property
    def input_codes(self):
        return tuple(code for code, _unit in self.inputs)


FUNCTIONS = {
    "bmi": bmi,
    "waist_to_hip": waist_to_hip,
    "egfr_ckd_epi_2021": egfr_ckd_epi_2021,
    "ldl_friedewald": ldl_friedewald,
    "non_hdl": non_hdl,
}

# derived item code -> formula; the codes are the catalog's (see checkup/demo/demo_derived.py)
FORMULAS = {
    "BMI": Formula("bmi", (("WEIGHT", "kg"), ("HEIGHT", "cm")), _l("weight ÷ height²")),
    "WHR": Formula("waist_to_hip", (("WAIST", "cm"), ("HIP", "cm")), _l("waist ÷ hip circumference")),
    "EGFR": Formula("egfr_ckd_epi_2021", (("CREA", "µmol/L"),), _l("CKD-EPI 2021 from creatinine, age and sex"), True),
    "LDL-C-CALC": Formula(
        "ldl_friedewald",
        (("TC", "mmol/L"), ("HDL-C", "mmol/L"), ("TG", "mmol/L")),
        _l("Friedewald: TC − HDL-C − TG ÷ 2.2"),
    ),
    "NON-HDL-C": Formula("non_hdl", (("TC", "mmol/L"), ("HDL-C", "mmol/L")), _l("TC − HDL-C")),
}
INPUT_CODES = frozenset(code for formula in FORMULAS.values() for code in formula.input_codes)
_INPUT_UNITS = tuple((code, unit) for formula in FORMULAS.values() for code, unit in formula.inputs)


def is_derived(code):
    return code in FORMULAS


def derived_codes_using(codes):
    """The derived item codes whose formula reads any of ``codes`` (item codes just entered or changed)."""
    codes = set(codes)
    return {derived for derived, formula in FORMULAS.items() if codes & set(formula.input_codes)}


def same_unit(stored, expected):
    """Units compare without case and with the micro sign (µ, U+00B5) and Greek mu (μ, U+03BC) as one."""
    return stored.replace("\u03bc", "\u00b5").strip().lower() == expected.replace("\u03bc", "\u00b5").lower()


@dataclass(frozen=True)
class InputValue:
    """One input as the formula sees it: its number, unit, and whether it was skipped (not measured)."""

    value: Decimal | None
    unit: str = ""
    skipped: bool = False
    name: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a derived item becomes: a value, or the reason it is not computed (value None): ``reason`` the key
    stored (``reason_key``), ``note`` its words now (with the input's name as the caller gave it)."""

    value: Decimal | None = None
    reason: str = ""
    name: str = ""

    @property
    def note(self):
        if not self.reason:
            return None
        code = self.reason[len(REASON_PREFIX) :].partition(":")[2].partition(":")[0]
        return reason_text(self.reason, {code: self.name} if self.name else None)


def compute(code, inputs, sex=None, age=None):
    """The Outcome for derived item ``code`` given ``inputs`` ({input code: InputValue}), or None while an
    input is still missing (not entered yet: the item stays pending).

    A skipped input, a unit the formula does not read, or inputs that give no valid value make an
    Outcome with a note and no value.
    """
    formula = FORMULAS[code]
    values = []
    for input_code, unit in formula.inputs:
        given = inputs.get(input_code)
        if given is None:
            return None
        if given.skipped or given.value is None:
            return Outcome(reason=reason_key("unmeasured", input_code), name=given.name)
        if not same_unit(given.unit, unit):
            return Outcome(reason=reason_key("unit", input_code, (given.unit or "")[:40]), name=given.name)
        values.append(given.value)
    function = FUNCTIONS[formula.key]
    try:
        value = function(*values, age, sex) if formula.needs_client else function(*values)
    except NotComputed as exc:
        return Outcome(reason=exc.reason)
    return Outcome(value=value)
