"""The group summary of a contract: participation and the most common abnormal findings, as aggregates only.

``summary_data(contract_id)`` returns plain data for the HTML preview, the PDF and the XLSX. Every
figure is a ``Cell``; a hidden cell carries no number at all (``count``/``percent`` are None), so no
template or renderer can leak it. Small-cell suppression (``checkup.services.suppression``) hides
every figure about fewer than k people (``SUPPRESSION_K``, never below 5) and every figure from
which a hidden one could be worked out by subtraction.

Findings count only the latest signed or published (never draft or superseded) report of each
completed appointment of the contract, grouped by exam item and direction ("LDL-C, high").
No function here reads the Flask request.
"""
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.models import (Appointment, Client, ContractCategory, Enrollment, ExamItem, Finding, GroupContract,
                            Report, Result)
from checkup.models.appointments import COMPLETED
from checkup.models.results import CRITICAL_HIGH, CRITICAL_LOW, HIGH, LOW
from checkup.services import clock
from checkup.services.catalog import storable_id
from checkup.services.errors import NotFound
from checkup.services.labels import choice_label
from checkup.services.packages import age_on
from checkup.services.suppression import clamp_k, suppress

SUPPRESSED_MARK = "*"
TOP_FINDINGS = 10
REPORTED_STATUSES = ("signed", "published")
AGE_BANDS = (("<30", None, 29), ("30–39", 30, 39), ("40–49", 40, 49), ("50–59", 50, 59), ("60+", 60, None))
SEXES = ("male", "female")
DIRECTIONS = {"high": _l("high"), "low": _l("low"), "abnormal": _l("abnormal")}
SCREENING_SHARE = Decimal(30)  # a finding this common calls for an on-site screening day
LECTURE_SHARE = Decimal(10)
LOW_PARTICIPATION = Decimal(80)


@dataclass(frozen=True)
class Cell:
    """One published figure: a count of people and/or a percentage, or hidden (no number kept)."""

    count: object = None
    percent: object = None
    hidden: bool = False

    @property
    def text(self):
        if self.hidden:
            return SUPPRESSED_MARK
        if self.count is None:
            return "—" if self.percent is None else f"{self.percent}%"
        return str(self.count) if self.percent is None else f"{self.count} ({self.percent}%)"


HIDDEN = Cell(hidden=True)


def suppression_k():
    """The configured threshold, clamped so it is never below 5."""
    return clamp_k(current_app.config.get("SUPPRESSION_K") or 10)


