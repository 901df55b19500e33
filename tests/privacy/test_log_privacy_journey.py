"""A day of searches and emailed links against a real gunicorn (access log to a file, the shipped
``--logger-class``, debug error log) and a real ``flask worker`` on Redis: then not one log line holds the
searched national ID number, the searched phone number or any token the day's emails carried.

The staff search by ID number and by phone; a password is reset through its emailed link; an employee
accepts a group invitation; a client answers the satisfaction survey, changes their email preferences and
unsubscribes in one click; a waitlist offer is opened signed out, then claimed after signing in; an old
bookmark still has a search in its address; pages at dead links load their stylesheet with the link as
Referer. Every answer's ``Location`` is checked too: no token or personal identifier is ever sent back
into an address.
"""

import datetime
import email
import email.policy
import re
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from checkup.core.audit import Actor
from checkup.models import Slot
from checkup.models.base import db
from checkup.services.booking import booking, waitlist
from checkup.services.care import surveys
from checkup.services.groups import invitations
from tests import factories
from tests.conftest import PASSWORD, REDIS_URL, reachable, service_missing
from tests.enrollment_helpers import Roster
from tests.report_helpers import ReportWorld
from tests.support.live_server import ROOT, Browserless, free_port
from tests.survey_helpers import published_report
from tests.task_helpers import worker_env

BORN = datetime.date(1979, 4, 21)
NUMBER = factories.national_id_for(BORN, "male", region="310104", sequence=57)
PHONE = "13912340987"
DEAD_TOKEN = "Wq9v2LkTn4Rz7Yb1Xc5Md8Fh3Js6Gp0Ae2Ku4No7Bi"  # shaped like a real one; names no offer


def _private_redis_url():
    """This test's own Redis database, so no other test's worker or flush touches its wake-ups."""
    parts = urlsplit(REDIS_URL)
    own = (int(parts.path.strip("/") or 0) + 1) % 16
    return parts._replace(path=f"/{own}").geturl()


class Portal:
    """gunicorn (as Procfile/deploy run it, plus access log to a file and debug logging) and one worker."""

    def __init__(self, app, folder, redis_url):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = worker_env(
            app, CHECKUP_LOGIN_LIMIT_PER_IP="100000/minute", CHECKUP_LOGIN_LIMIT_PER_ACCOUNT="1000/minute"
        )
        self.env["CHECKUP_REDIS_URL"] = redis_url
        self.access_log = folder / "access.log"
        self.logs = {"gunicorn": folder / "gunicorn.log", "worker": folder / "worker.log"}
        self.processes = []

    def _spawn(self, name, args):
        out = open(self.logs[name], "w")
        process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append((process, out))

    def start(self):
        self._spawn(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--no-control-socket",
                "--access-logfile",
                str(self.access_log),
                "--error-logfile",
                "-",
                "--log-level",
                "debug",
                "--logger-class",
                "checkup.web.log_redaction.RedactingLogger",
                "wsgi:app",
            ],
        )
        self._spawn("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "worker"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s:\n" + self.logs["gunicorn"].read_text())

    def stop(self):
        for process, _out in self.processes:
            process.terminate()
        for process, out in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            out.close()

    def written(self):
        """Every log line the day produced: gunicorn's access log, its error log (with the app's log
        records) and the worker's output."""
        return {path.name: path.read_text(errors="replace") for path in [self.access_log, *self.logs.values()]}


class Agent(Browserless):
    """One user agent that also remembers every ``Location`` it was sent to."""

    locations = []

    def request(self, method, path, data=None, timeout=60):
        status, headers, body = super().request(method, path, data, timeout)
        if headers.get("Location"):
            Agent.locations.append(headers["Location"])
        return status, headers, body

    def form_fields(self, html):
        fields = {"csrf_token": self.csrf(html)}
        link = re.search(r'name="link" value="([0-9a-f]+)"', html)
        if link:
            fields["link"] = link.group(1)
        return fields

    def follow_link(self, path, lands_on):
        """Open an emailed link: its token is traded for the session and the page shown without it."""
        status, headers, _ = self.get(path)
        assert status == 303 and headers["Location"] == lands_on, (path, status)
        status, _, html = self.get(lands_on)
        assert status == 200, (lands_on, status, html[:300])
        return html


def _mail(app, to, pattern, portal, redis_url, timeout=90):
    """The path of the first link matching ``pattern`` in a message to ``to`` (waiting for the worker)."""
    from pathlib import Path

    from redis import Redis

    from checkup.core import tasks

    deadline, nudged = time.monotonic() + timeout, time.monotonic()
    while time.monotonic() < deadline:
        for path in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == to:
                found = re.search(r"https?://[^/\s]+(" + pattern + r")", message.get_body(("plain",)).get_content())
                if found:
                    return found.group(1)
        if time.monotonic() - nudged > 5:  # what `flask cron` does: have a worker run whatever is due
            tasks.queue(Redis.from_url(redis_url)).enqueue(tasks.perform_due, result_ttl=0, at_front=True)
            nudged = time.monotonic()
        time.sleep(0.3)
    raise AssertionError(f"no mail to {to} with {pattern}:\n" + "\n".join(portal.written().values())[-4000:])


