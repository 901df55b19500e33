"""The layout every page shares (templates/base.html): written here once, kept per what it depends on.

Every full page prints the same head, header, navigation, language switch, idle warning and footer around
its blocks. As Jinja that was about sixteen calls through ``Context.call`` and a hundred lookups through
Flask's proxies, each page, for markup that changes only with the language, the application root, the
account's roles and idle time, which navigation entry is the current page and the center's name. Here that
markup is built once per such key and kept on the app; a page then only puts in its own values, each
HTML-escaped where it is inserted: the CSRF token, the account's name, the path the language switch returns
to, and the flashed messages. Nothing of one account is kept: the key's values are shared by every account
with the same roles, and whatever belongs to one visitor is a slot filled anew on every page.

The HTML is what base.html printed as a Jinja template, byte for byte (compared on signed-out, client, staff,
Chinese, flashed-message and error pages when it moved here)."""

from flask import current_app, g, get_flashed_messages, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from checkup.core.i18n import is_chinese
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
DIRECTORY_NAVIGATION = (("directory.clients", _l("Clients")), ("directory.organizations", _l("Organizations")))


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
        items.extend((url_for(endpoint), endpoint, label) for endpoint, label in DIRECTORY_NAVIGATION)
    return tuple(items)


def csrf_token():
    """Flask-WTF's token of this request, kept on ``g`` after the first call: a page asks for it in every
    form and in the htmx headers, and each of Flask-WTF's calls reads four config values to find it kept."""
    context_globals = g._get_current_object()  # g itself: each attribute through its proxy costs ~1 µs
    token = context_globals.get("_checkup_csrf_token")
    if token is None:
        token = context_globals._checkup_csrf_token = generate_csrf()
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


# a slot in the kept markup: NUL never occurs in it otherwise (no text of ours, no URL, no translation holds one)
_SLOT = "\x00"
_SLOT_NAMES = frozenset(("csrf", "name", "next"))
CSRF, NAME, NEXT = (f"{_SLOT}{name}{_SLOT}" for name in ("csrf", "name", "next"))

# the endpoints the header may mark as the current page; every other endpoint shows the same header
_MARKED = frozenset(
    [endpoint for _role, endpoint, _label in NAVIGATION]
    + [endpoint for endpoint, _label in DIRECTORY_NAVIGATION]
    + ["account.profile"]
)
_KEPT_SHELLS = 512  # keys seen in practice: languages x role sets x marked endpoints; more means something odd

FLASH_CATEGORIES = ("success", "error", "warning", "info")

_ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' "
    "height='32' rx='7' fill='%230b4a63'/%3E%3Cpath d='M13 7h6v6h6v6h-6v6h-6v-6H7v-6h6z' fill='%23fff'/%3E%3C/svg%3E"
)


class _Kept:
    """One key's markup: the head up to the title, from the title to the page's scripts, and the body's
    start and end around the page's content, the last two as literal parts with slot names between them."""

    __slots__ = ("head", "title_end", "body", "end")

    def __init__(self, head, title_end, body, end):
        self.head, self.title_end = Markup(head), Markup(title_end)
        self.body, self.end = _parts(body), _parts(end)


def _parts(markup):
    parts = markup.split(_SLOT)
    if len(parts) % 2 == 0 or not set(parts[1::2]) <= _SLOT_NAMES:  # a NUL in a text of ours: refuse, never misfill
        raise ValueError("the page shell's markup holds a NUL byte")
    return parts


def page_shell():
    """(head, title_end, body, end): base.html prints them around its title, scripts and content blocks."""
    app = current_app._get_current_object()  # each proxy once, not once per value
    req = request._get_current_object()
    user = current_user._get_current_object()
    authenticated = user.is_authenticated
    # everything the kept markup depends on: the language's texts (one catalog object per language) and
    # whether it is Chinese, the application root (URLs), the current page if the header marks it, the
    # roles (navigation), the idle time (warning) and the center's name; never anything of one account
    key = (
        template_gettext._translations(),
        is_chinese(),
        req.script_root,
        req.endpoint if req.endpoint in _MARKED else None,
        user.role_names if authenticated else None,
        getattr(user, "idle_minutes", None) if authenticated else None,
        app.config["CENTER_NAME"],
    )
    kept_shells = app.extensions.setdefault("checkup.page_shell", {})
    kept = kept_shells.get(key)
    if kept is None:
        if len(kept_shells) >= _KEPT_SHELLS:
            kept_shells.clear()
        kept = kept_shells[key] = _build(app, *key)
    values = {
        "csrf": escape(csrf_token()),
        "name": escape(user.name) if authenticated else "",
        "next": escape(req.full_path.rstrip("?")),
    }
    body = _filled(kept.body, values) + _flashes()
    return kept.head, kept.title_end, Markup(body), Markup(_filled(kept.end, values))


def _filled(parts, values):
    if len(parts) == 1:
        return parts[0]
    filled = parts[:]
    filled[1::2] = [values[name] for name in parts[1::2]]
    return "".join(filled)


