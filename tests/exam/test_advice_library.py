"""The advice library: which rule an abnormal result matches, the numbered summary conclusion and advice the
chief physician starts from, and the demo's library (a real one, in Chinese and English)."""

from dataclasses import dataclass
from decimal import Decimal

import pytest

from checkup.demo import demo_data
from checkup.demo.demo_advice import LIBRARY, seed_library
from checkup.models import AdviceRule, AdviceSnippet
from checkup.services.exam import advice

pytestmark = pytest.mark.both_dbs


@dataclass
class Item:
    code: str
    name_en: str
    name_zh: str
    result_type: str = "numeric"
    unit: str = ""


@dataclass
class Result:
    id: int
    value_text: str
    value_num: Decimal | None
    flag: str


@dataclass
class Row:
    """A review row as report_review builds it (item, result, flag, value, unit), abnormal."""

    item: Item
    result: Result
    unit: str = ""
    abnormal: bool = True

    @property
    def flag(self):
        return self.result.flag

    @property
    def value(self):
        return self.result.value_text


_ids = iter(range(1, 10_000))


def row(code, value, flag, result_type="numeric", name_en=None, name_zh="", unit=""):
    number = Decimal(value) if result_type == "numeric" else None
    item = Item(code, name_en or code, name_zh, result_type, unit)
    return Row(item=item, result=Result(next(_ids), value, number, flag), unit=unit)


def make_rule(code, flag="*", finding="Finding", **fields):
    return AdviceRule.create(item_code=code, flag=flag, finding_en=finding, finding_zh=fields.pop("zh", ""), **fields)


def test_a_high_rule_matches_critical_highs_and_a_band_picks_the_severity(app):
    make_rule("FPG", "H", "Impaired fasting glucose", value_max=Decimal("7.0"), level="C")
    make_rule("FPG", "H", "Diabetes range", value_min=Decimal("7.0"), level="B")
    make_rule("FPG", "L", "Low glucose")
    found = advice.suggest([row("FPG", "6.5", "H")], "male", 50)
    assert [(f.name_en, f.level) for f in found] == [("Impaired fasting glucose", "C")]
    found = advice.suggest([row("FPG", "25.1", "HH")], "male", 50)  # the critical value takes the H rules
    assert [(f.name_en, f.level) for f in found] == [("Diabetes range", "B")]
    assert advice.suggest([row("FPG", "7.0", "H")], "male", 50)[0].name_en == "Diabetes range"  # [min, max)


def test_sex_and_age_limit_a_rule(app):
    make_rule("TPSA", "H", "Raised PSA", sex="male", age_min=40)
    assert advice.suggest([row("TPSA", "6", "H")], "male", 55)[0].name_en == "Raised PSA"
    # no rule for a 30-year-old: the item itself is named, with its direction
    assert advice.suggest([row("TPSA", "6", "H", name_en="Total PSA")], "male", 30)[0].name_en == "Total PSA high"
    assert advice.suggest([row("TPSA", "6", "H", name_en="Total PSA")], "female", 55)[0].from_library is False


def test_choices_match_exactly_and_text_by_any_keyword(app):
    make_rule("U-PRO", "A", "Trace protein", match_text="Trace|1+", level="C")
    make_rule("U-PRO", "A", "Proteinuria", match_text="2+|3+|4+", level="B")
    assert advice.suggest([row("U-PRO", "2+", "A", "choice")], "female", 40)[0].name_en == "Proteinuria"
    assert advice.suggest([row("U-PRO", "1+", "A", "choice")], "female", 40)[0].name_en == "Trace protein"
    make_rule("ECG", "A", "Sinus bradycardia", match_text="窦性心动过缓|sinus bradycardia", level="")
    make_rule("ECG", "A", "ST-T changes", match_text="ST-T", level="B")
    make_rule("ECG", "A", "Abnormal ECG")  # general: only when no specific rule matches
    both = advice.suggest([row("ECG", "窦性心动过缓；ST-T改变", "A", "text")], "male", 60)
    assert [(f.name_en, f.level) for f in both] == [("Sinus bradycardia", ""), ("ST-T changes", "B")]
    other = advice.suggest([row("ECG", "Left axis deviation", "A", "text")], "male", 60)
    assert [f.name_en for f in other] == ["Abnormal ECG"]


