"""Every model of the portal, in dependency order (migrations and tests use ALL_MODELS)."""
from checkup.models.accounts import LoginSession, PasswordResetToken, User, UserRole
from checkup.models.audit import AuditEvent
from checkup.models.catalog import Department, ExamItem, Package, PackageItem, ReferenceRange, Resource
from checkup.models.directory import Client, Organization

ALL_MODELS = [
    Organization, Client,
    User, UserRole, LoginSession, PasswordResetToken,
    Department, Resource, ExamItem, ReferenceRange, Package, PackageItem,
    AuditEvent,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS"]
