"""The demo data's own consistency rules (codes, names in both languages, item applicability by sex,
reference ranges that cover every numeric item, packages that fit their sex and age, organizations and
clients complete): the loader can trust what it reads."""

from decimal import Decimal

from checkup.demo.demo_data import (
    CLIENTS,
    DEPARTMENTS,
    EXAM_ITEMS,
    FEMALE_ONLY_ITEMS,
    ITEM_STATIONS,
    MALE_ONLY_ITEMS,
    NO_RANGE_ITEMS,
    ORGANIZATIONS,
    PACKAGES,
    REFERENCE_RANGES,
    RESOURCES,
)

_SEXES = ("male", "female")
_CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_ITEM_KEYS = {
    "code",
    "name_en",
    "name_zh",
    "department",
    "unit",
    "result_type",
    "choices",
    "price",
    "prep_note_en",
    "prep_note_zh",
    "resource",
}
_PACKAGE_KEYS = {
    "code",
    "name_en",
    "name_zh",
    "description_en",
    "description_zh",
    "sex",
    "age_min",
    "age_max",
    "price",
    "items",
}
_ORG_KEYS = {
    "name",
    "address",
    "phone",
    "fax",
    "website",
    "email",
    "manager",
    "business_scope",
    "employee_count",
    "health_contact",
    "relationship_notes",
    "size_tier",
    "value_tier",
    "account_manager",
}
_CLIENT_KEYS = {
    "name",
    "sex",
    "birth_date",
    "phone",
    "email",
    "address",
    "occupation",
    "organization",
    "employee_no",
    "department",
    "value_tier",
    "tags",
}


def _require(cond, message):
    if not cond:
        raise AssertionError(message)


def _is_money(value):
    return isinstance(value, Decimal) and value >= 0 and value == value.quantize(Decimal("0.01"))


def _item_sexes(code):
    """The sexes an item applies to."""
    if code in FEMALE_ONLY_ITEMS:
        return ("female",)
    if code in MALE_ONLY_ITEMS:
        return ("male",)
    return _SEXES


def _valid_date(text):
    parts = text.split("-")
    if len(parts) != 3 or [len(p) for p in parts] != [4, 2, 2] or not all(p.isdigit() for p in parts):
        return False
    year, month, day = (int(p) for p in parts)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= days[month - 1]


