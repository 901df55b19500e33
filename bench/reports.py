"""Report PDF benchmark: single-report render time in-process, then reports/minute through real rq workers.

    /tmp/venv/bin/python bench/reports.py --db postgres --reports 1000
    /tmp/venv/bin/python bench/reports.py --db sqlite   --reports 200

Sets up its own throw-away database (PostgreSQL at 127.0.0.1:5432 as user postgres, or a SQLite
file) with the demo catalog (``checkup.demo.demo_data``: departments, items, sex- and age-specific
reference ranges), then N clients, each with one checked-in appointment of ~60 items (the BASIC
package for their sex plus add-ons from the comprehensive one) whose results are inserted in bulk
with realistic values, ~15% abnormal (a few critical). Every appointment is then signed with the
real ``reports.sign`` service (snapshot, findings, follow-ups, audit), with JOBS_INLINE off and
Redis set, so signing only queues the PDF job; that queue is flushed before measuring.
Half the clients have an account in Chinese, so their reports use the embedded CJK font; half had a
checkup a year earlier, so their report also carries the "compared with your previous checkup" table.

(a) In-process: K reports rendered one after the other, timing ``report_pdf.render_bytes`` (load,
    document data, reportlab build: what the job renders) and the whole job
    ``report_pdf.render_report_pdf`` (plus the atomic write, fsync, state updates and the e-mail
    job) on the report put back to "pending", checked to have rendered (the job skips a report whose
    PDF is already there), the order of the two alternating. Prints p50/p95/max and the page counts
    (pypdf), and the machine's load average around each phase.
(b) For each worker count: every report back to "signed" / pdf_state "pending", files and outbox
    removed, N render jobs enqueued on a dedicated Redis DB (flushed before and after), then that
    many ``flask --app wsgi worker --burst`` subprocesses started; timed from their start until
    every report is "ready" (and until the workers exit: the "report ready" e-mails are queued
    jobs too). Prints reports/minute and pages/s and checks every PDF against its stored sha256.
"""

import argparse
import datetime
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_app, make_database  # noqa: E402
from checkup import database  # noqa: E402
from checkup.core import (
    clock,  # noqa: E402
    tasks,  # noqa: E402
)
from checkup.core.audit import Actor  # noqa: E402
from checkup.demo import demo
from checkup.models import (  # noqa: E402
    Appointment,
    AppointmentItem,
    Client,
    ExamItem,
    Package,
    ReferenceRange,
    Report,
    Result,
    Slot,
    Task,  # noqa: E402
    User,
)
from checkup.models import results as report_states
from checkup.models.appointments import CHECKED_IN, COMPLETED  # noqa: E402
from checkup.models.base import (
    db,  # noqa: E402
    utcnow,  # noqa: E402
)
from checkup.services.exam import report_pdf, reports
from tests import factories  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/12"
ITEMS_PER_APPOINTMENT = 60
ABNORMAL_SHARE = 0.15
CRITICAL_SHARE = 0.01  # of the numeric results that have critical limits
CHINESE_SHARE = 0.5
REPEAT_SHARE = 0.5  # clients with a checkup a year earlier: their report has the trend table
CHUNK = 500  # rows per insert_many (SQLite's bound-variable limit)

