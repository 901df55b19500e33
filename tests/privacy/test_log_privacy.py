"""No token, national ID number or phone number in a log line: what gunicorn's access and error logs show of
a request (checkup.web.log_redaction.RedactingLogger), the app's own log records, and the deploy files that
turn the redaction on. The whole journey against a real gunicorn is tests/privacy/test_log_privacy_journey.py."""

import datetime
import io
import logging
import re
import shlex
import types
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter, PathConverter

from checkup.web.log_redaction import (
    HIDDEN,
    RedactingFilter,
    RedactingLogger,
    protect_app_logs,
    redact_path,
    redact_query,
    redact_text,
    redact_url,
)
from tests.web.test_deploy_files import UNITS, check_gunicorn_command, commands_of, procfile, unit, values

ROOT = Path(__file__).resolve().parents[2]
NUMBER = "11010519880808312X"
PHONE = "13800138000"
TOKENS = [
    "Qy7pV3kPq0_Z9xS2mB8wL1nR4tY6uE5aC0dF3gH7jK2",  # secrets.token_urlsafe(32)
    "eyJ1Ijo0MiwibiI6ImFiYyJ9.ZmH2kQ.Xq3v9aTuG4b8s2LrN0c7Wd1YhE5",  # an itsdangerous-signed payload
    "MQ.ZmH2kQ.r8Vt0c1PzQnXk2LmA7sB9dE3fG4",
]
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


def _example_path(rule, token):
    """The rule's path with every argument filled: ``token`` for a token, a plausible value otherwise."""

    def value(match):
        name = match.group("name")
        converter = rule._converters[name]
        if name == "token":
            return token
        if isinstance(converter, IntegerConverter):
            return "12345"
        if isinstance(converter, PathConverter):
            return "css/app.css"
        return "LAB"

    return _ARGUMENT.sub(value, rule.rule)


def test_every_token_route_of_the_app_is_redacted_and_no_other_route_is_touched(app):
    token_rules = [r for r in app.url_map.iter_rules() if "token" in r.arguments]
    assert {r.endpoint for r in token_rules} >= {
        "auth.reset_password",
        "invitations.landing",
        "surveys.survey",
        "offer_links.open",
        "preferences.index",
        "preferences.one_click_unsubscribe",
    }
    for rule in token_rules:
        for token in TOKENS + ["short-one"]:
            path = _example_path(rule, token)
            shown = redact_path(path)
            assert token not in shown and HIDDEN in shown, (rule.rule, shown)
            assert redact_url(f"{path}?utm_source=mail&x={token}") == f"{shown}?{HIDDEN}"
    for rule in app.url_map.iter_rules():
        if "token" not in rule.arguments:
            path = _example_path(rule, "")
            assert redact_path(path) == path, rule.rule


def test_a_signed_or_random_segment_on_a_route_not_listed_is_hidden_too():
    assert redact_path(f"/some/new/link/{TOKENS[0]}") == f"/some/new/link/{HIDDEN}"
    assert redact_path("/survey/thanks") == "/survey/thanks"
    assert redact_path("/me/privacy/export/12/download") == "/me/privacy/export/12/download"


@pytest.mark.parametrize(
    "path,query,shown",
    [
        ("/login", f"next=%2Fme%2Fwaitlist%2Foffer%2F{TOKENS[0]}", HIDDEN),
        ("/directory/clients", f"q={NUMBER}&org=3", HIDDEN),
        ("/desk/appointments", f"q={PHONE}", HIDDEN),
        ("/desk/day/walk-in", f"q={PHONE}", HIDDEN),
        ("/hr/employees", "q=Ann&contract=2", HIDDEN),
        ("/hr/employees.xlsx", "q=Ann&contract=2", HIDDEN),
        ("/admin/accounts", "q=zhang%40example.com", HIDDEN),
        ("/exam/ranges", "q=ALT", f"q={HIDDEN}"),
        ("/desk/day", "day=2026-03-02", "day=2026-03-02"),
        ("/care/followups", "level=A&next=%2Fx", f"level=A&next={HIDDEN}"),
        ("/directory/organizations", "", ""),
    ],
)
def test_query_strings_that_may_name_a_person_are_dropped(path, query, shown):
    assert redact_query(path, query) == shown


def test_free_text_loses_tokens_ids_phones_and_private_parameters():
    text = (
        f"GET /password/reset/{TOKENS[1]} from /login?next=/invite/{TOKENS[0]}&q={PHONE} "
        f"id {NUMBER} {NUMBER.lower()} phone {PHONE} +86 {PHONE} +86{PHONE}; task 12 took 1300013800 ms"
    )
    clean = redact_text(text)
    for secret in TOKENS[:2] + [NUMBER, NUMBER.lower(), PHONE]:
        assert secret not in clean
    assert "/password/reset/…" in clean and "task 12 took 1300013800 ms" in clean  # 10 digits: not a phone


