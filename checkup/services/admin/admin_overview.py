"""Figures for the admin dashboard and the audit log listing."""

from dataclasses import dataclass

from peewee import JOIN

from checkup.core.arguments import parse_page
from checkup.models import AuditEvent, Client, ExamItem, Organization, Package, Resource, User

PAGE_SIZE = 50


def counts():
    return {
        "accounts": User.select().where(User.is_active == True).count(),
        "clients": Client.select().count(),
        "organizations": Organization.select().count(),
        "items": ExamItem.select().where(ExamItem.active == True).count(),
        "packages": Package.select().where(Package.active == True).count(),
        "resources": Resource.select().count(),
    }


@dataclass
class Pager:
    page: int
    pages: int
    total: int

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages


def audit_page(page, action=""):
    """One page of audit events, newest first, with who did it, in two queries."""
    query = AuditEvent.select(AuditEvent, User).join(User, JOIN.LEFT_OUTER).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    total = query.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(parse_page(page), pages)
    return list(query.paginate(page, PAGE_SIZE)), Pager(page, pages, total)


def audit_actions():
    return [row.action for row in AuditEvent.select(AuditEvent.action).distinct().order_by(AuditEvent.action)]