@pytest.fixture
def redis_url(app):
    if not reachable(REDIS_URL, 6379):
        service_missing(f"Redis is not reachable at {REDIS_URL}")
    from redis import Redis

    url = _private_redis_url()
    Redis.from_url(url).flushdb()
    app.config["REDIS_URL"] = url  # what this process owes wakes the worker too
    yield url
    Redis.from_url(url).flushdb()


def test_searches_and_emailed_links_leave_no_id_phone_or_token_in_any_log(app, tmp_path, redis_url):
    Agent.locations = []
    scheduler = factories.make_user("scheduler", email="desk@example.com")
    factories.make_client_with_id(
        NUMBER, name="钱多多", sex="male", birth_date=BORN, phone=PHONE, email="qian@example.com"
    )
    factories.make_user("client", email="forgetful@example.com")
    world = ReportWorld(name="孙悦", email="sun.yue@example.com")
    report = published_report(world)
    roster = Roster(center=world.center)
    employee = roster.employee("Ann Invited", email="ann.invited@example.com")
    hr = Actor(factories.make_user("hr", organization=roster.org), "10.0.0.9")
    with db.atomic():
        surveys.queue_survey(report.id)
    invitations.send_invitations(hr, roster.org.id, roster.contract.id, "selected", [employee.id])
    waiting = factories.make_user("client", email="waiting@example.com")
    center = world.center
    for slot in (center.slot, center.slot2):  # the day is full …
        for _ in range(slot.capacity - Slot.get_by_id(slot.id).booked):
            booking.book(Actor(), factories.make_client().id, slot.id, "BASIC")
    waitlist.join(Actor(), waiting.client_id, center.day, "BASIC")
    Slot.update(capacity=Slot.capacity + 1).where(Slot.id == center.slot.id).execute()
    assert waitlist.offer_free_places(center.day.isoformat()) == 1  # … until a place frees up: offered by mail

    portal = Portal(app, tmp_path, redis_url).start()
    tokens = {"dead link": DEAD_TOKEN}
    try:
        # The front desk looks a client up by ID number, then by phone (the directory, the appointments,
        # the walk-in search); an old bookmark still carries a search in its address.
        desk = Agent(portal.url)
        desk.login(scheduler.email, PASSWORD)
        _, _, page = desk.get("/directory/clients")
        status, _, html = desk.post("/directory/clients", {"q": NUMBER, **desk.form_fields(page)})
        assert status == 200 and "钱多多" in html and "310104**********" in html and NUMBER not in html
        status, _, html = desk.post("/directory/clients", {"q": PHONE, **desk.form_fields(page)})
        assert status == 200 and "钱多多" in html
        _, _, page = desk.get("/desk/appointments")
        assert desk.post("/desk/appointments", {"q": PHONE, **desk.form_fields(page)})[0] == 200
        _, _, page = desk.get("/desk/day/walk-in")
        status, _, html = desk.post("/desk/day/walk-in", {"q": PHONE, **desk.form_fields(page)})
        assert status == 200 and "钱多多" in html
        assert desk.get(f"/directory/clients?q={PHONE}")[0] == 200

        # A password reset through its emailed link.
        visitor = Agent(portal.url)
        _, _, page = visitor.get("/password/forgot")
        assert (
            visitor.post("/password/forgot", {"email": "forgetful@example.com", **visitor.form_fields(page)})[0] == 303
        )
        link = _mail(app, "forgetful@example.com", r"/password/reset/[A-Za-z0-9_.\-]+", portal, redis_url)
        tokens["reset"] = link.rsplit("/", 1)[1]
        reader = Agent(portal.url)
        html = reader.follow_link(link, "/password/reset")
        status, headers, _ = reader.post(
            "/password/reset",
            {"password": "a-brand-new-password", "confirm": "a-brand-new-password", **reader.form_fields(html)},
        )
        assert status == 303 and headers["Location"] == "/login"
        Agent(portal.url).login("forgetful@example.com", "a-brand-new-password")

        # A group invitation: the employee chooses a password and lands on booking.
        link = _mail(app, "ann.invited@example.com", r"/invite/[A-Za-z0-9_\-]+", portal, redis_url)
        tokens["invitation"] = link.rsplit("/", 1)[1]
        employee_agent = Agent(portal.url)
        html = employee_agent.follow_link(link, "/invite")
        status, headers, _ = employee_agent.post(
            "/invite", {"password": PASSWORD, "confirm": PASSWORD, **employee_agent.form_fields(html)}
        )
        assert status == 303 and f"/me/group/{employee.id}/book" in headers["Location"]

        # The satisfaction survey, then the email preferences its footer links to, then one-click unsubscribe.
        link = _mail(app, "sun.yue@example.com", r"/survey/[A-Za-z0-9_\-]+", portal, redis_url)
        tokens["survey"] = link.rsplit("/", 1)[1]
        client_agent = Agent(portal.url)
        html = client_agent.follow_link(link, "/survey")
        status, headers, _ = client_agent.post(
            "/survey", {"overall": "5", "comment": "Quick and kind", **client_agent.form_fields(html)}
        )
        assert status == 303 and headers["Location"] == "/survey/thanks"
        assert client_agent.get(link)[0] == 410  # used: its page is answered at the token address
        manage = _mail(app, "sun.yue@example.com", r"/preferences/[A-Za-z0-9_.\-]+", portal, redis_url)
        tokens["preferences"] = manage.rsplit("/", 1)[1]
        html = client_agent.follow_link(manage, "/preferences")
        assert (
            client_agent.post(
                "/preferences", {"action": "save", "service_reminders": "y", **client_agent.form_fields(html)}
            )[0]
            == 303
        )
        mail_program = Agent(portal.url)
        assert mail_program.post(manage + "/unsubscribe", {"List-Unsubscribe": "One-Click"})[0] == 200

        # A waitlist offer opened signed out: traded for the session before the sign-in wall, claimed after.
        link = _mail(app, "waiting@example.com", r"/me/waitlist/offer/[A-Za-z0-9_\-]+", portal, redis_url)
        tokens["offer"] = link.rsplit("/", 1)[1]
        waiter = Agent(portal.url)
        status, headers, _ = waiter.get(link)
        assert status == 303 and headers["Location"] == "/me/waitlist/offer"
        status, headers, _ = waiter.get("/me/waitlist/offer")
        assert status == 302 and headers["Location"].startswith("/login?next=")
        sign_in_page = headers["Location"]
        _, _, page = waiter.get(sign_in_page)
        status, headers, _ = waiter.post(
            sign_in_page, {"email": "waiting@example.com", "password": PASSWORD, **waiter.form_fields(page)}
        )
        assert status == 303 and headers["Location"] == "/me/waitlist/offer"
        _, _, page = waiter.get("/me/waitlist/offer")
        status, headers, _ = waiter.post("/me/waitlist/offer", waiter.form_fields(page))
        assert status == 303 and "/me/appointments/" in headers["Location"]
        assert waiter.get(link)[0] == 410 and visitor.get(f"/me/waitlist/offer/{DEAD_TOKEN}")[0] == 410

        # What a browser does next on the pages left at a token address: it loads their stylesheet.
        for referer in (portal.url + link, f"{portal.url}/survey/{tokens['survey']}", f"{portal.url}{sign_in_page}"):
            request = urllib.request.Request(portal.url + "/static/css/app.css", headers={"Referer": referer})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200
    finally:
        portal.stop()

    logs = portal.written()
    access = logs["access.log"]
    # The journey is in the access log, its token routes redacted …
    for line in (
        '"GET /password/reset/… HTTP/1.1" 303',
        '"GET /invite/… HTTP/1.1" 303',
        '"GET /survey/… HTTP/1.1" 303',
        '"GET /survey/… HTTP/1.1" 410',
        '"GET /preferences/… HTTP/1.1" 303',
        '"POST /preferences/…/unsubscribe HTTP/1.1" 200',
        '"GET /me/waitlist/offer/… HTTP/1.1" 303',
        '"GET /me/waitlist/offer/… HTTP/1.1" 410',
        '"POST /me/waitlist/offer HTTP/1.1" 303',
        '"GET /login?… HTTP/1.1" 200',
        '"POST /directory/clients HTTP/1.1" 200',
        '"GET /directory/clients?… HTTP/1.1" 200',
        '"POST /password/reset HTTP/1.1" 303',
    ):
        assert line in access, line
    assert '"http://127.0.0.1:%d/survey/…"' % portal.port in access
    assert '"http://127.0.0.1:%d/me/waitlist/offer/…"' % portal.port in access
    assert "GET /survey/…" in logs["gunicorn.log"]  # the debug error log names each request, redacted
    assert "perform" in logs["worker.log"]  # the worker ran the mail tasks
    # … and nowhere, in any log, is the ID number, the phone number or a token.
    secrets = {"ID number": NUMBER, "ID number (lower case)": NUMBER.lower(), "phone": PHONE, **tokens}
    for name, text in logs.items():
        found = [what for what, secret in secrets.items() if secret in text]
        assert found == [], f"{name} holds {found}"
    sent_to = [what for what, secret in secrets.items() if any(secret in location for location in Agent.locations)]
    assert sent_to == [], f"a Location header held {sent_to}"
