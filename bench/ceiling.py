"""Per-request cost: requests/s of portal paths against a bare Flask app measured in the same run.

    .venv/bin/python bench/ceiling.py --db postgres                 # the default paths, 10 s each
    .venv/bin/python bench/ceiling.py --db postgres --short         # 4 s each, for a quick look
    .venv/bin/python bench/ceiling.py --db postgres --path client@demo.test:/me/reports

Starts gunicorn twice with the same settings (``--workers`` × ``--threads``, 2 × 8 as bench/pages.py),
side by side: a bare Flask app with one trivial endpoint (the ceiling: what gunicorn, WSGI and Flask cost
with nothing of ours) and the portal. ``--clients`` keep-alive HTTP/1.1 clients (raw sockets, so the load
generator costs little; 16 by default; they keep the cookies they are sent, as a browser does) ask for one
path at a time for ``--seconds`` each, after a warm-up that is not counted, with the bare app measured
before the first path and after each one. Reported per path: requests/s, p50/p95, statuses, and the ratio
to the bare app's requests/s measured nearest to it (the median of the two bare runs before it and the two
after), against a floor (the issue's targets:
/healthz ≥ 40%, the sign-in page ≥ 25%, the client home ≥ 15%, every staff page ≥ 8%). Exits 1 when a path is under its floor or
answers anything but 2xx/3xx. The machine's load average is printed before and after (the machine is
shared: compare ratios, not absolute rates).

API (bench/pages_scale.py calls it with its own database and cookies)::

    from bench.ceiling import Target, measure

    result = measure(
        config,                       # the portal's app.config (DATABASE_URL, SECRET_KEY, ...)
        [Target("/healthz", floor=0.40, seconds=6.0),   # seconds: this path's own length (and its bare run's)
         Target("/me", cookies=client_cookie, label="client home", floor=0.15)],
        clients=16, seconds=10.0, warmup=1.0, workers=2, threads=8, processes=1,
        env={"CHECKUP_REDIS_URL": "redis://127.0.0.1:6379/15"},   # extra environment for the portal
        bare_seconds=None,            # each bare run; default half of seconds, at least 2
    )
    result.bare                  # Figures of the bare Flask endpoint (all its runs together)
    result.bare_runs             # [Figures]: the bare app before the first path and after each one
    result.paths                 # [Figures], in the order of the targets
    result.table()               # a Markdown table (path, req/s, % of bare, p50, p95, floor, statuses)
    result.failures()            # [Figures] under their floor or with a status other than 2xx/3xx
    result.load_before, result.load_after   # os.getloadavg() around the run

    Figures: label, path, requests, seconds, rps, p50_ms, p95_ms, statuses (dict status -> count;
             0 = connection error), ratio (rps / reference; None for the bare row),
             reference (median req/s of the bare runs nearest to it: two before, two after), floor (or None), ok

Lower-level pieces: ``drive(base_url, path, cookies, clients=16, seconds=10.0, warmup=1.0, processes=1)``
drives one path against a running server and returns Figures (ratio None); ``BareFlaskServer(config,
workers, threads)`` and ``PortalServer(config, workers, threads, **env)`` are the two gunicorn servers
(context managers yielding the base URL); ``signed_in_cookies(app, emails)`` makes session cookies as a
real login does.
"""

import argparse
import collections
import dataclasses
import multiprocessing
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.live_server import GunicornServer, signed_in_cookie  # noqa: E402

# --- the bare app: gunicorn serves it as bench.ceiling:bare_app ---------------------------------------

bare_app = Flask("bare")


@bare_app.get("/")
@bare_app.get("/healthz")
def bare_endpoint():
    return "ok"


BARE_PATH = "/"


class PortalServer(GunicornServer):
    """The portal under gunicorn, keeping the extra environment given (GunicornServer drops Redis)."""

    def __init__(self, config, workers=2, threads=8, **env):
        super().__init__(config, workers=workers, threads=threads)
        self.env.update(env)


