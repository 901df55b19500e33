"""The group summary of a contract: participation and the most common abnormal findings, as aggregates only.

Two steps, so a released summary is computed once and never again:

- ``figures(contract_id, k, earlier)`` computes what a release publishes: plain JSON data in no
  language, every figure ``{"n": count, "pct": "12.5"}`` or ``{"hidden": true}`` (a hidden figure
  keeps no number), together with who was counted ({appointment id: report id}).
- ``present(figures, release)`` turns stored figures into what the pages, the PDF and the XLSX show, in
  the current language: labels, ``Cell`` objects (a hidden one has no number, so no template or
  renderer can leak it) and the advice as sentences. It reads no roster and no result.

Small-cell suppression (``checkup.services.groups.suppression``) hides every figure about fewer than k
people (``SUPPRESSION_K``, never below 5) and every figure from which a hidden one could be worked out
by subtraction. Participation by department and by category is the exception: HR's dashboard shows
those counts exactly, live, so hiding them here would protect nothing (and made the two disagree).

Against each earlier release (``earlier``) no finding figure may change by what fewer than k people
did: a column whose people changed by 1..k-1 is withheld, and a cell or total whose difference is
1..k-1 people, or all but fewer than k of those who changed, is hidden (then suppression hides what
could give it away). "Changed" are the people counted in one release and not the other, or counted
on another report version.

Findings count only the latest signed or published (never draft or superseded) report of each
completed appointment of the contract, grouped by exam item and direction ("LDL-C, high").
No function here reads the Flask request.
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from checkup.core import clock
from checkup.core.arguments import storable_id
from checkup.core.errors import NotFound
from checkup.core.labels import choice_label
from checkup.core.plain_rows import plain_tuples
from checkup.models import (
    Client,
    ContractCategory,
    Enrollment,
    ExamItem,
    Finding,
    GroupContract,
    Report,
    Result,
)
from checkup.models.appointments import COMPLETED
from checkup.models.groups import FINAL, INTERIM
from checkup.models.results import CRITICAL_HIGH, CRITICAL_LOW, HIGH, LOW
from checkup.services.catalog.packages import age_on
from checkup.services.groups.suppression import clamp_k, suppress

FIGURES_VERSION = 1
SUPPRESSED_MARK = "*"
TOP_FINDINGS = 10
REPORTED_STATUSES = ("signed", "published")
AGE_BANDS = (("<30", None, 29), ("30–39", 30, 39), ("40–49", 40, 49), ("50–59", 50, 59), ("60+", 60, None))
SEXES = ("male", "female")
DIRECTIONS = {"high": _l("high"), "low": _l("low"), "abnormal": _l("abnormal")}
TABLE_TITLES = {
    "department": _l("By department"),
    "category": _l("By category"),
    "band": _l("By age band"),
    "sex": _l("By sex"),
}
RELEASE_REASONS = {INTERIM: _l("interim"), FINAL: _l("final")}
SCREENING_SHARE = Decimal(30)  # a finding this common calls for an on-site screening day
LECTURE_SHARE = Decimal(10)
LOW_PARTICIPATION = Decimal(80)
ANYWHERE = object()  # the group of a changed person no longer on the roster: counted in every group


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
HIDDEN_FIGURE = {"hidden": True}


def figure(count=None, share=None):
    """A published figure as stored: a count and/or a percentage."""
    return {"n": count, "pct": None if share is None else str(share)}


def shown(stored):
    return not stored.get("hidden")


def cell_of(stored):
    """The ``Cell`` of a stored figure."""
    if not shown(stored):
        return HIDDEN
    share = stored.get("pct")
    return Cell(stored.get("n"), Decimal(share) if share is not None else None)


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
    """One row per enrolled employee: groups, whether the checkup is completed, its appointment.
    Departments are grouped exactly as HR's dashboard groups them (the stored text; none is "")."""
    query = (
        Enrollment.select(
            Enrollment.department.alias("department"),
            Client.sex.alias("sex"),
            Client.birth_date.alias("birth_date"),
            Enrollment.category.alias("category"),
            Enrollment.appointment.alias("appointment"),
            Enrollment.status.alias("status"),  # kept: completed exactly when its appointment is
        )
        .join(Client, on=(Enrollment.client == Client.id))
        .where(Enrollment.contract == contract.id)
        .order_by(Enrollment.id)
    )
    people = []
    for row in query.dicts():
        completed = row["status"] == COMPLETED
        people.append(
            {
                "department": row["department"] or "",
                "category": row["category"],
                "sex": row["sex"],
                "band": age_band(row["birth_date"], contract.window_start),
                "completed": completed,
                "appointment": row["appointment"] if completed else None,
            }
        )
    return people


