"""Figures for the admin dashboard and the audit log listing (keyset pages: no count, no OFFSET)."""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from peewee import JOIN, PostgresqlDatabase

from checkup.core.arguments import id_from_text
from checkup.core.headline_figures import headline
from checkup.core.prepared import PerShape, PreparedSelect
from checkup.models import AuditEvent, Client, ExamItem, Organization, Package, Resource, User
from checkup.models.base import db

PAGE_SIZE = 50


def counts():
    """The dashboard's headline counts (up to HEADLINE_MAX_AGE_SECONDS old)."""
    return headline("admin.counts", _counts)


def _counts():
    return {
        "accounts": User.select().where(User.is_active == True).count(),
        "clients": Client.select().count(),
        "organizations": Organization.select().count(),
        "items": ExamItem.select().where(ExamItem.active == True).count(),
        "packages": Package.select().where(Package.active == True).count(),
        "resources": Resource.select().count(),
    }


@dataclass
class AuditPage:
    """One page of the audit log, newest first, and the cursors of its neighbours (event ids): never
    counted, never OFFSET — each page is read off the (action, id) or primary-key index."""

    events: list
    newer: int | None  # ?after=<id>: the page of events just newer than this one, if there are any
    older: int | None  # ?before=<id>: the page just older, if there are any
    cursor: bool  # the page was asked for by a cursor (not the newest page)


class AuditRow(NamedTuple):
    """One event as the log shows it; ``user_email`` None for the system (no account)."""

    id: int
    at: datetime.datetime
    user_email: str | None
    action: str
    object_type: str
    object_id: str
    ip: str
    detail: str


def _new_audit_page(shape):
    """The select of one page of the log for ``shape``: (an action chosen, "newer" than an id, "older" than
    one or the "newest")."""
    by_action, direction = shape

    def build(*params):
        query = AuditEvent.select(
            AuditEvent.id,
            AuditEvent.at,
            User.email,
            AuditEvent.action,
            AuditEvent.object_type,
            AuditEvent.object_id,
            AuditEvent.ip,
            AuditEvent.detail,
        ).join(User, JOIN.LEFT_OUTER)
        if by_action:
            query = query.where(AuditEvent.action == params[0])
        if direction == "newer":
            return query.where(AuditEvent.id > params[-1]).order_by(AuditEvent.id.asc()).limit(PAGE_SIZE + 1)
        if direction == "older":
            query = query.where(AuditEvent.id < params[-1])
        return query.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE + 1)

    samples = ("-sample-action-",) * by_action + (() if direction == "newest" else (-2_000_000_001,))
    name = f"checkup_audit_page{'_by_action' if by_action else ''}_{direction}"
    return PreparedSelect(build, name, samples)


# {shape: a page's select}: built once per process and shape, prepared on PostgreSQL
_audit_page = PerShape(_new_audit_page)


def audit_page(before=None, after=None, action=""):
    """The events just older than ``before`` (or just newer than ``after``), else the newest ones, at most
    PAGE_SIZE, with who did them (AuditRows: plain rows of the shown columns, not model objects): one query
    that reads one row more than it shows."""
    chosen = (action,) if action else ()
    before, after = id_from_text(before), id_from_text(after)
    if after is not None and before is None:
        rows = [AuditRow(*row) for row in _audit_page((bool(action), "newer")).plain(*chosen, after)]
        more_newer = len(rows) > PAGE_SIZE
        events = list(reversed(rows[:PAGE_SIZE]))
        return AuditPage(events, events[0].id if more_newer else None, events[-1].id if events else None, True)
    if before is not None:
        rows = [AuditRow(*row) for row in _audit_page((bool(action), "older")).plain(*chosen, before)]
    else:
        rows = [AuditRow(*row) for row in _audit_page((bool(action), "newest")).plain(*chosen)]
    events = rows[:PAGE_SIZE]
    newer = events[0].id if before is not None and events else None
    return AuditPage(events, newer, events[-1].id if len(rows) > PAGE_SIZE else None, before is not None)


# A loose index scan: one index probe per distinct action, not a pass over every event. PostgreSQL has no
# skip scan of its own; a LATERAL join keeps it a nested loop rather than a subplan run per row.
_ACTIONS_POSTGRES = """
WITH RECURSIVE found AS (
    (SELECT action FROM audit_event ORDER BY action LIMIT 1)
    UNION ALL
    SELECT following.action FROM found CROSS JOIN LATERAL (
        SELECT e.action FROM audit_event AS e WHERE e.action > found.action ORDER BY e.action LIMIT 1
    ) AS following
)
SELECT action FROM found
"""
_ACTIONS_SQLITE = """
WITH RECURSIVE found(action) AS (
    SELECT min(action) FROM audit_event
    UNION ALL
    SELECT (SELECT min(e.action) FROM audit_event AS e WHERE e.action > found.action) FROM found
    WHERE found.action IS NOT NULL
)
SELECT action FROM found WHERE action IS NOT NULL
"""


def audit_actions():
    """Every action the log holds, in order (for the filter), off the (action, id) index."""
    sql = _ACTIONS_POSTGRES if isinstance(db.obj, PostgresqlDatabase) else _ACTIONS_SQLITE
    return [action for (action,) in db.execute_sql(sql).fetchall()]
