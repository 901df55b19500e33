"""Template helpers: localized names, navigation for the signed-in roles, formatting."""

from decimal import Decimal

import flask_babel
from flask import current_app, g, has_app_context, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from wtforms import Field, widgets
from wtforms.meta import DefaultMeta

from checkup.core import clock
from checkup.core.i18n import is_chinese, localized
from checkup.core.labels import ROLE_LABELS, choice_label
from checkup.models.accounts import ADMIN, CHIEF, CLIENT, COUNSELOR, HR, PHYSICIAN, SCHEDULER
from checkup.web import template_gettext

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


# --- form controls: what WTForms' widgets print, without their per-attribute Markup formatting -----------
#
# WTForms builds every attribute through ``Markup.format`` and looks up the field's flags with ``dir()``: about
# a fifth of a sign-in page's time. ``form_control`` prints the same markup for the stock widgets below and
# hands anything else (custom widgets, grouped selects, datalists, a custom Meta) to WTForms itself.


def _clean_key(key):
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return key


def _attributes(attrs):
    """wtforms.widgets.html_params: sorted by name, ``True`` bare, ``False`` left out, values escaped (a
    Markup value keeps its markup, but not a double quote)."""
    parts = []
    for key, value in sorted(attrs.items()):
        if value is True:
            parts.append(_clean_key(key))
        elif value is not False:
            quoted = str(escape(value)).replace('"', "&quot;")
            parts.append(f'{_clean_key(key)}="{quoted}"')
    return " ".join(parts)


def _validation_attributes(widget, field, attrs):
    flags = vars(field.flags)
    for name in widget.validation_attrs:
        if name in flags and name not in attrs:
            value = flags[name]
            attrs[name] = value() if callable(value) else value


def _input(widget, field, attrs):
    attrs.setdefault("id", field.id)
    attrs.setdefault("type", widget.input_type)
    if "value" not in attrs:
        attrs["value"] = field._value()
    _validation_attributes(widget, field, attrs)
    attrs["name"] = field.name
    return Markup(f"<input {_attributes(attrs)}>")


def _password(widget, field, attrs):
    if widget.hide_value:
        attrs["value"] = ""
    return _input(widget, field, attrs)


def _checkbox(widget, field, attrs):
    if getattr(field, "checked", field.data):
        attrs.setdefault("checked", True)
    return _input(widget, field, attrs)


def _radio(widget, field, attrs):
    if field.checked:
        attrs.setdefault("checked", True)
    return _input(widget, field, attrs)


def _number(widget, field, attrs):
    for name in ("step", "min", "max"):
        if getattr(widget, name) is not None:
            attrs.setdefault(name, getattr(widget, name))
    return _input(widget, field, attrs)


def _date_time(widget, field, attrs):
    pattern = getattr(field, "format", None)
    if pattern is not None:
        pattern = pattern[0] if isinstance(pattern, list) else pattern
        for name in ("min", "max"):
            value = attrs.get(name, getattr(field.flags, name, None))
            if callable(value):
                value = value()
            if hasattr(value, "strftime"):
                attrs[name] = value.strftime(pattern)
    return _input(widget, field, attrs)


def _textarea(widget, field, attrs):
    attrs.setdefault("id", field.id)
    _validation_attributes(widget, field, attrs)
    attrs["name"] = field.name
    return Markup(f"<textarea {_attributes(attrs)}>\r\n{escape(field._value())}</textarea>")


def _select(widget, field, attrs):
    if field.has_groups():
        return None
    attrs.setdefault("id", field.id)
    if widget.multiple:
        attrs["multiple"] = True
    _validation_attributes(widget, field, attrs)
    attrs["name"] = field.name
    html = [f"<select {_attributes(attrs)}>"]
    for choice in field._iter_choices_normalized():
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        option = {"value": value, **(choice.render_kw or {})}
        if choice.selected:
            option["selected"] = True
        html.append(f"<option {_attributes(option)}>{escape(choice.label or choice.value)}</option>")
    html.append("</select>")
    return Markup("".join(html))


_CONTROLS = {
    widgets.TextInput: _input,
    widgets.EmailInput: _input,
    widgets.TelInput: _input,
    widgets.URLInput: _input,
    widgets.SearchInput: _input,
    widgets.HiddenInput: _input,
    widgets.PasswordInput: _password,
    widgets.CheckboxInput: _checkbox,
    widgets.RadioInput: _radio,
    widgets.NumberInput: _number,
    widgets.DateInput: _date_time,
    widgets.TimeInput: _date_time,
    widgets.DateTimeLocalInput: _date_time,
    widgets.MonthInput: _date_time,
    widgets.TextArea: _textarea,
    widgets.Select: _select,
}


def form_control(field, attrs):
    """``field(**attrs)``, the same markup, printed faster for WTForms' stock widgets."""
    render = _CONTROLS.get(type(field.widget))
    if (
        render is None
        or getattr(field, "_datalist", None) is not None
        or type(field.meta).render_field is not DefaultMeta.render_field
    ):
        return field(**attrs)
    given = {_clean_key(key): value for key, value in attrs.items()}
    if field.render_kw is not None:
        given = {**{_clean_key(key): value for key, value in field.render_kw.items()}, **given}
    if "name" in given:  # WTForms refuses a second name
        return field(**attrs)
    return render(field.widget, field, given) or field(**attrs)


def _print_fields_quickly():
    """``{{ form.field }}`` (a CSRF token on every form) prints through ``form_control``: the same markup."""
    Field.__html__ = lambda self: form_control(self, {})


def init_app(app):
    _escape_lazy_strings()
    _translate_lazy_strings_quickly()
    _print_fields_quickly()
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["center_time"] = center_time
    app.jinja_env.globals.update(
        localized=localized,
        navigation=navigation,
        role_labels=ROLE_LABELS,
        choice_label=choice_label,
        is_chinese=is_chinese,
        pct=pct,
        form_control=form_control,
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
