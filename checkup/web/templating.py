"""Template helpers: localized names, navigation for the signed-in roles, formatting."""

from decimal import Decimal

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import escape

from checkup.core import clock
from checkup.core.i18n import is_chinese, localized
from checkup.core.labels import ROLE_LABELS, choice_label
from checkup.models.accounts import ADMIN, CHIEF, CLIENT, COUNSELOR, HR, PHYSICIAN, SCHEDULER

NAVIGATION = [
    (CLIENT, "client.home", _l("My checkups")),
    (CLIENT, "booking.appointment_list", _l("My appointments")),
    (CLIENT, "reports.my_reports", _l("My reports")),
    (CLIENT, "consultations.my_list", _l("Consultations")),
    (CLIENT, "client.packages", _l("Packages")),
    (CLIENT, "privacy.index", _l("Privacy")),
    (CLIENT, "group_booking.index", _l("Company checkup")),
    (CLIENT, "me_money.index", _l("Payments and invoices")),
    (HR, "hr.home", _l("Company")),
    (HR, "hr_contracts.index", _l("Contracts")),
    (HR, "hr.employees", _l("Employees")),
    (HR, "hr.invitations_page", _l("Invitations")),
    (SCHEDULER, "desk.home", _l("Front desk")),
    (SCHEDULER, "daysheet.today", _l("Today")),
    (SCHEDULER, "desk_booking.search", _l("Appointments")),
    (SCHEDULER, "capacity.calendar", _l("Capacity")),
    (SCHEDULER, "contracts.index", _l("Group contracts")),
    (SCHEDULER, "desk_cashier.search", _l("Cashier")),
    (PHYSICIAN, "exam.home", _l("Exam stations")),
    (SCHEDULER, "floor.overview", _l("Exam floor")),
    (CHIEF, "review.index", _l("Review")),
    (PHYSICIAN, "exam_consultations.list", _l("Consultations")),
    (COUNSELOR, "care.home", _l("Client care")),
    (COUNSELOR, "care_followups.index", _l("Follow-ups")),
    (COUNSELOR, "care_referrals.index", _l("Referrals")),
    (COUNSELOR, "care_consultations.list", _l("Consultations")),
    (COUNSELOR, "care_surveys.dashboard", _l("Surveys")),
    (COUNSELOR, "campaigns.index", _l("Campaigns")),
    (ADMIN, "admin.dashboard", _l("Admin")),
    (ADMIN, "catalog.items", _l("Catalog")),
    (ADMIN, "admin_accounts.index", _l("Accounts")),
    (ADMIN, "contracts.index", _l("Group contracts")),
    (ADMIN, "management.dashboard", _l("Management")),
    (ADMIN, "integrations.index", _l("Hospital systems")),
    (COUNSELOR, "reenrollment.index", _l("Re-enrollment")),
]

DIRECTORY_ROLES = (ADMIN, SCHEDULER, COUNSELOR)


def navigation():
    if not current_user.is_authenticated:
        return []
    items, seen = [], set()
    for role, endpoint, label in NAVIGATION:
        if current_user.has_role(role) and endpoint not in seen:
            seen.add(endpoint)
            items.append((url_for(endpoint), endpoint, label))
    if current_user.has_role(*DIRECTORY_ROLES):
        items.append((url_for("directory.clients"), "directory.clients", _l("Clients")))
        items.append((url_for("directory.organizations"), "directory.organizations", _l("Organizations")))
    return items


def money(value):
    """Amounts always with two decimals (SQLite hands back 380 for 380.00)."""
    return f"{Decimal(value or 0):.2f}"


def center_time(moment, pattern="%Y-%m-%d %H:%M"):
    """A stored UTC timestamp shown in the center's time zone."""
    local = clock.from_utc(moment)
    return local.strftime(pattern) if local else ""


def _escape_lazy_strings():
    """Flask-Babel's lazy strings declare themselves safe HTML (``__html__`` returns the raw text), so a
    value interpolated into one (an unknown code a user typed, say) would reach the page unescaped.
    Our translations hold no markup: escape them like any other text."""
    LazyString.__html__ = lambda self: str(escape(str(self)))


def pct(value):
    """A percentage figure, or a dash when there is nothing to divide by."""
    return "—" if value is None else f"{value}%"


def init_app(app):
    _escape_lazy_strings()
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["center_time"] = center_time
    app.jinja_env.globals.update(
        localized=localized,
        navigation=navigation,
        role_labels=ROLE_LABELS,
        choice_label=choice_label,
        is_chinese=is_chinese,
        pct=pct,
        appointment_status=lambda code: choice_label("appointment_status", code),
        finding_kind=lambda code: choice_label("finding_kind", code),
    )
    app.jinja_env.globals["languages"] = app.config["LANGUAGES"]
