"""Who may see what: the one module with role checks, safe redirects and fragment selection."""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from checkup.core.audit import Actor
from checkup.models.accounts import ADMIN, CHIEF, CLIENT, COUNSELOR, HR, PHYSICIAN, SCHEDULER
from checkup.web.extensions import htmx, login_manager

# The landing page of each role, in the order a multi-role account prefers them.
HOME_BY_ROLE = [
    (ADMIN, "admin.dashboard"),
    (SCHEDULER, "desk.home"),
    (CHIEF, "review.index"),
    (PHYSICIAN, "exam.home"),
    (COUNSELOR, "care.home"),
    (HR, "hr.home"),
    (CLIENT, "client.home"),
]


def home_endpoint(user):
    for role, endpoint in HOME_BY_ROLE:
        if user.has_role(role):
            return endpoint
    return "account.profile"


def is_safe_next(target):
    """Only a local absolute path (no scheme, no host, no protocol-relative tricks)."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return False
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not any(ord(c) < 32 for c in target)


def login_url_for_current():
    target = request.full_path if request.method == "GET" else request.path
    target = target.rstrip("?")
    if htmx and htmx.current_url:
        current = urlsplit(htmx.current_url)
        target = current.path + (f"?{current.query}" if current.query else "")
    return url_for("auth.login", next=target) if is_safe_next(target) and target != "/" else url_for("auth.login")


BACKGROUND_HEADER = "X-Checkup-Background"  # static/js/idle.js: this htmx request is a timed poll


def is_timed_poll():
    """A screen refreshing itself on a timer (not the person acting): it may be answered from a value kept
    a few seconds, and it does not count as the person's activity."""
    return request.headers.get(BACKGROUND_HEADER) == "1"


def wants_fragment():
    """An htmx swap wants just the fragment; boosted and history-restore requests want the page."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(page, fragment=None, status=200, **context):
    """Render the full page, or only its fragment for an htmx swap (the page includes the fragment)."""
    template = fragment if fragment and wants_fragment() else page
    return render_template(template, **context), status


def _check(roles):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if roles and not current_user.has_role(*roles):
        abort(403)
    return None


def roles_required(*roles):
    """Only signed-in accounts holding one of ``roles`` pass; others get the login page or 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            denied = _check(roles)
            if denied is not None:
                return denied
            return view(*args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator


def restrict_blueprint(blueprint, *roles):
    """Every view of ``blueprint`` requires one of ``roles`` (checked before the view runs)."""
    blueprint.allowed_roles = frozenset(roles)

    @blueprint.before_request
    def guard():
        return _check(roles)


def actor():
    return Actor(current_user if current_user.is_authenticated else None, request.remote_addr or "")


def redirect_home():
    return redirect(url_for(home_endpoint(current_user)))
