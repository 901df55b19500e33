"""The catalog's knowledge of units, for results from outside (the REST API and HL7 ORU alike): the analytes a
LIS commonly reports in conventional units (mg/dL, g/dL) where the catalog keeps SI units. An analyte is known
by its catalog code or its LOINC code (mass and molar LOINC codes both name it); a conversion applies only from
a unit listed for it to the catalog's unit. Anything else is refused by the caller — a guessed factor would
store a wrong value silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


@dataclass(frozen=True)
class Analyte:
    codes: frozenset[str]  # catalog codes and LOINC codes that name it
    unit: str  # the SI unit a catalog keeps it in
    places: int  # decimals kept after converting (what the analyser would print in that unit)
    factors: dict[str, Decimal]  # sent unit (normalised) -> multiply by this to get ``unit``


def _codes(*codes: str) -> frozenset[str]:
    return frozenset(c.upper() for c in codes)


ANALYTES = (
    # glucose: 1 mmol/L = 18.016 mg/dL
    Analyte(
        _codes("GLU", "FPG", "14771-0", "1558-6", "2345-7", "2339-0", "15074-8"),
        "mmol/L",
        2,
        {"mg/dl": Decimal(1) / Decimal("18.016")},
    ),
    # total, HDL and LDL cholesterol: 1 mmol/L = 38.67 mg/dL
    Analyte(
        _codes("TC", "HDL-C", "LDL-C", "14647-2", "2093-3", "14646-4", "2085-9", "22748-8", "13457-7", "18262-6"),
        "mmol/L",
        2,
        {"mg/dl": Decimal(1) / Decimal("38.67")},
    ),
    # triglycerides: 1 mmol/L = 88.57 mg/dL
    Analyte(_codes("TG", "14927-8", "2571-8"), "mmol/L", 2, {"mg/dl": Decimal(1) / Decimal("88.57")}),
    # creatinine: 1 mg/dL = 88.42 µmol/L
    Analyte(_codes("CREA", "CR", "14682-9", "2160-0"), "umol/L", 0, {"mg/dl": Decimal("88.42")}),
    # uric acid: 1 mg/dL = 59.48 µmol/L
    Analyte(_codes("UA", "14933-6", "3084-1"), "umol/L", 0, {"mg/dl": Decimal("59.48")}),
    # haemoglobin: 1 g/dL = 10 g/L
    Analyte(_codes("HGB", "HB", "718-7"), "g/L", 0, {"g/dl": Decimal(10)}),
)


def normalise(unit: str) -> str:
    """Case, spaces, the two micro signs and HL7's ``*`` for a power (``10*9/L``) do not make a unit different."""
    return "".join(unit.split()).lower().replace("μ", "u").replace("µ", "u").replace("*", "^")


def same_unit(sent: str, catalog: str) -> bool:
    """No unit sent, none in the catalog, or the same unit written another way."""
    return not sent.strip() or not catalog or normalise(sent) == normalise(catalog)


class UnknownConversion(Exception):
    """The sent unit differs from the catalog's and no conversion is known for this item."""


def convert(item_code: str, loinc: str, catalog_unit: str, sent_unit: str, value: str) -> str:
    """``value`` in ``sent_unit`` as text in the catalog's unit (unchanged when the units are the same).

    Raises UnknownConversion when the units differ and the item is not an analyte known here, the sent
    unit is not one listed for it, or the catalog keeps it in another unit than the table's."""
    if same_unit(sent_unit, catalog_unit):
        return value
    names = {item_code.strip().upper(), loinc.strip().upper()} - {""}
    analyte = next((a for a in ANALYTES if names & a.codes), None)
    if analyte is None or normalise(analyte.unit) != normalise(catalog_unit):
        raise UnknownConversion
    factor = analyte.factors.get(normalise(sent_unit))
    if factor is None:
        raise UnknownConversion
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return value  # not a number: the result rule refuses it with its own message
    if not number.is_finite():
        return value
    converted = (number * factor).quantize(Decimal(1).scaleb(-analyte.places), rounding=ROUND_HALF_UP)
    return str(converted)
