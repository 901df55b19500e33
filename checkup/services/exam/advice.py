"""The advice library: which finding an abnormal result names, the advice it calls for and the follow-up level it
implies; and the numbered summary conclusion (总检结论) and health advice (健康建议) the chief physician starts from.

A rule (models/review.AdviceRule) matches an abnormal result on its item code and flag ("H" and "L" take the
critical flags too, "*" any abnormal one), optionally a choice (equal) or keywords (a text result containing any
of them, "|"-separated), a value band [value_min, value_max), the client's sex and age on the exam day. For one
result the specific rules that match (a choice, keywords or a band) all count — an ECG can show two findings —
and only when none does, the first general rule by priority. Where no rule matches, the admin's advice snippet
for ``ITEM:DIRECTION`` (the older library, services/catalog/care_rules.py) still gives the advice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from peewee import SQL

from checkup.core.plain_models import field_names, model_of
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import AdviceRule, AdviceSnippet
from checkup.models.results import ABNORMAL, CRITICAL_HIGH, CRITICAL_LOW, HIGH, LOW
from checkup.models.review import ADVICE_FLAGS, RULE_SEXES

LEVEL_ORDER = {"A": 0, "B": 1, "C": 2, "": 9}
TEXT_EXCERPT = 60
# the words of the numbered texts, by the language they are written in (the report's, not the screen's)
WORDS = {
    "zh": {
        "H": "偏高",
        "L": "偏低",
        "A": "异常",
        "up": "↑",
        "down": "↓",
        "reference": "参考范围",
        "sep": "，",
        "colon": "：",
        "open": "（",
        "close": "）",
        "list": "、",
        "none": "本次体检未见明显异常。",
        "none_advice": "请保持健康的生活方式，建议每年体检一次。",
    },
    "en": {
        "H": "high",
        "L": "low",
        "A": "abnormal",
        "up": "↑",
        "down": "↓",
        "reference": "reference",
        "sep": ", ",
        "colon": ": ",
        "open": " (",
        "close": ")",
        "list": ", ",
        "none": "No significant abnormality was found in this checkup.",
        "none_advice": "Keep up a healthy lifestyle and have a checkup once a year.",
    },
}


def flag_matches(rule_flag, flag):
    if flag not in (HIGH, LOW, CRITICAL_HIGH, CRITICAL_LOW, ABNORMAL):
        return False
    if rule_flag == "*":
        return True
    if rule_flag == HIGH:
        return flag in (HIGH, CRITICAL_HIGH)
    if rule_flag == LOW:
        return flag in (LOW, CRITICAL_LOW)
    return rule_flag == flag


def keywords(rule):
    return [k.strip().lower() for k in (rule.match_text or "").split("|") if k.strip()]


def is_specific(rule):
    return bool(keywords(rule)) or rule.value_min is not None or rule.value_max is not None


def rule_matches(rule, result_type, flag, value_text, value_num, sex, age):
    """Whether ``rule`` applies to an abnormal result (its item's ``result_type``, flag, values) of a client."""
    if not rule.active or not flag_matches(rule.flag, flag):
        return False
    if rule.sex not in ("any", "") and rule.sex != sex:
        return False
    if age is not None and not rule.age_min <= age <= rule.age_max:
        return False
    if rule.value_min is not None or rule.value_max is not None:
        if value_num is None:
            return False
        value = Decimal(value_num)
        if rule.value_min is not None and value < Decimal(rule.value_min):
            return False
        if rule.value_max is not None and value >= Decimal(rule.value_max):
            return False
    words = keywords(rule)
    if words:
        text = (value_text or "").strip().lower()
        if result_type == "choice":
            return text in words
        return any(word in text for word in words)
    return True


# The review page reads the rules and snippets of its abnormal items on every view: each IN list's length
# is rounded up to a size below (filled with NO_KEY, which no code or key equals: longer than the columns)
# and each size's select is built once per process (core.prepared); a longer list is built as it comes.
IN_SIZES = (1, 2, 4, 8, 16, 32, 64)
NO_KEY = "~" * 41  # item_code holds 20 characters, an advice snippet's key 40
_RULE_NAMES = field_names(AdviceRule)
_SNIPPET_NAMES = field_names(AdviceSnippet)


def _rules_query(*codes):
    return (
        AdviceRule.select()
        .where(AdviceRule.item_code.in_(codes), AdviceRule.active == True)
        .order_by(AdviceRule.item_code, AdviceRule.priority.desc(), AdviceRule.id)
    )


def _snippets_query(*keys):
    return AdviceSnippet.select().where(AdviceSnippet.key.in_(keys))


def _samples(size):
    return tuple(f"~sample {n}~" for n in range(size))


_rules_selects = PerShape(
    lambda size: PreparedSelect(_rules_query, f"checkup_advice_rules_{size}", samples=_samples(size))
)
_snippets_selects = PerShape(
    lambda size: PreparedSelect(_snippets_query, f"checkup_advice_snippets_{size}", samples=_samples(size))
)


def _in_rows(selects, build, names, model, values):
    """``model`` objects of the select for ``values`` (an IN list): prepared for its size, padded."""
    size = next((size for size in IN_SIZES if size >= len(values)), None)
    if size is None:
        return list(build(*values))
    rows = selects(size).plain(*values, *[NO_KEY] * (size - len(values)))
    return [model_of(model, names, row) for row in rows]


def rules_for(item_codes):
    """{item code: [active rules, most specific first]} for ``item_codes`` (one query)."""
    codes = sorted(set(item_codes))
    found = {}
    if not codes:
        return found
    for rule in _in_rows(_rules_selects, _rules_query, _RULE_NAMES, AdviceRule, codes):
        found.setdefault(rule.item_code, []).append(rule)
    return found


def snippets_for(keys):
    """{key: AdviceSnippet} of the admin's snippets for ``keys`` such as ``TG:H`` (one query)."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    return {s.key: s for s in _in_rows(_snippets_selects, _snippets_query, _SNIPPET_NAMES, AdviceSnippet, keys)}


# The review page wants both the rules of its abnormal items and the snippets of their ``ITEM:DIRECTION`` keys:
# one statement, the rules' select and the snippets' in a UNION ALL, the snippets in the rules' columns (their
# id, key as item_code, SNIPPET_FLAG as flag, their texts as advice_en and advice_zh, NULL elsewhere). No rule
# has SNIPPET_FLAG (ADVICE_FLAGS). Each IN list is padded as above; one select per pair of sizes.
SNIPPET_FLAG = "#"
_ADVICE_KEY_AT = 1
_ADVICE_TEXT_AT = _RULE_NAMES.index("advice_en")


# What ``rules_and_snippets`` gives (the review page reads them on every view): named tuples of the columns as the
# driver returns them, not model objects (a model's field is a Python descriptor, read many times by
# ``rule_matches``); their fields are the models' (tests/exam/test_advice_library.py compares).
class PlainRule(NamedTuple):
    id: int
    item_code: str
    flag: str
    match_text: str
    value_min: Decimal | None
    value_max: Decimal | None
    sex: str
    age_min: int
    age_max: int
    finding_en: str
    finding_zh: str
    advice_en: str
    advice_zh: str
    level: str
    priority: int
    active: bool
    updated_at: datetime.datetime


class PlainSnippet(NamedTuple):
    id: int
    key: str
    text_en: str
    text_zh: str


def _rules_and_snippets_query(codes_size, *values):
    codes, keys = values[:codes_size], values[codes_size:]
    columns = [SQL("NULL")] * len(_RULE_NAMES)
    columns[0], columns[_ADVICE_KEY_AT] = AdviceSnippet.id, AdviceSnippet.key
    columns[_RULE_NAMES.index("flag")] = SQL(f"'{SNIPPET_FLAG}'")
    columns[_ADVICE_TEXT_AT], columns[_ADVICE_TEXT_AT + 1] = AdviceSnippet.text_en, AdviceSnippet.text_zh
    snippets = AdviceSnippet.select(*columns).where(AdviceSnippet.key.in_(keys))
    rules = AdviceRule.select(*AdviceRule._meta.sorted_fields).where(
        AdviceRule.item_code.in_(codes), AdviceRule.active == True
    )
    return rules + snippets  # UNION ALL


_rules_and_snippets_selects = PerShape(
    lambda sizes: PreparedSelect(
        lambda *values: _rules_and_snippets_query(sizes[0], *values),
        f"checkup_advice_rules_snippets_{sizes[0]}_{sizes[1]}",
        samples=_samples(sizes[0] + sizes[1]),
    )
)


def _padded_size(count):
    return next((size for size in IN_SIZES if size >= count), None)


def rules_and_snippets(item_codes, keys):
    """(``rules_for(item_codes)``, ``snippets_for(keys)``) in one statement (two when a list is longer than the
    largest prepared size), the rules as PlainRule and the snippets as PlainSnippet."""
    codes, keys = sorted(set(item_codes)), sorted(set(keys))
    codes_size, keys_size = _padded_size(len(codes)), _padded_size(len(keys))
    if not codes or not keys or codes_size is None or keys_size is None:
        return _plain_rules(rules_for(codes)), {
            key: PlainSnippet(*(snippet.__data__[name] for name in _SNIPPET_NAMES))
            for key, snippet in snippets_for(keys).items()
        }
    values = (*codes, *[NO_KEY] * (codes_size - len(codes)), *keys, *[NO_KEY] * (keys_size - len(keys)))
    rules, snippets = [], {}
    text_at = _ADVICE_TEXT_AT
    for row in _rules_and_snippets_selects((codes_size, keys_size)).plain(*values):
        if row[2] == SNIPPET_FLAG:
            snippets[row[1]] = PlainSnippet(row[0], row[1], row[text_at], row[text_at + 1])
        else:
            rules.append(PlainRule._make(row))
    # as _rules_query orders them: by item code, then the higher priority first, then by id
    rules.sort(key=lambda rule: (-rule.priority, rule.id))
    found = {}
    for rule in rules:
        found.setdefault(rule.item_code, []).append(rule)
    return found, snippets


def _plain_rules(rules):
    """``rules_for``'s answer with PlainRule for each rule."""
    return {
        code: [PlainRule(*(rule.__data__[name] for name in _RULE_NAMES)) for rule in found]
        for code, found in rules.items()
    }


def matching_rules(rules, result_type, flag, value_text, value_num, sex, age):
    matched = [r for r in rules if rule_matches(r, result_type, flag, value_text, value_num, sex, age)]
    specific = [r for r in matched if is_specific(r)]
    if specific:
        return specific
    return matched[:1]


def most_urgent(levels):
    levels = [level for level in levels if level]
    return min(levels, key=lambda level: LEVEL_ORDER.get(level, 9)) if levels else ""


# --- the suggestion the review page starts from ------------------------------------------------------


@dataclass
class SuggestedFinding:
    """One numbered entry: a finding name, the results behind it, its advice and the level it implies."""

    key: str
    name_en: str
    name_zh: str
    advice_en: str = ""
    advice_zh: str = ""
    level: str = ""  # from the library; "" where no rule says (the rule table's level applies)
    rows: list = field(default_factory=list)
    from_library: bool = False

    def name(self, chinese):
        return (self.name_zh if chinese and self.name_zh else self.name_en) or self.name_zh

    def advice(self, chinese):
        return ((self.advice_zh if chinese and self.advice_zh else self.advice_en) or self.advice_zh).strip()


def _direction(flag):
    return {HIGH: "H", CRITICAL_HIGH: "H", LOW: "L", CRITICAL_LOW: "L", ABNORMAL: "A"}.get(flag, "")


def _item_name(item, chinese):
    return (item.name_zh if chinese and item.name_zh else item.name_en) or item.name_zh


def evidence(row, chinese):
    """What a result says, briefly: "总胆固醇 5.86 mmol/L ↑" or "腹部彩超：轻度脂肪肝"."""
    words = WORDS["zh" if chinese else "en"]
    name = _item_name(row.item, chinese)
    if row.item.result_type == "numeric":
        arrow = {"H": words["up"], "L": words["down"]}.get(_direction(row.flag), "")
        return " ".join(part for part in (name, row.value, row.unit, arrow) if part)
    text = " ".join((row.value or "").split())
    if len(text) > TEXT_EXCERPT:
        text = text[: TEXT_EXCERPT - 1] + "…"
    return f"{name}{words['colon']}{text}"


def suggest(rows, sex, age, rules=None, snippets=None):
    """The findings the abnormal ``rows`` (review rows: item, flag, value, result) call for, in their order,
    rows naming the same finding merged. ``rules`` and ``snippets`` as ``rules_for`` and ``snippets_for``
    give them (loaded here when None: two queries)."""
    rows = [row for row in rows if row.abnormal]
    if rules is None:
        rules = rules_for(row.item.code for row in rows)
    if snippets is None:
        snippets = snippets_for(f"{row.item.code}:{_direction(row.flag)}" for row in rows)
    found = {}
    for row in rows:
        result = row.result
        matched = matching_rules(
            rules.get(row.item.code, ()),
            row.item.result_type,
            row.flag,
            result.value_text if result else "",
            result.value_num if result else None,
            sex,
            age,
        )
        entries = []
        for rule in matched:
            entries.append(
                SuggestedFinding(
                    key=f"rule:{rule.finding_en.lower()}",
                    name_en=rule.finding_en,
                    name_zh=rule.finding_zh,
                    advice_en=rule.advice_en,
                    advice_zh=rule.advice_zh,
                    level=rule.level,
                    from_library=True,
                )
            )
        if not entries:
            direction = _direction(row.flag)
            snippet = snippets.get(f"{row.item.code}:{direction}")
            entries.append(
                SuggestedFinding(
                    key=f"item:{row.item.code}:{direction}",
                    name_en=f"{row.item.name_en} {WORDS['en'][direction]}".strip(),
                    name_zh=f"{row.item.name_zh}{WORDS['zh'][direction]}" if row.item.name_zh else "",
                    advice_en=snippet.text_en if snippet else "",
                    advice_zh=snippet.text_zh if snippet else "",
                    from_library=snippet is not None,
                )
            )
        for entry in entries:
            kept = found.setdefault(entry.key, entry)
            if row not in kept.rows:
                kept.rows.append(row)
            kept.level = most_urgent([kept.level, entry.level])
    return list(found.values())


def levels_by_result(suggestions):
    """{result id: the most urgent level the library implies for it} (results without a rule left out)."""
    levels = {}
    for suggestion in suggestions:
        if not suggestion.level:
            continue
        for row in suggestion.rows:
            if row.result is not None:
                levels[row.result.id] = most_urgent([levels.get(row.result.id, ""), suggestion.level])
    return levels


def summary_text(suggestions, chinese):
    """The numbered summary conclusion: "1. 高胆固醇血症（总胆固醇 5.86 mmol/L ↑）"."""
    words = WORDS["zh" if chinese else "en"]
    if not suggestions:
        return words["none"]
    lines = []
    for number, suggestion in enumerate(suggestions, 1):
        shown = words["sep"].join(evidence(row, chinese) for row in suggestion.rows)
        lines.append(f"{number}. {suggestion.name(chinese)}{words['open']}{shown}{words['close']}")
    return "\n".join(lines)


def advice_text(suggestions, chinese):
    """The numbered health advice, one entry per distinct advice (findings sharing one are named together)."""
    words = WORDS["zh" if chinese else "en"]
    if not suggestions:
        return words["none_advice"]
    grouped = {}
    for suggestion in suggestions:
        text = suggestion.advice(chinese)
        if text:
            grouped.setdefault(text, []).append(suggestion.name(chinese))
    lines = []
    for number, (text, names) in enumerate(grouped.items(), 1):
        lines.append(f"{number}. {words['list'].join(names)}{words['colon']}{text}")
    return "\n".join(lines)


def check_rule_values(flag, sex, level, age_min, age_max):
    """The codes a rule may hold (the demo and any import go through it); raises ValueError."""
    if flag not in ADVICE_FLAGS or sex not in RULE_SEXES or level not in ("A", "B", "C", ""):
        raise ValueError(f"bad advice rule: flag={flag!r} sex={sex!r} level={level!r}")
    if not 0 <= age_min <= age_max <= 120:
        raise ValueError(f"bad advice rule ages: {age_min}-{age_max}")
