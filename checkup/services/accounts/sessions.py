"""Login sessions: the server-side row behind each signed-in browser. The cookie holds the session's
secret token and the row only its sha256, found again on every signed-in request. A session ends at
sign-out, after sitting idle longer than its role allows, ``SESSION_HOURS`` after it started whatever
the activity, or with every other session of the account (password change or reset, deactivation).

Checking a password is the account's business (``accounts.authenticate``); none of these functions
reads the Flask request.
"""

import datetime
import hashlib
import secrets

from flask import current_app
from peewee import JOIN

from checkup.core import audit
from checkup.core.prepared import PreparedSelect
from checkup.models import LoginSession, User, UserRole
from checkup.models.accounts import CLIENT
from checkup.models.base import db, utcnow

SEEN_EVERY = datetime.timedelta(seconds=60)  # how often a session's last_seen_at is written
MIN_IDLE_MINUTES = 5  # the idle warning comes 2 minutes before the end


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user, ip="", user_agent=""):
    """Create a server-side login session and return its secret token (kept only in the cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = current_app.config["SESSION_HOURS"]
    with db.atomic():
        LoginSession.create(
            token_hash=_digest(token),
            user=user,
            created_at=now,
            last_seen_at=now,
            expires_at=now + datetime.timedelta(hours=hours),
            ip=(ip or "")[:64],
            user_agent=(user_agent or "")[:255],
        )
        User.update(last_login_at=now).where(User.id == user.id).execute()
        audit.record(audit.Actor(user, ip), "auth.login", user)
    user.session_token = token
    return token


class SessionIdle(Exception):
    """The login session sat unused longer than its role allows and has just been ended."""

    def __init__(self, minutes):
        super().__init__(minutes)
        self.minutes = minutes


def idle_minutes(role_names):
    """How long a login may sit unused: a client's 120 minutes by default, staff and HR 30 (they see
    other people's data, often on shared desks); never below MIN_IDLE_MINUTES."""
    key = "IDLE_MINUTES_CLIENT" if set(role_names) == {CLIENT} else "IDLE_MINUTES_STAFF"
    return max(MIN_IDLE_MINUTES, int(current_app.config[key]))


_USER_FIELDS = tuple(User._meta.sorted_fields)
_USER_NAMES = tuple(field.name for field in _USER_FIELDS)


def _session_lookup(token_hash, now, active):
    """One query on every signed-in request: the session, its user's columns and one row per role of the user."""
    return (
        LoginSession.select(LoginSession.id, LoginSession.last_seen_at, UserRole.role, *_USER_FIELDS)
        .join(User)
        .join(UserRole, JOIN.LEFT_OUTER, on=(UserRole.user == User.id))
        .where(LoginSession.token_hash == token_hash, LoginSession.expires_at > now, User.is_active == active)
    )


_SESSION_LOOKUP = PreparedSelect(_session_lookup)


def _user_of(values):
    """The User a row's columns describe, as peewee would build it from a select (no field marked changed)."""
    user = User(__no_default__=1, **dict(zip(_USER_NAMES, values, strict=True)))
    user._dirty.clear()
    return user


def load_session(token, activity=True):
    """The user behind a live session token, with roles loaded; None if expired, ended or inactive.

    A session unused for longer than ``idle_minutes`` is ended here and SessionIdle raised. A request
    that is the person's own (``activity``; a page polling on a timer is not) moves ``last_seen_at``,
    written at most every SEEN_EVERY, so it may lag the last such request by that much: the session
    ends between N and N + SEEN_EVERY minutes after it, never earlier."""
    if not token or not isinstance(token, str) or len(token) > 100:
        return None
    now = utcnow()
    # plain columns as the driver returns them: building peewee's joined model rows cost more than the query
    rows = _SESSION_LOOKUP.plain(_digest(token), now, True)
    if not rows:
        return None
    session_id, last_seen_at = rows[0][0], rows[0][1]
    user = _user_of(rows[0][3:])
    user._role_names = frozenset(row[2] for row in rows if row[2])
    minutes = idle_minutes(user._role_names)
    unused = now - last_seen_at
    if unused > datetime.timedelta(minutes=minutes) + SEEN_EVERY:
        with db.atomic():
            if LoginSession.delete().where(LoginSession.id == session_id).execute():
                audit.record(audit.Actor(user), "auth.idle_timeout", user, minutes=minutes)
        raise SessionIdle(minutes)
    user.session_token = token
    user.idle_minutes = minutes  # base.html's idle warning
    if activity and unused > SEEN_EVERY:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == session_id).execute()
    return user


def keep_session_alive(token):
    """The "Stay signed in" button: the session's idle time starts again now."""
    return LoginSession.update(last_seen_at=utcnow()).where(LoginSession.token_hash == _digest(token or "")).execute()


def end_session(token, actor=None):
    """Log out one browser: its token stops working at once, copied cookies included."""
    deleted = LoginSession.delete().where(LoginSession.token_hash == _digest(token or "")).execute()
    if deleted and actor is not None:
        audit.record(actor, "auth.logout", actor.user)
    return deleted


def end_all_sessions(user_id):
    """Sign the account out everywhere: every browser's token stops working at once."""
    return LoginSession.delete().where(LoginSession.user == user_id).execute()


def end_other_sessions(user_id, keep_token):
    """Sign the account out everywhere but the browser holding ``keep_token`` (None: everywhere)."""
    return (
        LoginSession.delete()
        .where(LoginSession.user == user_id, LoginSession.token_hash != _digest(keep_token or ""))
        .execute()
    )
