"""Roster import benchmark: a 10,000-row roster with 2% faulty rows, checked and imported; time and memory.

    /tmp/venv/bin/python bench/roster.py --db postgres --rows 10000 --format xlsx
    /tmp/venv/bin/python bench/roster.py --db sqlite   --rows 10000 --format csv
    /tmp/venv/bin/python bench/roster.py --db postgres --worker        # the job path, through rq workers

Sets up its own throw-away database (PostgreSQL at 127.0.0.1:5432 as user postgres, or a SQLite file),
an organization with an HR account and an active contract with three categories (men under 40, men 40
and over, women; a few rows name their category, the others are placed by sex and age), a directory of
unrelated clients (``--directory``, default 20,000, with national IDs) and, of the roster's employees,
5% already known by national ID and 5% by phone and name (no ID): an import never looks them up, so
they cost what any other row costs. The roster has unique employee numbers, valid national IDs (checksum, sex and birth date
consistent), mobiles and emails; 2% of its rows carry one fault each (bad checksum, ID of the other
sex, impossible date, bad sex value, bad phone, bad email, missing name, duplicated employee number,
unknown category). The XLSX has real date cells; the CSV is UTF-8 with a BOM, as Excel saves it.

Measured, with the real services (``roster.upload`` → ``validate_import``; ``roster.request_commit`` →
``commit_import``): reading the file (size/type/zip checks, header, cells), storing the encrypted rows,
checking every row (rules, duplicates, matching against the contract's roster), and the
all-or-nothing import. Then the same file again (re-import: every employee found on the roster,
enrollments unchanged). Prints seconds per phase, rows/s, and the peak memory: the process's maximum RSS
(``resource.getrusage``) and, with ``--tracemalloc``, the peak of Python allocations (slower run).
With ``--worker``, validation and import run as rq jobs in a ``flask worker --burst`` subprocess on a
dedicated Redis DB, timed from the upload until the import is ``imported``.
"""

import argparse
import csv
import datetime
import io
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_app, make_database  # noqa: E402
from checkup import database  # noqa: E402
from checkup.core import national_id  # noqa: E402
from checkup.core.audit import Actor  # noqa: E402
from checkup.models import Client, Enrollment, RosterImport  # noqa: E402
from checkup.models.base import (
    db,  # noqa: E402
    utcnow,  # noqa: E402
)
from checkup.services.groups.roster import roster, roster_file
from checkup.services.groups.roster.roster import FAILED, IMPORTED, READY
from tests import factories  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/11"
CHUNK = 500
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "晓东",
    "建华",
    "志强",
    "海燕",
    "俊杰",
    "雪梅",
    "文博",
    "子涵",
]
REGIONS = [
    "110101",
    "110105",
    "110108",
    "310101",
    "310104",
    "310115",
    "440103",
    "440106",
    "440305",
    "330106",
    "320102",
    "510104",
    "420102",
    "610113",
    "370102",
    "120101",
]
DEPARTMENTS = ["生产部", "质量部", "研发部", "销售部", "财务部", "人力资源部", "采购部", "物流部", "行政部", "信息部"]
FAULTS = ["checksum", "id_sex", "date", "sex", "phone", "email", "name", "duplicate", "category"]


def chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --- the people ------------------------------------------------------------------------------------------


class People:
    """Unique made-up people: national IDs, mobiles, names."""

    def __init__(self, rng):
        self.rng = rng
        self.ids, self.phones = set(), set()

    def person(self):
        rng = self.rng
        sex = rng.choice(("male", "female"))
        born = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 42))
        while True:
            sequence = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if sex == "male" else (0, 2, 4, 6, 8))
            first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{sequence:03d}"
            number = first17 + national_id.check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                break
        while True:
            phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
            if phone not in self.phones:
                self.phones.add(phone)
                break
        return {
            "sex": sex,
            "born": born,
            "national_id": number,
            "phone": phone,
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        }


