"""Client records and organizations for the center's staff.

Admins and schedulers read and write; counselors read and search, and record a client's consent
withdrawals (consents.may_record_grants).
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from checkup.blueprints.desk.directory_rows import client_rows
from checkup.core import audit
from checkup.core.errors import Conflict, ValidationError
from checkup.forms.directory import ClientForm, OrganizationForm, clean_text
from checkup.forms.privacy import StaffConsentForm
from checkup.models.accounts import ADMIN, COUNSELOR, SCHEDULER
from checkup.models.care import CONSENT_PURPOSES
from checkup.models.directory import SIZE_TIERS, VALUE_TIERS
from checkup.services.accounts import clients, consents, organizations
from checkup.services.mail import messages
from checkup.web.form_round_trip import apply_errors, submit
from checkup.web.guards import actor, render_page, restrict_blueprint, roles_required, wants_fragment
from checkup.web.kept_markup import KeptMarkup, TokenOnlyForm

bp = Blueprint("directory", __name__, url_prefix="/directory")
restrict_blueprint(bp, ADMIN, SCHEDULER, COUNSELOR)
EDITORS = (ADMIN, SCHEDULER)
ID_LOOKUP_KEY = "directory_id_lookup"


@bp.context_processor
def directory_context():
    return {
        "can_edit": current_user.is_authenticated and current_user.has_role(*EDITORS),
        "is_web_address": organizations.is_web_address,
        "client_rows": client_rows,
    }


def _search_arg():
    return clean_text(request.args.get("q", ""))[:100]


def _number_arg(name, source=None):
    """A positive whole number from the query string (or ``source``), else None (so ?page=abc or -5 just
    means 'default')."""
    value = (request.args if source is None else source).get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _choice_arg(name, allowed):
    value = request.args.get(name, "")
    return value if value in allowed else ""


# --- clients ---------------------------------------------------------------------------


@bp.route("/clients", methods=["GET", "POST"], endpoint="clients")
def clients_list():
    """A GET lists by organization and page; a search (a name, a phone, an ID number) comes only as a
    POSTed form, so the term is never in an address (access logs, history, Referer headers)."""
    posted = request.method == "POST"
    search = clean_text(request.form.get("q", ""))[:100] if posted else ""
    source = request.form if posted else request.args
    organization_id, page = _number_arg("org", source), _number_arg("page", source) or 1
    lookup = None
    if clients.looks_like_national_id(search):
        # The number is never echoed back: the session keeps its keyed hash (for the next pages) and the
        # page shows it masked.
        lookup = session[ID_LOOKUP_KEY] = clients.national_id_lookup(search)
        search = ""
    elif posted and request.form.get("by_id") == "1":
        lookup = session.get(ID_LOOKUP_KEY)
        lookup = lookup if isinstance(lookup, dict) and isinstance(lookup.get("hash"), str) else None
    result = clients.search_clients(search, organization_id, page, id_hash=lookup["hash"] if lookup else None)
    if lookup:
        clients.record_id_lookup(actor(), result.total)
    return render_page(
        "directory/clients.html",
        "directory/_client_results.html",
        search=search,
        searched=posted,
        id_lookup_masked=lookup.get("masked", "") if lookup else "",
        organization_id=organization_id,
        result=result,
        organization_choices=[] if wants_fragment() else organizations.choices(),
    )


def _client_form(**kwargs):
    return ClientForm(**kwargs).set_organizations(organizations.choices())


@bp.route("/clients/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def client_new():
    form = _client_form()
    outcome = submit(form, lambda: clients.create_client(actor(), form.values()))
    if outcome.done:
        flash(_("Client record created."), "success")
        return redirect(url_for("directory.client_detail", client_id=outcome.result.id), code=303)
    return render_page(
        "directory/client_form.html", form=form, client=None, form_error=outcome.form_error, status=outcome.status
    )


@bp.get("/clients/<int:client_id>")
def client_detail(client_id):
    client = clients.view_client(actor(), client_id)
    consent_rows, sent = messages.client_answers_and_messages(client.id)  # one statement
    return render_page(
        "directory/client_detail.html",
        client=client,
        consent_rows=consent_rows,
        consent_labels=consents.PURPOSE_LABELS,
        sent=sent,
        kind_labels=messages.KIND_LABELS,
    )


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def client_edit(client_id):
    client = clients.get_client(client_id)
    if request.method == "GET":
        form = _client_form(data=_client_data(client))
    else:
        form = _client_form()
    outcome = submit(form, lambda: clients.update_client(actor(), client.id, form.values()))
    if outcome.done:
        flash(_("Client record saved."), "success")
        return redirect(url_for("directory.client_detail", client_id=client.id), code=303)
    return render_page(
        "directory/client_form.html", form=form, client=client, form_error=outcome.form_error, status=outcome.status
    )


@bp.route("/clients/<int:client_id>/consents", methods=["GET", "POST"])
def client_consents(client_id):
    """The client's consent answers and their history; staff record answers the client gave them."""
    client = clients.get_client(client_id)
    error, status = None, 200
    if request.method == "POST":
        form = StaffConsentForm()
        try:
            changed = consents.record_for_client(
                actor(),
                client.id,
                form.answers(),
                form.source.data or "",
                bool(form.confirmed.data),
                form.seen_version(),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
            error, status = exc.message, 422
        except Conflict as exc:
            form, error, status = None, exc.message, 409  # show the answers in force now
        else:
            flash(
                _("The client's answers are recorded. They apply from the next message.")
                if changed
                else _("Nothing changed: these were already the client's answers."),
                "success" if changed else "info",
            )
            return redirect(url_for("directory.client_consents", client_id=client.id), code=303)
    else:
        form = None
        audit.record(actor(), "directory.consents_viewed", client)
    rows, history = consents.answers_and_history(client.id)  # one statement
    may_grant = consents.may_record_grants(actor())
    page = {
        "client": client,
        "rows": rows,
        "purposes": CONSENT_PURPOSES,
        "labels": consents.PURPOSE_LABELS,
        "sources": consents.SOURCE_LABELS,
        "may_grant": may_grant,
    }
    kept_form = None
    if form is None:  # shown afresh: the answers in force and their version (a form kept once built)
        answers = {purpose: row is not None and row.granted for purpose, row in rows.items()}
        form = _fresh_consent_form(answers, str(consents.version_of(rows)))
        # prints the CSRF token: the kept form's own would be another request's
        page.update(form=form, token_form=TokenOnlyForm())
        if status == 200:  # a 409 prints its form afresh
            kept_form = _kept_consent_form(page, rows)
    else:
        page.update(form=form, token_form=None)
    return render_page(
        "directory/client_consents.html",
        history=history,
        error=error,
        kept_form=kept_form,
        status=status,
        **page,
    )


# {key: a GET's consent form markup}: printed once per language and every value the form prints (see key)
_KEPT_CONSENT_FORMS = KeptMarkup(limit=256)


def _kept_consent_form(page, rows):
    """The markup of templates/directory/_consent_form.html for ``page`` (a GET's values), printed once per
    language, the app's address, CSRF on or off, the client's id, whether the viewer may grant, and each
    answer in force (its id gives the version; when and how it was given, in the center's zone)."""
    key = (
        str(get_locale()),
        request.script_root,
        current_app.config.get("WTF_CSRF_ENABLED", True),
        current_app.config["TIMEZONE"],
        page["client"].id,
        page["may_grant"],
        tuple(
            None if row is None else (row.id, row.granted, row.at, row.source)
            for row in (rows[purpose] for purpose in CONSENT_PURPOSES)
        ),
    )
    return _KEPT_CONSENT_FORMS(key, lambda: render_template("directory/_consent_form.html", **page))


# {(language, the answers in force, their version): the consent form a GET shows, built once}: it holds no
# more than ticks and a number (no client's name or id), is never filled in or validated once kept, and its
# own CSRF token is never printed (token_form's is); only read while pages print it
_fresh_forms: dict = {}
KEPT_FORMS = 256


def _fresh_consent_form(answers, version):
    key = (str(get_locale()), tuple(answers.get(purpose, False) for purpose in CONSENT_PURPOSES), version)
    form = _fresh_forms.get(key)
    if form is None:
        form = StaffConsentForm.for_client(answers)
        form.version.data = version
        if len(_fresh_forms) >= KEPT_FORMS:
            _fresh_forms.clear()
        _fresh_forms[key] = form
    return form


def _client_data(client):
    data = {name: getattr(client, name) for name in clients.CLIENT_FIELDS if name != "organization"}
    data["organization"] = str(client.organization_id or "")
    return data


# --- organizations ---------------------------------------------------------------------


@bp.get("/organizations", endpoint="organizations")
def organizations_list():
    search = _search_arg()
    size_tier, value_tier = _choice_arg("size", SIZE_TIERS), _choice_arg("value", VALUE_TIERS)
    result = organizations.search_organizations(search, size_tier, value_tier, _number_arg("page") or 1)
    return render_page(
        "directory/organizations.html",
        "directory/_organization_results.html",
        result=result,
        search=search,
        size_tier=size_tier,
        value_tier=value_tier,
        size_tiers=SIZE_TIERS,
        value_tiers=VALUE_TIERS,
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def organization_new():
    form = OrganizationForm()
    outcome = submit(form, lambda: organizations.create_organization(actor(), form.values()))
    if outcome.done:
        flash(_("Organization created."), "success")
        return redirect(url_for("directory.organization_detail", organization_id=outcome.result.id), code=303)
    return render_page(
        "directory/organization_form.html",
        form=form,
        organization=None,
        form_error=outcome.form_error,
        status=outcome.status,
    )


@bp.get("/organizations/<int:organization_id>")
def organization_detail(organization_id):
    organization = organizations.get_organization(organization_id)
    return render_page(
        "directory/organization_detail.html",
        organization=organization,
        client_count=organizations.roster_size(organization.id),
        hr_contacts=organizations.hr_contacts(organization.id),
    )


@bp.route("/organizations/<int:organization_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def organization_edit(organization_id):
    organization = organizations.get_organization(organization_id)
    form = OrganizationForm(obj=organization) if request.method == "GET" else OrganizationForm()
    outcome = submit(form, lambda: organizations.update_organization(actor(), organization.id, form.values()))
    if outcome.done:
        flash(_("Organization saved."), "success")
        return redirect(url_for("directory.organization_detail", organization_id=organization.id), code=303)
    return render_page(
        "directory/organization_form.html",
        form=form,
        organization=organization,
        form_error=outcome.form_error,
        status=outcome.status,
    )