def _completed_appointments(contract_id):
    """The contract's completed appointments, off the enrollments' kept status (completed exactly when the
    current appointment is): no appointment is read."""
    return Enrollment.select(Enrollment.appointment).where(
        Enrollment.contract == contract_id, Enrollment.status == COMPLETED
    )


def counted_reports(contract_id):
    """{appointment id: report id}: the latest signed or published report of each completed checkup of
    the contract, i.e. the people the findings count (one query)."""
    latest = {}
    for report_id, appointment_id, version in plain_tuples(
        Report.select(Report.id, Report.appointment, Report.version).where(
            Report.appointment.in_(_completed_appointments(contract_id)), Report.status.in_(REPORTED_STATUSES)
        )
    ):
        if appointment_id not in latest or version > latest[appointment_id][1]:
            latest[appointment_id] = (report_id, version)
    return {appointment_id: report_id for appointment_id, (report_id, _v) in latest.items()}


def _findings_by_appointment(contract_id, counted):
    """{appointment id: {(item id, direction)}} from the counted report of each appointment
    (``counted_reports``); every counted appointment is a key, even without findings."""
    found = {appointment_id: set() for appointment_id in counted}
    appointment_of = {report_id: appointment_id for appointment_id, report_id in counted.items()}
    rows = (
        Finding.select(Finding.report, Finding.item, Result.flag)
        .join(Report, on=(Finding.report == Report.id))
        .switch(Finding)
        .join(Result, JOIN.LEFT_OUTER, on=(Finding.result == Result.id))
        .where(
            Report.appointment.in_(_completed_appointments(contract_id)),
            Report.status.in_(REPORTED_STATUSES),
            Finding.item.is_null(False),
        )
        .tuples()
    )
    for report_id, item_id, flag in rows:
        if report_id in appointment_of:
            found[appointment_of[report_id]].add((item_id, direction_of(flag)))
    return found


def _item_names(item_ids):
    """{str(item id): {"en": name, "zh": name}}: the listed findings' names in both languages, kept with
    the figures so a release reads the same in either language whatever the catalog becomes."""
    if not item_ids:
        return {}
    return {
        str(i.id): {"en": i.name_en, "zh": i.name_zh or ""}
        for i in ExamItem.select(ExamItem.id, ExamItem.name_en, ExamItem.name_zh).where(ExamItem.id.in_(item_ids))
    }


# --- participation ---------------------------------------------------------------------------------


def participation_table(key, groups, people, k, exact=False):
    """Enrolled, completed and rate per group (``groups``: [(group key, stored label or None)]),
    suppressed unless ``exact``. Returns (table, keys of the groups withheld)."""
    enrolled_by, completed_by = Counter(p[key] for p in people), Counter(p[key] for p in people if p["completed"])
    enrolled = [enrolled_by[group] for group, _label in groups]
    completed = [completed_by[group] for group, _label in groups]
    total_enrolled, total_completed = sum(enrolled), sum(completed)
    if exact:
        hide_size = hide_done = [False] * len(groups)
        hide_total_size = hide_total_done = False
    else:
        size_mask = suppress([[n] for n in enrolled], col_totals=[total_enrolled], k=k)
        hidden_groups = [i for i, row in enumerate(size_mask.cells) if row[0]]
        done_mask = suppress([[n] for n in completed], col_totals=[total_completed], k=k, hidden_rows=hidden_groups)
        hide_size, hide_done = [row[0] for row in size_mask.cells], [row[0] for row in done_mask.cells]
        hide_total_size, hide_total_done = size_mask.cols[0], done_mask.cols[0]

    def line(size, done, hide_size, hide_done):
        return {
            "enrolled": HIDDEN_FIGURE if hide_size else figure(size),
            "completed": HIDDEN_FIGURE if hide_done else figure(done),
            "rate": HIDDEN_FIGURE if hide_size or hide_done else figure(share=percent(done, size)),
        }

    rows = [
        dict(group=group, label=label, **line(enrolled[i], completed[i], hide_size[i], hide_done[i]))
        for i, (group, label) in enumerate(groups)
    ]
    table = {"key": key, "rows": rows, "total": line(total_enrolled, total_completed, hide_total_size, hide_total_done)}
    return table, {group for i, (group, _label) in enumerate(groups) if hide_done[i]}