def seed_directory(people, count, organization_id):
    """``count`` unrelated clients with national IDs (hash + ciphertext, as the portal stores them)."""
    now = utcnow()
    rows = []
    for n in range(count):
        p = people.person()
        rows.append(
            {
                "name": p["name"],
                "sex": p["sex"],
                "birth_date": p["born"],
                "phone": p["phone"],
                "national_id_hash": national_id.lookup_hash(p["national_id"]),
                "national_id_cipher": national_id.encrypt(p["national_id"]),
                "organization": organization_id if n % 4 == 0 else None,
                "created_at": now,
            }
        )
    with db.atomic():
        for part in chunks(rows):
            Client.insert_many(part).execute()


def roster_rows(people, n, faulty_share, rng):
    """(header + rows as lists, employees already known by ID, by phone+name, faults by kind)."""
    employees = []
    for i in range(n):
        p = people.person()
        label = "Women" if p["sex"] == "female" and rng.random() < 0.1 else ""  # most rows let sex and age decide
        employees.append(
            {
                **p,
                "employee_no": f"A{i + 1:06d}",
                "email": f"emp{i + 1}@acme-bench.example",
                "department": rng.choice(DEPARTMENTS),
                "category": label,
            }
        )
    faults = {}
    # in file order, so a copied employee number is final when copied
    for index, position in enumerate(sorted(rng.sample(range(1, n), int(n * faulty_share)))):
        kind = FAULTS[index % len(FAULTS)]
        faults[kind] = faults.get(kind, 0) + 1
        e = employees[position]
        e["fault"] = kind
        if kind == "checksum":
            e["national_id"] = e["national_id"][:17] + ("0" if e["national_id"][17] != "0" else "1")
        elif kind == "id_sex":
            e["sex"] = "female" if e["sex"] == "male" else "male"
        elif kind == "date":
            e["born_text"] = f"{e['born'].year}-02-30"
        elif kind == "sex":
            e["sex_text"] = "unknown"
        elif kind == "phone":
            e["phone"] = "12345"
        elif kind == "email":
            e["email"] = "not-an-email"
        elif kind == "name":
            e["name"] = ""
        elif kind == "duplicate":
            e["employee_no"] = employees[position - 1]["employee_no"]
        elif kind == "category":
            e["category"] = "Interns"
    rows = [list(roster_file.HEADERS_ZH)]
    for e in employees:
        rows.append(
            [
                e["employee_no"],
                e["name"],
                e.get("sex_text", "男" if e["sex"] == "male" else "女"),
                e.get("born_text", e["born"]),
                e["national_id"],
                e["phone"],
                e["email"],
                e["department"],
                e["category"],
            ]
        )
    return rows, employees, faults


def seed_known(employees, share_by_id, share_by_phone, rng):
    """Some employees are already clients: by national ID, or by phone and name without an ID."""
    now = utcnow()
    clean = [e for e in employees if "fault" not in e]
    chosen = rng.sample(clean, int(len(employees) * (share_by_id + share_by_phone)))
    by_id = chosen[: int(len(employees) * share_by_id)]
    by_phone = chosen[len(by_id) :]
    rows = [
        {
            "name": e["name"],
            "sex": e["sex"],
            "birth_date": e["born"],
            "phone": e["phone"],
            "national_id_hash": national_id.lookup_hash(e["national_id"]),
            "national_id_cipher": national_id.encrypt(e["national_id"]),
            "created_at": now,
        }
        for e in by_id
    ]
    rows += [
        {
            "name": e["name"],
            "sex": e["sex"],
            "birth_date": e["born"],
            "phone": e["phone"],
            "national_id_hash": None,
            "national_id_cipher": None,
            "created_at": now,
        }
        for e in by_phone
    ]
    with db.atomic():
        for part in chunks(rows):
            Client.insert_many(part).execute()
    return len(by_id), len(by_phone)


def file_bytes(rows, kind):
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in rows:
            writer.writerow([v.isoformat() if isinstance(v, datetime.date) else v for v in row])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    from openpyxl import Workbook

    # a normal (not write-only) workbook: like Excel, it states the sheet's size up front; openpyxl's
    # write-only files do not, and reading one costs an extra pass over the sheet
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "roster"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the measurement -----------------------------------------------------------------------------------------


