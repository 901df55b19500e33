"""A big center's five years on PostgreSQL, built in minutes on top of the demo.

    .venv/bin/python bench/dataset.py --url postgresql://postgres@127.0.0.1:5432/checkup_big --create
    .venv/bin/python bench/dataset.py --url postgresql://postgres@127.0.0.1:5432/checkup_mid --scale 0.05 --create

``--create`` drops and creates the database, migrates it and seeds the demo (``seed-demo`` with its history);
without it the database must be migrated and seeded already. Then ``build`` adds, at ``--scale 1``: 100k
clients (a quarter with a client account, two thirds with consents, 70 % with a national ID), 300k appointments
over the last five years and the coming six weeks, ~5.8M appointment items, their results, ~264k published
reports with findings and follow-ups, critical alerts, surveys for the last year's reports, 1M audit events,
Acme's 10,000-employee contract of this year with its roster, and 1,000 appointments today (the demo's five
make the day sheet's 1,005). ``--scale`` multiplies every count.

Everything is made by the server (``INSERT … SELECT … generate_series`` in one transaction; the only rows
Python computes are the national IDs: HMAC and Fernet run here with the app's key). Values derive from the
row's index through ``hashint8extended``, so the same scale on the same demo gives the same data. Every row
is one the app could have written: foreign keys, CHECK and unique constraints hold; a completed appointment
has every item resulted and one published report (a few amended: version 1 superseded); the results snapshot,
findings (an abnormal result each: critical → A, significant → B, mild → no follow-up) and one follow-up per
A/B level are what signing writes; slot and resource-day counters are recounted from the appointments (a
capacity below them is raised, and the days from today on keep a fifth free). Published reports are
``pdf_state = ready`` without a file: opening one answers "being prepared" (503) and owes its render, as
after a database-only restore. Appointment items are a deterministic part of the package (the sizes the
issue names: ~19 per appointment), so results follow the items (~5M at scale 1, not the issue's 3.6M: a
signed report needs every item resulted).

The national-ID key is the app's (``CHECKUP_NATIONAL_ID_KEY``, else "bench" as the benchmarks use): the
directory finds a generated client by their ID number (a real, well-formed one: region, birth date, sequence
with the sex's parity, check digit). The generated client accounts (emails ``<pinyin>.<surname><n>@example.com``)
sign in with the demo's password.

Finishes with ANALYZE and the set-based rebuild hooks in REBUILD_HOOKS that can be imported.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import importlib
import io
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask import current_app, has_app_context  # noqa: E402

from checkup import create_app, database  # noqa: E402
from checkup.core import clock, national_id, passwords  # noqa: E402
from checkup.demo import demo  # noqa: E402
from checkup.demo.accounts import DEMO_PASSWORD  # noqa: E402
from checkup.demo.demo_care import SURVEY_COMMENTS  # noqa: E402
from checkup.demo.demo_history import HISTORY_TEXT  # noqa: E402
from checkup.demo.demo_report_texts import FINDINGS_ZH, GENERAL_ADVICE, OTHER_ADVICE  # noqa: E402
from checkup.models import (  # noqa: E402
    Appointment,
    AppointmentItem,
    AuditEvent,
    Client,
    Consent,
    ContactAttempt,
    ContractCategory,
    CriticalAlert,
    Department,
    Enrollment,
    ExamItem,
    Finding,
    FollowUp,
    GroupContract,
    ReferenceRange,
    Report,
    ResourceDay,
    Result,
    Slot,
    Survey,
    User,
    UserRole,
)
from checkup.models.base import db  # noqa: E402
from checkup.services.booking.capacity import DEFAULT_SLOTS  # noqa: E402
from checkup.services.catalog.care_rules import DEFAULT_RULES  # noqa: E402
from checkup.services.exam.results import range_for  # noqa: E402

# ---- set-based rebuilds other parts of the portal provide; called in order, in an app context, when
# importable (a missing module or name is skipped and reported). The lead fills this list in. ----------
REBUILD_HOOKS = [
    "checkup.services.care.client_facts.rebuild_all",  # per-client facts (last checkup, report, re-enrollment)
    "checkup.services.admin.daily_rollup.refresh",  # the management dashboard's rollup of its window
]

# What ``scale=1`` adds (the big center). Results, findings and follow-ups follow from the rates below.
SIZES = {
    "clients": 100_000,
    "appointments": 300_000,  # all of them: history, upcoming, the group's and today's
    "items_per_appointment": 5_800_000 / 300_000,
    "audit_events": 1_000_000,
    "employees": 10_000,
    "today": 1_000,  # + the demo's five today = the day sheet's 1,005
}
MARKER = "bench.dataset"  # a Setting row: a database gets one dataset
YEARS, FUTURE_DAYS = 5, 42
WINDOW_BEFORE, WINDOW_AFTER = 60, 40  # the big contract's window around today
VARIANTS = 8  # item selections per package
# per 100,000 results: numeric critical / significant high / significant low / mild high / mild low; text abnormal
P_CRIT, P_SIG_H, P_SIG_L, P_MILD_H, P_MILD_L, P_TEXT = 6, 290, 100, 7400, 3200, 580
ID_SHARE, ACCOUNT_SHARE, EMAIL_SHARE, CONSENT_SHARE = 70, 30, 85, 65  # percent of generated clients
HEADROOM = 0.2  # share of places left free on the days from today on
FIXED_TOKEN_TIME = 1_577_836_800  # Fernet timestamp of the generated ID ciphers (2020-01-01): deterministic

SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"),
    ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"),
    ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"),
]  # fmt: skip
GIVEN = {
    "male": [
        ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"), ("涛", "tao"),
        ("明", "ming"), ("超", "chao"), ("斌", "bin"), ("浩", "hao"), ("鹏", "peng"), ("华", "hua"), ("建", "jian"),
        ("国", "guo"), ("志", "zhi"), ("文", "wen"), ("宇", "yu"), ("俊", "jun"), ("峰", "feng"), ("辉", "hui"),
        ("刚", "gang"), ("平", "ping"), ("东", "dong"), ("海", "hai"), ("波", "bo"), ("林", "lin"), ("晨", "chen"),
        ("博", "bo"), ("凯", "kai"),
    ],
    "female": [
        ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"), ("娟", "juan"),
        ("霞", "xia"), ("燕", "yan"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"), ("琳", "lin"),
        ("颖", "ying"), ("倩", "qian"), ("佳", "jia"), ("欣", "xin"), ("怡", "yi"), ("洁", "jie"), ("梅", "mei"),
        ("红", "hong"), ("兰", "lan"), ("萍", "ping"), ("晓", "xiao"), ("雅", "ya"), ("琴", "qin"), ("月", "yue"),
        ("秀", "xiu"), ("悦", "yue"),
    ],
}  # fmt: skip
DISTRICTS = ["闵行区", "徐汇区", "浦东新区", "长宁区", "静安区", "普陀区", "杨浦区", "宝山区", "松江区", "嘉定区"]
STREETS = ["莘松路", "七莘路", "都市路", "沪闵路", "春申路", "漕宝路", "虹梅南路", "龙华中路", "张杨路", "共和新路"]
OCCUPATIONS = ["Engineer", "Teacher", "Accountant", "Nurse", "Driver", "Sales manager", "Civil servant", "Retired",
               "Designer", "Programmer", "Shop owner", "Doctor", "Lawyer", "Student", "Factory worker"]  # fmt: skip
TAGS = ["smoker", "night-shift", "drinker", "noise-exposure", "overweight", "lapsed", "vip-care"]
DEPARTMENTS = ["Assembly", "Quality", "Engineering", "Warehouse", "Sales", "Finance", "Human Resources",
               "Logistics", "Maintenance", "Research", "Procurement", "IT"]  # fmt: skip
MANAGEMENT = ("Finance", "Human Resources", "Sales")
REGIONS = ["310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310115",
           "310116", "310117", "310118", "310120", "310151", "320102", "320505", "330106", "340104", "370102"]  # fmt: skip
CANCEL_REASONS = ["Client asked to cancel", "Unwell on the day", "Travelling for work", "Booked another date", ""]
OUTCOMES = [
    ("advice_given", "Phoned the client and explained the results; lifestyle advice given."),
    ("recheck_booked", "Client will come back for a recheck in three months."),
    ("referred", "Referred to the specialist clinic; client agreed."),
    ("recheck_normal", "Recheck came back normal."),
    ("resolved", "Seen by their own doctor; nothing more needed."),
    ("unreachable", "Three calls without answer; letter sent."),
    ("declined", "Client prefers to wait for next year's checkup."),
]
NO_ABNORMAL_SUMMARY = "No significant abnormality found in this checkup.\n本次体检未见明显异常。"


# ---- small helpers --------------------------------------------------------------------------------------------


class Steps:
    """Times each named step and prints it as it ends."""

    def __init__(self, log):
        self.log, self.done = log, []

    def __call__(self, name, function, *args):
        started = time.perf_counter()
        value = function(*args)
        took = time.perf_counter() - started
        self.done.append((name, took))
        self.log(f"  {name:<34} {took:7.1f} s")
        return value


def scaled(value, scale):
    return max(1, round(value * scale))


def _det(*parts):
    """A deterministic 64-bit number from ``parts`` (Python side: menus and national IDs)."""
    return int.from_bytes(hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def _literal(field):
    """The SQL value of a model field's default (for columns a statement does not name)."""
    default = field.default
    if callable(default):
        default = default()
    return default


def insert(cur, model, columns, source, params=None, conflict=""):
    """``INSERT INTO <model's table> (columns) SELECT <expressions> <source>``; every NOT NULL column the
    statement does not name gets the model field's default (so a column added by a later migration with a
    default is filled as the app would). Returns the rows inserted."""
    table = model._meta.table_name
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL",
        (table,),
    )
    by_column = {field.column_name: field for field in model._meta.sorted_fields}
    columns = dict(columns)
    for (column,) in cur.fetchall():
        if column in columns:
            continue
        field = by_column.get(column)
        if field is None or field.default is None:
            raise RuntimeError(f"{table}.{column} is NOT NULL without a default: bench/dataset.py must set it")
        columns[column] = cur.mogrify("%s", (field.db_value(_literal(field)),)).decode().replace("%", "%%")
    names = ", ".join(f'"{name}"' for name in columns)
    expressions = ",\n  ".join(f"{expression} AS {name}" for name, expression in columns.items())
    cur.execute(f'INSERT INTO "{table}" ({names})\nSELECT {expressions}\n{source}\n{conflict}', params or {})
    return cur.rowcount


def _scalar(cur, sql, params=None):
    cur.execute(sql, params or {})
    return cur.fetchone()[0]


