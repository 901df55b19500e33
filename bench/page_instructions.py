"""Instructions the app runs per request of one page, counted by valgrind's callgrind: the same figure whatever
else the machine is doing (CPU time swells under load; instruction counts do not), so two trees can be compared
while other work runs.

    .venv/bin/python bench/page_instructions.py EMAIL PATH [PATH ...]      # on the big dataset (bench/dataset.py)
    .venv/bin/python bench/page_instructions.py - /login --n 50
    ROOT=/path/to/other/tree .venv/bin/python bench/page_instructions.py EMAIL PATH   # that tree's code

For each path, this script runs itself under ``valgrind --tool=callgrind --instr-atstart=no``: the app is
built and signed in, the page asked three times unmeasured, then counting is switched on (``callgrind_control
-i on``) for ``--n`` requests and off again; a run with no request measures what switching costs, which is
subtracted. Only this process's instructions count: PostgreSQL's side is not in the figure (bench/page_cost.py
measures its CPU). ``ROOT`` (default: this file's tree) is the tree whose ``checkup`` is imported. Needs
valgrind (Debian's package); about 20 s a path.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(os.environ.get("ROOT") or Path(__file__).resolve().parents[1])
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/checkup_big"


def _inside(email, path, n, url):
    """Under valgrind: sign in, warm up, count ``n`` requests."""
    sys.path.insert(0, str(ROOT))
    from bench.common import bench_app
    from checkup.models.accounts import User
    from checkup.models.base import db
    from tests.support.live_server import signed_in_cookie

    app = bench_app(tempfile.mkdtemp(prefix="checkup-instr-"), url, JOBS_INLINE=True, RATELIMIT_ENABLED=False)
    http = app.test_client()
    if email != "-":
        with app.app_context(), db.connection_context():
            cookie = signed_in_cookie(app, User.get(User.email == email))
        for key, value in cookie.items():
            http.set_cookie(key, value)
    fragment, path = path.startswith("HX:"), path.removeprefix("HX:")
    headers = {"HX-Request": "true"} if fragment else {}
    for _ in range(3):
        http.get(path, headers=headers)
    switch = ["callgrind_control", "-i"]
    subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
    for _ in range(n):
        http.get(path, headers=headers)
    subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)


def _counted(email, path, n, url):
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--inside",
        "--n",
        str(n),
        "--url",
        url,
        email,
        path,
    ]
    run = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, ROOT=str(ROOT)))
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode or not found:
        raise SystemExit(f"valgrind failed for {path}:\n{run.stderr[-2000:]}")
    return int(found.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("email", help="a demo account, or - for no one")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--n", type=int, default=20, help="requests counted per path")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        _inside(args.email, args.paths[0], args.n, args.url)
        return
    for path in args.paths:
        switching = _counted(args.email, path, 0, args.url)
        total = _counted(args.email, path, args.n, args.url)
        print(f"{path:60} {(total - switching) / args.n / 1e6:7.2f} M instructions a request ({ROOT})", flush=True)


if __name__ == "__main__":
    main()