def test_rows_naming_one_finding_merge_and_the_texts_are_numbered(app):
    make_rule(
        "SBP",
        "H",
        "Elevated blood pressure",
        zh="血压升高",
        advice_zh="低盐饮食，非同日复测血压。",
        advice_en="Less salt; measure again.",
        level="C",
    )
    make_rule(
        "DBP",
        "H",
        "Elevated blood pressure",
        zh="血压升高",
        advice_zh="低盐饮食，非同日复测血压。",
        advice_en="Less salt; measure again.",
        level="C",
    )
    make_rule("TC", "H", "Hypercholesterolaemia", zh="高胆固醇血症", advice_zh="低脂饮食，3个月后复查血脂。", level="B")
    AdviceSnippet.create(key="UA:H", text_en="Drink more water.", text_zh="多饮水。")
    rows = [
        row("SBP", "148", "H", name_zh="收缩压", unit="mmHg"),
        row("DBP", "92", "H", name_zh="舒张压", unit="mmHg"),
        row("TC", "6.5", "H", name_zh="总胆固醇", unit="mmol/L"),
        row("UA", "480", "H", name_en="Uric acid", name_zh="尿酸", unit="μmol/L"),
        row("ALT", "55", "H", name_en="ALT", name_zh="谷丙转氨酶", unit="U/L"),
    ]
    found = advice.suggest(rows, "male", 52)
    assert [f.name(True) for f in found] == ["血压升高", "高胆固醇血症", "尿酸偏高", "谷丙转氨酶偏高"]
    assert advice.summary_text(found, True).splitlines() == [
        "1. 血压升高（收缩压 148 mmHg ↑，舒张压 92 mmHg ↑）",
        "2. 高胆固醇血症（总胆固醇 6.5 mmol/L ↑）",
        "3. 尿酸偏高（尿酸 480 μmol/L ↑）",
        "4. 谷丙转氨酶偏高（谷丙转氨酶 55 U/L ↑）",
    ]
    # advice: one entry per distinct text; the admin's older snippet answers where no rule does
    assert advice.advice_text(found, True).splitlines() == [
        "1. 血压升高：低盐饮食，非同日复测血压。",
        "2. 高胆固醇血症：低脂饮食，3个月后复查血脂。",
        "3. 尿酸偏高：多饮水。",
    ]
    assert advice.advice_text(found, False).splitlines()[0] == "1. Elevated blood pressure: Less salt; measure again."
    assert advice.levels_by_result(found) == {rows[0].result.id: "C", rows[1].result.id: "C", rows[2].result.id: "B"}
    assert advice.summary_text([], True) == "本次体检未见明显异常。"


def test_inactive_rules_are_left_out(app):
    make_rule("TG", "H", "Hypertriglyceridaemia", active=False)
    assert (
        advice.suggest([row("TG", "2.4", "H", name_en="Triglycerides")], "male", 40)[0].name_en == "Triglycerides high"
    )


def test_rules_and_snippets_in_one_statement_give_what_the_two_reads_gave(app, count_queries):
    make_rule("TG", "H", "Hypertriglyceridaemia", priority=1)
    make_rule("TG", "H", "Severe", priority=5, value_min=Decimal("5.6"))
    make_rule("TG", "*", "Any", priority=5)
    make_rule("GLU", "L", "Low glucose", sex="female", age_min=18)
    make_rule("GLU", "H", "Off", active=False)
    AdviceSnippet.create(key="TG:H", text_en="Less fat.", text_zh="少油。")
    AdviceSnippet.create(key="ALT:H", text_en="See a doctor.", text_zh="")

    def shown(rules, snippets):
        # rules_and_snippets gives named tuples (PlainRule, PlainSnippet), rules_for and snippets_for model objects
        def data(row):
            return row._asdict() if isinstance(row, tuple) else row.__data__

        return (
            {code: [data(rule) for rule in found] for code, found in rules.items()},
            {key: data(snippet) for key, snippet in snippets.items()},
        )

    for codes, keys in (
        (["TG"], ["TG:H"]),
        (["TG", "GLU", "ALT"], ["TG:H", "GLU:L", "ALT:H"]),
        (["NONE"], ["NONE:H"]),
        ([f"X{n}" for n in range(70)] + ["TG"], ["TG:H"]),  # longer than the largest prepared size
    ):
        with count_queries() as one:
            together = advice.rules_and_snippets(codes, keys)
        assert one.count == (1 if len(codes) <= advice.IN_SIZES[-1] else 2)
        assert shown(*together) == shown(advice.rules_for(codes), advice.snippets_for(keys))
        assert all(isinstance(rule, advice.PlainRule) for found in together[0].values() for rule in found)
        assert all(isinstance(snippet, advice.PlainSnippet) for snippet in together[1].values())
    rules, snippets = advice.rules_and_snippets(["TG"], ["TG:H"])
    assert [rule.finding_en for rule in rules["TG"]] == ["Severe", "Any", "Hypertriglyceridaemia"]
    assert snippets["TG:H"].text_zh == "少油。" and isinstance(rules["TG"][0].value_min, Decimal)
    assert advice.rules_and_snippets([], []) == ({}, {})


