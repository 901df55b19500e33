"""Page benchmark: every demo account browses its own pages at once against gunicorn; prints throughput,
latency per role and the slowest pages.

    .venv/bin/python bench/pages.py --db sqlite   --users 16 --seconds 60
    .venv/bin/python bench/pages.py --db postgres --users 16 --seconds 60

Sets up a throw-away database with the full demo (`seed-demo`, two years of history), starts gunicorn,
signs in every demo account, and collects each account's pages: its home page and every link on it
and in the navigation (downloads left out). Then ``--users`` threads each take an account in turn and
open its pages in random order for ``--seconds``. Every page view that reads results writes an audit
row, so the run mixes reads with small writes, as real use does. Reported: pages per second,
p50/p95/p99 per role, the ten slowest pages by p95, and 5xx (must be 0).
"""

import argparse
import collections
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_app, make_database, redis_url  # noqa: E402
from checkup import database  # noqa: E402
from checkup.demo import demo  # noqa: E402
from checkup.models import User  # noqa: E402
from checkup.models.base import db  # noqa: E402
from tests.support.live_server import Browserless, GunicornServer, signed_in_cookie  # noqa: E402

ACCOUNTS = [
    "admin@demo.test",
    "scheduler@demo.test",
    "physician@demo.test",
    "counselor@demo.test",
    "hr@acme.demo.test",
    "client@demo.test",
]
SKIP = re.compile(r"^/(static/|logout|language)|\.(pdf|xlsx|csv|ics)(\?|$)|/download|/export")
LINK = re.compile(r'<a [^>]*href="(/[^"#]*)"')


def pages_of(agent):
    """The account's home page and every same-site link on it (navigation included), downloads left out.
    Only pages that answer 200 are kept (a link may need a form first)."""
    status, headers, _html = agent.get("/")
    home = urllib.parse.urlsplit(headers.get("Location", "/")).path if 300 <= status < 400 else "/"
    _status, _headers, html = agent.get(home)
    found = [home]
    for path in LINK.findall(html):
        path = path.replace("&amp;", "&")
        if not SKIP.search(path) and path not in found and agent.get(path)[0] == 200:
            found.append(path)
    return found


def percentile(values, cut):
    return statistics.quantiles(values, n=100)[cut - 1] if len(values) >= 2 else (values or [0])[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="sqlite")
    parser.add_argument("--users", type=int, default=16, help="concurrent browsing threads")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="checkup-bench-pages-")
    url, drop = make_database(args.db, folder)
    redis = redis_url() if args.db == "postgres" else None
    app = bench_app(folder, url, REDIS_URL=redis, JOBS_INLINE=redis is None, REPORTS_DIR=f"{folder}/reports")
    try:
        with app.app_context():
            database.upgrade()
            with db.connection_context():
                seeded = time.perf_counter()
                demo.seed(history=True)
                print(f"demo seeded in {time.perf_counter() - seeded:.1f} s")
                cookies = {email: signed_in_cookie(app, User.get(User.email == email)) for email in ACCOUNTS}
        env = {"CHECKUP_REPORTS_DIR": f"{folder}/reports", "CHECKUP_JOBS_INLINE": "0" if redis else "1"}
        if redis:
            env["CHECKUP_REDIS_URL"] = redis
        results = collections.defaultdict(list)  # (account, path) -> [seconds]
        statuses = collections.Counter()
        failures, lock = [], threading.Lock()
        with GunicornServer(app.config, workers=args.workers, threads=args.threads, **env) as base:
            pages = {email: pages_of(Browserless(base, cookie)) for email, cookie in cookies.items()}
            for email in ACCOUNTS:
                print(f"{email}: {len(pages[email])} pages")
            deadline = time.perf_counter() + args.seconds

            def browse(number):
                email = ACCOUNTS[number % len(ACCOUNTS)]
                agent = Browserless(base, cookies[email])
                rng = random.Random(number)
                while time.perf_counter() < deadline:
                    path = rng.choice(pages[email])
                    started = time.perf_counter()
                    status, _headers, _html = agent.get(path)
                    took = time.perf_counter() - started
                    with lock:
                        results[(email, path)].append(took)
                        statuses[status // 100 * 100] += 1
                        if status >= 500:
                            failures.append(f"{status} {email} {path}")

            began = time.perf_counter()
            threads = [threading.Thread(target=browse, args=(n,)) for n in range(args.users)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
        total = sum(len(v) for v in results.values())
        print(
            f"\n{args.db}: {args.users} users, gunicorn {args.workers}×{args.threads}, {elapsed:.0f} s: "
            f"{total} pages, {total / elapsed:.1f} pages/s, statuses {dict(statuses)}"
        )
        print("| role account | pages | views | p50 | p95 | p99 |\n|---|---|---|---|---|---|")
        for email in ACCOUNTS:
            times = [t for (who, _p), v in results.items() if who == email for t in v]
            print(
                f"| {email} | {len(pages[email])} | {len(times)} | {percentile(times, 50) * 1000:.0f} ms | "
                f"{percentile(times, 95) * 1000:.0f} ms | {percentile(times, 99) * 1000:.0f} ms |"
            )
        print("\nslowest pages by p95:")
        slowest = sorted(results.items(), key=lambda kv: percentile(kv[1], 95), reverse=True)[:10]
        for (email, path), times in slowest:
            print(f"  {percentile(times, 95) * 1000:6.0f} ms  {path}  ({email}, {len(times)} views)")
        if failures:
            print("\n5xx:", *sorted(set(failures))[:20], sep="\n  ")
            sys.exit(1)
    finally:
        drop()


if __name__ == "__main__":
    main()