def timed_validation():
    """Wrap roster.validate_import so upload() reports how long the row check took (the rest is reading)."""
    original = roster.validate_import
    spent = {"validate": 0.0}

    def wrapper(import_id):
        started = time.perf_counter()
        try:
            return original(import_id)
        finally:
            spent["validate"] += time.perf_counter() - started

    roster.validate_import = wrapper
    return spent


def one_import(actor, organization_id, contract_id, filename, content):
    spent = timed_validation()
    cpu = time.process_time()
    started = time.perf_counter()
    uploaded = roster.upload(actor, organization_id, contract_id, filename, content)
    upload_s = time.perf_counter() - started
    started = time.perf_counter()
    done = roster.request_commit(actor, organization_id, contract_id, uploaded.id)
    commit_s = time.perf_counter() - started
    return {
        "read": upload_s - spent["validate"],
        "validate": spent["validate"],
        "commit": commit_s,
        "total": upload_s + commit_s,
        "cpu": time.process_time() - cpu,
        "import": RosterImport.get_by_id(done.id),
    }


def through_worker(app, actor, organization_id, contract_id, filename, content, folder):
    """Upload, then one burst worker checks the rows; request the import, then another burst worker imports
    them. Timed from the upload until the import's state says each step is done (polled every 50 ms), not
    until the worker process exits: a burst worker that lingers after its last job (rq 3.0's pub/sub
    teardown did, ~60 s) would otherwise be counted as import time. How long each worker took to exit after
    its step was done is reported beside it."""
    from redis import Redis

    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    app.config.update(REDIS_URL=REDIS_URL, ROSTER_JOB_ROWS=500)
    env = dict(
        os.environ,
        CHECKUP_DATABASE_URL=app.config["DATABASE_URL"],
        CHECKUP_REDIS_URL=REDIS_URL,
        CHECKUP_SECRET_KEY=app.config["SECRET_KEY"],
        CHECKUP_NATIONAL_ID_KEY=app.config["NATIONAL_ID_KEY"],
        CHECKUP_OUTBOX_DIR=f"{folder}/outbox",
        CHECKUP_REPORTS_DIR=f"{folder}/reports",
    )

    def run_worker_until(import_id, done_states, started):
        """(seconds from ``started`` until the import reached one of ``done_states``, seconds the worker
        took to exit after that)."""
        log = open(Path(folder) / f"worker-{time.monotonic_ns()}.log", "w")
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.perf_counter() + 600
            while RosterImport.get_by_id(import_id).state not in done_states:
                assert worker.poll() is None, f"the worker exited ({worker.returncode}) before the step was done"
                assert time.perf_counter() < deadline, "the step took more than 10 minutes"
                time.sleep(0.05)
            done = time.perf_counter()
            try:
                worker.wait(timeout=120)
            except subprocess.TimeoutExpired:
                worker.terminate()
                worker.wait()
            assert worker.returncode == 0, f"the worker exited {worker.returncode}"
            return done - started, time.perf_counter() - done
        finally:
            if worker.poll() is None:
                worker.kill()
            log.close()

    started = time.perf_counter()
    uploaded = roster.upload(actor, organization_id, contract_id, filename, content)
    queued = time.perf_counter() - started
    checked, check_exit = run_worker_until(uploaded.id, (READY, FAILED), started)
    roster.request_commit(actor, organization_id, contract_id, uploaded.id)
    total, import_exit = run_worker_until(uploaded.id, (IMPORTED, FAILED), started)
    app.config.update(REDIS_URL=None)
    redis.flushdb()
    return {
        "queued": queued,
        "checked": checked,
        "total": total,
        "exits": (check_exit, import_exit),
        "import": RosterImport.get_by_id(uploaded.id),
    }


