"""Booking benchmark: concurrent clients book over HTTP against gunicorn; prints throughput and latency.

    .venv/bin/python bench/booking.py --db postgres --clients 16 --bookings 600
    .venv/bin/python bench/booking.py --db sqlite   --clients 16 --bookings 600

Sets up its own throw-away database (PostgreSQL at 127.0.0.1:5432 as user postgres,
or a SQLite file), a week of capacity and enough client accounts, starts gunicorn,
then each client thread repeatedly opens the confirm page and posts it. Reported:
confirmed bookings per second, p50/p95/p99 latency of the confirm POST, slot-full
answers (409), overbookings found in the database afterwards (must be 0) and 5xx
(must be 0). Email jobs go to Redis when it is reachable (as in production), else
run inline.
"""

import argparse
import datetime
import queue
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_app, make_database, redis_url  # noqa: E402
from checkup import database  # noqa: E402
from checkup.core import clock  # noqa: E402
from checkup.models import Appointment, ResourceDay, Slot  # noqa: E402
from checkup.models.base import db  # noqa: E402
from tests import factories  # noqa: E402
from tests.support.live_server import Browserless, GunicornServer, signed_in_cookie  # noqa: E402

DAYS = 5
SLOTS_PER_DAY = 6


def setup(app, accounts, per_slot):
    """A week of slots (capacity ``per_slot``) and ``accounts`` signed-in clients."""
    factories.make_item("WBC", price="20.00")
    package = factories.make_package("BASIC", [factories.make_item("GLU", price="10.00")], price="120.00")
    first = clock.today() + datetime.timedelta(days=2)
    slots = []
    for d in range(DAYS):
        day = first + datetime.timedelta(days=d)
        for s in range(SLOTS_PER_DAY):
            slots.append(
                Slot.create(day=day, start_time=datetime.time(7 + s), end_time=datetime.time(8 + s), capacity=per_slot)
            )
    users = [factories.make_user("client", email=f"bench{i}@example.com") for i in range(accounts)]
    return package, slots, [signed_in_cookie(app, user) for user in users]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--bookings", type=int, default=600, help="booking attempts in all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="checkup-bench-")
    url, drop = make_database(args.db, folder)
    redis = redis_url()
    app = bench_app(folder, url, REDIS_URL=redis)
    try:
        with app.app_context():
            database.upgrade()
            accounts = -(-args.bookings // DAYS)  # one appointment per client per day
            per_slot = -(-args.bookings // (DAYS * SLOTS_PER_DAY)) + 1
            package, slots, cookies = setup(app, accounts, per_slot)
            db.close()
        jobs = queue.Queue()
        for index in range(args.bookings):
            jobs.put((cookies[index // DAYS], slots[(index % DAYS) * SLOTS_PER_DAY + index % SLOTS_PER_DAY].id))
        latencies, statuses, lock = [], [], threading.Lock()
        env = {"CHECKUP_REDIS_URL": redis} if redis else {}
        with GunicornServer(app.config, workers=args.workers, threads=args.threads, **env) as base:

            def client():
                while True:
                    try:
                        cookie, slot_id = jobs.get_nowait()
                    except queue.Empty:
                        return
                    agent = Browserless(base, cookie)
                    _, _, html = agent.get(f"/me/book/BASIC/confirm?slot={slot_id}")
                    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', html).group(1)
                    started = time.perf_counter()
                    status, _, _ = agent.post(
                        "/me/book/BASIC/confirm",
                        {"slot": slot_id, "idempotency_key": key, "csrf_token": agent.csrf(html)},
                    )
                    with lock:
                        latencies.append(time.perf_counter() - started)
                        statuses.append(status)

            began = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
        with app.app_context():
            over = (
                Slot.select().where(Slot.booked > Slot.capacity).count()
                + ResourceDay.select().where(ResourceDay.booked > ResourceDay.capacity).count()
            )
            mismatched = sum(
                1
                for s in Slot.select()
                if s.booked
                != Appointment.select().where(Appointment.slot == s.id, Appointment.status == "booked").count()
            )
            db.close()
        confirmed = statuses.count(303)
        cuts = statistics.quantiles(latencies, n=100)
        print(
            f"database         {args.db}  (gunicorn {args.workers} workers x {args.threads} threads, "
            f"{args.clients} clients, jobs {'on Redis' if redis else 'inline'})"
        )
        print(f"attempts         {len(statuses)} in {elapsed:.1f} s")
        print(f"confirmed        {confirmed}  ({confirmed / elapsed:.1f} bookings/s)")
        print(f"slot full (409)  {statuses.count(409)}")
        print(f"5xx              {sum(1 for s in statuses if s >= 500)}")
        print(f"other statuses   {sorted(set(s for s in statuses if s not in (303, 409) and s < 500))}")
        print(
            f"confirm latency  p50 {cuts[49] * 1000:.0f} ms  p95 {cuts[94] * 1000:.0f} ms  p99 {cuts[98] * 1000:.0f} ms"
        )
        print(f"overbookings     {over}   counter mismatches {mismatched}")
    finally:
        drop()
        if redis:
            from redis import Redis

            Redis.from_url(redis).flushdb()


if __name__ == "__main__":
    main()
