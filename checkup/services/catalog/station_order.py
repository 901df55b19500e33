"""The order a client takes the stations in: fasting first, then the catalog's order rules.

A station is a ``Department`` (the room the client goes to); an item is done at its own ``station`` when it
has one (lab panels: the blood-draw room), else at its department. The suggested order:

1. stations where the client has a fasting item come before the others (breakfast comes after them);
2. every ``StationOrderRule`` (``before`` → ``after``) holds between the stations the client has, even
   across the fasting line (the rule wins, and a station a fasting one waits for moves before breakfast
   with it: abdominal ultrasound before gastroscopy);
3. otherwise the departments' ``sort_order``.

``order_stations`` is a pure function over plain values, so the guide sheet and a later "next station"
suggestion (which may weigh queues first) share it. Rules are edited here too (audited).
"""

import heapq
from dataclasses import dataclass, field
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from checkup.core import audit
from checkup.core.arguments import id_from_text, storable_id
from checkup.core.errors import NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Department, StationOrderRule
from checkup.models.base import db


@dataclass
class Stop:
    """One station of a client's day, with their items there."""

    station_id: int
    sort_order: int
    code: str
    items: list = field(default_factory=list)
    fasting: bool = False
    name: str = ""
    other_name: str = ""


def _rule_pairs_query():
    return StationOrderRule.select(StationOrderRule.before, StationOrderRule.after)


# every floor screen that suggests a next station reads the rules: their SQL is built once per process
# (the rules table is not among the tables the clinical change mark follows, so the rows are read each time)
_RULE_PAIRS = PreparedSelect(_rule_pairs_query, "checkup_station_order_rule_pairs")


def rule_pairs():
    """Every order rule as (before station id, after station id), in one query."""
    return _RULE_PAIRS.plain()


def order_stations(stops, rules):
    """``stops`` in the suggested order (see module doc). ``rules``: (before id, after id) pairs; those that
    name a station not among ``stops`` are ignored, and a cycle of rules is broken by the base order."""
    present = {s.station_id: s for s in stops}
    after = {sid: set() for sid in present}
    waiting_on = {sid: 0 for sid in present}
    for before_id, after_id in set(rules):
        if before_id in present and after_id in present and before_id != after_id and after_id not in after[before_id]:
            after[before_id].add(after_id)
            waiting_on[after_id] += 1

    # a station a fasting one must wait for is done before breakfast too (else the client fasts longer)
    early = {sid for sid, stop in present.items() if stop.fasting}
    grew = True
    while grew:
        grew = False
        for sid, nexts in after.items():
            if sid not in early and nexts & early:
                early.add(sid)
                grew = True

    def key(sid):
        stop = present[sid]
        return (sid not in early, stop.sort_order, stop.code, sid)

    ready = [key(sid) for sid, n in waiting_on.items() if n == 0]
    heapq.heapify(ready)
    done, ordered = set(), []
    while len(ordered) < len(present):
        if not ready:  # a cycle: take the first remaining station by the base order
            heapq.heappush(ready, min(key(sid) for sid in present if sid not in done))
        sid = heapq.heappop(ready)[-1]
        if sid in done:
            continue
        done.add(sid)
        ordered.append(present[sid])
        for nxt in after[sid]:
            waiting_on[nxt] -= 1
            if waiting_on[nxt] == 0 and nxt not in done:
                heapq.heappush(ready, key(nxt))
    return ordered


# --- the rules, as the catalog page edits them -----------------------------------------------------


class RuleStation(NamedTuple):
    id: int
    name_en: str
    name_zh: str


class RuleRow(NamedTuple):
    """One rule as the list shows it: its note and both stations' names."""

    id: int
    note_en: str
    note_zh: str
    before: RuleStation
    after: RuleStation


def _rules_query():
    before, after = Department.alias(), Department.alias()
    return (
        StationOrderRule.select(
            StationOrderRule.id,
            StationOrderRule.note_en,
            StationOrderRule.note_zh,
            before.id,
            before.name_en,
            before.name_zh,
            after.id,
            after.name_en,
            after.name_zh,
        )
        .join(before, on=(StationOrderRule.before == before.id))
        .switch(StationOrderRule)
        .join(after, on=(StationOrderRule.after == after.id))
        .order_by(before.sort_order, after.sort_order)
    )


def _station_choices_query():
    return Department.select(Department.id, Department.code, Department.name_en, Department.name_zh).order_by(
        Department.sort_order, Department.code
    )


# the rules page reads both on every view: built once per process
_RULES = PreparedSelect(_rules_query, "checkup_station_order_rules")
_STATION_CHOICES = PreparedSelect(_station_choices_query, "checkup_station_order_station_choices")


def list_rules():
    """Every rule with both stations (``RuleRow``), in one query of plain rows."""
    rows = _RULES.plain()
    return [RuleRow(row[0], row[1], row[2], RuleStation(*row[3:6]), RuleStation(*row[6:9])) for row in rows]


def station_choices():
    """(id, code, name_en, name_zh) of every department, in the departments' order: the rule form's choices
    (plain rows: the form needs no model)."""
    return _STATION_CHOICES.plain()


def add_rule(actor, values):
    """Add "``before`` comes before ``after``"; raises ValidationError for a missing, same or reversed pair."""
    errors = {}
    ids = {}
    for name in ("before", "after"):
        ids[name] = id_from_text(values.get(name))
        if ids[name] is None or not Department.select().where(Department.id == ids[name]).exists():
            errors[name] = _l("Choose a station from the list.")
    notes = {name: str(values.get(name) or "").strip() for name in ("note_en", "note_zh")}
    for name, note in notes.items():
        if len(note) > 200:
            errors[name] = _l("Use at most %(max)d characters.", max=200)
    if not errors and ids["before"] == ids["after"]:
        errors["after"] = _l("Choose two different stations.")
    if not errors and (
        StationOrderRule.select()
        .where(StationOrderRule.before == ids["after"], StationOrderRule.after == ids["before"])
        .exists()
    ):
        errors["after"] = _l("The opposite rule exists already; delete it first.")
    if errors:
        raise ValidationError(_l("Please correct the fields marked below."), errors)
    try:
        with db.atomic():
            rule = StationOrderRule.create(before=ids["before"], after=ids["after"], **notes)
            audit.record(actor, "catalog.order_rule_added", rule, before=ids["before"], after=ids["after"])
    except IntegrityError:
        message = _l("This rule exists already.")
        raise ValidationError(message, {"after": message})
    return rule


def delete_rule(actor, rule_id):
    rule_id = storable_id(rule_id)
    rule = rule_id and StationOrderRule.get_or_none(StationOrderRule.id == rule_id)
    if not rule:
        raise NotFound(_l("No such order rule."))
    with db.atomic():
        rule.delete_instance()
        audit.record(actor, "catalog.order_rule_deleted", rule, before=rule.before_id, after=rule.after_id)
    return rule
