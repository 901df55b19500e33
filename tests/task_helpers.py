"""Real Redis and real `flask worker` subprocesses for task tests."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REDIS_URL, WORKER_NUMBER, reachable, service_missing

ROOT = os.path.dirname(os.path.dirname(__file__))


@pytest.fixture
def redis_app(app):
    """The test app with Redis configured: tasks are woken through rq instead of running inline."""
    if not reachable(REDIS_URL, 6379):
        service_missing(f"Redis is not reachable at {REDIS_URL}")
    from redis import Redis

    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()
    app.config["REDIS_URL"] = REDIS_URL
    yield app
    connection.flushdb()


def worker_env(app, **extra):
    """The environment of a worker (or any CLI subprocess) that shares the test app's database and folders."""
    env = dict(
        os.environ,
        CHECKUP_DATABASE_URL=app.config["DATABASE_URL"],
        CHECKUP_REDIS_URL=app.config.get("REDIS_URL") or "",
        CHECKUP_SECRET_KEY=app.config["SECRET_KEY"],
        CHECKUP_NATIONAL_ID_KEY=app.config["NATIONAL_ID_KEY"],
        CHECKUP_OUTBOX_DIR=app.config["OUTBOX_DIR"],
        CHECKUP_BASE_URL=app.config["BASE_URL"],
        CHECKUP_CLIENT_LOCALE=app.config["CLIENT_LOCALE"],
        CHECKUP_REPORTS_DIR=app.config["REPORTS_DIR"],
        CHECKUP_GROUP_DOCS_DIR=app.config["GROUP_DOCS_DIR"],
    )
    if not env["CHECKUP_REDIS_URL"]:
        env.pop("CHECKUP_REDIS_URL")
    env.pop("CHECKUP_MAIL_SERVER", None)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_worker(app, **extra):
    """One `flask worker --burst`: runs what is queued on Redis, then exits."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        env=worker_env(app, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_cli(app, *args, **extra):
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        env=worker_env(app, **extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Redis outages: a throw-away server we start and stop, a port that refuses, one that hangs ------

CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: every connection is refused at once


# throw-away Redis servers listen on 6390-6489, each pytest-xdist worker on a block of its own (gw1 on
# 6490-6589, ...): one worker's server restarted on its port is never taken by another worker's
THROWAWAY_PORTS = 100
THROWAWAY_FIRST_PORT = 6390 + THROWAWAY_PORTS * WORKER_NUMBER


def free_port(start=None, stop=None):
    """A local TCP port nobody listens on, from ``start`` up (throw-away Redis servers live there)."""
    import socket

    start = THROWAWAY_FIRST_PORT if start is None else start
    stop = THROWAWAY_FIRST_PORT + THROWAWAY_PORTS if stop is None else stop
    for port in range(start, stop):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {start}-{stop}")


class ThrowAwayRedis:
    """A redis-server of our own on its own port, without persistence: ``start()``, ``stop()`` (by the
    pid we started), and ``start()`` again for an empty Redis on the same port."""

    def __init__(self, port=None):
        self.fixed_port = port is not None
        self.port = port or free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout=10):
        """Start it and wait for its PING; a port taken meanwhile (redis-server exits) means another one."""
        import time

        from redis import Redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--protected-mode",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if (
                        Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1).ping()
                        and self.process.poll() is None
                    ):  # ours answers, not someone else's
                        return self
                except Exception:
                    time.sleep(0.05)
            if self.process.poll() is None:
                break
            self.process = None
            if self.fixed_port:
                time.sleep(0.2)  # the old server's socket may still be closing
            else:
                self.port = free_port(self.port + 1)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self):
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class HangingServer:
    """A TCP server on a local port that accepts every connection and never answers (a Redis that hangs)."""

    def __init__(self):
        import socket
        import threading

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(128)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def _accept(self):
        while True:
            try:
                connection, _address = self.socket.accept()
            except OSError:  # closed
                return
            self.connections.append(connection)  # kept open, never read from, never answered

    def close(self):
        import socket

        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.socket.close()
        for connection in self.connections:
            connection.close()
        self._thread.join(timeout=5)


def hold_tasks(monkeypatch):
    """Owed tasks are written but not woken (as when no worker is running): returns the list the
    wake-ups go to, as (kind, args) pairs in the order owed."""
    import json

    from checkup.core import tasks
    from checkup.models import Task

    held = []

    def remember(task_id):
        task = Task.get_by_id(task_id)
        held.append((task.kind, tuple(json.loads(task.args_json))))

    monkeypatch.setattr(tasks, "wake", remember)
    return held


class BurstWorker:
    """What one ``flask worker --burst`` did: ``returncode`` (None when it had to be killed after saying it
    was done), ``output`` (stdout and stderr), ``quit_seconds`` (from "done, quitting" to exit)."""

    def __init__(self, returncode, output, quit_seconds):
        self.returncode, self.output, self.quit_seconds = returncode, output, quit_seconds

    @property
    def finished_its_work(self):
        """It ran every job and quit (exit 0), or said so and then hung on its way out."""
        return self.returncode == 0 or (self.returncode is None and "done, quitting" in self.output)


def run_burst_worker(app, grace=5, timeout=90, **extra):
    """`flask worker --burst` that is not waited for after it has said "done, quitting" + ``grace`` s.

    rq 3.0 with redis-py 8.2 may sit up to 60 s in its pub/sub thread's join on the way out (see
    test_a_burst_worker_exits_promptly_once_the_queue_is_empty); tests about the work itself should not
    wait for that, so the worker is killed (by its pid) if it outstays ``grace``."""
    import threading
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"],
        env=worker_env(app, **extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines, marks = [], {}

    def read():
        for line in process.stdout:
            lines.append(line)
            if "done, quitting" in line:
                marks.setdefault("done", time.monotonic())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if "done" in marks and time.monotonic() - marks["done"] > grace:
            break
        time.sleep(0.05)
    returncode = process.poll()
    ended = time.monotonic()
    if returncode is None:
        process.kill()
        process.wait()
    reader.join(timeout=5)
    quit_seconds = ended - marks["done"] if "done" in marks else None
    return BurstWorker(returncode, "".join(lines), quit_seconds)


@pytest.fixture
def own_redis_app(app):
    """The test app with a Redis of its own (a throw-away redis-server on its own port): like
    ``redis_app``, but no other pytest session's workers or flushes share its queue."""
    server = ThrowAwayRedis().start()
    app.config["REDIS_URL"] = server.url
    try:
        yield app
    finally:
        server.stop()