def _access_line(tmp_path, environ_extra=None, access_format=None):
    """One access-log line written by RedactingLogger for a GET of ``RAW_URI``."""
    from gunicorn.config import Config

    config = Config()
    log_file = tmp_path / "access.log"
    config.set("accesslog", str(log_file))
    if access_format:
        config.set("access_log_format", access_format)
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "test",
    }
    environ.update(environ_extra or {})
    response = types.SimpleNamespace(
        status="303 SEE OTHER", sent=0, headers=[("Location", "/password/reset"), ("Set-Cookie", "s=secret")]
    )
    request = types.SimpleNamespace(
        headers=[(k[5:].replace("_", "-"), v) for k, v in environ.items() if k.startswith("HTTP_")]
    )
    logger.access(response, request, environ, datetime.timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text()


def test_the_access_line_of_a_link_shows_no_token_query_referer_or_cookie(tmp_path):
    token = TOKENS[0]
    line = _access_line(
        tmp_path,
        {
            "RAW_URI": f"/invite/{token}?ref={token}",
            "PATH_INFO": f"/invite/{token}",
            "QUERY_STRING": f"ref={token}",
            "HTTP_REFERER": f"http://127.0.0.1/login?next=%2Fme%2Fwaitlist%2Foffer%2F{TOKENS[2]}",
            "HTTP_COOKIE": f"checkup_session={TOKENS[1]}",
        },
    )
    assert '"GET /invite/…?… HTTP/1.1" 303' in line and '"http://127.0.0.1/login?…"' in line
    assert all(t not in line for t in TOKENS)
    custom = _access_line(
        tmp_path,
        {
            "RAW_URI": f"/directory/clients?q={NUMBER}",
            "PATH_INFO": "/directory/clients",
            "QUERY_STRING": f"q={NUMBER}",
            "HTTP_REFERER": f"http://127.0.0.1/survey/{token}",
            "HTTP_COOKIE": f"checkup_session={TOKENS[1]}",
            "HTTP_HX_CURRENT_URL": f"http://127.0.0.1/preferences/{TOKENS[2]}",
        },
        access_format="%(r)s|%(U)s|%(q)s|%(f)s|%({cookie}i)s|%({hx-current-url}i)s|%({referer}i)s|"
        "%({query_string}e)s|%({raw_uri}e)s|%({set-cookie}o)s",
    )
    assert NUMBER not in custom and all(t not in custom for t in TOKENS) and "secret" not in custom
    fields = custom.splitlines()[-1].split("|")
    assert fields == [
        "GET /directory/clients?… HTTP/1.1",
        "/directory/clients",
        HIDDEN,
        "http://127.0.0.1/survey/…",
        HIDDEN,
        "http://127.0.0.1/preferences/…",
        "http://127.0.0.1/survey/…",
        HIDDEN,
        "/directory/clients?…",
        HIDDEN,
    ]


def test_the_error_log_and_the_apps_log_records_are_scrubbed(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("checkup.tests.log_privacy")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("task %s failed: %s", 7, f"no client with phone {PHONE} at /survey/{TOKENS[0]}")
        try:
            raise ValueError(f"duplicate national ID {NUMBER}")
        except ValueError:
            log.exception("Unhandled error on GET %s", f"/password/reset/{TOKENS[1]}")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "task 7 failed" in written and "ValueError: duplicate national ID …" in written
    assert all(secret not in written for secret in TOKENS[:2] + [NUMBER, PHONE])

    from flask.logging import default_handler

    protect_app_logs(app)
    protect_app_logs(app)
    assert sum(isinstance(f, RedactingFilter) for f in default_handler.filters) == 1


def test_a_process_running_the_app_writes_its_log_records_scrubbed(app):
    """What a worker (or gunicorn) process does: create the app, then its modules log; stderr stays clean."""
    import subprocess
    import sys

    from tests.task_helpers import worker_env

    script = (
        "import logging, wsgi\n"
        "logging.getLogger('checkup.core.tasks').warning('task 3 failed: %s at %s', "
        f"'no client with phone {PHONE} or ID {NUMBER}', '/invite/{TOKENS[0]}')\n"
        "wsgi.app.logger.error('Unhandled error on GET /password/reset/%s', "
        f"'{TOKENS[1]}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=worker_env(app), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "task 3 failed: no client with phone … or ID … at /invite/…" in done.stderr
    assert "Unhandled error on GET /password/reset/…" in done.stderr
    assert all(secret not in done.stderr for secret in TOKENS[:2] + [NUMBER, PHONE])


def test_the_gunicorn_error_log_is_scrubbed_at_debug_level(tmp_path):
    from gunicorn.config import Config

    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    config.set("loglevel", "debug")
    logger = RedactingLogger(config)
    logger.debug("%s %s", "GET", f"/preferences/{TOKENS[2]}/unsubscribe")  # gunicorn's own pre_request hook
    for handler in logger.error_log.handlers:
        handler.flush()
    written = (tmp_path / "error.log").read_text()
    assert "GET /preferences/…/unsubscribe" in written and TOKENS[2] not in written


LOGGER = "checkup.web.log_redaction.RedactingLogger"


def _assert_redacting(argv):
    from gunicorn.glogging import Logger
    from gunicorn.util import load_class

    options = check_gunicorn_command(argv)
    assert options.logger_class == LOGGER, argv
    assert options.accesslog == "-"
    assert issubclass(load_class(options.logger_class, section="gunicorn.loggers"), Logger)


def test_every_gunicorn_we_ship_writes_its_logs_through_the_redacting_logger():
    make_run = next(line for line in (ROOT / "Makefile").read_text().splitlines() if "gunicorn" in line)
    _assert_redacting(shlex.split(make_run.replace("$(BIN)/", "")))
    _assert_redacting(commands_of(procfile()["web"])[-1])
    service = unit(UNITS["web"])["Service"]
    _assert_redacting(shlex.split(values(service, "ExecStart")[0]))
