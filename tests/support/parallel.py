"""Running the suite on several pytest-xdist workers (`make test`: ``-n auto``).

Each worker is a process of its own with its own PostgreSQL database and Redis DB indexes (see
tests/conftest.py); this module holds what the workers and the controller agree on:

* which worker this is (``XDIST_WORKER``, ``WORKER_NUMBER``) and its Redis DB index;
* which tests must run on one worker, together and in their order (``group_of``): the steps of a browser
  journey share its servers and state through a module-scoped fixture, and the browser tests on the
  in-process live server share one seeded demo center that they change.

pytest-xdist's own ``--dist loadgroup`` marks groups by rewriting node ids, which pytest 9.2 no longer
lets a plugin do (pytest-dev/pytest-xdist#1386): it silently splits the groups. So the workers write
the groups they collected to a file and the controller's scheduler (``GroupScheduling``, used for
``--dist load`` and ``--dist loadgroup``) reads it before handing out work.
"""

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ...; "" without xdist
WORKER_NUMBER = int(XDIST_WORKER[2:]) if XDIST_WORKER[2:].isdigit() else 0

# Each worker owns REDIS_DB_STRIDE consecutive Redis DB indexes counted down from the base index: the first
# for REDIS_URL, the next one up for a test that wants a DB of its own (tests/privacy/test_log_privacy_journey.py
# takes REDIS_URL's index + 1). Base 14 (the default): gw0 14 and 15, gw1 12 and 13, gw2 10 and 11, ...;
# base 13 (CI): gw0 13 and 14, gw1 11 and 12, ...
REDIS_DB_STRIDE = 2

LIVE_SERVER_GROUP = "browser-live-server"


def worker_redis_url(base_url, worker_number=WORKER_NUMBER):
    """``base_url`` with this worker's DB index."""
    parts = urlsplit(base_url)
    base = int(parts.path.strip("/") or 0)
    index = base - REDIS_DB_STRIDE * worker_number
    if index < 0:
        raise RuntimeError(
            f"Redis DB {base} (CHECKUP_TEST_REDIS_URL) leaves no DB index for pytest-xdist worker {worker_number}:"
            f" each worker takes {REDIS_DB_STRIDE} indexes counting down from it; run fewer workers (-n) or"
            " start from a higher index"
        )
    return parts._replace(path=f"/{index}").geturl()


def worker_postgres_url(given_url, pid):
    """(URL, own) for this process's PostgreSQL test database; ``own``: the suite creates and drops it.

    Without a given URL every pytest process (each xdist worker too) gets checkup_test_<pid>; with one,
    a single process uses it as it is (whoever gave it made it), and xdist workers each use
    <name>_gw0, <name>_gw1, ... on the same server."""
    if not given_url:
        return f"postgresql://postgres@127.0.0.1:5432/checkup_test_{pid}", True
    if not XDIST_WORKER:
        return given_url, False
    parts = urlsplit(given_url)
    return parts._replace(path=f"/{parts.path.lstrip('/')}_{XDIST_WORKER}").geturl(), True


def group_of(item):
    """The name of the group ``item`` must run in, or None when it may run on any worker.

    * Browser tests on the session's in-process live server: one group, so they run on one worker in
      the order one process runs them (one seeding of the demo; no test meets another's changes in an
      order it never met before).
    * Tests sharing a module-scoped fixture (a journey's servers and state, one catalog extraction): one
      group per module and module-scoped parameter, so a journey's sqlite and postgresql stacks may run
      on different workers but each one's steps run in order on one."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    if "live_server" in info.names_closure:
        return LIVE_SERVER_GROUP
    shared = sorted(
        name
        for name in info.names_closure
        if any(definition.scope == "module" for definition in info.name2fixturedefs.get(name, ()))
    )
    if not shared:
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    return item.nodeid.split("::", 1)[0] + "".join(f"[{params[name]}]" for name in shared if name in params)


def _groups_file(testrunuid):
    return Path(tempfile.gettempdir()) / f"checkup-xdist-groups-{testrunuid}.json"


def record_groups(config, items):
    """On a worker: write {node id: group} of the collected tests for the controller's scheduler."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return
    groups = {item.nodeid: group for item in items if (group := group_of(item))}
    path = _groups_file(workerinput["testrunuid"])
    partial = path.with_name(f"{path.name}.{workerinput['workerid']}")
    partial.write_text(json.dumps(groups))
    os.replace(partial, path)  # every worker collects the same tests: whichever lands last is as good


def make_scheduler(config, log):
    """The controller's scheduler for ``--dist load``/``loadgroup``: xdist's load-by-scope scheduling,
    where a scope is a group from ``group_of`` or else a single test. Groups go out first, largest first
    (pytest-xdist's --loadscope-reorder), each to one worker, in collection order."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        groups = None

        def _split_scope(self, nodeid):
            if self.groups is None:
                self.groups = self._read_groups()
            return self.groups.get(nodeid, nodeid)

        def _read_groups(self):
            testrunuid = self.nodes[0].workerinput["testrunuid"] if self.nodes else None
            path = _groups_file(testrunuid)
            try:
                groups = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                raise RuntimeError(f"the workers' test groups are missing ({path}): {error}") from error
            path.unlink(missing_ok=True)
            self.log(f"{len(set(groups.values()))} groups of tests that share a worker")
            return groups

    return GroupScheduling(config, log)