# --- findings --------------------------------------------------------------------------------------


@dataclass
class PrevalenceSpec:
    """One findings table: its groups (columns), who was examined in which group, the groups withheld
    by the participation table (withheld here too, so the two cannot be played against each other)."""

    key: str
    groups: list  # [(group key, None)]
    reported: list  # [(group key, appointment id)]
    withheld: set


@dataclass
class Earlier:
    """An earlier release as a new one is checked against it: its figures and, per table, how many
    people changed in each group since (``changed[key][group]``; ``ANYWHERE`` counts in every group)."""

    figures: dict
    changed: dict = field(default_factory=dict)
    changed_total: int = 0

    def table(self, key):
        return next((t for t in self.figures.get("prevalence", []) if t["key"] == key), None)

    def people_changed(self, key, group):
        counts = self.changed.get(key, {})
        return counts.get(group, 0) + counts.get(ANYWHERE, 0)


def _earlier(figures, counted_then, counted_now, people):
    """``Earlier`` for a release that counted ``counted_then`` ({appointment id: report id})."""
    then = {int(a): r for a, r in counted_then.items()}
    changed = [a for a in set(then) | set(counted_now) if then.get(a) != counted_now.get(a)]
    groups_of = {p["appointment"]: p for p in people if p["appointment"] is not None}
    per_key = {}
    for key in ("band", "sex"):
        per_key[key] = Counter(groups_of[a][key] if a in groups_of else ANYWHERE for a in changed)
    return Earlier(figures, per_key, len(changed))


def _nearly_everyone(count, size, k):
    return count > 0 and size - count < k


def _isolates(difference, people, k):
    """Whether a figure that changed by ``difference`` while ``people`` people changed tells something
    about fewer than k of them: too few changed, or all but fewer than k of them (or fewer than k) moved it."""
    if 0 < people < k:
        return True
    moved = abs(difference)
    return moved > 0 and (moved < k or people - moved < k)


def _prevalence_table(spec, findings, top, k, extra_cols, extra_members, totals_hidden):
    sizes_by = Counter(group for group, _appointment in spec.reported)
    sizes = [sizes_by[group] for group, _label in spec.groups]
    total = sum(sizes)
    withheld = {j for j, (group, _label) in enumerate(spec.groups) if group in spec.withheld} | set(extra_cols)
    size_mask = suppress([sizes], row_totals=[total], k=k, hidden_cols=sorted(withheld))
    hidden_cols = [j for j, hide in enumerate(size_mask.cells[0]) if hide]
    found_by = Counter((group, finding) for group, appointment in spec.reported for finding in findings[appointment])
    counts = [[found_by[(group, finding)] for group, _label in spec.groups] for finding in top]
    row_totals = [sum(row) for row in counts]
    # a group where all, or all but a few, have the finding says it of each member: hide that cell too
    # (given as 1 so the primary rule takes it; the totals, and so what can be derived, are unchanged)
    screened = [[1 if _nearly_everyone(n, sizes[j], k) else n for j, n in enumerate(row)] for row in counts]
    mask = suppress(
        screened,
        row_totals=row_totals,
        k=k,
        hidden_cols=hidden_cols,
        hidden=set(extra_members) | {("row", i) for i in totals_hidden},
    )
    total_hidden = size_mask.rows[0]
    columns = [
        {"group": group, "size": HIDDEN_FIGURE if size_mask.cells[0][j] else figure(sizes[j])}
        for j, (group, _label) in enumerate(spec.groups)
    ]
    rows = []
    for i, finding in enumerate(top):
        cells = [
            HIDDEN_FIGURE if mask.cells[i][j] else figure(counts[i][j], percent(counts[i][j], sizes[j]))
            for j in range(len(spec.groups))
        ]
        row_total = (
            HIDDEN_FIGURE
            if mask.rows[i]
            else figure(row_totals[i], None if total_hidden else percent(row_totals[i], total))
        )
        rows.append({"finding": list(finding), "cells": cells, "total": row_total})
    return {
        "key": spec.key,
        "columns": columns,
        "rows": rows,
        "total": HIDDEN_FIGURE if total_hidden else figure(total),
    }