def test_the_demo_ships_a_real_library_in_both_languages(app):
    assert seed_library() == len(LIBRARY) >= 60
    rules = list(AdviceRule.select())
    assert len(rules) == len(LIBRARY)
    findings = {r.finding_zh for r in rules}
    for wanted in (
        "脂肪肝",
        "高胆固醇血症",
        "高甘油三酯血症",
        "低密度脂蛋白胆固醇升高",
        "高密度脂蛋白胆固醇偏低",
        "高尿酸血症",
        "血压升高",
        "空腹血糖受损",
        "空腹血糖达糖尿病诊断水平",
        "糖化血红蛋白偏高（糖尿病前期）",
        "丙氨酸氨基转移酶轻度升高",
        "γ-谷氨酰转移酶升高",
        "甲状腺结节（TI-RADS 3类）",
        "甲状腺结节（TI-RADS 4类及以上）",
        "幽门螺杆菌感染",
        "轻度贫血",
        "白细胞计数升高",
        "血小板减少",
        "窦性心动过缓",
        "ST-T改变",
        "早搏",
        "超重",
        "肥胖",
        "肾结石",
        "胆囊息肉",
        "乳腺结节（BI-RADS 3类）",
        "宫颈细胞学ASC-US",
        "前列腺特异性抗原升高（灰区）",
        "甲胎蛋白升高",
        "癌胚抗原升高",
        "尿蛋白阳性",
        "尿潜血阳性",
        "维生素D缺乏",
    ):
        assert wanted in findings, wanted
    catalog = {item["code"]: item for item in demo_data.EXAM_ITEMS}
    for r in rules:
        assert r.finding_en and r.finding_zh and r.advice_en and r.advice_zh, r.finding_en
        assert r.level in ("A", "B", "C", "")
        assert "复查" in r.advice_zh or "就诊" in r.advice_zh or "无需" in r.advice_zh, r.finding_zh  # says what next
        # every rule answers an item of the demo catalog (vitamin D: a common add-on a center adds)
        assert r.item_code in catalog or r.item_code == "VITD", r.item_code
        item = catalog.get(r.item_code)
        if item and item["result_type"] == "choice" and r.match_text:
            choices = set(item["choices"].split("|"))
            assert set(advice.keywords(r)) <= {c.lower() for c in choices} | {"阳性"}, r.finding_en
        if item and item["result_type"] != "numeric":
            assert r.flag == "A", r.finding_en  # text and choice results are flagged "abnormal"


def test_the_demo_library_reads_a_real_checkup(app):
    seed_library()
    rows = [
        row("US-ABD", "肝脏回声增强，提示轻度脂肪肝；胆囊息肉样病变 0.4 cm", "A", "text", name_zh="腹部彩超"),
        row("TG", "2.3", "H", name_zh="甘油三酯", unit="mmol/L"),
        row("FPG", "6.4", "H", name_zh="空腹血糖", unit="mmol/L"),
        row("C13-UBT", "Positive", "A", "choice", name_zh="碳13尿素呼气试验"),
        row("BMI", "26.1", "H", name_zh="体重指数", unit="kg/m²"),
    ]
    found = advice.suggest(rows, "male", 45)
    assert [f.name(True) for f in found] == [
        "脂肪肝",
        "胆囊息肉",
        "高甘油三酯血症",
        "空腹血糖受损",
        "幽门螺杆菌感染",
        "超重",
    ]
    text = advice.advice_text(found, True)
    assert text.startswith("1. 脂肪肝：") and "OGTT" in text and "碳13呼气试验" in text


def test_rule_codes_are_checked():
    with pytest.raises(ValueError):
        advice.check_rule_values("X", "any", "C", 0, 120)
    with pytest.raises(ValueError):
        advice.check_rule_values("H", "any", "D", 0, 120)
    with pytest.raises(ValueError):
        advice.check_rule_values("H", "any", "C", 50, 20)
    assert advice.check_rule_values("*", "female", "", 18, 65) is None
