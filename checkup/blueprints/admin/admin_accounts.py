"""Admin: staff and HR accounts, their roles, deactivation."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from checkup.blueprints.admin.account_rows import account_rows
from checkup.core.errors import DomainError
from checkup.forms.accounts import AccountForm, RolesForm, role_choices
from checkup.models.accounts import ADMIN, ALL_ROLES
from checkup.services.accounts import accounts, organizations
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("admin_accounts", __name__, url_prefix="/admin/accounts")
restrict_blueprint(bp, ADMIN)


def _prepare(form):
    form.roles.choices = role_choices()
    form.organization.choices = [("", "—")] + [(str(pk), name) for pk, name in organizations.name_choices()]
    return form


def _org_id(form):
    return int(form.organization.data) if (form.organization.data or "").isdigit() else None


@bp.route("", methods=["GET", "POST"])
def index():
    """A name or email searched for comes only as a POSTed form (never in an address), its next pages too;
    the role and the page of an unsearched list from the address."""
    posted = request.method == "POST"
    source = request.form if posted else request.args
    search = request.form.get("q", "").strip()[:100]
    role = request.values.get("role", "")
    role = role if role in ALL_ROLES else ""
    page = source.get("page", "")
    page = int(page) if page.isascii() and page.isdigit() and len(page) <= 6 else 1
    result = accounts.list_accounts(search, role, page)
    return render_page(
        "admin/accounts.html",
        "admin/_account_results.html",
        result=result,
        search=search,
        searched=posted,
        role=role,
        account_rows=account_rows,
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = _prepare(AccountForm())
    outcome = submit(
        form,
        lambda: accounts.create_account(
            actor(), form.email.data, form.name.data, form.roles.data, _org_id(form), form.phone.data or ""
        ),
    )
    if outcome.done:
        user = outcome.result
        flash(_("Account created. %(email)s has been sent a link to choose a password.", email=user.email), "success")
        return redirect(url_for("admin_accounts.detail", user_id=user.id), code=303)
    return render_page("admin/account_new.html", form=form, status=outcome.status)


@bp.get("/<int:user_id>")
def detail(user_id):
    user = accounts.get_user_with_roles(user_id)
    form = _prepare(RolesForm(data={"roles": sorted(user.role_names), "organization": str(user.organization_id or "")}))
    return render_page("admin/account_detail.html", user=user, form=form)


@bp.post("/<int:user_id>/roles")
def update_roles(user_id):
    user = accounts.get_user(user_id)
    form = _prepare(RolesForm())
    if submit(form, lambda: accounts.set_roles(actor(), user.id, form.roles.data, _org_id(form))).done:
        flash(_("Roles saved."), "success")
        return redirect(url_for("admin_accounts.detail", user_id=user.id), code=303)
    return render_page("admin/account_detail.html", user=user, form=form, status=422)


@bp.post("/<int:user_id>/active")
def set_active(user_id):
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(actor(), user_id, active)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(str(exc.message), "error")
    else:
        flash(_("Account reactivated.") if active else _("Account deactivated; its sessions have ended."), "success")
    return redirect(url_for("admin_accounts.detail", user_id=user_id), code=303)