def _flashes():
    messages = get_flashed_messages(with_categories=True)
    if not messages:
        return "\n    \n    \n    "
    lines = "".join(
        f'\n      <p class="flash {escape(category if category in FLASH_CATEGORIES else "info")}">{escape(message)}</p>\n      '
        for category, message in messages
    )
    return f'\n    \n    <div class="flashes" role="status">\n      {lines}\n    </div>\n    \n    \n    '


def _build(app, translations, chinese, _root, endpoint, roles, idle_minutes, center_name):
    _ = translations.ugettext  # inserted as they are, as the templates' _() does (a translation is markup)
    # the texts, each translated here and not inside an f-string: pybabel does not look into f-strings, and a
    # text it does not find would leave the catalog at the next `make translations`
    text = {
        "portal": _("Checkup Portal"),
        "sign_out": _("Sign out"),
        "skip": _("Skip to content"),
        "main": _("Main"),
        "idle_warning": _("You will be signed out in 2 minutes without activity."),
        "stay": _("Stay signed in"),
    }
    authenticated = roles is not None
    idle = authenticated and idle_minutes

    def current(target):
        return 'aria-current="page"' if endpoint == target else ""

    head = (
        "<!doctype html>\n"
        f'<html lang="{"zh-Hans" if chinese else "en"}" data-theme="light">\n'
        "<head>\n"
        '  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        """  <meta name="htmx-config" content='{"includeIndicatorStyles": false, "historyCacheSize": 0}'>\n"""
        "  <title>"
    )
    idle_script = f'<script src="{escape(static_url("js/idle.js"))}" defer></script>' if idle else ""
    title_end = (
        f" · {text['portal']}</title>\n"
        f'  <link rel="icon" href="{_ICON}">\n'
        f'  <link rel="stylesheet" href="{escape(static_url("vendor/pico.min.css"))}">\n'
        f'  <link rel="stylesheet" href="{escape(static_url("css/app.css"))}">\n'
        f'  <script src="{escape(static_url("vendor/htmx.min.js"))}" defer></script>\n'
        f"  {idle_script}\n"
        "  "
    )
    links = "".join(
        f'\n        <li><a href="{escape(url)}" {current(target)}>{escape(str(label))}</a></li>\n        '
        for url, target, label in navigation()
    )
    account = ""
    if authenticated:
        account = (
            f'\n        <li><a href="{escape(url_for("account.profile"))}" {current("account.profile")}>{NAME}</a></li>\n'
            "        <li>\n"
            f'          <form method="post" action="{escape(url_for("auth.logout"))}" class="inline-form">\n'
            f'            <input type="hidden" name="csrf_token" value="{CSRF}">\n'
            f'            <button type="submit" class="link-button">{text["sign_out"]}</button>\n'
            "          </form>\n"
            "        </li>\n"
            "        "
        )
    # the other language(s) than the page's: Chinese pages offer English, every other page Chinese
    switches = "".join(
        f'\n            <button type="submit" name="locale" value="{escape(code)}" class="link-button" '
        f'lang="{"zh-Hans" if code == "zh" else "en"}">{escape(label)}</button>\n            '
        for code, label in app.jinja_env.globals["languages"].items()
        if (code == "zh") != chinese
    )
    body = (
        "\n</head>\n"
        f"""<body hx-headers='{{"X-CSRFToken": "{CSRF}"}}'>\n"""
        f'  <a class="skip-link" href="#main">{text["skip"]}</a>\n'
        '  <header class="site-header">\n'
        f'    <nav class="container" aria-label="{text["main"]}">\n'
        "      <ul>\n"
        f'        <li><a href="{escape(url_for("home.index"))}" class="brand"><strong>{text["portal"]}</strong></a></li>\n'
        "      </ul>\n"
        '      <ul class="nav-links">\n'
        f"        {links}\n"
        f"        {account}\n"
        "        <li>\n"
        f'          <form method="post" action="{escape(url_for("auth.set_language"))}" class="inline-form lang-switch">\n'
        f'            <input type="hidden" name="csrf_token" value="{CSRF}">\n'
        f'            <input type="hidden" name="next" value="{NEXT}">\n'
        f"            {switches}\n"
        "          </form>\n"
        "        </li>\n"
        "      </ul>\n"
        "    </nav>\n"
        "  </header>\n"
        '  <main id="main" class="container">\n'
        "    "
    )
    warning = ""
    if idle:
        warning = (
            "\n  \n"
            f'  <div id="idle-warning" class="idle-warning" role="alert" data-idle-seconds="{idle_minutes * 60}"\n'
            f'       data-keepalive-url="{escape(url_for("auth.keepalive"))}" data-csrf-token="{CSRF}"></div>\n'
            '  <template id="idle-warning-content">\n'
            '    <div class="flash warning">\n'
            f"      <p>{text['idle_warning']}</p>\n"
            f'      <button type="button">{text["stay"]}</button>\n'
            "    </div>\n"
            "  </template>\n"
            "  "
        )
    end = (
        "\n  </main>\n"
        f"  {warning}\n"
        '  <footer class="container muted">\n'
        f"    <small>{escape(center_name)}</small>\n"
        "  </footer>\n"
        "</body>\n"
        "</html>"
    )
    return _Kept(head, title_end, body, end)