def _difference_hides(table, earlier, k):
    """(columns to withhold, members to hide) so that no figure of ``table`` differs from the same
    figure of an earlier release by what fewer than k people did."""
    cols, members = set(), set()
    for before in earlier:
        old = before.table(table["key"])
        if old is None:
            continue
        old_columns = {column["group"]: n for n, column in enumerate(old["columns"])}
        reach = {}  # column -> (its index in the earlier table, how many people its difference is about)
        for j, column in enumerate(table["columns"]):
            n = old_columns.get(column["group"])
            if n is None or not shown(column["size"]) or not shown(old["columns"][n]["size"]):
                continue
            # a moved person (a corrected birth date) changes a group without a changed report
            people = max(
                before.people_changed(table["key"], column["group"]),
                abs(column["size"]["n"] - old["columns"][n]["size"]["n"]),
            )
            if 0 < people < k:
                cols.add(j)
            else:
                reach[j] = (n, people)
        everyone = before.changed_total
        if shown(table["total"]) and shown(old["total"]):
            everyone = max(everyone, abs(table["total"]["n"] - old["total"]["n"]))
        old_rows = {tuple(row["finding"]): row for row in old["rows"]}
        for i, row in enumerate(table["rows"]):
            was = old_rows.get(tuple(row["finding"]))
            if was is None:  # not listed before: only "fewer than k" was known of it
                continue
            for j, (n, people) in reach.items():
                now, then = row["cells"][j], was["cells"][n]
                if shown(now) and shown(then) and _isolates(now["n"] - then["n"], people, k):
                    members.add(("cell", i, j))
            if (
                shown(row["total"])
                and shown(was["total"])
                and _isolates(row["total"]["n"] - was["total"]["n"], everyone, k)
            ):
                members.add(("row", i))
    return cols, members


def prevalence_tables(specs, findings, top, k, earlier=()):
    """People with each top finding per group (columns), with each group's number of people examined,
    one table per ``PrevalenceSpec``; suppressed, and checked against every ``Earlier`` release.

    A finding's total is the same number in every table: hidden in one, it is hidden in all.
    """
    extra = {spec.key: (set(), set()) for spec in specs}
    totals_hidden = set()
    while True:
        tables = [_prevalence_table(spec, findings, top, k, *extra[spec.key], totals_hidden) for spec in specs]
        more = {i for t in tables for i, row in enumerate(t["rows"]) if not shown(row["total"])} - totals_hidden
        totals_hidden |= more
        grown = bool(more)
        for spec, table in zip(specs, tables):
            cols, members = _difference_hides(table, earlier, k)
            known_cols, known_members = extra[spec.key]
            if not (cols <= known_cols and members <= known_members):
                known_cols |= cols
                known_members |= members
                grown = True
        if not grown:
            return tables


def top_findings(findings, k, limit=TOP_FINDINGS):
    """The most common finding keys among the people examined, each found in at least k people."""
    counts = {}
    for keys in findings.values():
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    common = sorted((key for key, n in counts.items() if n >= k), key=lambda key: (-counts[key], key))
    return common[:limit], counts


