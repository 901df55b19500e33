"""A real gunicorn server process on 127.0.0.1 and a tiny cookie-keeping HTTP client (stdlib only)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _PortTaken(Exception):
    pass


class GunicornServer:
    """``with GunicornServer(app.config) as base_url:`` serves the same database as the test's app."""

    def __init__(self, config, workers=2, threads=8, **env):
        self.port = free_port()
        self.env = dict(
            os.environ,
            CHECKUP_DATABASE_URL=config["DATABASE_URL"],
            CHECKUP_SECRET_KEY=config["SECRET_KEY"],
            CHECKUP_NATIONAL_ID_KEY=config["NATIONAL_ID_KEY"],
            CHECKUP_OUTBOX_DIR=config["OUTBOX_DIR"],
            CHECKUP_CLIENT_LOCALE=config["CLIENT_LOCALE"],
            CHECKUP_LOGIN_LIMIT_PER_IP="100000/minute",
            CHECKUP_LOGIN_LIMIT_PER_ACCOUNT="1000/minute",
            **env,
        )
        self.env.pop("CHECKUP_REDIS_URL", None)
        self.env.pop("CHECKUP_MAIL_SERVER", None)
        self.workers, self.threads = workers, threads
        self.process = None

    @property
    def args(self):
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(self.workers),
            "--threads",
            str(self.threads),
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ]

    def __enter__(self):
        # free_port() only found a port free a moment ago: another process (another pytest-xdist worker's
        # server, an outgoing connection) may take it before gunicorn binds it; then try another one
        for attempt in range(3):
            self.process = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            try:
                return self._wait_until_up()
            except _PortTaken:
                self.port = free_port()
        raise RuntimeError(f"gunicorn found no free port in 3 attempts (last {self.port})")

    def _wait_until_up(self):
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read()
                if "Connection in use" in output or "Address already in use" in output:
                    raise _PortTaken(output)
                raise RuntimeError("gunicorn exited:\n" + output)
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    return base
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def output(self):
        return self.process.stdout.read() if self.process and self.process.poll() is not None else ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browserless:
    """One user agent: keeps its cookies, never follows redirects, returns (status, headers, body)."""

    def __init__(self, base, cookies=None):
        self.base = base
        self.cookies = dict(cookies or {})
        self.opener = urllib.request.build_opener(_NoRedirect())

    def _remember(self, headers):
        for value in headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def request(self, method, path, data=None, timeout=60):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with self.opener.open(req, timeout=timeout) as response:
                self._remember(response.headers)
                return response.status, response.headers, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            self._remember(error.headers)
            return error.code, error.headers, error.read().decode("utf-8", "replace")

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, data):
        return self.request("POST", path, data)

    def csrf(self, html):
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    def login(self, email, password):
        _, _, html = self.get("/login")
        status, headers, _ = self.post("/login", {"email": email, "password": password, "csrf_token": self.csrf(html)})
        assert status == 303, f"login failed for {email}: {status}"


def signed_in_cookie(app, user):
    """A session cookie for ``user`` made the way a real login makes it (server-side session row included).

    Saves an argon2 verification per user when a test needs dozens of signed-in clients.
    """
    from checkup.services.accounts import sessions

    token = sessions.start_session(user, "127.0.0.1", "test")
    value = app.session_interface.get_signing_serializer(app).dumps({"_user_id": token, "_fresh": True})
    return {app.config["SESSION_COOKIE_NAME"]: value}
