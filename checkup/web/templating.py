"""Template helpers: localized names, navigation for the signed-in roles, formatting."""

from decimal import Decimal

import flask_babel
from flask import current_app, g, has_app_context, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from checkup.core import clock
from checkup.core.i18n import is_chinese, localized
from checkup.core.labels import ROLE_LABELS, choice_label
from checkup.models.accounts import ADMIN, CHIEF, CLIENT, COUNSELOR, HR, PHYSICIAN, SCHEDULER
from checkup.web import form_controls, template_gettext

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
    """[(url, endpoint, label)] of the signed-in account's roles. The list depends only on the roles and on
    where the app is mounted, so it is built once per such pair and kept on the app (the labels stay lazy:
    each page translates them in its own language)."""
    user = current_user._get_current_object()  # one proxy lookup, not one per entry
    if not user.is_authenticated:
        return []
    roles = user.role_names
    kept = current_app.extensions.setdefault("checkup.navigation", {})
    key = (roles, request.script_root)
    items = kept.get(key)
    if items is None:
        items = kept[key] = _navigation(roles)
    return items


def _navigation(roles):
    items, seen = [], set()
    for role, endpoint, label in NAVIGATION:
        if role in roles and endpoint not in seen:
            seen.add(endpoint)
            items.append((url_for(endpoint), endpoint, label))
    if roles.intersection(DIRECTORY_ROLES):
        items.append((url_for("directory.clients"), "directory.clients", _l("Clients")))
        items.append((url_for("directory.organizations"), "directory.organizations", _l("Organizations")))
    return tuple(items)


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


def _lazy_gettext_text(self):
    """``str()`` of a lazy string: for Flask-Babel's own ``lazy_gettext`` (labels, choices, messages), the
    translation found through the request's kept catalog (web/template_gettext.py) instead of Flask-Babel's
    lookup of domain, locale and catalog on every string (a status chart renders hundreds of labels);
    the same text, ``%`` formatting included. Anything else (ngettext, pgettext, outside a request) as before."""
    if self._func is flask_babel.gettext and has_app_context():
        text = template_gettext._translations().ugettext(*self._args)
        return text % self._kwargs if self._kwargs else text
    return str(self._func(*self._args, **self._kwargs))


def _translate_lazy_strings_quickly():
    LazyString.__str__ = _lazy_gettext_text


def pct(value):
    """A percentage figure, or a dash when there is nothing to divide by."""
    return "—" if value is None else f"{value}%"


def init_app(app):
    _escape_lazy_strings()
    _translate_lazy_strings_quickly()
    form_controls.print_fields_quickly()
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["center_time"] = center_time
    app.jinja_env.globals.update(
        localized=localized,
        navigation=navigation,
        role_labels=ROLE_LABELS,
        choice_label=choice_label,
        is_chinese=is_chinese,
        pct=pct,
        form_control=form_controls.form_control,
        form_field=form_controls.form_field,
        appointment_status=lambda code: choice_label("appointment_status", code),
        finding_kind=lambda code: choice_label("finding_kind", code),
    )
    app.jinja_env.globals["languages"] = app.config["LANGUAGES"]
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["static_url"] = static_url


def csrf_token():
    """Flask-WTF's token of this request, kept on ``g`` after the first call: a page asks for it in every
    form and in the htmx headers, and each of Flask-WTF's calls reads four config values to find it kept."""
    token = g.get("_checkup_csrf_token")
    if token is None:
        token = g._checkup_csrf_token = generate_csrf()
    return token


_static_urls: dict[tuple[str, str], str] = {}


def static_url(filename):
    """``url_for('static', filename=...)``, built once per application root and file (every page links the
    same stylesheets and scripts; building a URL costs ~10 µs)."""
    key = (request.script_root, filename)
    url = _static_urls.get(key)
    if url is None:
        url = _static_urls[key] = url_for("static", filename=filename)
    return url
