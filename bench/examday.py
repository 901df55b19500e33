"""Exam-day benchmark: a floor of 1,000 checked-in clients on PostgreSQL, served by gunicorn; prints the
latency of the floor's pages and their query counts.

    .venv/bin/python bench/examday.py --clients 8 --rounds 40

Sets up its own throw-away PostgreSQL database (127.0.0.1:5432 as user postgres) with the demo catalog and
accounts (`seed-demo` without the history) and 1,000 clients in flight today (checkup/demo/demo_floor_day.py:
checked in, stations done with results entered, in progress, waiting, ready for the chief physician), plus
clients booked for today whom the desk checks in during the run. Starts gunicorn (2 workers), then
``--clients`` threads each repeat, in turn:

- **scan → station form**: a station doctor scans a client's exam code at the general examination (POST
  the scan box, 303) and opens the result form it names (GET) — timed together;
- **queue board**: a board's poll (GET with HX-Request and the background header) of a random station;
- **check-in + prints**: the desk checks a booked client in (POST, htmx), then opens the guide sheet and the
  specimen labels PDFs — timed together;
- **review page**: the chief physician opens a ready checkup's review page (GET /exam/review/<id>).

Two ways to load it:

- **closed loop** (default): ``--clients`` threads repeat the four steps back to back with no pause — a
  saturation test: on two cores the latencies are mostly queueing behind each other's CPU;
- **paced** (``--pace N``): the steps arrive at random (Poisson) at N times the rates of a 1,000-client
  day's busiest hour, whoever is still busy: ``PEAK_RATES`` below (scans: ~10 stations per client, a
  quarter of the day's visits in the peak hour; one screen per station polling its board every 5 s; a third
  of the check-ins in the peak hour; chief physicians opening a review page about three times per
  checkup over the day, twice that rate at its peak). Latency is timed from when the step was due, so a
  step that waited for a free client thread counts that wait. Runs ``--seconds``.

    .venv/bin/python bench/examday.py --pace 1 --seconds 60
    .venv/bin/python bench/examday.py --pace 3 --seconds 60

Reported: p50/p95/p99 per page against its budget, 5xx (must be 0), the day's size (appointments,
checked-in containers), and each page's SQL statement count, read in-process at this size (tests assert
they do not grow with the number of clients).
"""

import argparse
import logging
import os
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_app, make_database  # noqa: E402
from checkup import database  # noqa: E402
from checkup.core import clock  # noqa: E402
from checkup.demo import demo, demo_floor_day  # noqa: E402
from checkup.models import Appointment, AppointmentItem, Client, ExamItem, ResourceDay, Slot, User  # noqa: E402
from checkup.models.appointments import BOOKED, CHECKED_IN  # noqa: E402
from checkup.models.base import db  # noqa: E402
from checkup.services.booking import capacity  # noqa: E402
from checkup.services.exam import review_queue, station_queue  # noqa: E402
from tests.support.live_server import Browserless, GunicornServer, signed_in_cookie  # noqa: E402

ON_THE_FLOOR = 1000
BUDGETS = {"scan → station form": 150, "queue board": 150, "check-in + guide sheet + labels": 500, "review page": 300}
POLL = {"HX-Request": "true", "X-Checkup-Background": "1"}
# steps per second in a 1,000-client day's busiest hour (see the module doc); --pace multiplies them
PEAK_RATES = {
    "scan → station form": 1000 * 10 * 0.25 / 3600,
    "queue board": 26 / 5,
    "check-in + guide sheet + labels": 1000 * 0.35 / 3600,
    "review page": 1000 * 3 * 2 / (8 * 3600),
}


