"""Every model of the portal, in dependency order (migrations and tests use ALL_MODELS)."""

from checkup.models.access import BreakGlassAccess
from checkup.models.accounts import LoginSession, PasswordResetToken, User, UserRole
from checkup.models.appointments import Appointment, AppointmentItem, WaitlistEntry
from checkup.models.audit import AuditEvent
from checkup.models.capacity import ResourceDay, Slot
from checkup.models.care import (
    Campaign,
    Consent,
    Consultation,
    ContactAttempt,
    Message,
    Referral,
    RenewalTask,
    Setting,
    StaffDepartment,
    Survey,
)
from checkup.models.catalog import Department, ExamItem, Package, PackageItem, ReferenceRange, Resource
from checkup.models.client_facts import ClientFacts
from checkup.models.data_requests import DataExport, DataRequest
from checkup.models.directory import Client, Organization
from checkup.models.employee_exports import EmployeeExport
from checkup.models.groups import (
    ContractCategory,
    ContractReservation,
    Enrollment,
    GroupContract,
    GroupDocument,
    RosterImport,
    SummaryRelease,
)
from checkup.models.results import AdviceSnippet, CriticalAlert, Finding, FollowUp, FollowUpRule, Report, Result
from checkup.models.rollups import DailyRollup, RollupDay
from checkup.models.tasks import Task

ALL_MODELS = [
    Organization,
    Client,
    User,
    UserRole,
    LoginSession,
    PasswordResetToken,
    Department,
    Resource,
    ExamItem,
    ReferenceRange,
    Package,
    PackageItem,
    Slot,
    ResourceDay,
    Appointment,
    AppointmentItem,
    WaitlistEntry,
    Result,
    CriticalAlert,
    Report,
    Finding,
    FollowUpRule,
    FollowUp,
    AdviceSnippet,
    AuditEvent,
    BreakGlassAccess,
    GroupContract,
    ContractCategory,
    ContractReservation,
    Enrollment,
    RosterImport,
    SummaryRelease,
    GroupDocument,
    EmployeeExport,
    ContactAttempt,
    StaffDepartment,
    Setting,
    Consultation,
    Referral,
    Survey,
    Consent,
    Campaign,
    Message,
    ClientFacts,
    RenewalTask,
    Task,
    DailyRollup,
    RollupDay,
    DataRequest,
    DataExport,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS"]