def check():
    """Assert the consistency rules of the demo data; raise AssertionError with a clear message."""
    # Departments and resources
    dept_codes = [d[0] for d in DEPARTMENTS]
    _require(all(len(d) == 3 and all(d) for d in DEPARTMENTS), "each department is (code, name_en, name_zh)")
    _require(len(set(dept_codes)) == len(dept_codes), f"duplicate department codes: {dept_codes}")
    _require(len(dept_codes) >= 12, f"need >= 12 departments, have {len(dept_codes)}")
    res_codes = [r[0] for r in RESOURCES]
    _require(len(set(res_codes)) == len(res_codes), f"duplicate resource codes: {res_codes}")
    for r in RESOURCES:
        _require(len(r) == 4 and isinstance(r[3], int) and r[3] > 0, f"bad resource row {r}")
    for code in dept_codes + res_codes:
        _require(len(code) <= 20 and set(code) <= _CODE_CHARS, f"bad department/resource code {code!r}")

    # Exam items
    items = {}
    for it in EXAM_ITEMS:
        code = it.get("code")
        _require(set(it) == _ITEM_KEYS, f"item {code}: keys {sorted(set(it) ^ _ITEM_KEYS)} missing/extra")
        _require(code not in items, f"duplicate item code {code}")
        _require(len(code) <= 20 and set(code) <= _CODE_CHARS, f"item code {code!r} must be A-Z0-9- (<=20)")
        _require(it["name_en"] and it["name_zh"], f"item {code}: names required")
        _require(len(it["name_en"]) <= 120 and len(it["name_zh"]) <= 120, f"item {code}: name too long")
        _require(it["department"] in dept_codes, f"item {code}: unknown department {it['department']}")
        _require(it["result_type"] in ("numeric", "text", "choice"), f"item {code}: bad result_type")
        if it["result_type"] == "choice":
            opts = it["choices"].split("|")
            _require(
                len(opts) >= 2 and all(o.strip() == o and o for o in opts) and len(set(opts)) == len(opts),
                f"item {code}: choices must be >= 2 distinct non-empty options",
            )
        else:
            _require(it["choices"] == "", f"item {code}: choices only for choice items")
        if it["result_type"] != "numeric":
            _require(it["unit"] == "", f"item {code}: unit only for numeric items")
        _require(len(it["unit"]) <= 30 and len(it["choices"]) <= 300, f"item {code}: unit/choices too long")
        _require(_is_money(it["price"]) and it["price"] > 0, f"item {code}: price must be Decimal > 0, 2 dp")
        _require(bool(it["prep_note_en"]) == bool(it["prep_note_zh"]), f"item {code}: prep note en/zh mismatch")
        _require(len(it["prep_note_en"]) <= 300 and len(it["prep_note_zh"]) <= 300, f"item {code}: note too long")
        _require(it["resource"] is None or it["resource"] in res_codes, f"item {code}: unknown resource")
        items[code] = it
    _require(len(items) >= 64, f"need >= 64 exam items, have {len(items)}")
    used_depts = {it["department"] for it in EXAM_ITEMS} | set(ITEM_STATIONS.values())  # stations of lab items
    _require(set(dept_codes) == used_depts, f"departments without items: {set(dept_codes) - used_depts}")
    for name, codes in (
        ("FEMALE_ONLY_ITEMS", FEMALE_ONLY_ITEMS),
        ("MALE_ONLY_ITEMS", MALE_ONLY_ITEMS),
        ("NO_RANGE_ITEMS", NO_RANGE_ITEMS),
    ):
        _require(codes <= set(items), f"{name} has unknown codes {codes - set(items)}")
    _require(not FEMALE_ONLY_ITEMS & MALE_ONLY_ITEMS, "an item cannot be both male-only and female-only")

    # Reference ranges
    rows_by_item = {}
    for row in REFERENCE_RANGES:
        _require(len(row) == 8, f"reference range row must have 8 fields: {row}")
        code, sex, age_min, age_max, low, high, crit_low, crit_high = row
        _require(code in items, f"range for unknown item {code}")
        _require(items[code]["result_type"] == "numeric", f"range for non-numeric item {code}")
        _require(code not in NO_RANGE_ITEMS, f"{code} is listed in NO_RANGE_ITEMS but has a range")
        _require(sex == "any" or sex in _SEXES, f"{code}: bad sex {sex!r}")
        _require(sex == "any" or sex in _item_sexes(code), f"{code}: {sex} row for an item not applying to {sex}")
        if sex == "any":
            _require(len(_item_sexes(code)) == 2, f"{code}: single-sex item must use a {_item_sexes(code)[0]} row")
        _require(
            isinstance(age_min, int) and isinstance(age_max, int) and 0 <= age_min <= age_max <= 120,
            f"{code}: bad ages {age_min}-{age_max}",
        )
        for v in (low, high, crit_low, crit_high):
            _require(v is None or isinstance(v, Decimal), f"{code}: limits must be Decimal or None")
            _require(v is None or v == v.quantize(Decimal("0.0001")), f"{code}: at most 4 decimal places")
        _require(low is not None or high is not None, f"{code}: a range needs low and/or high")
        _require(low is None or high is None or low <= high, f"{code}: low {low} > high {high}")
        _require(crit_low is None or (low is not None and crit_low <= low), f"{code}: critical_low must be <= low")
        _require(
            crit_high is None or (high is not None and crit_high >= high), f"{code}: critical_high must be >= high"
        )
        rows_by_item.setdefault(code, []).append(row)
    for code, it in items.items():
        if it["result_type"] != "numeric":
            continue
        if code in NO_RANGE_ITEMS:
            continue
        _require(code in rows_by_item, f"numeric item {code} has no reference range (add to NO_RANGE_ITEMS?)")
        for sex in _item_sexes(code):
            spans = sorted((r[2], r[3]) for r in rows_by_item[code] if r[1] in (sex, "any"))
            expected = 18
            for age_min, age_max in spans:
                if age_max < 18:
                    continue
                _require(age_min <= expected, f"{code} ({sex}): ages {expected}-{age_min - 1} not covered")
                _require(
                    age_min >= expected or expected == 18 and age_min < 18,
                    f"{code} ({sex}): overlapping age ranges around {age_min}",
                )
                expected = age_max + 1
            _require(expected == 121, f"{code} ({sex}): ages {expected}-120 not covered")

    # Packages
    pkg_codes = set()
    for p in PACKAGES:
        code = p.get("code")
        _require(set(p) == _PACKAGE_KEYS, f"package {code}: keys {sorted(set(p) ^ _PACKAGE_KEYS)} missing/extra")
        _require(code not in pkg_codes, f"duplicate package code {code}")
        _require(len(code) <= 20 and set(code) <= _CODE_CHARS, f"package code {code!r} must be A-Z0-9- (<=20)")
        pkg_codes.add(code)
        _require(p["sex"] in ("any",) + _SEXES, f"package {code}: bad sex")
        _require(18 <= p["age_min"] <= p["age_max"] <= 120, f"package {code}: bad age range")
        _require(p["items"] and len(set(p["items"])) == len(p["items"]), f"package {code}: empty or duplicate items")
        unknown = [c for c in p["items"] if c not in items]
        _require(not unknown, f"package {code}: unknown items {unknown}")
        package_sexes = _SEXES if p["sex"] == "any" else (p["sex"],)
        wrong = [c for c in p["items"] if not set(package_sexes) <= set(_item_sexes(c))]
        _require(not wrong, f"package {code} ({p['sex']}): items not valid for every sex: {wrong}")
        total = sum(items[c]["price"] for c in p["items"])
        _require(
            _is_money(p["price"]) and total * Decimal("0.5") <= p["price"] <= total,
            f"package {code}: price {p['price']} should be a discount on the item sum {total}",
        )
    _require(len(PACKAGES) >= 7, f"need >= 7 packages, have {len(PACKAGES)}")

    # Organizations
    _require(len(ORGANIZATIONS) == 3, "need exactly 3 organizations")
    _require(ORGANIZATIONS[0].get("name") == "Acme Manufacturing", "first organization must be Acme Manufacturing")
    org_names = [o["name"] for o in ORGANIZATIONS]
    _require(len(set(org_names)) == len(org_names), "duplicate organization names")
    for o in ORGANIZATIONS:
        _require(set(o) == _ORG_KEYS, f"organization {o.get('name')}: keys {sorted(set(o) ^ _ORG_KEYS)}")
        _require(o["size_tier"] in ("large", "medium", "small"), f"{o['name']}: bad size_tier")
        _require(o["value_tier"] in ("vip", "important", "general"), f"{o['name']}: bad value_tier")
        _require(o["email"].endswith("@example.com"), f"{o['name']}: email must be @example.com")
        _require(
            o["website"].startswith("https://") and o["website"].endswith(".example.com"),
            f"{o['name']}: website must be https://*.example.com",
        )
        _require(isinstance(o["employee_count"], int) and o["employee_count"] > 0, f"{o['name']}: employee_count")

    # Clients
    _require(10 <= len(CLIENTS) <= 15, f"expected about 12 clients, have {len(CLIENTS)}")
    for c in CLIENTS:
        who = c.get("name")
        _require(set(c) == _CLIENT_KEYS, f"client {who}: keys {sorted(set(c) ^ _CLIENT_KEYS)}")
        _require(c["sex"] in _SEXES, f"client {who}: bad sex")
        _require(
            _valid_date(c["birth_date"]) and c["birth_date"] <= "2006-12-31",
            f"client {who}: birth_date must be a real YYYY-MM-DD date of an adult",
        )
        _require(len(c["phone"]) == 11 and c["phone"].isdigit() and c["phone"][0] == "1", f"client {who}: phone")
        _require(c["email"].endswith("@example.com"), f"client {who}: email must be @example.com")
        _require(c["organization"] is None or c["organization"] in org_names, f"client {who}: unknown organization")
        if c["organization"] is None:
            _require(c["employee_no"] == "" and c["department"] == "", f"client {who}: no org, no employee data")
        else:
            _require(c["employee_no"] and c["department"], f"client {who}: employee_no/department required")
        _require(c["value_tier"] in ("vip", "important", "general"), f"client {who}: bad value_tier")
        _require(
            isinstance(c["tags"], list) and all(isinstance(t, str) and t and "," not in t for t in c["tags"]),
            f"client {who}: tags must be a list of non-empty strings without commas",
        )
    emails = [c["email"] for c in CLIENTS]
    _require(len(set(emails)) == len(emails), "duplicate client emails")


def test_the_demo_data_is_consistent():
    check()
