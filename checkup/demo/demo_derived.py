"""Derived items in the demo catalog: the inputs and computed items demo_data.py does not have.

BMI (height, weight) and eGFR (creatinine) are in demo_data already; they become computed by their codes
(services/exam/derived_items.FORMULAS). This adds hip circumference and the waist-to-hip ratio, and the
Friedewald LDL-C and non-HDL cholesterol beside the measured lipids, with adult reference ranges in the
demo's convention (a value at the limit is normal), and puts them in the packages that have their inputs.
The past checkups of demo_history use the comprehensive packages; their results are written directly, so
these items go only into packages those checkups do not use (cardiovascular screening, executive).
"""

from decimal import Decimal

from checkup.models import Department, ExamItem, Package, PackageItem, ReferenceRange
from checkup.services.exam import derived_items

D = Decimal

# code, name_en, name_zh, department, unit
DERIVED_CATALOG = [
    ("HIP", "Hip circumference", "臀围", "GEN", "cm"),
    ("WHR", "Waist-to-hip ratio", "腰臀比", "GEN", ""),
    ("LDL-C-CALC", "LDL cholesterol (calculated, Friedewald)", "低密度脂蛋白胆固醇（计算值）", "LAB-LIPID", "mmol/L"),
    ("NON-HDL-C", "Non-HDL cholesterol", "非高密度脂蛋白胆固醇", "LAB-LIPID", "mmol/L"),
]
PRICES = {"HIP": D("2.00")}  # a measurement; computed items cost nothing
# item, sex, age_min, age_max, low, high (central obesity per WHO / Chinese guideline; lipids per the 2023
# Chinese lipid guideline: LDL-C < 3.4 and non-HDL-C < 4.1 mmol/L desirable)
DERIVED_RANGES = [
    ("WHR", "male", 18, 120, None, D("0.90")),
    ("WHR", "female", 18, 120, None, D("0.85")),
    ("LDL-C-CALC", "any", 18, 120, None, D("3.40")),
    ("NON-HDL-C", "any", 18, 120, None, D("4.10")),
]
PACKAGE_ADDITIONS = {
    "CARDIO-40": ["HIP", "WHR", "LDL-C-CALC", "NON-HDL-C"],
    "EXEC": ["HIP", "WHR", "LDL-C-CALC", "NON-HDL-C"],
}
# what a computed item copies from its first input (where the client goes, fasting, who may have it)
FLOOR_FIELDS = ("station", "fasting", "sex", "age_min", "age_max", "prep_note_en", "prep_note_zh")


def add_derived_items():
    """Create the items, ranges and package lines above (after demo.py's catalog); returns the items made."""
    departments = {d.code: d for d in Department.select()}
    existing = {i.code: i for i in ExamItem.select()}
    made = {}
    for code, name_en, name_zh, department, unit in DERIVED_CATALOG:
        data = dict(
            code=code,
            name_en=name_en,
            name_zh=name_zh,
            department=departments[department],
            unit=unit,
            result_type="numeric",
            price=PRICES.get(code, D("0.00")),
        )
        formula = derived_items.FORMULAS.get(code)
        source = existing.get(formula.input_codes[0]) if formula else None
        if source is not None:
            data.update({f: getattr(source, f) for f in FLOOR_FIELDS if f in ExamItem._meta.fields})
        made[code] = ExamItem.create(**data)
    ReferenceRange.insert_many(
        [
            dict(item=made[code], sex=sex, age_min=a0, age_max=a1, low=low, high=high)
            for code, sex, a0, a1, low, high in DERIVED_RANGES
        ]
    ).execute()
    packages = {p.code: p for p in Package.select().where(Package.code.in_(list(PACKAGE_ADDITIONS)))}
    lines = [
        {"package": packages[package].id, "item": made[code].id}
        for package, codes in PACKAGE_ADDITIONS.items()
        if package in packages
        for code in codes
    ]
    if lines:
        PackageItem.insert_many(lines).execute()
    return len(made)