def percent(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def age_band(birth_date, day):
    age = age_on(birth_date, day)
    for label, low, high in AGE_BANDS:
        if (low is None or age >= low) and (high is None or age <= high):
            return label
    return AGE_BANDS[-1][0]


def direction_of(flag):
    if flag in (HIGH, CRITICAL_HIGH):
        return "high"
    if flag in (LOW, CRITICAL_LOW):
        return "low"
    return "abnormal"


# --- gathering (a fixed number of queries whatever the roster's size) ----------------------------

def _people(contract):
    """One row per enrolled employee: groups, whether the checkup is completed, its appointment."""
    query = (Enrollment.select(Enrollment.department.alias("department"), Client.sex.alias("sex"),
                               Client.birth_date.alias("birth_date"), Enrollment.category.alias("category"),
                               Appointment.id.alias("appointment"), Appointment.status.alias("status"))
             .join(Client, on=(Enrollment.client == Client.id))
             .switch(Enrollment).join(Appointment, JOIN.LEFT_OUTER, on=(Enrollment.appointment == Appointment.id))
             .where(Enrollment.contract == contract.id).order_by(Enrollment.id))
    people = []
    for row in query.dicts():
        completed = row["status"] == COMPLETED
        people.append({"department": (row["department"] or "").strip(), "category": row["category"],
                       "sex": row["sex"], "band": age_band(row["birth_date"], contract.window_start),
                       "completed": completed, "appointment": row["appointment"] if completed else None})
    return people


def _completed_appointments(contract_id):
    return (Enrollment.select(Enrollment.appointment).join(Appointment, on=(Enrollment.appointment == Appointment.id))
            .where(Enrollment.contract == contract_id, Appointment.status == COMPLETED))


def _findings_by_appointment(contract_id):
    """{appointment id: {(item id, direction)}} from the latest current report of each completed
    appointment; appointments with such a report are keys even without findings."""
    completed = _completed_appointments(contract_id)
    latest = {}
    for report_id, appointment_id, version in (
            Report.select(Report.id, Report.appointment, Report.version)
            .where(Report.appointment.in_(completed), Report.status.in_(REPORTED_STATUSES)).tuples()):
        if appointment_id not in latest or version > latest[appointment_id][1]:
            latest[appointment_id] = (report_id, version)
    current = {report_id: appointment_id for appointment_id, (report_id, _v) in latest.items()}
    found = {appointment_id: set() for appointment_id in latest}
    rows = (Finding.select(Finding.report, Finding.item, Result.flag)
            .join(Report, on=(Finding.report == Report.id))
            .switch(Finding).join(Result, JOIN.LEFT_OUTER, on=(Finding.result == Result.id))
            .where(Report.appointment.in_(completed), Report.status.in_(REPORTED_STATUSES),
                   Finding.item.is_null(False)).tuples())
    for report_id, item_id, flag in rows:
        if report_id in current:
            found[current[report_id]].add((item_id, direction_of(flag)))
    return found


def _item_names(item_ids):
    if not item_ids:
        return {}
    chinese = str(get_locale() or "").startswith("zh")
    return {i.id: (i.name_zh if chinese and i.name_zh else i.name_en)
            for i in ExamItem.select(ExamItem.id, ExamItem.name_en, ExamItem.name_zh).where(ExamItem.id.in_(item_ids))}


# --- tables ----------------------------------------------------------------------------------------

def participation_table(key, title, groups, people, k):
    """Enrolled, completed and rate per group (``groups``: [(group key, label)]) with suppression."""
    enrolled_by, completed_by = Counter(p[key] for p in people), Counter(p[key] for p in people if p["completed"])
    enrolled = [enrolled_by[group] for group, _label in groups]
    completed = [completed_by[group] for group, _label in groups]
    total_enrolled, total_completed = sum(enrolled), sum(completed)
    size_mask = suppress([[n] for n in enrolled], col_totals=[total_enrolled], k=k)
    hidden_groups = [i for i, row in enumerate(size_mask.cells) if row[0]]
    done_mask = suppress([[n] for n in completed], col_totals=[total_completed], k=k, hidden_rows=hidden_groups)
    rows = []
    for i, (_group, label) in enumerate(groups):
        hide_size, hide_done = size_mask.cells[i][0], done_mask.cells[i][0]
        rows.append({"label": label,
                     "enrolled": HIDDEN if hide_size else Cell(enrolled[i]),
                     "completed": HIDDEN if hide_done else Cell(completed[i]),
                     "rate": HIDDEN if hide_size or hide_done else Cell(percent=percent(completed[i], enrolled[i]))})
    hide_total = size_mask.cols[0] or done_mask.cols[0]
    total = {"label": _l("All employees"),
             "enrolled": HIDDEN if size_mask.cols[0] else Cell(total_enrolled),
             "completed": HIDDEN if done_mask.cols[0] else Cell(total_completed),
             "rate": HIDDEN if hide_total else Cell(percent=percent(total_completed, total_enrolled))}
    return {"key": key, "title": title, "rows": rows, "total": total,
            "hidden_groups": [group for i, (group, _label) in enumerate(groups) if done_mask.cells[i][0]]}


def prevalence_table(key, title, groups, reported, findings, top, names, k, hidden_groups=()):
    """People with each top finding per group (columns), with each group's number of people examined.

    ``reported``: [(group key, appointment id)] of the people with a current report; ``findings``:
    {appointment id: set of finding keys}; ``hidden_groups``: groups withheld in the participation
    table, withheld here too so the two tables cannot be played against each other.
    """
    size_by = Counter(group for group, _appointment in reported)
    sizes = [size_by[group] for group, _label in groups]
    total = sum(sizes)
    withheld = [j for j, (group, _label) in enumerate(groups) if group in set(hidden_groups)]
    size_mask = suppress([sizes], row_totals=[total], k=k, hidden_cols=withheld)
    hidden_cols = [j for j, hide in enumerate(size_mask.cells[0]) if hide]
    found_by = Counter((group, finding) for group, appointment in reported for finding in findings[appointment])
    counts = [[found_by[(group, finding)] for group, _label in groups] for finding in top]
    row_totals = [sum(row) for row in counts]
    # a group where all, or all but a few, have the finding says it of each member: hide that cell too
    # (given as 1 so the primary rule takes it; the totals, and so what can be derived, are unchanged)
    screened = [[1 if _nearly_everyone(n, sizes[j], k) else n for j, n in enumerate(row)] for row in counts]
    mask = suppress(screened, row_totals=row_totals, k=k, hidden_cols=hidden_cols)
    columns = [{"label": label, "size": HIDDEN if size_mask.cells[0][j] else Cell(sizes[j])}
               for j, (_group, label) in enumerate(groups)]
    rows = []
    for i, finding in enumerate(top):
        cells = [HIDDEN if mask.cells[i][j] else Cell(counts[i][j], percent(counts[i][j], sizes[j]))
                 for j in range(len(groups))]
        rows.append({"label": finding_label(finding, names), "cells": cells,
                     "total": HIDDEN if mask.rows[i] else Cell(row_totals[i], percent(row_totals[i], total))})
    return {"key": key, "title": title, "columns": columns, "rows": rows,
            "total": HIDDEN if size_mask.rows[0] else Cell(total)}


def _nearly_everyone(count, size, k):
    return count > 0 and size - count < k


def finding_label(finding, names):
    item_id, direction = finding
    return str(_l("%(item)s (%(direction)s)", item=names.get(item_id, "?"), direction=DIRECTIONS[direction]))


def top_findings(findings, k, limit=TOP_FINDINGS):
    """The most common finding keys among the people examined, each found in at least k people."""
    counts = {}
    for keys in findings.values():
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    common = sorted((key for key, n in counts.items() if n >= k), key=lambda key: (-counts[key], key))
    return common[:limit], counts


def recommendations(top, counts, examined, names, participation_rate):
    """Suggestions for the company from the top findings (no figure below k is used)."""
    advice = []
    for finding in top[:3]:
        topic = finding_label(finding, names)
        share = percent(counts[finding], examined) or Decimal(0)
        if share >= SCREENING_SHARE:
            advice.append(str(_l("Offer an on-site screening day on %(topic)s: %(share)s%% of the employees "
                                 "examined had it.", topic=topic, share=share)))
            advice.append(str(_l("Hold a health lecture on %(topic)s for all employees.", topic=topic)))
        elif share >= LECTURE_SHARE:
            advice.append(str(_l("Hold a health lecture on %(topic)s for all employees.", topic=topic)))
        else:
            advice.append(str(_l("Share written advice on %(topic)s with the employees (leaflet or intranet).",
                                 topic=topic)))
    if top:
        advice.append(str(_l("Encourage employees to follow the advice in their own reports; the center's "
                             "counselors are there to help them.")))
    if participation_rate is not None and participation_rate < LOW_PARTICIPATION:
        advice.append(str(_l("Participation was %(rate)s%%: remind the employees who did not attend and "
                             "plan the next checkup days early.", rate=participation_rate)))
    return advice


# --- the whole summary -----------------------------------------------------------------------------

def get_contract(contract_id):
    contract = GroupContract.get_or_none(GroupContract.id == contract_id) if storable_id(contract_id) else None
    if contract is None:
        raise NotFound(_l("No such contract."))
    return contract


def summary_data(contract_id, k=None):
    """Plain data of the group summary of contract ``contract_id`` (see the module docstring).

    Raises NotFound for a missing contract. ``k`` overrides the configured threshold (still clamped).
    """
    contract = get_contract(contract_id)
    k = clamp_k(k if k is not None else suppression_k())
    people = _people(contract)
    categories = list(ContractCategory.select(ContractCategory.id, ContractCategory.label)
                      .where(ContractCategory.contract == contract.id)
                      .order_by(ContractCategory.position, ContractCategory.id).tuples())
    departments = sorted({p["department"] for p in people})
    bands = [(label, label) for label, _low, _high in AGE_BANDS]
    sexes = [(sex, str(choice_label("sex", sex))) for sex in SEXES]

    by_band = participation_table("band", _l("By age band"), bands, people, k)
    by_sex = participation_table("sex", _l("By sex"), sexes, people, k)
    participation = [
        participation_table("department", _l("By department"),
                            [(d, d or str(_l("(no department)"))) for d in departments], people, k),
        participation_table("category", _l("By category"), categories, people, k),
        by_band, by_sex,
    ]

    findings = _findings_by_appointment(contract.id)
    top, counts = top_findings(findings, k)
    names = _item_names({item_id for item_id, _d in top})
    examined = [p for p in people if p["appointment"] in findings]
    prevalence = [
        prevalence_table("band", _l("By age band"), bands, [(p["band"], p["appointment"]) for p in examined],
                         findings, top, names, k, by_band["hidden_groups"]),
        prevalence_table("sex", _l("By sex"), sexes, [(p["sex"], p["appointment"]) for p in examined],
                         findings, top, names, k, by_sex["hidden_groups"]),
    ]
    overall = participation[0]["total"]
    rate = overall["rate"].percent if not overall["rate"].hidden else None
    return {
        "center": {"name": current_app.config["CENTER_NAME"]},
        "contract": {"id": contract.id, "name": contract.name, "year": contract.year,
                     "organization": contract.organization.name, "status": contract.status,
                     "window": f"{contract.window_start.isoformat()} – {contract.window_end.isoformat()}"},
        "k": k, "marker": SUPPRESSED_MARK,
        "legend": str(_l("%(mark)s not shown: fewer than %(k)d people, or a figure from which such a number "
                         "could be worked out.", mark=SUPPRESSED_MARK, k=k)),
        "overall": overall, "examined": HIDDEN if 0 < len(examined) < k else Cell(len(examined)),
        "participation": participation, "prevalence": prevalence,
        "recommendations": recommendations(top, counts, len(examined), names, rate),
        "generated_on": clock.today().isoformat(),
    }


def has_completed_exam(contract_id):
    return _completed_appointments(contract_id).exists()