class BareFlaskServer(GunicornServer):
    """A bare Flask app (one trivial endpoint) under the same gunicorn settings as the portal."""

    @property
    def args(self):
        return [arg if arg != "wsgi:app" else "bench.ceiling:bare_app" for arg in super().args]


# --- the load generator ---------------------------------------------------------------------------------


class KeepAliveClient:
    """One HTTP/1.1 connection asking for one path again and again, keeping the cookies it is sent as a
    browser does (no parsing beyond status, length and Set-Cookie)."""

    def __init__(self, base_url, path, cookies=None):
        parts = urllib.parse.urlsplit(base_url)
        self.address = (parts.hostname, parts.port)
        self.lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Accept: text/html,application/json",
            "Accept-Language: en",
            "Connection: keep-alive",
        ]
        self.cookies = dict(cookies or {})
        self.request = self._request()
        self.sock = None
        self.buffer = bytearray()

    def _request(self):
        lines = list(self.lines)
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, bytearray()

    def get(self):
        """The status of one request (0 when the connection failed twice)."""
        for _attempt in range(2):  # the server may have closed an idle keep-alive connection: reconnect once
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(self.address, timeout=60)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.sendall(self.request)
                status, keep_alive = self._response()
                if not keep_alive:
                    self.close()
                return status
            except OSError:
                self.close()
        return 0

    def _recv(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionResetError("closed by the server")
        self.buffer += chunk

    def _response(self):
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._recv()
        head = bytes(self.buffer[:end]).split(b"\r\n")
        del self.buffer[: end + 4]
        status = int(head[0].split(b" ", 2)[1])
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip()
            if name == b"set-cookie":  # kept as a browser keeps it: the next request sends it back
                cookie, _, _attributes = value.decode("latin-1").partition(";")
                cookie_name, _, cookie_value = cookie.partition("=")
                self.cookies[cookie_name.strip()] = cookie_value.strip()
                self.request = self._request()
            headers[name] = value.lower()
        if b"content-length" in headers:
            self._skip(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            while True:
                while (end := self.buffer.find(b"\r\n")) < 0:
                    self._recv()
                size = int(bytes(self.buffer[:end]).split(b";")[0], 16)
                del self.buffer[: end + 2]
                self._skip(size + 2)  # the chunk and its CRLF (the last one: just the CRLF, no trailers)
                if size == 0:
                    break
        else:  # no length: the body runs to the end of the connection
            return status, False
        return status, headers.get(b"connection") != b"close"

    def _skip(self, length):
        while len(self.buffer) < length:
            self._recv()
        del self.buffer[:length]


def _drive_threads(base_url, path, cookies, clients, warm_until, stop_at):
    """``clients`` threads in this process; returns (latencies, statuses, last finish)."""
    latencies, statuses, finished = [], collections.Counter(), [warm_until]
    lock = threading.Lock()

    def run():
        client = KeepAliveClient(base_url, path, cookies)
        mine, counted = [], collections.Counter()
        while (started := time.perf_counter()) < stop_at:
            status = client.get()
            took = time.perf_counter() - started
            if started >= warm_until:
                mine.append(took)
                counted[status] += 1
        client.close()
        with lock:
            latencies.extend(mine)
            statuses.update(counted)
            finished.append(time.perf_counter())

    threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, dict(statuses), max(finished)


def _drive_process(pipe, *args):
    pipe.send(_drive_threads(*args))
    pipe.close()


@dataclasses.dataclass
class Figures:
    label: str
    path: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    statuses: dict
    ratio: float | None = None
    floor: float | None = None
    reference: float | None = None  # the bare app's req/s this path's ratio is taken against
    runs: int = 1  # bursts this path was measured in (a miss is measured again: measure's ``confirm``)

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok(self):
        answered = all(200 <= status < 400 for status in self.statuses)
        return answered and (self.floor is None or (self.ratio or 0) >= self.floor)


def _percentile(values, cut):
    if len(values) < 2:
        return (values or [0.0])[0]
    return statistics.quantiles(values, n=100, method="inclusive")[cut - 1]


def drive(base_url, path, cookies=None, *, clients=16, seconds=10.0, warmup=1.0, processes=1, label=None):
    """``clients`` keep-alive clients (spread over ``processes`` processes) ask for ``path`` for ``warmup``
    then ``seconds`` more; only the latter is counted. Returns Figures (ratio None)."""
    warm_until = time.perf_counter() + warmup
    stop_at = warm_until + seconds
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    args = (base_url, path, cookies)
    if processes == 1:
        results = [_drive_threads(*args, clients, warm_until, stop_at)]
    else:
        context = multiprocessing.get_context("fork")  # perf_counter is shared across a fork on Linux
        pipes, children = [], []
        for share in shares:
            ours, theirs = context.Pipe(duplex=False)
            child = context.Process(target=_drive_process, args=(theirs, *args, share, warm_until, stop_at))
            child.start()
            pipes.append(ours)
            children.append(child)
        results = [pipe.recv() for pipe in pipes]
        for child in children:
            child.join()
    latencies = [t for result in results for t in result[0]]
    statuses = collections.Counter()
    for result in results:
        statuses.update(result[1])
    elapsed = max(result[2] for result in results) - warm_until
    return Figures(
        label=label or path,
        path=path,
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=_percentile(latencies, 50) * 1000,
        p95_ms=_percentile(latencies, 95) * 1000,
        statuses=dict(sorted(statuses.items())),
    )


# --- one run: bare Flask, then the portal ---------------------------------------------------------------


@dataclasses.dataclass
class Target:
    path: str
    cookies: dict | None = None
    label: str | None = None
    floor: float | None = None  # the least share of the bare app's requests/s this path must reach
    seconds: float | None = None  # counted seconds for this path (default: measure()'s)


@dataclasses.dataclass
class Ceiling:
    bare: Figures  # all the bare runs together (requests and seconds summed; p50/p95: their medians)
    bare_runs: list  # the bare app measured before the first path and after each one
    paths: list
    clients: int
    workers: int
    threads: int
    load_before: tuple
    load_after: tuple

    def failures(self):
        return [figures for figures in self.paths if not figures.ok]

    def table(self):
        load = " ".join(f"{v:.2f}" for v in self.load_before) + " → " + " ".join(f"{v:.2f}" for v in self.load_after)
        rates = [run.rps for run in self.bare_runs]
        lines = [
            f"gunicorn {self.workers} workers × {self.threads} threads, {self.clients} keep-alive clients, "
            f"{statistics.median(p.seconds for p in self.paths) if self.paths else 0:.0f} s per path (median); bare Flask measured before the first "
            f"path and after each ({min(rates):,.0f}–{max(rates):,.0f} req/s, median {statistics.median(rates):,.0f}), "
            f"each path's share against the median of the four bare runs nearest to it (two before, two after; "
            f"column 'bare near'); load average (1, 5, 15 min) {load}",
            "",
            "| path | what | req/s | of bare Flask | bare near | floor | p50 | p95 | statuses |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for figures in [self.bare, *self.paths]:
            share = "—" if figures.ratio is None else f"{figures.ratio:.1%}"
            if figures.runs > 1:
                share += f" (median of {figures.runs})"
            near = "—" if figures.reference is None else f"{figures.reference:,.0f}"
            floor = "" if figures.floor is None else f"≥ {figures.floor:.0%}" + ("" if figures.ok else " **missed**")
            statuses = ", ".join(f"{status}: {count}" for status, count in figures.statuses.items())
            lines.append(
                f"| `{figures.path}` | {figures.label} | {figures.rps:,.0f} | {share} | {near} | {floor} | "
                f"{figures.p50_ms:.1f} ms | {figures.p95_ms:.1f} ms | {statuses} |"
            )
        return "\n".join(lines)


def _together(runs, label):
    statuses = collections.Counter()
    for run in runs:
        statuses.update(run.statuses)
    return Figures(
        label=label,
        path=runs[0].path,
        requests=sum(run.requests for run in runs),
        seconds=sum(run.seconds for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p95_ms=statistics.median(run.p95_ms for run in runs),
        statuses=dict(sorted(statuses.items())),
    )


def bare_reference(bare_runs, number):
    """The bare app's requests/s a path is compared with: the median of the bare runs nearest to it, two
    before it and two after (bare_runs[number] ran just before path ``number``, bare_runs[number + 1] just
    after; fewer at either end of the run). Near enough in time to follow the machine's drift, and one
    bare run far off the others (seen: 1,838 and 6,487 req/s in one run whose median was 5,335) no longer
    halves or doubles the share of the path beside it."""
    window = bare_runs[max(0, number - 1) : number + 3]
    return statistics.median(run.rps for run in window) if window else 0.0


def measure(
    config,
    targets,
    *,
    clients=16,
    seconds=10.0,
    warmup=1.0,
    workers=2,
    threads=8,
    processes=1,
    env=None,
    bare_seconds=None,
    confirm=0,
):
    """Every target on the portal, the bare Flask endpoint before the first and after each (both servers
    run side by side with the same gunicorn settings and are driven by the same clients, one at a time);
    returns a Ceiling whose paths carry their ratio to the median of the bare runs nearest to them
    (bare_reference), so a change in the machine's load during the run moves both sides alike. ``bare_seconds`` (default: half
    of ``seconds``, at least 2) is the length of each bare run.

    ``confirm``: a path under its floor is measured that many times more after the others (each burst with
    its own bare run after it) and its figures are those of its median burst, so one short burst that the
    machine slowed (a checkpoint, a vacuum of the tables the run wrote to) does not fail a page, and a page
    that is really under its floor still fails: it passes only if most of its bursts reach the floor. A path
    that answered anything but 2xx/3xx is not measured again: it fails as it is. The table says how many
    bursts each such path had."""
    load_before = os.getloadavg()
    knobs = dict(clients=clients, warmup=warmup, processes=processes)
    bare_knobs = dict(knobs, seconds=bare_seconds or max(2.0, seconds / 2), label="bare Flask (one trivial endpoint)")
    with (
        BareFlaskServer(config, workers=workers, threads=threads) as bare_base,
        PortalServer(config, workers=workers, threads=threads, **(env or {})) as base,
    ):
        bare_runs = [drive(bare_base, BARE_PATH, None, **bare_knobs)]

        def burst(target):
            """(figures, the index of the bare run just before it): one burst of ``target``, then a bare run."""
            length = target.seconds or seconds
            before = len(bare_runs) - 1
            figures = drive(base, target.path, target.cookies, label=target.label, seconds=length, **knobs)
            # the bare run after a path as long as the path's own, at least bare_seconds
            bare_runs.append(
                drive(bare_base, BARE_PATH, None, **dict(bare_knobs, seconds=max(length, bare_knobs["seconds"])))
            )
            figures.floor = target.floor
            return figures, before

        bursts = [[burst(target)] for target in targets]
        _set_ratios(bare_runs, bursts)
        for target, runs in zip(targets, bursts, strict=True):
            first = runs[0][0]
            if confirm and not first.ok and all(200 <= status < 400 for status in first.statuses):
                runs.extend(burst(target) for _ in range(confirm))  # under its floor, every answer right
    paths = _set_ratios(bare_runs, bursts)
    bare = _together(bare_runs, bare_runs[0].label)
    return Ceiling(bare, bare_runs, paths, clients, workers, threads, load_before, os.getloadavg())


def _set_ratios(bare_runs, bursts):
    """Each burst's ratio to the bare runs nearest to it; returns each path's median burst (of an odd number
    of bursts, the middle one), its ``runs`` set to how many it had."""
    chosen = []
    for runs in bursts:
        for figures, before in runs:
            figures.reference = bare_reference(bare_runs, before)
            figures.ratio = figures.rps / figures.reference if figures.reference else 0.0
        ranked = sorted((figures for figures, _before in runs), key=lambda figures: figures.ratio)
        median = ranked[(len(ranked) - 1) // 2]
        median.runs = len(ranked)
        chosen.append(median)
    return chosen


def signed_in_cookies(app, emails):
    """{email: session cookie} for existing accounts, made the way a real login makes them."""
    from checkup.models import User
    from checkup.models.base import db

    with app.app_context(), db.connection_context():
        return {email: signed_in_cookie(app, User.get(User.email == email)) for email in emails}


# --- the command line: a throw-away demo portal ----------------------------------------------------------

# (account or None, path, what, floor): the targets against bare Flask in the same run
DEFAULT_TARGETS = [
    (None, "/healthz", "health check", 0.40),
    (None, "/login", "sign-in page", 0.25),
    ("client@demo.test", "/me", "client home", 0.15),
    ("scheduler@demo.test", "/desk/day", "day sheet", 0.08),
    ("hr@acme.demo.test", "/hr", "HR dashboard", 0.08),
    ("admin@demo.test", "/admin/management", "management dashboard", 0.08),
    ("counselor@demo.test", "/care/followups", "counselor worklist", 0.08),
]


def _demo_portal(kind, folder, redis, history, existing_url=None):
    """(app, drop): a throw-away database with the demo, or ``existing_url`` (already seeded; kept)."""
    from bench.common import bench_app, make_database
    from checkup import database
    from checkup.demo import demo
    from checkup.models.base import db

    url, drop = (existing_url, lambda: None) if existing_url else make_database(kind, folder, "bench_ceiling")
    app = bench_app(folder, url, REDIS_URL=redis, JOBS_INLINE=redis is None, REPORTS_DIR=f"{folder}/reports")
    with app.app_context():
        database.upgrade()
        if not existing_url:
            with db.connection_context():
                seeded = time.perf_counter()
                demo.seed(history=history)
                print(f"demo seeded in {time.perf_counter() - seeded:.1f} s (history {'on' if history else 'off'})")
    return app, drop


def main():
    from bench.common import redis_url

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--clients", type=int, default=16, help="concurrent keep-alive clients")
    parser.add_argument("--seconds", type=float, default=10.0, help="counted seconds per path")
    parser.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds before each path")
    parser.add_argument("--short", action="store_true", help="4 s per path (a quick look, noisier)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1, help="load-generator processes the clients share")
    parser.add_argument("--no-history", action="store_true", help="seed the demo without two years of history")
    parser.add_argument(
        "--database-url",
        help="use this database, already seeded with the demo (national ID key 'bench'), instead of a new one",
    )
    parser.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="[EMAIL:]PATH",
        help="measure this path (as this demo account) instead of the defaults; repeatable",
    )
    args = parser.parse_args()
    seconds = 4.0 if args.short else args.seconds

    folder = tempfile.mkdtemp(prefix="checkup-bench-ceiling-")
    redis = redis_url() if args.db == "postgres" else None
    app, drop = _demo_portal(args.db, folder, redis, not args.no_history, args.database_url)
    try:
        if args.path:
            wanted = [(spec.rpartition(":")[0] or None, spec.rpartition(":")[2], None, None) for spec in args.path]
        else:
            wanted = DEFAULT_TARGETS
        cookies = signed_in_cookies(app, sorted({email for email, *_rest in wanted if email}))
        targets = [
            Target(path, cookies.get(email), label or (email or "anonymous"), floor)
            for email, path, label, floor in wanted
        ]
        env = {"CHECKUP_REPORTS_DIR": f"{folder}/reports", "CHECKUP_JOBS_INLINE": "0" if redis else "1"}
        if redis:
            env["CHECKUP_REDIS_URL"] = redis
        result = measure(
            app.config,
            targets,
            clients=args.clients,
            seconds=seconds,
            warmup=args.warmup,
            workers=args.workers,
            threads=args.threads,
            processes=args.processes,
            env=env,
        )
        print(f"\n{args.db}:", result.table(), sep="\n")
        if result.failures():
            print("\nunder the floor or not answered:", *(f.path for f in result.failures()), sep="\n  ")
            sys.exit(1)
    finally:
        drop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