def build_day(booked_extra):
    """The demo catalog and accounts, ON_THE_FLOOR clients in flight today and ``booked_extra`` booked ones."""
    demo.seed(history=False)  # its floor day already puts FLOOR_CLIENTS (300) on the floor
    demo_floor_day.FLOOR_CLIENTS = ON_THE_FLOOR - demo_floor_day.FLOOR_CLIENTS
    physician = User.get(User.email == "physician@demo.test")
    scheduler = User.get(User.email == "scheduler@demo.test")
    demo_floor_day.seed_floor_day(physician, scheduler)
    capacity.recount_booked()
    today = clock.today()
    Slot.update(capacity=Slot.capacity + booked_extra).where(Slot.day == today).execute()
    ResourceDay.update(capacity=ResourceDay.capacity + booked_extra).where(ResourceDay.day == today).execute()
    slots = list(Slot.select().where(Slot.day == today).order_by(Slot.start_time))
    taken = {name for (name,) in Client.select(Client.name).tuples()}
    rng = random.Random(7)
    made = 0
    while made < booked_extra:
        sex = rng.choice(("male", "female"))
        name = f"预约{made:03d}{rng.choice('甲乙丙丁')}"
        if name in taken:
            continue
        client = Client.create(name=name, sex=sex, birth_date=clock.today().replace(year=1980))
        demo._place(client, slots[made % len(slots)], "BASIC-M" if sex == "male" else "BASIC-F")
        made += 1
    # Planner statistics, as autovacuum keeps them on a production server (it is off on the test box, and a
    # freshly loaded day without them gets row estimates of 1 and nested loops over the whole day).
    db.execute_sql("ANALYZE")


def day_size():
    today = clock.today()
    appointments = Appointment.select().where(Appointment.day == today).count()
    containers = (
        AppointmentItem.select(AppointmentItem.appointment, ExamItem.container)
        .join(ExamItem)
        .switch(AppointmentItem)
        .join(Appointment)
        .where(Appointment.day == today, Appointment.status == CHECKED_IN, ExamItem.container != "")
        .distinct()
        .count()
    )
    return appointments, containers


def targets():
    """What the threads work on: clients to scan at GEN, stations, clients to check in, checkups to review."""
    today = clock.today()
    state = station_queue.floor_state(today)
    gen = next(load.station for load in state.loads.values() if load.station.code == "GEN")
    on_floor = [
        a.id
        for a in Appointment.select(Appointment.id).where(Appointment.day == today, Appointment.status == CHECKED_IN)
        if gen.id in state.pairs.get(a.id, {})
    ]
    codes = dict(Appointment.select(Appointment.id, Appointment.exam_code).where(Appointment.id.in_(on_floor)).tuples())
    to_check_in = [
        a.id for a in Appointment.select(Appointment.id).where(Appointment.day == today, Appointment.status == BOOKED)
    ]
    ready = [a.id for a in review_queue.ready_for_review(limit=500) if a.day == today]
    stations = [load.station.code for load in state.loads.values()]
    return codes, stations, to_check_in, ready


def count_queries(app, user, method, path, data=None, headers=None):
    """SQL statements one request issues, in-process (the peewee logger, as tests/conftest.py counts)."""
    statements = []

    class Handler(logging.Handler):
        def emit(self, record):
            if record.name == "peewee":
                statements.append(record)

    logger = logging.getLogger("peewee")
    handler, level = Handler(level=logging.DEBUG), logger.level
    http = app.test_client()
    for name, value in signed_in_cookie(app, user).items():
        http.set_cookie(name, value)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        # a fresh app context of its own: the caller's would share ``g`` (and the first request's signed-in
        # account, which Flask-Login keeps there) with every later request
        with app.app_context():
            answer = http.open(path, method=method, data=data, headers=headers or {})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return answer.status_code, len(statements)


class Agent(Browserless):
    """A Browserless agent that can send extra headers (an htmx swap, a background poll)."""

    def request_with(self, path, headers, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method="POST" if data is not None else "GET")
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for name, value in headers.items():
            req.add_header(name, value)
        try:
            with self.opener.open(req, timeout=60) as response:
                self._remember(response.headers)
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            self._remember(error.headers)
            return error.code, error.headers, error.read()