NORMAL_TEXT = {
    "INT-EXAM": "Heart and lungs normal on auscultation; abdomen soft, no tenderness.",
    "SURG-EXAM": "Skin, lymph nodes, thyroid, spine and limbs: no abnormality.",
    "ENT-EXAM": "External ear, tympanic membranes, nasal cavity and pharynx normal.",
    "ORAL-EXAM": "Teeth and gums healthy.",
    "ECG": "Sinus rhythm, normal ECG.",
    "DR-CHEST": "Both lungs clear; heart, mediastinum and diaphragm normal.",
    "US-ABD": "Liver, gallbladder, pancreas and spleen: no abnormality seen.",
    "US-PROS": "Prostate of normal size and echo.",
    "US-THY": "Thyroid of normal size, homogeneous echo, no nodule.",
    "US-BREAST": "Both breasts: no mass seen.",
    "US-GYN": "Uterus and adnexa: no abnormality seen.",
    "US-CAROTID": "Carotid intima-media thickness normal, no plaque.",
    "SLIT": "Cornea clear, lens transparent.",
    "FUNDUS": "Optic disc and macula normal.",
}
ABNORMAL_TEXT = {
    "INT-EXAM": "Grade 2/6 systolic murmur at the apex.",
    "SURG-EXAM": "Lumbar spine tender at L4–L5; mild varicose veins of the left leg.",
    "ENT-EXAM": "Chronic pharyngitis; nasal septum deviated to the right.",
    "ORAL-EXAM": "Dental calculus, gingivitis; caries of tooth 36.",
    "ECG": "Sinus bradycardia (52 bpm); incomplete right bundle branch block.",
    "DR-CHEST": "Small calcified nodule in the right upper lobe; follow-up CT advised.",
    "US-ABD": "Fatty liver, mild to moderate; gallbladder polyp 4 mm.",
    "US-PROS": "Prostate enlarged (48 × 35 × 33 mm) with calcification.",
    "US-THY": "Nodule 6 × 4 mm in the left lobe, TI-RADS 3.",
    "US-BREAST": "Hypoechoic nodule 8 × 5 mm at 10 o'clock, left breast, BI-RADS 3.",
    "US-GYN": "Uterine fibroid 18 × 15 mm.",
    "US-CAROTID": "Plaque 2.1 mm at the right carotid bifurcation.",
    "SLIT": "Early cortical lens opacity, both eyes.",
    "FUNDUS": "Retinal arteriosclerosis grade 1.",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
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
]


# --- set-up ---------------------------------------------------------------------------------------


def redis_connection():
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    connection.ping()
    return connection


def chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def decimals_of(*numbers):
    places = [max(0, -Decimal(n).normalize().as_tuple().exponent) for n in numbers if n is not None]
    return max(places or [1])


def quantize(value, places):
    return Decimal(value).quantize(Decimal(1).scaleb(-places))


def numeric_result(rng, row, abnormal):
    """(value, flag) for a numeric item with reference range ``row`` (a ReferenceRange or None)."""
    if row is None or (row.low is None and row.high is None):
        return None, "N"
    places = decimals_of(row.low, row.high)
    low = Decimal(row.low) if row.low is not None else None
    high = Decimal(row.high) if row.high is not None else None
    width = (high - low) if low is not None and high is not None else (high or low or Decimal(1)) * Decimal("0.3")
    if not abnormal:
        lo = low if low is not None else max(Decimal(0), high - width)
        hi = high if high is not None else low + width
        return quantize(rng.uniform(float(lo), float(hi)), places), "N"
    go_high = high is not None and (low is None or rng.random() < 0.7)
    critical = rng.random() < CRITICAL_SHARE / ABNORMAL_SHARE
    if go_high:
        if critical and row.critical_high is not None:
            return quantize(Decimal(row.critical_high) * Decimal("1.1"), places), "HH"
        value = quantize(float(high) + float(width) * rng.uniform(0.05, 0.6), places)
        return (value, "H") if value > high else (quantize(high, places) + Decimal(1).scaleb(-places), "H")
    if critical and row.critical_low is not None:
        return quantize(Decimal(row.critical_low) * Decimal("0.8"), places), "LL"
    value = quantize(max(0.0, float(low) - float(width) * rng.uniform(0.05, 0.4)), places)
    return (value, "L") if value < low else (quantize(low, places) - Decimal(1).scaleb(-places), "L")


