"""Browser tests: the real app (CSRF and rate limits on) served on 127.0.0.1, driven by Chromium.

One live server per session on a fresh SQLite file with the demo center loaded. Every test gets
pytest-playwright's ``page``/``context`` (``base_url`` is the live server, so ``page.goto("/login")``
works), fails if the page logs a JS error or a CSP violation, and can call ``login_as`` and
``axe_check`` from ``tests.browser.helpers``.
"""

import os
import threading
from pathlib import Path

import pytest

from tests.conftest import service_missing

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the browser tests skip themselves without Playwright
    expect = None

# CI runs two browsers, two live servers and PostgreSQL on two cores: an htmx answer that lands in well under
# a second alone once took more than Playwright's default 5 s to appear there. Assertions wait up to 10 s.
if expect is not None:
    expect.set_options(timeout=10_000)

CHROMIUM = os.environ.get("CHECKUP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).resolve().parent


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_console_error(text): a browser console error containing text is expected in this test"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHECKUP_CHROMIUM)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The portal with the demo center, served by werkzeug in a daemon thread."""
    from werkzeug.serving import make_server

    from checkup import create_app, database
    from checkup.demo import demo
    from checkup.models.base import db

    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        {
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'live.db'}",
            "SECRET_KEY": "browser-test-secret-key",
            "NATIONAL_ID_KEY": "browser-test-national-id-key",
            "REDIS_URL": None,
            "MAIL_SERVER": None,
            "JOBS_INLINE": True,
            "CLIENT_LOCALE": "en",  # the journeys read mail in English (test_client_language: the shipped default)
            # signed_in() reuses a login for the whole run, which may outlast the idle limits (tests/accounts/test_auth.py)
            "IDLE_MINUTES_STAFF": 24 * 60,
            "IDLE_MINUTES_CLIENT": 24 * 60,
        }
    )
    with app.app_context():
        database.upgrade()
        with db.connection_context():
            demo.seed(history=True)  # the full portal (about 8 s of report PDFs): pages show real history
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    state = {"url": f"http://127.0.0.1:{server.server_port}", "app": app, "database": db.obj}
    yield state
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server):
    """Overrides pytest-playwright's ``base_url``: new contexts resolve relative URLs against it."""
    return live_server["url"]


@pytest.fixture(autouse=True)
def _bind_live_database(live_server):
    """The peewee proxy is process-wide; other tests in the same run may have re-pointed it."""
    from checkup.models.base import db

    if db.obj is not live_server["database"]:
        db.initialize(live_server["database"])


# Listens for CSP violations inside the page too (Chromium also logs them as console errors).
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline'));
});
"""


def _watch(ctx, problems):
    ctx.add_init_script(_CSP_LISTENER)

    def watch(page):
        def on_console(msg):
            if msg.type == "error":
                where = (msg.location or {}).get("url", "")
                if msg.text.startswith("Failed to load resource") and where.split("#")[0] == page.url.split("#")[0]:
                    return  # the document itself came with a 4xx (e.g. 422 for a form with errors): intended
                problems.append(f"console error on {page.url}: {msg.text} [{where}]")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"uncaught JS error on {page.url}: {exc}"))

    ctx.on("page", watch)


@pytest.fixture
def new_context(new_context, request):
    """pytest-playwright's factory, but every context's pages report errors to the test."""
    problems = request.node.browser_problems = []

    def make(**kwargs):
        ctx = new_context(**kwargs)
        _watch(ctx, problems)
        return ctx

    return make


@pytest.fixture(scope="session")
def _signed_in_states():
    return {}


@pytest.fixture
def signed_in(new_context, base_url, _signed_in_states):
    """signed_in(email, **context_args) -> a page already signed in as ``email``.

    The first call per account signs in through the form; later calls reuse that session's cookies,
    so tests that are not about signing in do not each pay for a password hash.
    """
    from tests.browser.helpers import login_as

    def make(email, **context_args):
        if email not in _signed_in_states:
            ctx = new_context()
            login_as(ctx.new_page(), base_url, email)
            _signed_in_states[email] = ctx.storage_state()
            ctx.close()
        return new_context(storage_state=_signed_in_states[email], **context_args).new_page()

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test whose pages logged a JS error, a console error or a CSP violation fails."""
    result = yield
    problems = getattr(item, "browser_problems", None)
    if problems:
        allowed = [m.args[0] for m in item.iter_markers("allow_console_error")]
        real = [p for p in problems if not any(a in p for a in allowed)]
        if real:
            raise AssertionError("the browser reported errors:\n" + "\n".join(real))
    return result