def percentile(values, cut):
    return statistics.quantiles(values, n=100)[cut - 1] if len(values) >= 2 else (values or [0])[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument("--rounds", type=int, default=40, help="rounds of the four pages per client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--pace", type=float, default=None, help="paced: this many times the peak hour's rates")
    parser.add_argument("--seconds", type=float, default=60, help="how long a paced run lasts")
    parser.add_argument("--pool", type=int, default=16, help="client threads of a paced run")
    args = parser.parse_args()

    load_before = os.getloadavg()
    folder = tempfile.mkdtemp(prefix="checkup-bench-examday-")
    url, drop = make_database("postgres", folder, label="examday")
    # the in-process statement counts post without a form's token; the served app keeps CSRF on
    app = bench_app(folder, url, WTF_CSRF_ENABLED=False)
    try:
        with app.app_context():
            database.upgrade()
            began = time.perf_counter()
            booked = args.clients * args.rounds
            if args.pace:
                booked = int(PEAK_RATES["check-in + guide sheet + labels"] * args.pace * args.seconds * 1.5) + 20
            build_day(booked_extra=booked)
            built = time.perf_counter() - began
            appointments, containers = day_size()
            codes, stations, to_check_in, ready = targets()
            users = {e: User.get(User.email == e) for e in ("physician@demo.test", "scheduler@demo.test")}
            chief = User.get(User.email == "chief@demo.test")
            cookies = {
                "doctor": signed_in_cookie(app, users["physician@demo.test"]),
                "desk": signed_in_cookie(app, users["scheduler@demo.test"]),
                "chief": signed_in_cookie(app, chief),
            }
            some = next(iter(codes))
            query_counts = {
                "scan (POST)": count_queries(
                    app, users["physician@demo.test"], "POST", "/exam/floor/stations/GEN/scan", {"code": codes[some]}
                ),
                "station form": count_queries(
                    app, users["physician@demo.test"], "GET", f"/exam/appointments/{some}/stations/GEN"
                ),
                "queue board (GEN)": count_queries(
                    app, users["physician@demo.test"], "GET", "/exam/floor/stations/GEN", headers=POLL
                ),
                "floor overview": count_queries(app, users["scheduler@demo.test"], "GET", "/exam/floor", headers=POLL),
                "guidance": count_queries(app, users["scheduler@demo.test"], "GET", "/exam/floor/guidance"),
                "review page": count_queries(app, chief, "GET", f"/exam/review/{ready[0]}") if ready else (0, 0),
                "review queue": count_queries(app, chief, "GET", "/exam/review"),
            }
            db.close()
        scan_ids = list(codes)
        random.Random(1).shuffle(scan_ids)
        jobs = {name: [] for name in BUDGETS}
        statuses, lock = [], threading.Lock()
        queue_of = {"check_in": list(to_check_in), "scan": scan_ids, "ready": list(ready)}
        server = GunicornServer(app.config, workers=args.workers, threads=args.threads)
        with server as base:

            def take(name):
                with lock:
                    items = queue_of[name]
                    return items.pop() if items else None

            def timed(name, steps, due=None):
                """Run ``steps``; the time from ``due`` (paced: when the step arrived) or from now."""
                started = time.perf_counter() if due is None else due
                for step in steps:
                    status = step()
                    with lock:
                        statuses.append(status)
                with lock:
                    jobs[name].append(time.perf_counter() - started)

            class Person:
                """One client thread's three signed-in agents (each thread its own: agents keep cookies)."""

                def __init__(self):
                    self.doctor, self.desk, self.reviewer = (
                        Agent(base, cookies[k]) for k in ("doctor", "desk", "chief")
                    )
                    self.csrf_doctor = self.doctor.csrf(self.doctor.get("/exam/floor/stations/GEN")[2])
                    self.csrf_desk = self.desk.csrf(self.desk.get("/desk/day")[2])

                def scan(self, rng, due=None):
                    appointment_id = take("scan")
                    if appointment_id is None:
                        return
                    timed(
                        "scan → station form",
                        [
                            lambda: self.doctor.post(
                                "/exam/floor/stations/GEN/scan",
                                {"code": codes[appointment_id], "csrf_token": self.csrf_doctor},
                            )[0],
                            lambda: self.doctor.get(f"/exam/appointments/{appointment_id}/stations/GEN")[0],
                        ],
                        due,
                    )

                def board(self, rng, due=None):
                    station = rng.choice(stations)
                    path = f"/exam/floor/stations/{station}"
                    timed("queue board", [lambda: self.doctor.request_with(path, POLL)[0]], due)

                def check_in(self, rng, due=None):
                    booked_id = take("check_in")
                    if booked_id is None:
                        return
                    timed(
                        "check-in + guide sheet + labels",
                        [
                            lambda: self.desk.request_with(
                                f"/desk/day/appointments/{booked_id}/check-in",
                                {"HX-Request": "true"},
                                {"verified": ["name", "birth_date"], "csrf_token": self.csrf_desk},
                            )[0],
                            lambda: self.desk.get(f"/desk/day/appointments/{booked_id}/guide-sheet.pdf")[0],
                            lambda: self.desk.get(f"/desk/day/appointments/{booked_id}/labels.pdf")[0],
                        ],
                        due,
                    )

                def review(self, rng, due=None):
                    if ready:
                        review_id = rng.choice(ready)
                        timed("review page", [lambda: self.reviewer.get(f"/exam/review/{review_id}")[0]], due)

            def closed_loop(seed):
                rng, person = random.Random(seed), Person()
                for _round in range(args.rounds):
                    person.scan(rng)
                    person.board(rng)
                    person.check_in(rng)
                    person.review(rng)

            arrivals = queue.Queue()

            def paced_thread(seed, person):
                rng = random.Random(seed)
                steps = {
                    "scan → station form": person.scan,
                    "queue board": person.board,
                    "check-in + guide sheet + labels": person.check_in,
                    "review page": person.review,
                }
                while (arrival := arrivals.get()) is not None:
                    due, name = arrival
                    steps[name](rng, due)

            def schedule(seconds):
                """Poisson arrivals of every step at its paced rate, handed to the pool when due."""
                rng, now = random.Random(11), time.perf_counter()
                timeline = []
                for name, rate in PEAK_RATES.items():
                    moment = now
                    while (moment := moment + rng.expovariate(rate * args.pace)) < now + seconds:
                        timeline.append((moment, name))
                for due, name in sorted(timeline):
                    time.sleep(max(0.0, due - time.perf_counter()))
                    arrivals.put((due, name))
                for _thread in range(args.pool):
                    arrivals.put(None)

            started = time.perf_counter()
            if args.pace:
                # signed in and warm before the clock starts: each thread's agents, and every page once on
                # both workers (the first request of a gunicorn thread loads templates and connections)
                people = [Person() for _ in range(args.pool)]
                warm_rng = random.Random(5)
                for person in people:
                    person.board(warm_rng)
                    person.review(warm_rng)
                people[0].scan(warm_rng)
                people[0].check_in(warm_rng)
                for name in jobs:
                    jobs[name].clear()
                started = time.perf_counter()
                threads = [threading.Thread(target=paced_thread, args=(n, p)) for n, p in enumerate(people)]
                for thread in threads:
                    thread.start()
                schedule(args.seconds)
            else:
                threads = [threading.Thread(target=closed_loop, args=(n,)) for n in range(args.clients)]
                for thread in threads:
                    thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        load_after = os.getloadavg()
        print(
            f"machine          nproc {os.cpu_count()}, load average before {load_before[0]:.2f} "
            f"{load_before[1]:.2f} {load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} "
            f"{load_after[2]:.2f}"
        )
        print(
            f"day              {appointments} appointments today, {containers} checked-in containers "
            f"(built in {built:.0f} s)"
        )
        print(
            f"run              PostgreSQL, gunicorn {args.workers} workers x {args.threads} threads, "
            + (
                f"paced at {args.pace:g}x the peak hour's rates ({args.pool} client threads), {elapsed:.1f} s"
                if args.pace
                else f"{args.clients} clients in a closed loop, {elapsed:.1f} s"
            )
        )
        for name, budget in BUDGETS.items():
            values = jobs[name]
            if not values:
                print(f"{name:32s} no samples")
                continue
            p50, p95, p99 = (percentile(values, c) * 1000 for c in (50, 95, 99))
            verdict = "ok" if p95 < budget else "OVER"
            print(
                f"{name:32s} n {len(values):4d}  p50 {p50:5.0f} ms  p95 {p95:5.0f} ms  p99 {p99:5.0f} ms"
                f"  (budget p95 < {budget} ms: {verdict})"
            )
        print(
            f"statuses         {sorted(set(statuses))}  5xx {sum(1 for s in statuses if s >= 500)}"
            f"  errors {sum(1 for s in statuses if s >= 400)}"
        )
        for name, (status, count) in query_counts.items():
            print(f"queries          {name:22s} {count:3d}  (status {status})")
        if any(s >= 500 for s in statuses):
            print("server log (the 5xx's traceback):\n" + server.output())
    finally:
        drop()


if __name__ == "__main__":
    main()