def recommendations(table, participation_rate):
    """Advice for the company from the first findings of ``table`` (stored form: kinds, no sentences).
    Only a published figure is used: a finding whose total is hidden gets the advice that says no number."""
    advice = []
    for row in table["rows"][:3]:
        total = row["total"]
        share = Decimal(total["pct"]) if shown(total) and total.get("pct") is not None else None
        if share is None:
            advice.append({"kind": "leaflet", "finding": row["finding"]})
        elif share >= SCREENING_SHARE:
            advice.append({"kind": "screening", "finding": row["finding"], "share": str(share)})
        elif share >= LECTURE_SHARE:
            advice.append({"kind": "lecture", "finding": row["finding"]})
        else:
            advice.append({"kind": "leaflet", "finding": row["finding"]})
    if table["rows"]:
        advice.append({"kind": "encourage"})
    if participation_rate is not None and participation_rate < LOW_PARTICIPATION:
        advice.append({"kind": "participation", "rate": str(participation_rate)})
    return advice


# --- the whole summary -----------------------------------------------------------------------------


def get_contract(contract_id):
    contract = GroupContract.get_or_none(GroupContract.id == contract_id) if storable_id(contract_id) else None
    if contract is None:
        raise NotFound(_l("No such contract."))
    return contract


def figures(contract_id, k=None, earlier=()):
    """(figures, counted): what a release of contract ``contract_id`` publishes now (see the module
    docstring) and {appointment id: report id} of the people its findings count.

    ``earlier``: [(figures, counted)] of the contract's earlier releases, which no figure may be
    differenced against to isolate fewer than k people. ``k`` overrides the configured threshold
    (still clamped). Raises NotFound for a missing contract.
    """
    contract = get_contract(contract_id)
    k = clamp_k(k if k is not None else suppression_k())
    people = _people(contract)
    categories = list(
        ContractCategory.select(ContractCategory.id, ContractCategory.label)
        .where(ContractCategory.contract == contract.id)
        .order_by(ContractCategory.position, ContractCategory.label)
        .tuples()
    )
    departments = sorted({p["department"] for p in people}, key=lambda d: (d == "", d))
    bands = [(label, None) for label, _low, _high in AGE_BANDS]
    sexes = [(sex, None) for sex in SEXES]

    by_department, _ = participation_table("department", [(d, None) for d in departments], people, k, exact=True)
    by_category, _ = participation_table("category", categories, people, k, exact=True)
    by_band, band_withheld = participation_table("band", bands, people, k)
    by_sex, sex_withheld = participation_table("sex", sexes, people, k)

    counted = counted_reports(contract.id)
    findings = _findings_by_appointment(contract.id, counted)
    top, _counts = top_findings(findings, k)
    examined = [p for p in people if p["appointment"] in findings]
    specs = [
        PrevalenceSpec("band", bands, [(p["band"], p["appointment"]) for p in examined], band_withheld),
        PrevalenceSpec("sex", sexes, [(p["sex"], p["appointment"]) for p in examined], sex_withheld),
    ]
    before = [_earlier(old, old_counted, counted, people) for old, old_counted in earlier]
    prevalence = prevalence_tables(specs, findings, top, k, before)
    overall = by_department["total"]
    rate = Decimal(overall["rate"]["pct"]) if overall["rate"].get("pct") is not None else None
    result = {
        "version": FIGURES_VERSION,
        "center": {"name": current_app.config["CENTER_NAME"]},
        "contract": {
            "id": contract.id,
            "name": contract.name,
            "year": contract.year,
            "organization": contract.organization.name,
            "status": contract.status,
            "window_start": contract.window_start.isoformat(),
            "window_end": contract.window_end.isoformat(),
        },
        "k": k,
        "as_of": clock.today().isoformat(),
        "participation": [by_department, by_category, by_band, by_sex],
        "examined": HIDDEN_FIGURE if 0 < len(examined) < k else figure(len(examined)),
        "prevalence": prevalence,
        "items": _item_names({item_id for item_id, _d in top}),
        "advice": recommendations(prevalence[0], rate),
    }
    return result, counted


# --- presenting stored figures ---------------------------------------------------------------------


def finding_label(finding, names):
    item_id, direction = finding
    return str(_l("%(item)s (%(direction)s)", item=names.get(item_id, "?"), direction=DIRECTIONS[direction]))


def _group_label(key, row):
    group = row["group"]
    if key == "department":
        return group or str(_l("No department"))  # as HR's dashboard names it
    if key == "sex":
        return str(choice_label("sex", group))
    if key == "category":
        return row.get("label") or "?"
    return group


