"""Payments benchmark: concurrent desk payments against appointment balances on PostgreSQL.

    .venv/bin/python bench/payments.py --balances 50 --rounds 3

Sets up a throw-away PostgreSQL database (127.0.0.1:5432 as postgres), migrates it, books ``balances``
appointments (100.00 due each), then per round starts one thread per payment, lines them up on a barrier and
lets them pay at once through services/money/payments.take_payment (the balance row locked with SELECT … FOR
UPDATE). Round 1 pays each balance once in full (50 concurrent payments against 50 balances); the racing
round sends two 60.00 payments to each of half as many balances, so any lost lock would overpay. Reported: p50/p95/max latency of a
payment (lock, sum, write, commit), payments refused, and balances overpaid afterwards (must be 0).
"""

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import make_database  # noqa: E402
from checkup import create_app, database  # noqa: E402
from checkup.core.audit import Actor  # noqa: E402
from checkup.core.errors import ValidationError  # noqa: E402
from checkup.models.base import db  # noqa: E402
from checkup.models.money import CASH  # noqa: E402
from checkup.services.booking import booking  # noqa: E402
from checkup.services.money import ledger, payments  # noqa: E402
from tests import factories  # noqa: E402
from tests.booking_helpers import Center  # noqa: E402


def book(center, count):
    """``count`` clients booked into the center's slot (100.00 due each) and the cashier who takes the money."""
    cashier = factories.make_user("scheduler", email=f"cashier-{time.time_ns()}@bench.test")
    actor = Actor(cashier)
    ids = [
        booking.book(actor, factories.make_client(name=f"客户{n:03d}").id, center.slot.id, "BASIC").id
        for n in range(count)
    ]
    return cashier, ids


def race(app, cashier, appointment_ids, amount, per_balance):
    """One thread per payment, released together; returns (latencies in ms, refused, errors)."""
    jobs = [a for a in appointment_ids for _ in range(per_balance)]
    barrier = threading.Barrier(len(jobs))
    latencies, refused, errors = [], [], []
    lock = threading.Lock()

    def pay(appointment_id):
        with app.app_context(), db.connection_context():
            barrier.wait(timeout=60)
            start = time.perf_counter()
            try:
                payments.take_payment(Actor(cashier), appointment_id, [payments.Part(CASH, amount)])
                outcome = None
            except ValidationError:
                outcome = "refused"
            except Exception as error:  # noqa: BLE001 - counted and printed
                outcome = repr(error)
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                if outcome == "refused":
                    refused.append(appointment_id)
                elif outcome:
                    errors.append(outcome)

    threads = [threading.Thread(target=pay, args=(a,)) for a in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, refused, errors


def statements_per_payment(center):
    """SQL statements of one payment (its balance's first, then a second one), counted from peewee's log
    outside the timed rounds."""
    records = []

    class Counter(logging.Handler):
        def emit(self, record):
            if record.name == "peewee":  # not the pool's "peewee.pool" lines
                records.append(record)

    logger = logging.getLogger("peewee")
    cashier, (appointment_id,) = book(center, 1)
    counts = []
    old_level, handler = logger.level, Counter(level=logging.DEBUG)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        for amount in ("40.00", "60.00"):
            records.clear()
            payments.take_payment(Actor(cashier), appointment_id, [payments.Part(CASH, Decimal(amount))])
            counts.append(len(records))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return counts


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--balances", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed rounds first (a running server's pooled connections are warm)"
    )
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-payments-")
    url, drop = make_database("postgres", folder, "payments")
    try:
        app = create_app(
            {
                "INSTANCE_PATH": f"{folder}/instance",
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "NATIONAL_ID_KEY": "bench",
                "REDIS_URL": None,
                "JOBS_INLINE": True,
                "MAIL_SERVER": None,
            }
        )
        with app.app_context():
            database.upgrade()
            db.obj._max_connections = 2 * args.balances + 8  # every payer holds its connection at the barrier
            full, racing, overpaid, errors = [], [], 0, []
            with db.connection_context():
                center = Center(slot_capacity=args.balances * (args.rounds + args.warmup) * 2, ct_capacity=1)
            for _round in range(args.warmup):
                with db.connection_context():
                    cashier, ids = book(center, args.balances)
                race(app, cashier, ids, Decimal("100.00"), 1)
            per_round = []
            for _round in range(args.rounds):
                with db.connection_context():
                    cashier, ids = book(center, args.balances)
                latencies, refused, errs = race(app, cashier, ids, Decimal("100.00"), 1)
                full += latencies
                per_round.append(percentile(latencies, 0.95))
                errors += errs
                assert not refused, f"{len(refused)} full payments refused"
                with db.connection_context():
                    cashier, ids = book(center, args.balances // 2)
                latencies, refused, errs = race(app, cashier, ids, Decimal("60.00"), 2)
                racing += latencies
                errors += errs
                with db.connection_context():
                    overpaid += sum(1 for a in ids if ledger.balance(a).due < 0)
                    paid_once = len(ids) * 2 - len(refused)
                    assert paid_once == len(ids), f"{paid_once} payments went through for {len(ids)} balances"
            print(f"balances per round: {args.balances}, rounds: {args.rounds} after {args.warmup} untimed")
            print("p95 of each round of full payments: " + ", ".join(f"{p95:.0f} ms" for p95 in per_round))
            print(
                f"{args.balances} concurrent payments against {args.balances} balances: "
                f"p50 {statistics.median(full):.0f} ms, p95 {percentile(full, 0.95):.0f} ms, max {max(full):.0f} ms"
            )
            print(
                f"{2 * (args.balances // 2)} racing payments (2 per balance, {args.balances // 2} balances): "
                f"p50 {statistics.median(racing):.0f} ms, p95 {percentile(racing, 0.95):.0f} ms, max {max(racing):.0f} ms"
            )
            print(f"overpaid balances: {overpaid}; errors: {len(errors)} {errors[:3]}")
            with db.connection_context():
                first, later = statements_per_payment(center)
            print(f"SQL statements per payment: {first} the balance's first, {later} after")
    finally:
        db.close()
        if hasattr(db.obj, "close_all"):
            db.obj.close_all()
        drop()


if __name__ == "__main__":
    main()
