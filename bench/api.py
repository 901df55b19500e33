"""API benchmark (#14): results in through /api/v1 in batches of 50 on PostgreSQL, served by gunicorn, and the
FHIR Bundle of one checkup; prints results/s, p50/p95/p99 per batch and per Bundle against their budgets.

    .venv/bin/python bench/api.py --clients 8 --checkups 400

Sets up its own throw-away PostgreSQL database (127.0.0.1:5432 as user postgres) with the demo catalog and
accounts (`seed-demo` without the history), adds a lab panel of ``--batch`` numeric items (each with its
reference range) and ``--checkups`` clients checked in today with it, registers one integration client (its
rate limit out of the way), and starts gunicorn (2 workers). Then ``--clients`` threads each take the next
checkup and POST all its values in one batch (`/api/v1/results`, every value new: stored, flagged, a critical
value alerted), until every checkup has its batch; then the same threads GET `/fhir/Encounter/<id>/$everything`
of random checkups for ``--bundles`` requests in all.

Reported: results/s over the results phase (results stored / wall time), latency per batch and per Bundle,
non-2xx answers (must be 0), and the machine's load average before and after (on a shared 2-core box the
figures are only as good as the load is low).
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_app, make_database  # noqa: E402
from checkup import database  # noqa: E402
from checkup.core import clock  # noqa: E402
from checkup.core.audit import SYSTEM  # noqa: E402
from checkup.demo import demo  # noqa: E402
from checkup.models import (  # noqa: E402
    Appointment,
    Client,
    ExamItem,
    Package,
    PackageItem,
    ReferenceRange,
    Slot,
)
from checkup.models.appointments import CHECKED_IN  # noqa: E402
from checkup.models.base import db  # noqa: E402
from checkup.services.booking import capacity  # noqa: E402
from checkup.services.integrations import clients as integration_clients  # noqa: E402
from tests.support.live_server import GunicornServer  # noqa: E402

BUDGETS = {"results batch": 200, "FHIR Bundle": 200}  # p95 ms (#14)
RESULTS_PER_SECOND = 500  # #14: at least this many results/s through /api/v1
PANEL = "BENCH-API"


def build(checkups, batch):
    """The demo catalog, a lab panel of ``batch`` numeric items, ``checkups`` clients checked in today with it.
    Returns their exam codes and appointment ids."""
    demo.seed(history=False)
    alt = ExamItem.get_or_none(ExamItem.code == "ALT")
    department = alt.department_id if alt is not None else ExamItem.select().first().department_id
    package = Package.create(code=PANEL, name_en="API bench panel", price=Decimal("100.00"))
    for number in range(1, batch + 1):
        item = ExamItem.create(
            code=f"API{number:02d}",
            name_en=f"Bench analyte {number}",
            department=department,
            unit="mmol/L",
            price=Decimal("1.00"),
        )
        ReferenceRange.create(
            item=item, low=Decimal("3.5"), high=Decimal("5.5"), critical_low=Decimal("1.0"), critical_high=Decimal("20")
        )
        PackageItem.create(package=package, item=item)
    today = clock.today()
    Slot.update(capacity=Slot.capacity + checkups).where(Slot.day == today).execute()
    slots = list(Slot.select().where(Slot.day == today).order_by(Slot.start_time))
    if not slots:
        raise SystemExit("the demo has no slots today (a closed day?): run it on a working day")
    made = []
    for number in range(checkups):
        client = Client.create(
            name=f"接口{number:04d}", sex="female" if number % 2 else "male", birth_date=today.replace(year=1980)
        )
        appointment = demo._place(client, slots[number % len(slots)], PANEL)
        made.append(appointment.id)
    Appointment.update(status=CHECKED_IN).where(Appointment.id.in_(made)).execute()
    capacity.recount_booked()
    return list(Appointment.select(Appointment.exam_code, Appointment.id).where(Appointment.id.in_(made)).tuples())


def percentile(values, cut):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(cut / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--checkups", type=int, default=400, help="checkups, one batch of results each")
    parser.add_argument("--batch", type=int, default=50, help="results per batch (the panel's size)")
    parser.add_argument("--bundles", type=int, default=200, help="FHIR Bundle requests in all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    load_before = os.getloadavg()
    folder = tempfile.mkdtemp(prefix="checkup-bench-api-")
    url, drop = make_database("postgres", folder, label="api")
    app = bench_app(folder, url)
    try:
        with app.app_context():
            database.upgrade()
            started = time.perf_counter()
            with db.atomic():
                checkups = build(args.checkups, args.batch)
            built = time.perf_counter() - started
            token = integration_clients.register_client(
                SYSTEM, "Bench LIS", ["results:write", "fhir:read"], rate_limit="999999 per minute"
            ).token
            db.close()
        rng = random.Random(7)
        values = [[f"{rng.uniform(2.0, 8.0):.2f}" for _ in range(args.batch)] for _ in checkups]
        timings = {name: [] for name in BUDGETS}
        failures = {name: 0 for name in BUDGETS}
        stored = [0]
        lock = threading.Lock()
        with GunicornServer(app.config, workers=args.workers, threads=args.threads) as base_url:

            def call(name, request):
                began = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        body = response.read()
                        ok = 200 <= response.status < 300
                except urllib.error.HTTPError as refused:
                    body, ok = refused.read(), False
                took = (time.perf_counter() - began) * 1000
                with lock:
                    timings[name].append(took)
                    failures[name] += 0 if ok else 1
                return body if ok else None

            def post_batch(index):
                exam_code, _appointment_id = checkups[index]
                payload = {
                    "exam_code": exam_code,
                    "results": [
                        {"external_id": f"{exam_code}-{n}", "item_code": f"API{n:02d}", "value": v, "unit": "mmol/L"}
                        for n, v in enumerate(values[index], start=1)
                    ],
                }
                request = urllib.request.Request(
                    f"{base_url}/api/v1/results",
                    data=json.dumps(payload).encode(),
                    method="POST",
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                body = call("results batch", request)
                if body is not None:
                    count = sum(1 for o in json.loads(body)["results"] if o["outcome"] == "stored")
                    with lock:
                        stored[0] += count

            def get_bundle(appointment_id):
                request = urllib.request.Request(
                    f"{base_url}/fhir/Encounter/{appointment_id}/$everything",
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"},
                )
                call("FHIR Bundle", request)

            def run(jobs, work):
                todo = list(jobs)
                todo_lock = threading.Lock()

                def worker():
                    while True:
                        with todo_lock:
                            if not todo:
                                return
                            job = todo.pop()
                        work(job)

                threads = [threading.Thread(target=worker) for _ in range(args.clients)]
                began = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return time.perf_counter() - began

            results_seconds = run(range(len(checkups)), post_batch)
            bundle_ids = [rng.choice(checkups)[1] for _ in range(args.bundles)]
            bundles_seconds = run(bundle_ids, get_bundle)
        load_after = os.getloadavg()
        print(
            f"machine          nproc {os.cpu_count()}, load average before {load_before[0]:.2f} "
            f"{load_before[1]:.2f} {load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
            f"{load_after[2]:.2f}"
        )
        print(f"data             {len(checkups)} checkups x {args.batch} numeric items (built in {built:.0f} s)")
        print(
            f"run              PostgreSQL, gunicorn {args.workers} workers x {args.threads} threads, "
            f"{args.clients} clients in a closed loop; results {results_seconds:.1f} s, bundles {bundles_seconds:.1f} s"
        )
        rate = stored[0] / results_seconds if results_seconds else 0.0
        verdict = "ok" if rate >= RESULTS_PER_SECOND else "UNDER BUDGET"
        print(f"results in       {stored[0]} stored, {rate:.0f} results/s (budget >= {RESULTS_PER_SECOND}) {verdict}")
        print(f"{'':16} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean':>8} {'budget':>7} {'non-2xx':>8}")
        for name, budget in BUDGETS.items():
            taken = timings[name]
            if not taken:
                print(f"{name:16} {0:>5}")
                continue
            p95 = percentile(taken, 95)
            print(
                f"{name:16} {len(taken):>5} {percentile(taken, 50):>8.0f} {p95:>8.0f} {percentile(taken, 99):>8.0f} "
                f"{statistics.mean(taken):>8.0f} {budget:>7} {failures[name]:>8}"
                + ("" if p95 <= budget else "  OVER BUDGET")
            )
    finally:
        drop()


if __name__ == "__main__":
    main()