def _advice_text(entry, names):
    kind = entry["kind"]
    topic = finding_label(entry["finding"], names) if "finding" in entry else ""
    if kind == "screening":
        return [
            str(
                _l(
                    "Offer an on-site screening day on %(topic)s: %(share)s%% of the employees examined had it.",
                    topic=topic,
                    share=entry["share"],
                )
            ),
            str(_l("Hold a health lecture on %(topic)s for all employees.", topic=topic)),
        ]
    if kind == "lecture":
        return [str(_l("Hold a health lecture on %(topic)s for all employees.", topic=topic))]
    if kind == "leaflet":
        return [str(_l("Share written advice on %(topic)s with the employees (leaflet or intranet).", topic=topic))]
    if kind == "encourage":
        return [
            str(
                _l(
                    "Encourage employees to follow the advice in their own reports; the center's counselors "
                    "are there to help them."
                )
            )
        ]
    return [
        str(
            _l(
                "Participation was %(rate)s%%: remind the employees who did not attend and plan the next "
                "checkup days early.",
                rate=entry["rate"],
            )
        )
    ]


def _line(stored, label):
    return {
        "label": label,
        "enrolled": cell_of(stored["enrolled"]),
        "completed": cell_of(stored["completed"]),
        "rate": cell_of(stored["rate"]),
    }


def present(stored, release=None):
    """The stored ``figures`` as pages and documents show them, in the current language: the same
    numbers, with labels, ``Cell`` objects and the advice in words. ``release`` (a ``SummaryRelease``)
    names the version shown."""
    chinese = str(get_locale() or "").startswith("zh")
    names = {int(i): (n["zh"] if chinese and n.get("zh") else n["en"]) for i, n in stored["items"].items()}
    k = stored["k"]
    participation = []
    for table in stored["participation"]:
        participation.append(
            {
                "key": table["key"],
                "title": TABLE_TITLES[table["key"]],
                "rows": [_line(row, _group_label(table["key"], row)) for row in table["rows"]],
                "total": _line(table["total"], _l("All employees")),
            }
        )
    prevalence = []
    for table in stored["prevalence"]:
        prevalence.append(
            {
                "key": table["key"],
                "title": TABLE_TITLES[table["key"]],
                "columns": [
                    {"label": _group_label(table["key"], column), "size": cell_of(column["size"])}
                    for column in table["columns"]
                ],
                "rows": [
                    {
                        "label": finding_label(tuple(row["finding"]), names),
                        "cells": [cell_of(c) for c in row["cells"]],
                        "total": cell_of(row["total"]),
                    }
                    for row in table["rows"]
                ],
                "total": cell_of(table["total"]),
            }
        )
    window = f"{stored['contract']['window_start']} – {stored['contract']['window_end']}"
    contract = dict(stored["contract"], window=window)
    data = {
        "center": stored["center"],
        "contract": contract,
        "k": k,
        "marker": SUPPRESSED_MARK,
        "legend": str(
            _l(
                "%(mark)s not shown: fewer than %(k)d people, or a figure from which such a number "
                "could be worked out.",
                mark=SUPPRESSED_MARK,
                k=k,
            )
        ),
        "overall": participation[0]["total"],
        "examined": cell_of(stored["examined"]),
        "participation": participation,
        "prevalence": prevalence,
        "recommendations": [text for entry in stored["advice"] for text in _advice_text(entry, names)],
        "generated_on": stored["as_of"],
        "release": None,
    }
    if release is not None:
        released_on = clock.from_utc(release.released_at).date().isoformat()
        data["release"] = {
            "number": release.number,
            "reason": str(RELEASE_REASONS.get(release.reason, release.reason)),
            "released_on": released_on,
        }
        data["generated_on"] = released_on
    return data


def summary_data(contract_id, k=None):
    """What a release made now would show, in the current language (no earlier release considered):
    for the center's checks and tests, never an answer to HR."""
    return present(figures(contract_id, k)[0])


def has_completed_exam(contract_id):
    return _completed_appointments(contract_id).exists()