def seed(n, rng):
    """Catalog, a physician, N clients with a checked-in appointment and ~60 results each; returns
    (physician, appointment ids, results, abnormal results, repeat clients, seconds)."""
    started = time.perf_counter()
    with db.atomic():
        demo._catalog()
    physician = factories.make_user("physician", email="physician@bench.test", name="孙立华 医生")
    items = {item.code: item for item in ExamItem.select()}
    packages = {p.code: p for p in Package.select()}
    from checkup.models import PackageItem

    def codes(package_code):
        return [
            items_by_id[pi.item_id].code
            for pi in PackageItem.select()
            .where(PackageItem.package == packages[package_code].id)
            .order_by(PackageItem.id)
        ]

    items_by_id = {item.id: item for item in items.values()}
    plan = {}
    for sex, basic, comp in (("male", "BASIC-M", "COMP-M"), ("female", "BASIC-F", "COMP-F")):
        chosen = codes(basic)
        chosen += [c for c in codes(comp) if c not in chosen][: ITEMS_PER_APPOINTMENT - len(chosen)]
        plan[sex] = (packages[basic], chosen)
    ranges = {}
    for r in ReferenceRange.select():
        ranges.setdefault(r.item_id, []).append(r)

    def range_for(item, sex, age):
        for r in ranges.get(item.id, []):
            if r.sex in ("any", sex) and r.age_min <= age <= r.age_max:
                return r
        return None

    today = clock.today()
    days = [today - datetime.timedelta(days=1 + d) for d in range(-(-n // 100))]
    earlier_days = [day - datetime.timedelta(days=364) for day in days]
    Slot.insert_many(
        [
            {"day": day, "start_time": datetime.time(8), "end_time": datetime.time(9), "capacity": 100}
            for day in days + earlier_days
        ]
    ).execute()
    slots = {s.day: s.id for s in Slot.select()}

    clients = []
    for i in range(n):
        sex = "male" if i % 2 == 0 else "female"
        age = rng.randint(25, 65)
        birth = today - datetime.timedelta(days=age * 365 + rng.randint(30, 330))
        clients.append(
            {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "sex": sex,
                "birth_date": birth,
                "email": f"client{i}@bench.test",
                "phone": f"139{i:08d}",
                "occupation": "Engineer",
            }
        )
    with db.atomic():
        for part in chunks(clients):
            Client.insert_many(part).execute()
    client_rows = list(Client.select().order_by(Client.id))
    with db.atomic():
        accounts = [
            {
                "email": c.email,
                "name": c.name,
                "password_hash": "!bench-no-login",
                "client": c.id,
                "locale": "zh" if rng.random() < CHINESE_SHARE else "en",
            }
            for c in client_rows
        ]
        for part in chunks(accounts):
            User.insert_many(part).execute()
        appointments = []
        for i, c in enumerate(client_rows):
            day = days[i // 100]
            appointments.append(
                {
                    "exam_code": f"{day:%y%m%d}B{i:05d}",
                    "client": c.id,
                    "slot": slots[day],
                    "day": day,
                    "package": plan[c.sex][0].id,
                    "status": CHECKED_IN,
                    "source": "individual",
                    "total_price": Decimal("680.00"),
                    "self_amount": Decimal("680.00"),
                }
            )
        repeat = set()
        for i, c in enumerate(client_rows):
            if rng.random() < REPEAT_SHARE:
                day = earlier_days[i // 100]
                repeat.add(c.id)
                appointments.append(
                    {
                        "exam_code": f"{day:%y%m%d}P{i:05d}",
                        "client": c.id,
                        "slot": slots[day],
                        "day": day,
                        "package": plan[c.sex][0].id,
                        "status": COMPLETED,
                        "source": "individual",
                        "total_price": Decimal("680.00"),
                        "self_amount": Decimal("680.00"),
                    }
                )
        for part in chunks(appointments):
            Appointment.insert_many(part).execute()
    appointment_rows = list(Appointment.select().order_by(Appointment.id))
    earlier_ids = {a.client_id: a.id for a in appointment_rows if a.status == COMPLETED}
    appointment_rows = [a for a in appointment_rows if a.status == CHECKED_IN]
    client_by_id = {c.id: c for c in client_rows}
    item_rows, result_rows, abnormal_count, result_count = [], [], 0, 0
    now = utcnow()
    for appointment in appointment_rows:
        client = client_by_id[appointment.client_id]
        age = (appointment.day - client.birth_date).days // 365
        package, chosen = plan[client.sex]
        for index, code in enumerate(chosen):
            item = items[code]
            item_rows.append(
                {
                    "appointment": appointment.id,
                    "item": item.id,
                    "price": item.price,
                    "is_addon": index >= 50,
                    "resource": item.resource_id,
                }
            )
            abnormal = rng.random() < ABNORMAL_SHARE
            row = {
                "appointment": appointment.id,
                "item": item.id,
                "unit": item.unit,
                "value_num": None,
                "ref_low": None,
                "ref_high": None,
                "entered_by": physician.id,
                "entered_at": now,
            }
            if item.result_type == "numeric":
                reference = range_for(item, client.sex, age)
                if reference is None:  # height, weight
                    value = quantize(rng.uniform(155, 185) if code == "HEIGHT" else rng.uniform(48, 92), 1)
                    flag = "N"
                else:
                    value, flag = numeric_result(rng, reference, abnormal)
                    row.update(ref_low=reference.low, ref_high=reference.high)
                row.update(value_num=value, value_text=format(value, "f"), flag=flag)
                if client.id in earlier_ids and index < 50:  # last year's package: numbers for the trends
                    before, before_flag = (
                        (value, flag)
                        if reference is None
                        else numeric_result(rng, reference, rng.random() < ABNORMAL_SHARE)
                    )
                    result_rows.append(
                        dict(
                            row,
                            appointment=earlier_ids[client.id],
                            value_num=before,
                            value_text=format(before, "f"),
                            flag=before_flag,
                        )
                    )
            elif item.result_type == "choice":
                options = item.choices.split("|")
                row.update(
                    value_text=rng.choice(options[1:]) if abnormal else options[0], flag="A" if abnormal else "N"
                )
            else:
                text = (ABNORMAL_TEXT if abnormal else NORMAL_TEXT).get(
                    code, "Abnormal, see the physician's note." if abnormal else "No abnormality detected."
                )
                row.update(value_text=text, flag="A" if abnormal else "N")
            abnormal_count += row["flag"] != "N"
            result_count += 1
            result_rows.append(row)
    with db.atomic():
        for part in chunks(item_rows):
            AppointmentItem.insert_many(part).execute()
        for part in chunks(result_rows, 300):
            Result.insert_many(part).execute()
    return (
        physician,
        [a.id for a in appointment_rows],
        result_count,
        abnormal_count,
        len(earlier_ids),
        time.perf_counter() - started,
    )


def sign_all(physician, appointment_ids, rng):
    """The real sign service for every appointment (the PDF job only queued: JOBS_INLINE off)."""
    actor = Actor(physician, "127.0.0.1")
    summary = (
        "Overall the checkup shows a healthy adult. The abnormal results below are mostly mild; "
        "please read the follow-up level next to each one and bring this report to your next visit."
    )
    advice = (
        "Keep a balanced diet with less salt, sugar and fat, exercise at least 150 minutes a week, "
        "sleep seven to eight hours and avoid smoking and heavy drinking.\n\n"
        "Recheck the flagged laboratory values in three months; see a specialist for any finding "
        "marked level A or B."
    )
    started = time.perf_counter()
    ids = []
    for appointment_id in appointment_ids:
        observations = ["Advised to lose 5 kg over the next year."] if rng.random() < 0.3 else []
        ids.append(reports.sign(actor, appointment_id, summary, advice, observations).id)
    return ids, time.perf_counter() - started


# --- measurements ---------------------------------------------------------------------------------


def pages_of(data_or_path):
    import io

    import pypdf

    source = io.BytesIO(data_or_path) if isinstance(data_or_path, bytes) else str(data_or_path)
    return len(pypdf.PdfReader(source).pages)


def percentile(values, p):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[p - 1]


def back_to_pending(report_id):
    """The report as right after signing (PDF pending, no file), so the job has to render it."""
    report = Report.get_by_id(report_id)
    path = report_pdf.file_for(report) if report.pdf_path else None
    if path is not None and path.exists():
        path.unlink()
    Report.update(pdf_state=report_states.PDF_PENDING, pdf_path="", pdf_checksum="", pdf_error="").where(
        Report.id == report_id
    ).execute()


def in_process(report_ids, k):
    """Render K reports in this process; returns a dict of figures.

    Each sampled report is rendered twice: ``render_bytes`` alone and the whole job. The job leaves a report
    whose PDF is already on disk (and matches its checksum) alone, so every report is put back to "pending"
    first and the job is checked to have rendered it (one more attempt, state ready): a job that skipped the
    render would time only the publishing around it. Which of the two goes first alternates, so neither
    series gets the other's warm caches."""
    sample = report_ids[:: max(1, len(report_ids) // k)][:k]
    cold_started = time.perf_counter()
    report_pdf.render_bytes(sample[0])  # imports, font registration: paid once per process
    cold = time.perf_counter() - cold_started
    render, pages, sizes, job = [], [], [], []

    def timed_render(report_id):
        started = time.perf_counter()
        data = report_pdf.render_bytes(report_id)
        render.append(time.perf_counter() - started)
        pages.append(pages_of(data))
        sizes.append(len(data))

    def timed_job(report_id):
        back_to_pending(report_id)
        attempts = Report.get_by_id(report_id).pdf_attempts
        started = time.perf_counter()
        report_pdf.render_report_pdf(report_id)
        job.append(time.perf_counter() - started)
        after = Report.get_by_id(report_id)
        if after.pdf_attempts != attempts + 1 or after.pdf_state != report_states.PDF_READY:
            raise SystemExit(f"report {report_id}: the job did not render it ({after.pdf_state}, {after.pdf_attempts})")

    for index, report_id in enumerate(sample):
        first, second = (timed_render, timed_job) if index % 2 == 0 else (timed_job, timed_render)
        first(report_id)
        second(report_id)
    return {"k": len(sample), "cold": cold, "render": render, "job": job, "pages": pages, "sizes": sizes}


def load():
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def reset_reports(app):
    """Every signed report back to signed/pending with no file, as right after signing."""
    Report.update(
        status=report_states.SIGNED,
        pdf_state=report_states.PDF_PENDING,
        pdf_path="",
        pdf_checksum="",
        pdf_attempts=0,
        pdf_error="",
        pdf_updated_at=utcnow(),
    ).where(Report.status != report_states.DRAFT).execute()
    for key in ("REPORTS_DIR", "OUTBOX_DIR"):
        shutil.rmtree(app.config[key], ignore_errors=True)


def worker_env(app):
    env = dict(
        os.environ,
        CHECKUP_DATABASE_URL=app.config["DATABASE_URL"],
        CHECKUP_REDIS_URL=REDIS_URL,
        CHECKUP_SECRET_KEY=app.config["SECRET_KEY"],
        CHECKUP_NATIONAL_ID_KEY=app.config["NATIONAL_ID_KEY"],
        CHECKUP_OUTBOX_DIR=app.config["OUTBOX_DIR"],
        CHECKUP_BASE_URL=app.config["BASE_URL"],
        CHECKUP_REPORTS_DIR=app.config["REPORTS_DIR"],
        CHECKUP_JOBS_INLINE="0",
        CHECKUP_REPORT_RENDER_DELAY_SECONDS="0",
    )
    env.pop("CHECKUP_MAIL_SERVER", None)
    return env


def with_workers(app, redis, report_ids, count, folder):
    """Render every report with ``count`` burst workers; returns a dict of figures."""
    with app.app_context():
        reset_reports(app)
        db.close()
        redis.flushdb()
        with db.connection_context():
            Task.delete().execute()  # signing's own render tasks: replaced by one fresh task per report
            for report_id in report_ids:
                tasks.defer("report.render_pdf", report_id)
            queued = Task.select().where(Task.state == "queued").count()
        db.close()
    logs = [open(Path(folder) / f"worker-{count}-{i}.log", "w") for i in range(count)]
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
            env=worker_env(app),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    all_ready = None
    try:
        with app.app_context():
            while True:
                with db.connection_context():
                    ready = Report.select().where(Report.pdf_state == report_states.PDF_READY).count()
                if ready >= len(report_ids) and all_ready is None:
                    all_ready = time.perf_counter() - started
                if all(w.poll() is not None for w in workers):
                    break
                time.sleep(0.2)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
                worker.wait()
        for log in logs:
            log.close()
    exited = time.perf_counter() - started
    failures = [w.returncode for w in workers if w.returncode != 0]
    with app.app_context(), db.connection_context():
        rows = list(Report.select().where(Report.id.in_(report_ids)))
        states = {}
        for r in rows:
            states[r.pdf_state] = states.get(r.pdf_state, 0) + 1
        bad, pages = 0, 0
        for r in rows:
            path = report_pdf.file_for(r)
            if (
                r.pdf_state != report_states.PDF_READY
                or not path.exists()
                or report_pdf.sha256_of(path) != r.pdf_checksum
            ):
                bad += 1
                continue
            pages += pages_of(path)
        published = sum(1 for r in rows if r.status == report_states.PUBLISHED)
        attempts = sum(r.pdf_attempts for r in rows)
    outbox = Path(app.config["OUTBOX_DIR"])
    mails = len(list(outbox.iterdir())) if outbox.exists() else 0
    return {
        "workers": count,
        "queued": queued,
        "all_ready": all_ready,
        "exited": exited,
        "states": states,
        "bad": bad,
        "pages": pages,
        "published": published,
        "attempts": attempts,
        "mails": mails,
        "failures": failures,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--reports", type=int, default=200, help="signed appointments (reports) to render")
    parser.add_argument("--workers-list", default="1,2", help="worker counts to measure, comma-separated")
    parser.add_argument("--sample", type=int, default=30, help="reports rendered in-process for p50/p95")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--profile", metavar="FILE", help="cProfile the in-process renders into FILE (pstats)")
    parser.add_argument("--keep", action="store_true", help="keep the database and folder (worker logs) afterwards")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers_list.split(",") if w.strip()]
    rng = random.Random(args.seed)

    redis = redis_connection()
    redis.flushdb()
    folder = tempfile.mkdtemp(prefix="checkup-bench-reports-")
    url, drop = make_database(args.db, folder, "bench_reports")
    app = bench_app(folder, url, REDIS_URL=REDIS_URL, REPORTS_DIR=f"{folder}/reports", JOBS_INLINE=False)
    try:
        with app.app_context():
            database.upgrade()
            with db.connection_context():
                physician, appointment_ids, result_count, abnormal, repeats, seed_s = seed(args.reports, rng)
                report_ids, sign_s = sign_all(physician, appointment_ids, rng)
                queued_by_signing = Task.select().where(Task.kind == "report.render_pdf").count()
            redis.flushdb()
            print(
                f"database         {args.db}   reports {len(report_ids)}   results {result_count} "
                f"({result_count / len(report_ids):.0f} per report, {abnormal / result_count:.1%} abnormal); "
                f"{repeats} clients with last year's checkup (trend table)"
            )
            print(
                f"seeding          {seed_s:.1f} s (bulk inserts)   signing {sign_s:.1f} s "
                f"({sign_s / len(report_ids) * 1000:.0f} ms each, real sign service; "
                f"{queued_by_signing} PDF tasks owed, Redis flushed)"
            )
            load_before = load()
            with db.connection_context():
                if args.profile:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                    figures = in_process(report_ids, args.sample)
                    profiler.disable()
                    profiler.dump_stats(args.profile)
                else:
                    figures = in_process(report_ids, args.sample)
            redis.flushdb()
        render, job, pages = figures["render"], figures["job"], figures["pages"]
        print(f"machine          load average {load_before} before the in-process renders, {load()} after")
        print(
            f"in-process       {figures['k']} reports, {min(pages)}–{max(pages)} pages "
            f"(median {statistics.median(pages):g}), {statistics.mean(figures['sizes']) / 1024:.0f} KiB avg; "
            f"first render in the process {figures['cold'] * 1000:.0f} ms"
        )
        print(
            f"  render_bytes   p50 {percentile(render, 50) * 1000:.0f} ms  p95 {percentile(render, 95) * 1000:.0f} ms"
            f"  max {max(render) * 1000:.0f} ms   ({sum(pages) / sum(render):.1f} pages/s on one core)"
        )
        for count in sorted(set(pages)):
            subset = [t for t, p in zip(render, pages) if p == count]
            print(
                f"  {count}-page        {len(subset)} reports: render_bytes p50 {percentile(subset, 50) * 1000:.0f} ms"
                f"  p95 {percentile(subset, 95) * 1000:.0f} ms"
            )
        print(
            f"  whole job      p50 {percentile(job, 50) * 1000:.0f} ms  p95 {percentile(job, 95) * 1000:.0f} ms"
            f"  max {max(job) * 1000:.0f} ms"
        )
        for count in worker_counts:
            load_before = load()
            r = with_workers(app, redis, report_ids, count, folder)
            print(f"machine          load average {load_before} before {count} worker(s), {load()} after")
            ready = r["all_ready"]
            if ready:
                print(
                    f"workers {count}        {r['queued']} jobs, all ready in {ready:.1f} s  ->  "
                    f"{len(report_ids) / ready * 60:.0f} reports/min, {r['pages'] / ready:.1f} pages/s; "
                    f"workers exited after {r['exited']:.1f} s (incl. sending the {r['mails']} e-mails the publishing owed)"
                )
            else:
                print(f"workers {count}        {r['queued']} jobs, NOT all ready after {r['exited']:.1f} s")
            print(
                f"  check          states {r['states']}, bad or missing PDFs {r['bad']}, published "
                f"{r['published']}, attempts {r['attempts']}, pages {r['pages']}, worker failures {r['failures']}"
            )
    finally:
        redis.flushdb()
        if args.keep:
            print(f"kept             {folder} and {url}")
        else:
            drop()
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