def _next_id(cur, table):
    return _scalar(cur, f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')


def _sync_sequence(cur, table):
    cur.execute(
        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT GREATEST(MAX(id), 1) FROM \"{table}\"))"
    )


def _local(expression):
    """SQL: a local wall-clock timestamp expression at the center → naive UTC (as the app stores instants)."""
    return f"((({expression}) AT TIME ZONE %(tz)s) AT TIME ZONE 'UTC')"


# ---- the plan: sizes and the center's day ranges ---------------------------------------------------------------


class Plan:
    def __init__(self, scale, today, now_utc, tz):
        self.scale, self.today, self.now, self.tz = scale, today, now_utc, tz
        self.clients = scaled(SIZES["clients"], scale)
        self.appointments = scaled(SIZES["appointments"], scale)
        self.employees = min(scaled(SIZES["employees"], scale), self.clients // 2)
        self.today_count = min(scaled(SIZES["today"], scale), (self.clients - self.employees) // 2)
        self.audit = scaled(SIZES["audit_events"], scale)
        self.items_per_appointment = SIZES["items_per_appointment"]
        start = today - datetime.timedelta(days=365 * YEARS)
        self.start = start - datetime.timedelta(days=start.weekday())  # a Monday
        self.end = today + datetime.timedelta(days=FUTURE_DAYS)
        self.window_start = today - datetime.timedelta(days=WINDOW_BEFORE)
        self.window_end = today + datetime.timedelta(days=WINDOW_AFTER)

    def params(self, **more):
        values = {
            "tz": self.tz,
            "today": self.today,
            "now": self.now,
            "C": self.clients,
            "E": self.employees,
            "T": self.today_count,
        }
        values.update(more)
        return values


# ---- the catalog as the generator needs it (small tables, computed here once) ------------------------------------


def _item_texts(item):
    """(normal text, [abnormal texts]) of a text or choice item."""
    if item.result_type == "choice":
        choices = item.choice_list or ["Normal", "Abnormal"]
        abnormal = [choices[-1]] if item.code == "HPV" else choices[1:2] or choices[-1:]
        return choices[0], abnormal
    normal, findings = HISTORY_TEXT.get(item.code, ("No abnormality found.", []))
    return normal, findings or ["Abnormal finding; further examination advised."]


def _places(*values):
    return max([max(-v.as_tuple().exponent, 0) for v in values if v is not None] or [1])


def catalog_tables(cur, plan, log):
    """Temp tables: t_item (items with their texts), t_range (a range per item and sex, at 45), t_menu (the
    items each package variant performs), t_pkg, t_spec (the day's slots), t_wday (weekday index → day)."""
    cur.execute("CREATE FUNCTION pg_temp.h(x bigint, s int) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE "
                "AS 'SELECT hashint8extended(x, s) & 9223372036854775807'")  # fmt: skip
    cur.execute(
        """CREATE TEMP TABLE t_item (item_id int PRIMARY KEY, code text, name_en text, name_zh text, dept_code text,
        dept_en text, dept_zh text, dept_order int, is_lab bool, result_type text, unit text, resource_id int,
        price numeric, normal_text text, abn_texts text[], abn_zh text[], places int, ord int)"""
    )
    cur.execute(
        """CREATE TEMP TABLE t_range (item_id int, sex text, low numeric, high numeric, clow numeric,
        chigh numeric, PRIMARY KEY (item_id, sex))"""
    )
    with db.connection_context():
        items = list(ExamItem.select().order_by(ExamItem.code))
        departments = {d.id: d for d in Department.select()}
        ranges = {}
        for row in ReferenceRange.select():
            ranges.setdefault(row.item_id, []).append(row)
    item_rows, range_rows = [], []
    for ordinal, item in enumerate(items):
        department = departments[item.department_id]
        normal, abnormal = _item_texts(item) if item.result_type != "numeric" else ("", [])
        places = 1
        for sex in ("male", "female"):
            row = range_for(ranges.get(item.id, []), sex, 45)
            if row is not None and item.result_type == "numeric":
                range_rows.append((item.id, sex, row.low, row.high, row.critical_low, row.critical_high))
                places = max(places if sex == "female" else 0, _places(row.low, row.high))
        if item.code.startswith("VA-"):
            places = 1
        item_rows.append(
            (
                item.id, item.code, item.name_en, item.name_zh, department.code, department.name_en,
                department.name_zh, department.sort_order, department.code.startswith("LAB-"), item.result_type,
                item.unit, item.resource_id, item.price, normal, abnormal, [FINDINGS_ZH.get(t, t) for t in abnormal],
                places, ordinal,
            )
        )  # fmt: skip
    psycopg2.extras.execute_values(cur, "INSERT INTO t_item VALUES %s", item_rows)
    psycopg2.extras.execute_values(cur, "INSERT INTO t_range VALUES %s", range_rows)

    # packages and their variants: the general measurements always, then a deterministic share of the rest,
    # sized so that an appointment performs SIZES["items_per_appointment"] items on average
    cur.execute("SELECT p.id, p.code, p.price, pi.item_id FROM package p JOIN package_item pi ON pi.package_id = p.id")
    packages = {}
    for package_id, code, price, item_id in cur.fetchall():
        packages.setdefault(code, (package_id, price, []))[2].append(item_id)
    mix = _package_mix()
    mean_size = sum(share * len(packages[code][2]) for code, share in mix.items() if code in packages)
    # the age and sex fallbacks of PACKAGE_CHOICE lean to the larger packages: 2.5 % fewer items evens it out
    ratio = min(1.0, plan.items_per_appointment * 0.975 / mean_size)
    by_id = {item.id: item for item in items}
    core = {"HEIGHT", "WEIGHT", "BMI", "SBP", "DBP"}
    menu_rows, pkg_rows = [], []
    for code, (package_id, price, item_ids) in sorted(packages.items()):
        size = max(len([i for i in item_ids if by_id[i].code in core]), round(len(item_ids) * ratio))
        pkg_rows.append((package_id, code, price))
        for variant in range(VARIANTS):
            chosen = sorted(
                item_ids, key=lambda i: (by_id[i].code not in core, _det("menu", code, variant, by_id[i].code))
            )[:size]
            for item_id in chosen:
                menu_rows.append((package_id, variant, item_id, by_id[item_id].price, by_id[item_id].resource_id))
    cur.execute(
        """CREATE TEMP TABLE t_menu (package_id int, variant int, item_id int, price numeric, resource_id int,
        PRIMARY KEY (package_id, variant, item_id))"""
    )
    psycopg2.extras.execute_values(cur, "INSERT INTO t_menu VALUES %s", menu_rows)
    cur.execute("CREATE TEMP TABLE t_pkg (package_id int PRIMARY KEY, code text UNIQUE, price numeric)")
    psycopg2.extras.execute_values(cur, "INSERT INTO t_pkg VALUES %s", pkg_rows)

    cur.execute(
        "CREATE TEMP TABLE t_spec (idx int PRIMARY KEY, start_time time, end_time time, cap int, lo int, hi int)"
    )
    total, rows = 0, []
    for index, (start, end, capacity) in enumerate(DEFAULT_SLOTS):
        rows.append((index, start, end, capacity, total, total + capacity))
        total += capacity
    psycopg2.extras.execute_values(cur, "INSERT INTO t_spec VALUES %s", rows)
    plan.slot_weight_total = total

    cur.execute(
        """CREATE TEMP TABLE t_wday AS
        SELECT (row_number() OVER (ORDER BY d) - 1)::int AS w, d::date AS day
        FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') d
        WHERE extract(isodow FROM d) < 6 AND d::date <> %(today)s""",
        {"start": plan.start, "end": plan.end, "today": plan.today},
    )
    cur.execute("ALTER TABLE t_wday ADD PRIMARY KEY (w)")
    cur.execute(
        """SELECT count(*), count(*) FILTER (WHERE day < %(today)s), count(*) FILTER (WHERE day < %(ws)s),
        count(*) FILTER (WHERE day <= %(we)s) FROM t_wday""",
        {"today": plan.today, "ws": plan.window_start, "we": plan.window_end},
    )
    plan.W, plan.W_past, plan.W_window, plan.W_window_end = cur.fetchone()
    log(f"  catalog: {len(items)} items, menus of {ratio:.0%} of each package, {plan.W} weekdays")
    return len(menu_rows)


def _package_mix():
    """The share of appointments per package code (the CASE in stage_appointments, sexes halved)."""
    return {"BASIC-M": 0.25, "BASIC-F": 0.25, "COMP": 0.10, "COMP-M": 0.075, "COMP-F": 0.075, "EXEC": 0.05,
            "CARDIO-40": 0.08, "PRE-EMP": 0.12}  # fmt: skip


# ---- clients ------------------------------------------------------------------------------------------------------


def stage_clients(cur, plan, ctx):
    """t_client: every generated client with what the appointments need (sex, age, department)."""
    plan.client_base = _next_id(cur, "client")
    cur.execute(
        """CREATE TEMP TABLE t_client AS
        SELECT c, %(base)s + c AS id,
          CASE WHEN pg_temp.h(c, 2) %% 100 < 52 THEN 'female' ELSE 'male' END AS sex,
          (%(today)s::date - ((24 + pg_temp.h(c, 4) %% 57) * 365.25)::int - (pg_temp.h(c, 5) %% 365)::int) AS birth_date,
          c <= %(E)s AS employee,
          CASE WHEN c <= %(E)s THEN (%(depts)s::text[])[1 + pg_temp.h(c, 7) %% %(n_depts)s] ELSE '' END AS department,
          (pg_temp.h(c, 1) %% 1000000) / 1000000.0 AS phase
        FROM generate_series(1, %(C)s) c""",
        plan.params(base=plan.client_base, depts=DEPARTMENTS, n_depts=len(DEPARTMENTS)),
    )
    cur.execute("ALTER TABLE t_client ADD PRIMARY KEY (c)")
    cur.execute("ALTER TABLE t_client ADD COLUMN age int")
    cur.execute("UPDATE t_client SET age = extract(year FROM age(%(today)s::date, birth_date))", plan.params())
    return plan.clients


def insert_clients(cur, plan, ctx):
    """The generated clients (created some weeks before their first checkup); Acme's employees for the first E."""
    surnames = [s for s, _p in SURNAMES]
    surnames_py = [p for _s, p in SURNAMES]
    params = plan.params(
        surnames=surnames, surnames_py=surnames_py, n_sur=len(SURNAMES),
        male=[g for g, _p in GIVEN["male"]], male_py=[p for _g, p in GIVEN["male"]],
        female=[g for g, _p in GIVEN["female"]], female_py=[p for _g, p in GIVEN["female"]], n_given=len(GIVEN["male"]),
        districts=DISTRICTS, streets=STREETS, occupations=OCCUPATIONS, tags=TAGS, acme=ctx["acme"],
        K=plan.visits, W=plan.W, W_window=plan.W_window,
    )  # fmt: skip
    given = "(CASE WHEN t.sex = 'male' THEN %(male)s::text[] ELSE %(female)s::text[] END)"
    given_py = "(CASE WHEN t.sex = 'male' THEN %(male_py)s::text[] ELSE %(female_py)s::text[] END)"
    g1, g2 = "1 + pg_temp.h(t.c, 8) %% %(n_given)s", "1 + pg_temp.h(t.c, 9) %% %(n_given)s"
    two = "pg_temp.h(t.c, 10) %% 100 < 70"  # most given names have two characters
    return insert(
        cur,
        Client,
        {
            "id": "t.id",
            "name": f"(%(surnames)s::text[])[1 + pg_temp.h(t.c, 3) %% %(n_sur)s] || {given}[{g1}]"
            f" || CASE WHEN {two} THEN {given}[{g2}] ELSE '' END",
            "sex": "t.sex",
            "birth_date": "t.birth_date",
            "national_id_hash": "NULL",
            "national_id_cipher": "NULL",
            "phone": "'1' || (3 + t.c %% 7)::text || lpad(((t.c * 7919) %% 1000000000)::text, 9, '0')",
            "email": f"CASE WHEN pg_temp.h(t.c, 11) %% 100 < {EMAIL_SHARE} THEN"
            f" {given_py}[{g1}] || CASE WHEN {two} THEN {given_py}[{g2}] ELSE '' END || '.'"
            " || (%(surnames_py)s::text[])[1 + pg_temp.h(t.c, 3) %% %(n_sur)s] || t.c::text || '@example.com'"
            " ELSE '' END",
            "address": "'上海市' || (%(districts)s::text[])[1 + pg_temp.h(t.c, 12) %% 10]"
            " || (%(streets)s::text[])[1 + pg_temp.h(t.c, 13) %% 10] || (1 + pg_temp.h(t.c, 14) %% 99) * 10 || '弄'"
            " || (1 + pg_temp.h(t.c, 15) %% 30) || '号' || (1 + pg_temp.h(t.c, 16) %% 18) || '0'"
            " || (1 + pg_temp.h(t.c, 17) %% 4) || '室'",
            "occupation": "(%(occupations)s::text[])[1 + pg_temp.h(t.c, 18) %% 15]",
            "notes": "''",
            "organization_id": "CASE WHEN t.employee THEN %(acme)s END",
            "employee_no": "CASE WHEN t.employee THEN 'E' || lpad(t.c::text, 5, '0') ELSE '' END",
            "department": "t.department",
            "value_tier": "CASE WHEN pg_temp.h(t.c, 19) %% 100 < 3 THEN 'vip'"
            " WHEN pg_temp.h(t.c, 19) %% 100 < 15 THEN 'important' ELSE 'general' END",
            "tags": "CASE WHEN pg_temp.h(t.c, 20) %% 100 < 20 THEN (%(tags)s::text[])[1 + pg_temp.h(t.c, 21) %% 7]"
            " ELSE '' END",
            "created_at": _local("w.day - 20 - (pg_temp.h(t.c, 22) %% 40)::int + time '10:00'"),
            "anonymized_at": "NULL",
            "roster_unverified_since": "NULL",
            "roster_id_hash": "NULL",
        },
        """FROM t_client t JOIN t_wday w ON w.w = floor(t.phase
             * (CASE WHEN t.employee THEN %(W_window)s ELSE %(W)s END) / %(K)s)::int
        ORDER BY t.c""",
        params,
    )


def national_ids(cur, plan, ctx):
    """ID numbers for ID_SHARE % of the generated clients: keyed hash and cipher as the app writes them (the
    cipher with a fixed IV and time, so it is deterministic). Numbers that would collide are left out."""
    cur.execute(f"SELECT id, c, sex, birth_date FROM t_client WHERE pg_temp.h(c, 30) % 100 < {ID_SHARE} ORDER BY c")
    rows = cur.fetchall()
    cur.execute("SELECT national_id_hash FROM client WHERE national_id_hash IS NOT NULL")
    taken = {h for (h,) in cur.fetchall()}
    lookup_key = national_id._key_bytes("lookup")
    fernet = Fernet(base64.urlsafe_b64encode(national_id._key_bytes("encrypt")))
    out = io.StringIO()
    made = 0
    for client_id, c, sex, birth in rows:
        sequence = (c // len(REGIONS)) % 500 * 2 + (1 if sex == "male" else 0)
        first17 = f"{REGIONS[c % len(REGIONS)]}{birth:%Y%m%d}{sequence:03d}"
        number = first17 + national_id.check_digit(first17)
        digest = hmac.new(lookup_key, number.encode(), hashlib.sha256).hexdigest()
        if digest in taken:
            continue
        taken.add(digest)
        iv = hmac.new(lookup_key, b"iv:" + number.encode(), hashlib.sha256).digest()[:16]
        cipher = fernet._encrypt_from_parts(number.encode(), FIXED_TOKEN_TIME, iv).decode()
        out.write(f"{client_id}\t{digest}\t{cipher}\n")
        made += 1
    out.seek(0)
    cur.execute("CREATE TEMP TABLE t_nid (id int PRIMARY KEY, hash text, cipher text)")
    cur.copy_from(out, "t_nid", columns=("id", "hash", "cipher"))
    cur.execute(
        "UPDATE client SET national_id_hash = n.hash, national_id_cipher = n.cipher FROM t_nid n WHERE client.id = n.id"
    )
    return made


def insert_accounts(cur, plan, ctx):
    """Client accounts (the demo's password) for ACCOUNT_SHARE % of the generated clients with an email."""
    source = f"""FROM client cl JOIN t_client t ON t.id = cl.id
        WHERE cl.email <> '' AND pg_temp.h(t.c, 40) % 100 < {ACCOUNT_SHARE} ORDER BY cl.id"""
    made = insert(
        cur,
        User,
        {
            "email": "cl.email",
            "password_hash": "%(hash)s",
            "name": "cl.name",
            "phone": "cl.phone",
            "locale": "CASE WHEN pg_temp.h(t.c, 41) %% 100 < 80 THEN 'zh' ELSE 'en' END",
            "is_active": "true",
            "registration_pending": "false",
            "organization_id": "NULL",
            "client_id": "cl.id",
            "created_at": "cl.created_at + interval '1 hour'",
            "last_login_at": "CASE WHEN pg_temp.h(t.c, 42) %% 100 < 60 THEN cl.created_at + interval '30 days' END",
        },
        source.replace("%", "%%"),
        {"hash": ctx["password_hash"]},
    )
    insert(
        cur,
        UserRole,
        {"user_id": "u.id", "role": "'client'"},
        'FROM "user" u WHERE u.client_id > %(base)s ORDER BY u.id',
        {"base": plan.client_base},
    )
    return made


def insert_consents(cur, plan, ctx):
    """Consents given at registration (CONSENT_SHARE % of clients with an email), and some marketing
    withdrawals later (newer rows: the latest row per purpose is the answer)."""
    base = f"""FROM client cl JOIN t_client t ON t.id = cl.id
        CROSS JOIN (VALUES (1, 'service_reminders', 100), (2, 'marketing_email', 40), (3, 'health_targeting', 15))
          AS p(n, purpose, share)
        WHERE cl.email <> '' AND pg_temp.h(t.c, 50) % 100 < {CONSENT_SHARE}
          AND pg_temp.h(t.c, 50 + p.n) % 100 < p.share
        ORDER BY cl.id, p.n"""
    made = insert(
        cur,
        Consent,
        {
            "client_id": "cl.id",
            "purpose": "p.purpose",
            "granted": "true",
            "at": "cl.created_at",
            "source": "'registration'",
            "recorded_by_id": "NULL",
        },
        base.replace("%", "%%"),
    )
    withdrawn = """FROM consent co JOIN t_client t ON t.id = co.client_id
        WHERE co.purpose = 'marketing_email' AND pg_temp.h(t.c, 59) % 100 < 8 ORDER BY co.id"""
    made += insert(
        cur,
        Consent,
        {
            "client_id": "co.client_id",
            "purpose": "co.purpose",
            "granted": "false",
            "at": "LEAST(co.at + interval '200 days', %(now)s::timestamp - interval '1 day')",
            "source": "'unsubscribe_link'",
            "recorded_by_id": "NULL",
        },
        withdrawn.replace("%", "%%"),
        plan.params(),
    )
    return made


# ---- appointments -------------------------------------------------------------------------------------------------

PACKAGE_CHOICE = """CASE
  WHEN s.u2 < 50 THEN CASE WHEN s.sex = 'male' THEN 'BASIC-M' ELSE 'BASIC-F' END
  WHEN s.u2 < 60 THEN 'COMP'
  WHEN s.u2 < 75 THEN CASE WHEN s.sex = 'male' THEN 'COMP-M' ELSE 'COMP-F' END
  WHEN s.u2 < 80 THEN CASE WHEN s.age >= 36 THEN 'EXEC' WHEN s.sex = 'male' THEN 'BASIC-M' ELSE 'BASIC-F' END
  WHEN s.u2 < 88 THEN CASE WHEN s.age >= 46 THEN 'CARDIO-40' ELSE 'COMP' END
  ELSE 'PRE-EMP' END"""


def stage_appointments(cur, plan, ctx):
    """t_appt: every appointment to add, with its day, slot, package variant, status and which results it has.

    General visits: client c's visit v falls in the v-th of K equal spans of the weekdays (Acme's employees:
    the weekdays before the contract's window), at a per-client phase, so a client never has two on a day.
    Past: 90.5 % completed, 6 % cancelled, 3.5 % no-show; the last two weekdays partly still checked in
    (results entered, waiting for sign-off); upcoming: booked (3 % cancelled). The group: Acme's employees
    inside the window (completed, no-show or booked; a third without an appointment). Today: booked and
    checked in (the first slot with every result, the second with half)."""
    plan.appointment_base = _next_id(cur, "appointment")
    group = """SELECT e.c, CASE WHEN u < 48 THEN 'completed' WHEN u < 52 THEN 'no_show' ELSE 'booked' END AS status,
          CASE WHEN u < 52 THEN %(W_window)s + (pg_temp.h(e.c, 61) %% GREATEST(%(W_past)s - %(W_window)s, 1))
            ELSE %(W_past)s + (pg_temp.h(e.c, 61) %% GREATEST(%(W_window_end)s - %(W_past)s, 1)) END AS w
        FROM (SELECT c, pg_temp.h(c, 60) %% 100 AS u FROM generate_series(1, %(E)s) c) e WHERE e.u < 66"""
    cur.execute(
        f"""CREATE TEMP TABLE t_stage AS
        WITH general AS (
          SELECT k, (k %% %(C)s) + 1 AS c, k / %(C)s AS v FROM generate_series(0, %(G)s - 1) k
        ), placed AS (
          SELECT g.k, g.c, t.id AS client_id, t.sex, t.age, t.employee, 'general' AS kind,
            floor((g.v + t.phase) * (CASE WHEN t.employee THEN %(W_window)s ELSE %(W)s END) / %(K)s)::int AS w
          FROM general g JOIN t_client t ON t.c = g.c
        )
        SELECT p.k, p.c, p.client_id, p.sex, p.age, p.kind, w.day,
          CASE
            WHEN p.w >= %(W_past)s THEN CASE WHEN pg_temp.h(p.k, 10) %% 1000 < 30 THEN 'cancelled' ELSE 'booked' END
            WHEN p.w >= %(W_past)s - 2 THEN CASE
              WHEN pg_temp.h(p.k, 10) %% 1000 < 40 THEN 'cancelled'
              WHEN pg_temp.h(p.k, 10) %% 1000 < 75 THEN 'no_show'
              WHEN pg_temp.h(p.k, 10) %% 1000 < CASE WHEN p.w = %(W_past)s - 1 THEN 275 ELSE 675 END THEN 'completed'
              ELSE 'checked_in' END
            WHEN pg_temp.h(p.k, 10) %% 1000 < 60 THEN 'cancelled'
            WHEN pg_temp.h(p.k, 10) %% 1000 < 95 THEN 'no_show'
            ELSE 'completed' END AS status,
          pg_temp.h(p.k, 11) %% 100 AS u2
        FROM placed p JOIN t_wday w ON w.w = p.w
        UNION ALL
        SELECT 1000000000 + g.c, g.c, t.id, t.sex, t.age, 'group', w.day, g.status, NULL
        FROM ({group}) g JOIN t_client t ON t.c = g.c JOIN t_wday w ON w.w = g.w
        UNION ALL
        SELECT 2000000000 + n, t.c, t.id, t.sex, t.age, 'today', %(today)s::date,
          CASE WHEN pg_temp.h(n, 62) %% 100 < 60 THEN 'checked_in' ELSE 'booked' END, pg_temp.h(n, 63) %% 100
        FROM generate_series(1, %(T)s) n
        JOIN t_client t ON t.c = %(E)s + 1 + (n - 1) * ((%(C)s - %(E)s) / %(T)s)""",
        plan.params(
            G=plan.general, K=plan.visits, W=plan.W, W_past=plan.W_past, W_window=plan.W_window,
            W_window_end=plan.W_window_end,
        ),
    )  # fmt: skip
    # ids in day order (as the center would have made them, roughly), then everything else per row
    cur.execute(
        f"""CREATE TEMP TABLE t_appt AS
        SELECT s.*, %(base)s + row_number() OVER (ORDER BY s.day, s.k) AS id,
          pg_temp.h(s.k, 12) %% {VARIANTS} AS variant,
          (SELECT idx FROM t_spec WHERE pg_temp.h(s.k, 13) %% %(slots)s >= lo AND pg_temp.h(s.k, 13) %% %(slots)s < hi)
            AS slot_idx,
          pk.package_id, pk.price AS list_price
        FROM (SELECT s.*,
            CASE WHEN s.kind = 'group' THEN CASE
                WHEN t.department = ANY(%(management)s) AND s.age >= 30 THEN 'EXEC'
                WHEN s.sex = 'male' THEN 'BASIC-M' ELSE 'BASIC-F' END
              ELSE {PACKAGE_CHOICE} END AS package_code
          FROM t_stage s JOIN t_client t ON t.c = s.c) s
        JOIN t_pkg pk ON pk.code = s.package_code""",
        plan.params(base=plan.appointment_base, slots=plan.slot_weight_total, management=list(MANAGEMENT)),
    )
    # today: the first three slots are under way (checked in), the rest still to come (booked)
    cur.execute(
        """UPDATE t_appt SET slot_idx = CASE WHEN status = 'checked_in' THEN u2 % 3 ELSE 3 + u2 % 3 END
        WHERE kind = 'today'"""
    )
    cur.execute("ALTER TABLE t_appt ADD PRIMARY KEY (id)")
    cur.execute(
        """ALTER TABLE t_appt ADD COLUMN results text, ADD COLUMN start_time time, ADD COLUMN exam_code text,
        ADD COLUMN created_at timestamp"""
    )
    cur.execute(
        f"""UPDATE t_appt a SET start_time = sp.start_time,
          results = CASE WHEN a.status = 'completed' THEN 'all'
            WHEN a.status = 'checked_in' AND (a.kind <> 'today' OR a.slot_idx = 0) THEN 'all'
            WHEN a.status = 'checked_in' AND a.slot_idx = 1 THEN 'half' ELSE 'none' END,
          created_at = {_local("a.day - 3 - (pg_temp.h(a.k, 14) %% 40)::int + time '09:00' + (pg_temp.h(a.k, 15) %% 660) * interval '1 minute'")}
        FROM t_spec sp WHERE sp.idx = a.slot_idx""",
        plan.params(),
    )
    alphabet = "ACDEFGHJKLMNPQRTUVWXY34679"
    code = "to_char(day, 'YYMMDD') || " + " || ".join(
        f"substr('{alphabet}', (((id + {{shift}}) / {26**p}) % 26)::int + 1, 1)" for p in range(4, -1, -1)
    )
    cur.execute(f"UPDATE t_appt SET exam_code = {code.format(shift=0)}")
    # a demo code (random suffix) that happens to match: shifted to an index no generated code uses
    cur.execute(
        f"""UPDATE t_appt SET exam_code = {code.format(shift=26**5 // 2)}
        WHERE EXISTS (SELECT 1 FROM appointment x WHERE x.exam_code = t_appt.exam_code)"""
    )
    cur.execute("CREATE INDEX ON t_appt (package_id, variant)")
    cur.execute("ANALYZE t_appt")
    return _scalar(cur, "SELECT count(*) FROM t_appt")


def insert_slots(cur, plan, ctx):
    """The day's six slots on every day an appointment is on (existing ones, the demo's, are kept)."""
    made = insert(
        cur,
        Slot,
        {
            "day": "d.day",
            "start_time": "sp.start_time",
            "end_time": "sp.end_time",
            "capacity": "sp.cap",
            "booked": "0",
            "held": "0",
            "reserved": "0",
            "closed": "false",
        },
        "FROM (SELECT DISTINCT day FROM t_appt) d CROSS JOIN t_spec sp ORDER BY d.day, sp.start_time",
        conflict="ON CONFLICT (day, start_time) DO NOTHING",
    )
    made += insert(
        cur,
        ResourceDay,
        {"resource_id": "r.id", "day": "d.day", "capacity": "r.daily_capacity", "booked": "0", "held": "0"},
        "FROM (SELECT DISTINCT day FROM t_appt) d CROSS JOIN resource r ORDER BY d.day, r.id",
        conflict="ON CONFLICT (resource_id, day) DO NOTHING",
    )
    return made


def insert_appointments(cur, plan, ctx):
    group_price = "round(a.list_price * (100 - %(discount)s) / 100, 2)"
    live = "a.status IN ('booked', 'checked_in')"
    return insert(
        cur,
        Appointment,
        {
            "id": "a.id",
            "exam_code": "a.exam_code",
            "client_id": "a.client_id",
            "slot_id": "s.id",
            "day": "a.day",
            "live_day": f"CASE WHEN {live} THEN a.day END",
            "package_id": "a.package_id",
            "status": "a.status",
            "source": "CASE WHEN a.kind = 'group' THEN 'group' WHEN pg_temp.h(a.k, 16) %% 100 < 55 THEN 'individual'"
            " ELSE 'desk' END",
            "total_price": f"CASE WHEN a.kind = 'group' THEN {group_price} ELSE a.list_price END",
            "company_amount": f"CASE WHEN a.kind = 'group' THEN {group_price} ELSE 0 END",
            "self_amount": "CASE WHEN a.kind = 'group' THEN 0 ELSE a.list_price END",
            "idempotency_key": "NULL",
            "booked_by_id": "CASE WHEN a.kind <> 'group' AND pg_temp.h(a.k, 16) %% 100 >= 55 THEN %(scheduler)s END",
            "created_at": "a.created_at",
            "updated_at": "CASE WHEN a.status = 'completed' OR a.status = 'checked_in' OR a.status = 'no_show'"
            f" THEN {_local('a.day + a.start_time')} ELSE a.created_at END",
            "cancelled_at": "CASE WHEN a.status = 'cancelled' THEN a.created_at + (a.day - a.created_at::date) / 2"
            " * interval '1 day' END",
            "cancel_reason": "CASE WHEN a.status = 'cancelled' THEN"
            " (%(reasons)s::text[])[1 + pg_temp.h(a.k, 17) %% 5] ELSE '' END",
            "reminder_sent_at": "CASE WHEN a.status <> 'cancelled' AND a.day <= %(today)s::date + 1 THEN "
            + _local("a.day - 1 + time '09:00'")
            + " END",
        },
        "FROM t_appt a JOIN slot s ON s.day = a.day AND s.start_time = a.start_time ORDER BY a.id",
        plan.params(scheduler=ctx["scheduler"], discount=ctx["discount"], reasons=CANCEL_REASONS),
    )


def insert_items(cur, plan, ctx):
    return insert(
        cur,
        AppointmentItem,
        {
            "appointment_id": "a.id",
            "item_id": "m.item_id",
            "price": "m.price",
            "payer": "CASE WHEN a.kind = 'group' THEN 'company' ELSE 'self' END",
            "is_addon": "false",
            "resource_id": "m.resource_id",
        },
        "FROM t_appt a JOIN t_menu m ON m.package_id = a.package_id AND m.variant = a.variant ORDER BY a.id, m.item_id",
    )


# ---- results ----------------------------------------------------------------------------------------------------

# where a numeric value sits: x.cat from the result's hash, x.f in [0, 1)
_BOTH = """r.low + (r.high - r.low) * CASE x.cat
    WHEN 'mildH' THEN 1.01 + 0.18 * x.f WHEN 'sigH' THEN 1.25 + 0.5 * x.f
    WHEN 'mildL' THEN -(0.01 + 0.18 * x.f) WHEN 'sigL' THEN -(0.25 + 0.3 * x.f)
    ELSE 0.08 + 0.84 * x.f END"""
_HIGH_ONLY = """r.high * CASE x.cat WHEN 'mildH' THEN 1.01 + 0.18 * x.f WHEN 'sigH' THEN 1.25 + 0.5 * x.f
    ELSE 0.3 + 0.65 * x.f END"""
_LOW_ONLY = """r.low * CASE x.cat WHEN 'mildL' THEN 0.99 - 0.18 * x.f WHEN 'sigL' THEN 0.75 - 0.2 * x.f
    ELSE 1.05 + 0.5 * x.f END"""
_NO_RANGE = """CASE i.code WHEN 'HEIGHT' THEN CASE WHEN a.sex = 'male' THEN 162 + 24 * x.f ELSE 150 + 20 * x.f END
    WHEN 'WEIGHT' THEN CASE WHEN a.sex = 'male' THEN 56 + 36 * x.f ELSE 44 + 30 * x.f END ELSE 1 + 9 * x.f END"""
_CRITICAL = """CASE WHEN r.chigh IS NOT NULL THEN r.chigh + abs(r.chigh) * (0.02 + 0.2 * x.f)
    WHEN r.clow IS NOT NULL AND r.clow > 0 THEN r.clow * (0.98 - 0.2 * x.f) END"""


def insert_results(cur, plan, ctx):
    """One result per item of every completed or checked-in appointment (half of them for today's second
    slot), entered at the station or by the instrument that morning. Flags by the station's rule against
    the range of the client's sex."""
    category = f"""CASE WHEN i.result_type <> 'numeric' THEN CASE WHEN u < {P_TEXT} THEN 'abn' ELSE 'norm' END
        WHEN u < {P_CRIT} THEN 'crit'
        WHEN u < {P_CRIT + P_SIG_H} THEN 'sigH'
        WHEN u < {P_CRIT + P_SIG_H + P_SIG_L} THEN 'sigL'
        WHEN u < {P_CRIT + P_SIG_H + P_SIG_L + P_MILD_H} THEN 'mildH'
        WHEN u < {P_CRIT + P_SIG_H + P_SIG_L + P_MILD_H + P_MILD_L} THEN 'mildL'
        ELSE 'norm' END"""
    raw = f"""CASE WHEN i.result_type <> 'numeric' THEN NULL
        WHEN x.cat = 'crit' AND ({_CRITICAL}) IS NOT NULL THEN {_CRITICAL}
        WHEN r.low IS NOT NULL AND r.high IS NOT NULL THEN {_BOTH.replace("WHEN 'sigH'", "WHEN 'crit' THEN 1.25 + 0.5 * x.f WHEN 'sigH'")}
        WHEN r.high IS NOT NULL THEN {_HIGH_ONLY}
        WHEN r.low IS NOT NULL THEN {_LOW_ONLY}
        ELSE {_NO_RANGE} END"""
    value = "v.value"
    flag = f"""CASE WHEN i.result_type <> 'numeric' THEN CASE WHEN x.cat = 'abn' THEN 'A' ELSE 'N' END
        WHEN r.item_id IS NULL OR (r.low IS NULL AND r.high IS NULL AND r.clow IS NULL AND r.chigh IS NULL) THEN ''
        WHEN r.clow IS NOT NULL AND {value} <= r.clow THEN 'LL'
        WHEN r.chigh IS NOT NULL AND {value} >= r.chigh THEN 'HH'
        WHEN r.low IS NOT NULL AND {value} < r.low THEN 'L'
        WHEN r.high IS NOT NULL AND {value} > r.high THEN 'H'
        ELSE 'N' END"""
    text = """CASE WHEN i.result_type = 'numeric' THEN v.value::text
        WHEN x.cat = 'abn' THEN i.abn_texts[1 + x.hv % cardinality(i.abn_texts)] ELSE i.normal_text END"""
    entered = _local("a.day + a.start_time") + (
        " + ((CASE WHEN i.is_lab THEN 90 ELSE 5 END) + i.ord %% 60) * interval '1 minute'"
    )
    source = f"""FROM t_appt a
        JOIN t_menu m ON m.package_id = a.package_id AND m.variant = a.variant
        JOIN t_item i ON i.item_id = m.item_id
        LEFT JOIN t_range r ON r.item_id = m.item_id AND r.sex = a.sex
        CROSS JOIN LATERAL (SELECT pg_temp.h(a.id * 1024 + m.item_id, 31) AS hv) h
        CROSS JOIN LATERAL (SELECT h.hv, h.hv %% 100000 AS u, ((h.hv / 100000) %% 1000) / 1000.0 AS f) y
        CROSS JOIN LATERAL (SELECT y.hv, y.f, {category.replace("u <", "y.u <").replace("%", "%%")} AS cat) x
        CROSS JOIN LATERAL (SELECT round(CASE WHEN r.low >= 0 OR (r.low IS NULL AND r.high >= 0)
            THEN GREATEST(({raw}), 0) ELSE ({raw}) END, i.places) AS value) v
        WHERE a.results = 'all' OR (a.results = 'half' AND pg_temp.h(a.id * 1024 + m.item_id, 32) %% 2 = 0)
        ORDER BY a.id, m.item_id"""
    return insert(
        cur,
        Result,
        {
            "appointment_id": "a.id",
            "item_id": "m.item_id",
            "value_text": text.replace("%", "%%"),
            "value_num": "v.value",
            "unit": "i.unit",
            "flag": flag,
            "ref_low": "CASE WHEN i.result_type = 'numeric' THEN r.low END",
            "ref_high": "CASE WHEN i.result_type = 'numeric' THEN r.high END",
            "skipped": "false",
            "skip_reason": "''",
            "entered_by_id": "%(physician)s",
            "entered_at": entered,
            "source": "CASE WHEN i.is_lab THEN 'instrument' ELSE 'station' END",
        },
        source,
        plan.params(physician=ctx["physician"]),
    )


# ---- reports, findings, follow-ups --------------------------------------------------------------------------------

# the finding kind of a result (services/exam/report_review.finding_kind), as SQL over result rr
KIND = """CASE WHEN rr.flag IN ('HH', 'LL') THEN 'critical' WHEN rr.flag = 'A' THEN 'significant'
  WHEN rr.flag NOT IN ('H', 'L') THEN NULL
  WHEN rr.value_num IS NULL OR (CASE WHEN rr.flag = 'H' THEN rr.ref_high ELSE rr.ref_low END) IS NULL THEN 'mild'
  WHEN (CASE WHEN rr.ref_low IS NOT NULL AND rr.ref_high IS NOT NULL AND rr.ref_high > rr.ref_low
          THEN rr.ref_high - rr.ref_low ELSE abs(CASE WHEN rr.flag = 'H' THEN rr.ref_high ELSE rr.ref_low END) END) <> 0
    AND (CASE WHEN rr.flag = 'H' THEN rr.value_num - rr.ref_high ELSE rr.ref_low - rr.value_num END)
      > 0.2 * (CASE WHEN rr.ref_low IS NOT NULL AND rr.ref_high IS NOT NULL AND rr.ref_high > rr.ref_low
          THEN rr.ref_high - rr.ref_low ELSE abs(CASE WHEN rr.flag = 'H' THEN rr.ref_high ELSE rr.ref_low END) END)
    THEN 'significant'
  ELSE 'mild' END"""
# the level a kind called for when these reports were signed: mild findings needed no follow-up then
LEVEL = "CASE k.kind WHEN 'critical' THEN 'A' WHEN 'significant' THEN 'B' ELSE '' END"
NUMBER_TEXT = "CASE WHEN {0} IS NULL THEN '' ELSE trim_scale({0})::text END"


def stage_reports(cur, plan, ctx):
    """t_rep: a report per completed appointment (published, the current version) and, for one in 200, the
    version 1 it amended (superseded); signed two days after the exam, at most an hour ago."""
    plan.report_base = _next_id(cur, "report")
    signed = _local("a.day + CASE extract(isodow FROM a.day + 2) WHEN 6 THEN 4 WHEN 7 THEN 3 ELSE 2 END + time '16:10'")
    cur.execute(
        f"""CREATE TEMP TABLE t_rep AS
        SELECT a.id AS appointment_id, a.client_id, a.k, a.day,
          %(base)s + row_number() OVER (ORDER BY a.id) AS report_id,
          pg_temp.h(a.k, 70) %% 200 = 0 AS amended,
          LEAST({signed}, %(now)s::timestamp - interval '1 hour') AS signed_at
        FROM t_appt a WHERE a.status = 'completed'""",
        plan.params(base=plan.report_base),
    )
    cur.execute("ALTER TABLE t_rep ADD PRIMARY KEY (appointment_id)")
    cur.execute("CREATE UNIQUE INDEX ON t_rep (report_id)")
    return _scalar(cur, "SELECT count(*) FROM t_rep")


def _verification_code(expression):
    """SQL: XXXX-XXXX-XXXX from the verification alphabet, a bijection of ``expression`` (< 26**12)."""
    alphabet = "ACDEFGHJKLMNPQRTUVWXY34679"
    scrambled = f"(({expression})::bigint * 3333333337 + 104729)"  # distinct below 26**12 for ids < 28M
    chars = [
        f"substr('{alphabet}', (floor({scrambled} / {26**p}::numeric)::numeric %% 26)::int + 1, 1)"
        for p in range(11, -1, -1)
    ]
    return " || ".join(chars[0:4]) + " || '-' || " + " || ".join(chars[4:8]) + " || '-' || " + " || ".join(chars[8:12])


def insert_reports(cur, plan, ctx, batch=20_000):
    """The reports with their results snapshot (what signing freezes) and summary, in batches of appointments."""
    row = f"""json_build_object('code', i.code, 'name_en', i.name_en, 'name_zh', i.name_zh,
        'department', i.dept_code, 'department_en', i.dept_en, 'department_zh', i.dept_zh,
        'department_order', i.dept_order,
        'value', CASE WHEN rr.value_num IS NOT NULL THEN trim_scale(rr.value_num)::text ELSE rr.value_text END,
        'value_num', {NUMBER_TEXT.format("rr.value_num")}, 'unit', rr.unit, 'flag', rr.flag,
        'ref_low', {NUMBER_TEXT.format("rr.ref_low")}, 'ref_high', {NUMBER_TEXT.format("rr.ref_high")},
        'skipped', false, 'skip_reason', '', 'previous', '', 'previous_day', '', 'trend', '',
        'kind', COALESCE(k.kind, ''))"""
    order = """CASE k.kind WHEN 'critical' THEN 0 WHEN 'significant' THEN 1 WHEN 'mild' THEN 2 ELSE 3 END,
        i.dept_order, i.code"""
    words = """CASE rr.flag WHEN 'H' THEN 'high' WHEN 'L' THEN 'low' WHEN 'A' THEN 'abnormal'
        WHEN 'HH' THEN 'critically high' ELSE 'critically low' END"""
    words_zh = "CASE rr.flag WHEN 'H' THEN '偏高' WHEN 'L' THEN '偏低' WHEN 'A' THEN '异常' ELSE '危急值' END"
    shown = "CASE WHEN rr.value_num IS NOT NULL THEN trim_scale(rr.value_num)::text || CASE WHEN rr.unit <> '' THEN ' ' || rr.unit ELSE '' END ELSE rtrim(rr.value_text, '.') END"
    aggregate = f"""SELECT rr.appointment_id,
          json_build_object('rows', json_agg({row} ORDER BY {order}))::text AS snapshot,
          count(k.kind) AS abnormal,
          string_agg(i.name_en || ' ' || {shown} || ' (' || {words} || ')', '; ' ORDER BY {order})
            FILTER (WHERE k.kind IS NOT NULL) AS summary_en,
          string_agg(i.name_zh || ' ' || {shown} || '（' || {words_zh} || '）', '；' ORDER BY {order})
            FILTER (WHERE k.kind IS NOT NULL) AS summary_zh
        FROM result rr JOIN t_item i ON i.item_id = rr.item_id
        CROSS JOIN LATERAL (SELECT {KIND} AS kind) k
        WHERE rr.appointment_id BETWEEN %(lo)s AND %(hi)s
        GROUP BY rr.appointment_id"""
    summary = """CASE WHEN s.abnormal = 0 THEN %(no_abnormal)s ELSE left('Abnormal results: ' || s.summary_en, 1500)
        || E'.\\n异常结果：' || left(s.summary_zh, 800) || '。' END"""
    columns = {
        "appointment_id": "p.appointment_id",
        "version": "1",
        "status": "CASE WHEN p.amended THEN 'superseded' ELSE 'published' END",
        "summary": summary,
        "advice": "CASE WHEN s.abnormal = 0 THEN %(advice)s ELSE %(other)s || E'\\n\\n' || %(advice)s END",
        "results_snapshot": "s.snapshot",
        "amendment_reason": "''",
        "signed_by_id": "%(physician)s",
        "signed_at": "p.signed_at",
        "verification_code": _verification_code("p.report_id"),
        "pdf_state": "'ready'",
        "pdf_path": "''",
        "pdf_checksum": "''",
        "pdf_attempts": "1",
        "pdf_error": "''",
        "pdf_updated_at": "p.signed_at + interval '2 minutes'",
        "created_at": "p.signed_at - interval '1 hour'",
    }
    low, high = (
        _scalar(cur, "SELECT MIN(appointment_id) FROM t_rep"),
        _scalar(cur, "SELECT MAX(appointment_id) FROM t_rep"),
    )
    if low is None:
        return 0
    made = 0
    for lo in range(low, high + 1, batch):
        made += insert(
            cur,
            Report,
            dict(columns, id="p.report_id"),
            f"""FROM t_rep p JOIN ({aggregate}) s ON s.appointment_id = p.appointment_id
            WHERE p.appointment_id BETWEEN %(lo)s AND %(hi)s
            ORDER BY p.appointment_id""",
            plan.params(
                lo=lo, hi=lo + batch - 1, physician=ctx["physician"], no_abnormal=NO_ABNORMAL_SUMMARY,
                advice=GENERAL_ADVICE, other=OTHER_ADVICE,
            ),
        )  # fmt: skip
    _sync_sequence(cur, "report")
    # the amendments: version 2 (published) of the reports whose version 1 is superseded, same snapshot
    copied = {
        name: f"r1.{name}" for name in ("appointment_id", "summary", "advice", "results_snapshot", "signed_by_id")
    }
    made += insert(
        cur,
        Report,
        dict(
            copied,
            version="2",
            status="'published'",
            amendment_reason="'Corrected a value typed at the station; the instrument record shows the right one.'",
            signed_at="r1.signed_at + interval '1 day'",
            verification_code=_verification_code("r1.id + 10000000"),
            pdf_state="'ready'",
            pdf_path="''",
            pdf_checksum="''",
            pdf_attempts="1",
            pdf_error="''",
            pdf_updated_at="r1.signed_at + interval '1 day 2 minutes'",
            created_at="r1.signed_at + interval '23 hours'",
        ),
        "FROM report r1 JOIN t_rep p ON p.report_id = r1.id WHERE p.amended ORDER BY r1.id",
    )
    # the current version of an amended report is the second
    cur.execute(
        """UPDATE t_rep p SET report_id = r.id FROM report r
        WHERE p.amended AND r.appointment_id = p.appointment_id AND r.version = 2"""
    )
    return made


def insert_findings(cur, plan, ctx):
    """A finding per abnormal result of the current report version (text as signing writes it)."""
    reference = """CASE WHEN rr.ref_low IS NOT NULL AND rr.ref_high IS NOT NULL
          THEN trim_scale(rr.ref_low)::text || '–' || trim_scale(rr.ref_high)::text
        WHEN rr.ref_high IS NOT NULL THEN '≤ ' || trim_scale(rr.ref_high)::text
        WHEN rr.ref_low IS NOT NULL THEN '≥ ' || trim_scale(rr.ref_low)::text ELSE '' END"""
    value = "CASE WHEN rr.value_num IS NOT NULL THEN trim_scale(rr.value_num)::text ELSE rr.value_text END"
    text = f"""left(i.name_en || CASE WHEN i.name_zh <> '' THEN ' ' || i.name_zh ELSE '' END || ': '
        || trim({value} || ' ' || rr.unit) || ' [' || rr.flag || ']'
        || CASE WHEN {reference} <> '' THEN ' (' || {reference} || ')' ELSE '' END, 500)"""
    return insert(
        cur,
        Finding,
        {
            "report_id": "p.report_id",
            "result_id": "rr.id",
            "item_id": "rr.item_id",
            "text": text,
            "level": LEVEL,
            "source": "'auto'",
        },
        f"""FROM result rr JOIN t_rep p ON p.appointment_id = rr.appointment_id
        JOIN t_item i ON i.item_id = rr.item_id
        CROSS JOIN LATERAL (SELECT {KIND} AS kind) k
        WHERE rr.flag IN ('H', 'L', 'A', 'HH', 'LL') AND rr.appointment_id > %(base)s
        ORDER BY p.report_id, rr.id""",
        {"base": plan.appointment_base},
    )


def insert_follow_ups(cur, plan, ctx):
    """One follow-up per report and level A/B (due by the rule table), most of the older ones closed by the
    counselor with an outcome and a contact attempt; the recent ones open, two in three assigned."""
    hours = {"A": DEFAULT_RULES["critical"][1], "B": DEFAULT_RULES["significant"][1]}
    closed = "(f.signed_at < %(now)s::timestamp - interval '45 days' OR (f.u < 40 AND f.signed_at < %(now)s::timestamp - interval '10 days'))"
    source = f"""FROM (
          SELECT fi.report_id, fi.level, p.client_id, p.signed_at, p.k, pg_temp.h(fi.report_id * 4 + ascii(fi.level), 80) %% 100 AS u,
            left(string_agg(fi.text, '; ' ORDER BY fi.id), 500) AS summary,
            (array_agg(ei.department_id ORDER BY fi.id))[1] AS department_id
          FROM finding fi JOIN t_rep p ON p.report_id = fi.report_id JOIN exam_item ei ON ei.id = fi.item_id
          WHERE fi.level IN ('A', 'B') AND fi.report_id > %(base)s
          GROUP BY fi.report_id, fi.level, p.client_id, p.signed_at, p.k) f
        CROSS JOIN LATERAL (SELECT {closed} AS closed,
          LEAST(f.signed_at + (1 + f.u %% 14) * interval '1 day', %(now)s::timestamp - interval '1 hour') AS closed_at) c
        ORDER BY f.report_id, f.level"""
    return insert(
        cur,
        FollowUp,
        {
            "client_id": "f.client_id",
            "report_id": "f.report_id",
            "level": "f.level",
            "due_at": "f.signed_at + CASE f.level WHEN 'A' THEN %(hours_a)s ELSE %(hours_b)s END * interval '1 hour'",
            "status": "CASE WHEN c.closed THEN 'closed' ELSE 'open' END",
            "assignee_id": "CASE WHEN c.closed OR f.u %% 3 <> 2 THEN %(counselor)s END",
            "summary": "f.summary",
            "outcome": "CASE WHEN c.closed THEN (%(outcome_texts)s::text[])[1 + f.u %% 7] ELSE '' END",
            "created_at": "f.signed_at",
            "closed_at": "CASE WHEN c.closed THEN c.closed_at END",
            "kind": "'finding'",
            "department_id": "f.department_id",
            "outcome_code": "CASE WHEN c.closed THEN (%(outcome_codes)s::text[])[1 + f.u %% 7] ELSE '' END",
            "closed_by_id": "CASE WHEN c.closed THEN %(counselor)s END",
            "attempt_count": "CASE WHEN c.closed THEN 1 ELSE 0 END",
            "recheck_appointment_id": "NULL",
        },
        source,
        plan.params(
            base=plan.report_base, hours_a=hours["A"], hours_b=hours["B"], counselor=ctx["counselor"],
            outcome_texts=[text for _code, text in OUTCOMES], outcome_codes=[code for code, _text in OUTCOMES],
        ),
    )  # fmt: skip


def insert_care_rows(cur, plan, ctx):
    """Contact attempts of the closed follow-ups, critical alerts (acknowledged unless from the last two days)
    and the satisfaction surveys of the last year's reports (45 % answered, no low score)."""
    made = insert(
        cur,
        ContactAttempt,
        {
            "follow_up_id": "f.id",
            "channel": "'phone'",
            "outcome": "CASE WHEN f.outcome_code = 'unreachable' THEN 'no_answer' ELSE 'reached' END",
            "notes": "f.outcome",
            "by_id": "%(counselor)s",
            "at": "f.closed_at - interval '2 hours'",
        },
        "FROM follow_up f WHERE f.status = 'closed' AND f.report_id > %(base)s ORDER BY f.id",
        plan.params(counselor=ctx["counselor"], base=plan.report_base),
    )
    made += insert(
        cur,
        CriticalAlert,
        {
            "result_id": "rr.id",
            "appointment_id": "rr.appointment_id",
            "created_at": "rr.entered_at",
            "acknowledged_by_id": "CASE WHEN rr.entered_at < %(now)s::timestamp - interval '2 days' THEN %(counselor)s END",
            "acknowledged_at": "CASE WHEN rr.entered_at < %(now)s::timestamp - interval '2 days'"
            " THEN rr.entered_at + interval '25 minutes' END",
            "note": "CASE WHEN rr.entered_at < %(now)s::timestamp - interval '2 days'"
            " THEN 'Phoned the client; advised to see a doctor today.' ELSE '' END",
        },
        "FROM result rr WHERE rr.flag IN ('HH', 'LL') AND rr.appointment_id > %(base)s ORDER BY rr.id",
        plan.params(counselor=ctx["counselor"], base=plan.appointment_base),
    )
    score = "CASE WHEN pg_temp.h(p.report_id, {0}) %% 10 < 6 THEN 5 WHEN pg_temp.h(p.report_id, {0}) %% 10 < 9 THEN 4 ELSE 3 END"
    answered = "pg_temp.h(p.report_id, 90) %% 100 < 45"
    answered_at = "LEAST(p.signed_at + (2 + pg_temp.h(p.report_id, 91) %% 9) * interval '1 day', %(now)s::timestamp - interval '1 hour')"
    made += insert(
        cur,
        Survey,
        {
            "report_id": "p.report_id",
            "client_id": "p.client_id",
            "token_hash": "NULL",
            "sent_at": "p.signed_at + interval '5 minutes'",
            "expires_at": "p.signed_at + interval '30 days'",
            "answered_at": f"CASE WHEN {answered} THEN {answered_at} END",
            "overall": f"CASE WHEN {answered} THEN {score.format(92)} END",
            "booking": f"CASE WHEN {answered} THEN {score.format(93)} END",
            "front_desk": f"CASE WHEN {answered} THEN {score.format(94)} END",
            "stations": f"CASE WHEN {answered} THEN {score.format(95)} END",
            "report_clarity": f"CASE WHEN {answered} THEN {score.format(96)} END",
            "staff_attitude": f"CASE WHEN {answered} THEN {score.format(97)} END",
            "comment": f"CASE WHEN {answered} THEN (%(comments)s::text[])[1 + pg_temp.h(p.report_id, 98) %% %(n_comments)s]"
            " ELSE '' END",
            "follow_up_id": "NULL",
            "created_at": "p.signed_at + interval '5 minutes'",
        },
        "FROM t_rep p WHERE p.signed_at >= %(now)s::timestamp - interval '365 days' ORDER BY p.report_id",
        plan.params(
            comments=[c for c in SURVEY_COMMENTS if "40 minutes" not in c], n_comments=len(SURVEY_COMMENTS) - 1
        ),
    )
    return made


# ---- the big contract -------------------------------------------------------------------------------------------


def insert_contract(cur, plan, ctx):
    """Acme's all-sites contract of this year (active, window around today; HR's dashboard shows it first)
    with the demo's three categories and a roster of the E employees: 48 % completed, 4 % no-show, 14 %
    booked, 29 % invited, 5 % not invited yet."""
    cur.execute(
        """INSERT INTO group_contract (organization_id, name, year, window_start, window_end, discount_percent,
          no_show_charge_percent, reservation_release_days, status, notes, hr_confirmed_at, created_by_id, created_at,
          activated_at, closed_at)
        VALUES (%(acme)s, %(name)s, %(year)s, %(ws)s, %(we)s, %(discount)s, 50, 3, 'active',
          'All sites: every employee, by package. Invitations in waves by department.', %(created)s, %(admin)s,
          %(created)s, %(created)s, NULL) RETURNING id""",
        {
            "acme": ctx["acme"], "name": f"{plan.today.year} all-sites checkup", "year": plan.today.year,
            "ws": plan.window_start, "we": plan.window_end, "discount": ctx["discount"], "admin": ctx["admin"],
            "created": plan.now - datetime.timedelta(days=WINDOW_BEFORE + 20),
        },
    )  # fmt: skip
    contract = cur.fetchone()[0]
    categories = {}
    for position, (label, sex, age_min, code) in enumerate(
        [("Management", "", 30, "EXEC"), ("Men", "male", None, "BASIC-M"), ("Women", "female", None, "BASIC-F")]
    ):
        cur.execute(
            """INSERT INTO contract_category (contract_id, label, sex, age_min, age_max, package_id, company_pays,
              addons_allowed, position) VALUES (%s, %s, %s, %s, NULL, (SELECT package_id FROM t_pkg WHERE code = %s),
              true, %s, %s) RETURNING id""",
            (contract, label, sex, age_min, code, label != "Women", position),
        )
        categories[label] = cur.fetchone()[0]
    invited = _local("%(ws)s::date + (pg_temp.h(t.c, 64) %% 10)::int + time '10:00'")
    return insert(
        cur,
        Enrollment,
        {
            "contract_id": "%(contract)s",
            "client_id": "t.id",
            "category_id": "CASE WHEN t.department = ANY(%(management)s) AND t.age >= 30 THEN %(cat_m)s"
            " WHEN t.sex = 'male' THEN %(cat_men)s ELSE %(cat_women)s END",
            "employee_no": "'E' || lpad(t.c::text, 5, '0')",
            "department": "t.department",
            "appointment_id": "a.id",
            "invited_at": f"CASE WHEN pg_temp.h(t.c, 60) %% 100 < 95 THEN {invited} END",
            "last_reminded_at": "NULL",
            "invite_count": "CASE WHEN pg_temp.h(t.c, 60) %% 100 < 95 THEN 1 ELSE 0 END",
            "invite_token_hash": "NULL",
            "invite_expires_at": "NULL",
            "invite_used_at": "CASE WHEN a.id IS NOT NULL THEN a.created_at END",
            "created_at": "%(created)s",
        },
        "FROM t_client t LEFT JOIN t_appt a ON a.c = t.c AND a.kind = 'group' WHERE t.employee ORDER BY t.c",
        plan.params(
            contract=contract, management=list(MANAGEMENT), cat_m=categories["Management"], cat_men=categories["Men"],
            cat_women=categories["Women"], ws=plan.window_start, created=plan.now - datetime.timedelta(days=WINDOW_BEFORE + 15),
        ),
    )  # fmt: skip


# ---- audit ------------------------------------------------------------------------------------------------------


def insert_audit(cur, plan, ctx):
    """What the staff did: a booking per appointment, a check-in per completed or checked-in one, a signature
    per report version, the cancellations; the rest up to the audit size: staff opening client records and
    signing in."""
    made = insert(
        cur,
        AuditEvent,
        {
            "at": "a.created_at",
            "user_id": "CASE WHEN a.kind <> 'group' AND pg_temp.h(a.k, 16) %% 100 >= 55 THEN %(scheduler)s END",
            "action": "CASE WHEN a.kind = 'group' THEN 'group_booking.booked' ELSE 'booking.booked' END",
            "object_type": "'appointment'",
            "object_id": "a.id::text",
            "ip": "'10.0.' || (pg_temp.h(a.k, 18) %% 4) || '.' || (10 + pg_temp.h(a.k, 19) %% 200)",
            "detail": """json_build_object('slot', a.day::text, 'source',
                CASE WHEN a.kind = 'group' THEN 'group' WHEN pg_temp.h(a.k, 16) %% 100 < 55 THEN 'individual'
                ELSE 'desk' END)::text""",
            "client_id": "a.client_id",
        },
        "FROM t_appt a ORDER BY a.created_at, a.id",
        plan.params(scheduler=ctx["scheduler"]),
    )
    made += insert(
        cur,
        AuditEvent,
        {
            "at": _local("a.day + a.start_time") + " + (pg_temp.h(a.k, 20) %% 50) * interval '1 minute'",
            "user_id": "%(scheduler)s",
            "action": "'exam_day.checked_in'",
            "object_type": "'appointment'",
            "object_id": "a.id::text",
            "ip": "'10.0.1.21'",
            "detail": """json_build_object('identity_confirmed', json_build_array('name', 'birth_date'),
                'exam_code', a.exam_code)::text""",
            "client_id": "a.client_id",
        },
        "FROM t_appt a WHERE a.status IN ('completed', 'checked_in') ORDER BY a.day, a.id",
        plan.params(scheduler=ctx["scheduler"]),
    )
    made += insert(
        cur,
        AuditEvent,
        {
            "at": "r.signed_at",
            "user_id": "%(physician)s",
            "action": "CASE WHEN r.version = 1 THEN 'report.signed' ELSE 'report.amended' END",
            "object_type": "'report'",
            "object_id": "r.id::text",
            "ip": "'10.0.2.8'",
            "detail": "json_build_object('appointment', r.appointment_id, 'version', r.version)::text",
            "client_id": "p.client_id",
        },
        "FROM report r JOIN t_rep p ON p.appointment_id = r.appointment_id WHERE r.id > %(base)s ORDER BY r.signed_at, r.id",
        plan.params(physician=ctx["physician"], base=plan.report_base),
    )
    made += insert(
        cur,
        AuditEvent,
        {
            "at": "ap.cancelled_at",
            "user_id": "ap.booked_by_id",
            "action": "'booking.cancelled'",
            "object_type": "'appointment'",
            "object_id": "ap.id::text",
            "ip": "''",
            "detail": "json_build_object('reason', ap.cancel_reason)::text",
            "client_id": "ap.client_id",
        },
        "FROM appointment ap WHERE ap.status = 'cancelled' AND ap.id > %(base)s ORDER BY ap.cancelled_at, ap.id",
        {"base": plan.appointment_base},
    )
    rest = max(0, plan.audit - made)
    span = (plan.now - datetime.datetime.combine(plan.start, datetime.time())).total_seconds()
    made += insert(
        cur,
        AuditEvent,
        {
            "at": "%(start)s::timestamp + (pg_temp.h(n, 100) %% %(span)s) * interval '1 second'",
            "user_id": "(%(staff)s::int[])[1 + pg_temp.h(n, 101) %% 4]",
            "action": "CASE WHEN n %% 10 < 7 THEN 'directory.client_viewed' ELSE 'auth.login' END",
            "object_type": "CASE WHEN n %% 10 < 7 THEN 'client' ELSE 'user' END",
            "object_id": "CASE WHEN n %% 10 < 7 THEN (%(client_base)s + 1 + pg_temp.h(n, 102) %% %(C)s)::text"
            " ELSE ((%(staff)s::int[])[1 + pg_temp.h(n, 101) %% 4])::text END",
            "ip": "'10.0.' || (pg_temp.h(n, 103) %% 4) || '.' || (10 + pg_temp.h(n, 104) %% 200)",
            "detail": "''",
            "client_id": "CASE WHEN n %% 10 < 7 THEN %(client_base)s + 1 + pg_temp.h(n, 102) %% %(C)s END",
        },
        "FROM generate_series(1, %(rest)s) n ORDER BY 1",
        plan.params(
            rest=rest,
            span=int(span),
            start=datetime.datetime.combine(plan.start, datetime.time()),
            staff=[ctx["admin"], ctx["scheduler"], ctx["physician"], ctx["counselor"]],
            client_base=plan.client_base,
        ),
    )
    return made


# ---- counters, sequences, statistics ------------------------------------------------------------------------------


def recount(cur, plan, ctx):
    """Every slot's and resource day's ``booked`` from the appointments holding a place (as
    capacity.recount_booked does); a capacity below it is raised, and from today on a fifth is kept free."""
    cur.execute(
        """UPDATE slot s SET booked = n.booked,
          capacity = GREATEST(s.capacity, n.booked + s.held + s.reserved
            + CASE WHEN s.day >= %(today)s THEN ceil(n.booked * %(headroom)s)::int ELSE 0 END)
        FROM (SELECT slot_id, count(*) AS booked FROM appointment
              WHERE status IN ('booked', 'checked_in', 'completed') GROUP BY slot_id) n
        WHERE n.slot_id = s.id AND (s.booked <> n.booked OR s.capacity < n.booked + s.held + s.reserved
          + CASE WHEN s.day >= %(today)s THEN ceil(n.booked * %(headroom)s)::int ELSE 0 END)""",
        plan.params(headroom=HEADROOM),
    )
    slots = cur.rowcount
    cur.execute(
        """UPDATE resource_day d SET booked = n.booked,
          capacity = GREATEST(d.capacity, n.booked + d.held
            + CASE WHEN d.day >= %(today)s THEN ceil(n.booked * %(headroom)s)::int ELSE 0 END)
        FROM (SELECT ai.resource_id, a.day, count(DISTINCT a.id) AS booked
              FROM appointment a JOIN appointment_item ai ON ai.appointment_id = a.id
              WHERE a.status IN ('booked', 'checked_in', 'completed') AND ai.resource_id IS NOT NULL
              GROUP BY ai.resource_id, a.day) n
        WHERE n.resource_id = d.resource_id AND n.day = d.day""",
        plan.params(headroom=HEADROOM),
    )
    return slots + cur.rowcount


def finish(cur, plan, ctx):
    for table in ("client", "appointment", "report", "user"):
        _sync_sequence(cur, table)
    cur.execute(
        "INSERT INTO setting (key, value) VALUES (%s, %s)",
        (MARKER, json.dumps({"scale": plan.scale, "today": plan.today.isoformat()})),
    )
    return 0


TABLES = [
    ("client", Client), ("user", User), ("consent", Consent), ("appointment", Appointment),
    ("appointment_item", AppointmentItem), ("result", Result), ("report", Report), ("finding", Finding),
    ("follow_up", FollowUp), ("critical_alert", CriticalAlert), ("survey", Survey), ("audit_event", AuditEvent),
    ("enrollment", Enrollment), ("group_contract", GroupContract), ("contract_category", ContractCategory),
    ("slot", Slot), ("resource_day", ResourceDay),
]  # fmt: skip


def table_counts(cur):
    counts = {}
    for table, _model in TABLES:
        counts[table] = _scalar(cur, f'SELECT count(*) FROM "{table}"')
    counts["report (published)"] = _scalar(cur, "SELECT count(*) FROM report WHERE status = 'published'")
    counts["appointment (today)"] = _scalar(cur, "SELECT count(*) FROM appointment WHERE day = %s", (clock.today(),))
    return counts


# ---- bulk-load bookkeeping: foreign keys are checked once, set-based, at the end ---------------------------------

LOADED = ["client", "user", "user_role", "consent", "resource_day", "appointment", "appointment_item", "result",
          "report", "finding", "follow_up", "contact_attempt", "critical_alert", "survey", "enrollment",
          "audit_event"]  # fmt: skip


def drop_foreign_keys(cur, plan, ctx):
    """Drop the foreign keys of the tables the build loads (a row-by-row check costs more than the load);
    ``restore_foreign_keys`` adds them back in the same transaction, which checks every row at once."""
    cur.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2""",
        ([f'"{t}"' if t == "user" else t for t in LOADED],),
    )
    plan.foreign_keys = cur.fetchall()
    for table, name, _definition in plan.foreign_keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return len(plan.foreign_keys)


def restore_foreign_keys(cur, plan, ctx):
    for table, name, definition in plan.foreign_keys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return len(plan.foreign_keys)


# ---- the whole build ----------------------------------------------------------------------------------------------


def _context(cur):
    def user(email):
        return _scalar(cur, 'SELECT id FROM "user" WHERE email = %s', (email,))

    ctx = {
        "admin": user("admin@demo.test"),
        "scheduler": user("scheduler@demo.test"),
        "physician": user("physician@demo.test"),
        "counselor": user("counselor@demo.test"),
        "acme": _scalar(cur, "SELECT id FROM organization WHERE name = 'Acme Manufacturing'"),
        "discount": 12,
        "password_hash": passwords.hash_password(DEMO_PASSWORD),
    }
    if None in ctx.values():
        raise RuntimeError("the database has no demo: run seed-demo first (or pass --create)")
    if _scalar(cur, "SELECT count(*) FROM setting WHERE key = %s", (MARKER,)):
        raise RuntimeError("this database has a dataset already: build it on a fresh demo (--create)")
    return ctx


def _build_in_app(database_url, scale, log):
    today = clock.today()
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    plan = Plan(scale, today, now, current_app.config["TIMEZONE"])
    steps = Steps(log)
    connection = psycopg2.connect(database_url)
    try:
        with connection, connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SET LOCAL work_mem = '256MB'")
            cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
            ctx = _context(cur)
            # the catalog is read (by peewee, another connection) before the foreign keys are dropped: dropping
            # one locks the table it names until the build commits
            steps("catalog and calendar", catalog_tables, cur, plan, log)
            steps("foreign keys dropped", drop_foreign_keys, cur, plan, ctx)
            groups = _scalar(
                cur,
                "SELECT count(*) FROM generate_series(1, %(E)s) c WHERE pg_temp.h(c, 60) %% 100 < 66",
                plan.params(),
            )
            plan.general = max(plan.clients, plan.appointments - groups - plan.today_count)
            plan.visits = math.ceil(plan.general / plan.clients)
            log(f"  plan: {plan.clients:,} clients, {plan.general:,} general + {groups:,} group + "
                f"{plan.today_count:,} today's appointments, up to {plan.visits} visits each")  # fmt: skip
            steps("clients (staged)", stage_clients, cur, plan, ctx)
            steps("clients", insert_clients, cur, plan, ctx)
            steps("national IDs", national_ids, cur, plan, ctx)
            steps("accounts", insert_accounts, cur, plan, ctx)
            steps("consents", insert_consents, cur, plan, ctx)
            steps("appointments (staged)", stage_appointments, cur, plan, ctx)
            steps("slots and resource days", insert_slots, cur, plan, ctx)
            steps("appointments", insert_appointments, cur, plan, ctx)
            steps("appointment items", insert_items, cur, plan, ctx)
            steps("results", insert_results, cur, plan, ctx)
            steps("reports (staged)", stage_reports, cur, plan, ctx)
            steps("reports", insert_reports, cur, plan, ctx)
            steps("findings", insert_findings, cur, plan, ctx)
            steps("follow-ups", insert_follow_ups, cur, plan, ctx)
            steps("attempts, alerts, surveys", insert_care_rows, cur, plan, ctx)
            steps("group contract and roster", insert_contract, cur, plan, ctx)
            steps("audit events", insert_audit, cur, plan, ctx)
            steps("slot and resource counters", recount, cur, plan, ctx)
            steps("foreign keys checked and restored", restore_foreign_keys, cur, plan, ctx)
            steps("sequences", finish, cur, plan, ctx)
        connection.autocommit = True
        with connection.cursor() as cur:
            steps("analyze", cur.execute, "ANALYZE")
            counts = table_counts(cur)
    finally:
        connection.close()
    hooks = steps("rebuild hooks", run_rebuild_hooks, log)
    # the hooks fill tables of their own (client facts, rollups): without fresh statistics the planner takes
    # them for empty and picks plans that read 50k rows where an index walk reads 50 (/care/reenrollment)
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cur:
            steps("analyze what the hooks wrote", cur.execute, "ANALYZE")
    finally:
        connection.close()
    return {"counts": counts, "steps": steps.done, "hooks": hooks}


def run_rebuild_hooks(log=print):
    """Call each REBUILD_HOOKS entry that can be imported; returns {dotted path: "done" | why it was skipped}."""
    outcome = {}
    for path in REBUILD_HOOKS:
        module_name, _, name = path.rpartition(".")
        try:
            function = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError) as error:
            outcome[path] = f"skipped ({type(error).__name__}: {error})"
            log(f"  hook {path}: {outcome[path]}")
            continue
        started = time.perf_counter()
        with db.connection_context():
            function()
        outcome[path] = "done"
        log(f"  hook {path}: done in {time.perf_counter() - started:.1f} s")
    return outcome


def app_for(database_url, folder=None):
    """An app on ``database_url`` with the benchmarks' settings (national-ID key "bench" unless the environment
    names one)."""
    folder = folder or tempfile.mkdtemp(prefix="checkup-dataset-")
    return create_app(
        {
            "INSTANCE_PATH": folder,
            "DATABASE_URL": database_url,
            "SECRET_KEY": os.environ.get("CHECKUP_SECRET_KEY") or "bench",
            "NATIONAL_ID_KEY": os.environ.get("CHECKUP_NATIONAL_ID_KEY") or "bench",
            "JOBS_INLINE": True,
            "REDIS_URL": None,
        }
    )


def build(database_url, scale=1.0, log=print):
    """Add the big center (SIZES × ``scale``) to the migrated, demo-seeded PostgreSQL database at ``database_url``.

    Runs in one transaction (nothing is left half-made), then ANALYZE and the REBUILD_HOOKS. Uses the current
    app (its clock and national-ID key) when called inside an app context, else an app of its own. Returns
    {"counts": {table: rows}, "steps": [(step, seconds)], "hooks": {path: outcome}}. Raises RuntimeError when
    the database has no demo or has a dataset already.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    if has_app_context():
        return _build_in_app(database_url, scale, log)
    with app_for(database_url).app_context():
        return _build_in_app(database_url, scale, log)


def create_database(database_url, log=print):
    """Drop and create the database, migrate it and seed the demo (with its history)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    app = app_for(database_url)
    with app.app_context():
        started = time.perf_counter()
        database.upgrade()
        log(f"  migrated in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with db.connection_context():
            demo.seed(history=True)
        log(f"  demo seeded in {time.perf_counter() - started:.1f} s (reports in {app.config['REPORTS_DIR']})")
        db.close()
    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/checkup_big")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--create", action="store_true", help="drop/create the database, migrate, seed the demo")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.create:
        print(f"creating {args.url}")
        app = create_database(args.url)
    else:
        app = app_for(args.url)
    print(f"building the dataset at scale {args.scale:g}")
    with app.app_context():
        outcome = build(args.url, args.scale)
    print("\n| table | rows |\n|---|---:|")
    for table, count in outcome["counts"].items():
        print(f"| {table} | {count:,} |")
    print("\n| step | seconds |\n|---|---:|")
    for name, took in outcome["steps"]:
        print(f"| {name} | {took:.1f} |")
    print(f"\ntotal {time.perf_counter() - started:.0f} s (with --create: migrate and seed included)")


if __name__ == "__main__":
    main()
