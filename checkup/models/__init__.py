"""Every model of the portal, in dependency order (migrations and tests use ALL_MODELS)."""

from checkup.models.access import BreakGlassAccess
from checkup.models.accounts import LoginSession, PasswordResetToken, User, UserRole
from checkup.models.addon_modules import AddonModule, AddonModuleItem, AppointmentAddon
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
from checkup.models.catalog import (
    Department,
    ExamItem,
    Package,
    PackageItem,
    ReferenceRange,
    Resource,
    StationOrderRule,
)
from checkup.models.client_facts import ClientFacts
from checkup.models.data_requests import DataExport, DataRequest
from checkup.models.directory import Client, Organization
from checkup.models.employee_exports import EmployeeExport
from checkup.models.groups import (
    ContractCategory,
    ContractReservation,
    Enrollment,
    EnrollmentCount,
    GroupContract,
    GroupDocument,
    OrganizationClientCount,
    RosterImport,
    SummaryRelease,
)
from checkup.models.integrations import INTEGRATION_MODELS
from checkup.models.money import MONEY_MODELS
from checkup.models.result_conflicts import ResultConflict
from checkup.models.results import AdviceSnippet, CriticalAlert, Finding, FollowUp, FollowUpRule, Report, Result
from checkup.models.review import AdviceRule, ChiefReview, StationConclusion
from checkup.models.rollups import DailyRollup, RollupDay
from checkup.models.station_visits import StationVisit
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
    StationOrderRule,
    AddonModule,
    AddonModuleItem,
    Slot,
    ResourceDay,
    Appointment,
    AppointmentItem,
    AppointmentAddon,
    WaitlistEntry,
    Result,
    CriticalAlert,
    ResultConflict,
    Report,
    Finding,
    FollowUpRule,
    FollowUp,
    AdviceSnippet,
    StationConclusion,
    ChiefReview,
    AdviceRule,
    StationVisit,
    AuditEvent,
    BreakGlassAccess,
    GroupContract,
    ContractCategory,
    ContractReservation,
    Enrollment,
    EnrollmentCount,
    OrganizationClientCount,
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
    *MONEY_MODELS,
    *INTEGRATION_MODELS,
]

__all__ = [m.__name__ for m in ALL_MODELS] + ["ALL_MODELS"]
