"""What one page costs per request: the app's CPU in-process, PostgreSQL's CPU and the statements it runs.

    .venv/bin/python bench/page_cost.py EMAIL PATH [PATH ...]          # on the big dataset (bench/dataset.py)
    .venv/bin/python bench/page_cost.py --url postgresql://... EMAIL /desk/day /hr
    .venv/bin/python bench/page_cost.py EMAIL /exam/review/12 --profile --top 30
    .venv/bin/python bench/page_cost.py EMAIL /me --sql                 # the statements, with their count
    .venv/bin/python bench/page_cost.py - /login                        # anonymous
    .venv/bin/python bench/page_cost.py EMAIL --crawl --n 30            # every page the account reaches, dearest first
    .venv/bin/python bench/page_cost.py EMAIL PATH... --save DIR       # each page's HTML, CSRF tokens blanked

Each path is asked ``--n`` times (after two unmeasured requests), in ``--rounds`` rounds; per request it
prints the app's CPU (the process's CPU time: the test client runs in this process, so Flask, the views,
templates and the database driver's side, without gunicorn or the network) and PostgreSQL's CPU (the
backends' CPU read from /proc before and after: the database's side of every statement and commit),
minimum and median of the rounds, and the statements of one request. A path starting with ``HX:`` is
asked as htmx asks (HX-Request), and ``--zh`` asks in Chinese. What it tells is where a page's time goes
between Python and the database, on the same machine in the same minutes: compare two trees by running it
in each (``ROOT`` is this file's tree), alternately, on a quiet machine (under load, the figures swell).
"""

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_app  # noqa: E402
from checkup.models.accounts import User  # noqa: E402
from checkup.models.base import db  # noqa: E402
from tests.support.live_server import signed_in_cookie  # noqa: E402
from tests.support.page_crawl import Statements, crawl  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/checkup_big"
TICKS = os.sysconf("SC_CLK_TCK")
# a CSRF token changes with the session: blanked so that two trees' pages compare byte for byte
CSRF = re.compile(
    r'((?:name="[\w-]*csrf_token"[^>]*value=|content=|data-csrf-token=|"X-CSRFToken": )"?)[A-Za-z0-9._-]{20,}'
)


def backend_ticks(admin, name):
    """CPU ticks (user + system) of the backends whose application_name is ``name`` (this process's app)."""
    with admin.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,))
        pids = [row[0] for row in cursor.fetchall()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("email", help="a demo account, or - for no one")
    parser.add_argument("paths", nargs="*")
    parser.add_argument(
        "--crawl", action="store_true", help="every full page the account reaches (as bench/pages_scale.py)"
    )
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--n", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--zh", action="store_true", help="ask in Chinese (Accept-Language: zh)")
    parser.add_argument("--sql", action="store_true", help="print the statements of one request")
    parser.add_argument(
        "--save", metavar="DIR", help="only save each page's HTML in DIR (CSRF tokens blanked), to compare trees"
    )
    parser.add_argument("--profile", action="store_true", help="a cProfile of --n requests per path")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    import psycopg2

    folder = tempfile.mkdtemp(prefix="checkup-page-cost-")
    # the app's connections carry a name of their own: other processes on the same database are not counted
    name = f"page_cost_{os.getpid()}"
    app = bench_app(
        folder,
        args.url + ("&" if "?" in args.url else "?") + f"application_name={name}",
        JOBS_INLINE=True,
        RATELIMIT_ENABLED=False,
    )
    http = app.test_client()
    if args.email != "-":
        with app.app_context(), db.connection_context():
            cookie = signed_in_cookie(app, User.get(User.email == args.email))
        for key, value in cookie.items():
            http.set_cookie(key, value)
    admin = psycopg2.connect(args.url)
    admin.autocommit = True
    if args.crawl:
        args.paths += [page.path for page in crawl(app, http) if not page.fragment]
    lines = []

    for spec in args.paths:
        fragment, path = spec.startswith("HX:"), spec.removeprefix("HX:")
        headers = {"HX-Request": "true"} if fragment else {}
        if args.zh:
            headers["Accept-Language"] = "zh"

        def ask(path=path, headers=headers):
            return http.get(path, headers=headers)

        for _ in range(2):
            status = ask().status_code
        if args.save:
            body = CSRF.sub(r"\1-", ask().get_data(as_text=True))
            target = Path(args.save) / (re.sub(r"[^A-Za-z0-9._-]", "_", spec) + (".zh" if args.zh else "") + ".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
            print(status, target)
            continue
        with Statements() as recorded:
            ask()
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.n):
                ask()
            profile.disable()
            print(f"\n== {spec} ({args.n} requests)")
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
            continue
        app_ms, db_ms = [], []
        for _ in range(args.rounds):
            ticks, cpu = backend_ticks(admin, name), time.process_time()
            for _ in range(args.n):
                ask()
            app_ms.append((time.process_time() - cpu) * 1000 / args.n)
            db_ms.append((backend_ticks(admin, name) - ticks) * 1000 / TICKS / args.n)
        line = (
            f"{status} {spec:60} app {min(app_ms):5.2f}/{statistics.median(app_ms):5.2f} ms  "
            f"db {min(db_ms):5.2f}/{statistics.median(db_ms):5.2f} ms  {len(recorded.recorded):2d} statements"
        )
        lines.append((statistics.median(app_ms) + statistics.median(db_ms), line))
        print(line, flush=True)
        if args.sql:
            for statement in recorded.recorded:
                print("   ", str(statement)[:300])
    admin.close()
    if args.crawl:
        print("\ndearest first (app + db, medians):")
        for _cost, line in sorted(lines, reverse=True):
            print(line)


if __name__ == "__main__":
    main()