def report(label, figures, rows):
    i = figures["import"]
    print(
        f"{label:<16} read {figures['read']:.2f} s   check {figures['validate']:.2f} s   "
        f"import {figures['commit']:.2f} s   total {figures['total']:.2f} s "
        f"(this process's CPU {figures['cpu']:.2f} s)   {rows / figures['total']:,.0f} rows/s\n"
        f"{'':<16} state {i.state}: {i.valid_rows} valid, {i.error_rows} with "
        f"problems"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--faulty", type=float, default=0.02, help="share of rows with one fault")
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--directory", type=int, default=20_000, help="unrelated clients already on file")
    parser.add_argument("--worker", action="store_true", help="validate and import through rq worker jobs")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    folder = tempfile.mkdtemp(prefix="checkup-bench-roster-")
    url, drop = make_database(args.db, folder, "bench_roster")
    app = bench_app(folder, url, ROSTER_JOB_ROWS=10**9)
    try:
        with app.app_context():
            database.upgrade()
            with db.connection_context():
                started = time.perf_counter()
                organization = factories.make_organization("Acme Bench Manufacturing")
                hr = factories.make_user("hr", email="hr@acme-bench.example", organization=organization)
                contract = factories.make_contract(
                    organization,
                    categories=[
                        {"label": "Men under 40", "sex": "male", "age_max": 39},
                        {"label": "Men 40 and over", "sex": "male", "age_min": 40},
                        {"label": "Women", "sex": "female"},
                    ],
                )
                people = People(rng)
                seed_directory(people, args.directory, organization.id)
                rows, employees, faults = roster_rows(people, args.rows, args.faulty, rng)
                known_id, known_phone = seed_known(employees, 0.05, 0.05, rng)
                content = file_bytes(rows, args.format)
                seed_s = time.perf_counter() - started
                clients_before = Client.select().count()
            print(
                f"machine          load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
                f"on {os.cpu_count()} CPUs"
            )
            print(
                f"database         {args.db}   roster {args.rows:,} rows ({args.format}, "
                f"{len(content) / 1024 / 1024:.2f} MB), {sum(faults.values())} faulty: "
                + ", ".join(f"{k} {v}" for k, v in sorted(faults.items()))
            )
            print(
                f"directory        {clients_before:,} "
                f"clients before the import ({known_id} roster employees known by ID, {known_phone} by phone and "
                f"name); seeding {seed_s:.1f} s"
            )
            actor = Actor(hr, "127.0.0.1")
            filename = f"roster.{args.format}"
            base_rss = rss_mb()
            with db.connection_context():
                if args.worker:
                    figures = through_worker(app, actor, organization.id, contract.id, filename, content, folder)
                    i = figures["import"]
                    print(
                        f"rq worker        upload {figures['queued']:.2f} s, "
                        f"checked after {figures['checked']:.2f} s, "
                        f"imported after {figures['total']:.2f} s ({args.rows / figures['total']:,.0f} rows/s, "
                        f"including two worker start-ups); state {i.state}: {i.valid_rows} valid, "
                        f"{i.error_rows} with problems; the workers exited "
                        + " and ".join(f"{s:.2f} s" for s in figures["exits"])
                        + " after their step was done"
                    )
                else:
                    if args.tracemalloc:
                        tracemalloc.start()
                    first = one_import(actor, organization.id, contract.id, filename, content)
                    report("first import", first, args.rows)
                    python_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024 if args.tracemalloc else None
                    if args.tracemalloc:
                        tracemalloc.stop()
                    peak_rss = rss_mb()
                    enrolled = Enrollment.select().where(Enrollment.contract == contract.id).count()
                    second = one_import(actor, organization.id, contract.id, filename, content)
                    report("same file again", second, args.rows)
                    enrolled_again = Enrollment.select().where(Enrollment.contract == contract.id).count()
                    print(
                        f"check            enrollments {enrolled:,} after the first import, {enrolled_again:,} "
                        f"after the second (no duplicates); clients {Client.select().count():,}"
                    )
                    print(
                        f"memory           peak RSS {peak_rss:.0f} MB (before the import {base_rss:.0f} MB)"
                        + (
                            f"; peak of Python allocations {python_peak:.0f} MB (tracemalloc)"
                            if python_peak is not None
                            else ""
                        )
                    )
            print(f"machine          load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} after the run")
    finally:
        if not db.is_closed():
            db.close()
        drop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
