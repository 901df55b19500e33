"""The HR contact's pages: the dashboard, the employee list (status only) and its export, invitations,
the company profile. HR sees its own organization only, and never health data."""

from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, send_file, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from checkup.blueprints.hr import dashboard_rows, employee_rows
from checkup.blueprints.hr.kept_texts import kept_texts
from checkup.core import tasks
from checkup.core.errors import Conflict, ValidationError
from checkup.forms.directory import clean_text
from checkup.forms.hr_profile import HrProfileForm
from checkup.models.accounts import HR
from checkup.models.groups import ACTIVE
from checkup.services.accounts import hr_profile, organizations
from checkup.services.groups import contracts, employee_exports, enrollments, invitations
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint
from checkup.web.row_printing import address_pattern

bp = Blueprint("hr", __name__, url_prefix="/hr")
restrict_blueprint(bp, HR)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOOKING_ENDPOINT = "hr_booking.detail"  # HR books on an employee's behalf (the group booking area)


@bp.context_processor
def hr_context():
    return {
        "statuses": enrollments.STATUSES,
        "status_label": enrollments.status_label,
        "contract_status": contracts.status_label,
        "has_endpoint": lambda endpoint: endpoint in current_app.view_functions,
        "export_inline_limit": employee_exports.INLINE_LIMIT,
    }


def _org_id():
    return current_user.organization_id


def _number(value):
    """A whole number from a query or form value, else None (bad input just means 'default')."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _contract_id(source):
    """The ``contract`` parameter: None when absent; anything that cannot name a contract is a 404."""
    raw = source.get("contract", "")
    if raw == "":
        return None
    number = _number(raw)
    if number is None:
        abort(404)
    return number


def _pick_contract(source):
    choices = enrollments.org_contracts(_org_id())
    return enrollments.pick_contract(_org_id(), _contract_id(source), choices), choices


# --- dashboard and profile ---------------------------------------------------------------------


@bp.get("")
def home():
    organization = organizations.organization_with_roster_size(_org_id())
    return render_page(
        "hr/home.html",
        organization=organization,
        progress=enrollments.dashboard(organization.id),
        roster_size=organization.roster_size,
        contract_section=dashboard_rows.ContractSections(),
        profile_card=dashboard_rows.profile_card,
    )


@bp.route("/profile", methods=["GET", "POST"])
def profile_edit():
    organization = organizations.get_organization(_org_id())
    form = HrProfileForm(data=hr_profile.profile_values(organization)) if request.method == "GET" else HrProfileForm()
    outcome = submit(form, lambda: hr_profile.update_profile(actor(), organization.id, form.values()))
    if outcome.done:
        flash(_("Company profile saved."), "success")
        return redirect(url_for("hr.home"), code=303)
    return render_page(
        "hr/profile_form.html",
        form=form,
        organization=organization,
        form_error=outcome.form_error,
        status=outcome.status,
    )


# --- employees ---------------------------------------------------------------------------------


def _filters():
    """The list's filters; the name or employee number searched for comes only in a POSTed form (never in
    an address), the others from either."""
    args = request.values
    status = args.get("status", "")
    return enrollments.EmployeeFilters(
        search=clean_text(request.form.get("q", ""))[:100],
        status=status if status in enrollments.STATUSES else "",
        department=clean_text(args.get("department", ""))[:100],
        category_id=_number(args.get("category")),
    )


def _booking_link(contract):
    """The rows' booking address as a pattern (``%d`` for the enrollment), while HR may book: the contract is
    active and the group booking area is on."""
    if contract.status != ACTIVE or BOOKING_ENDPOINT not in current_app.view_functions:
        return None
    # the pattern depends on the app's root alone: made once per process (kept_texts)
    return kept_texts("booking_link", lambda: address_pattern(BOOKING_ENDPOINT, "enrollment_id"))


@bp.route("/employees", methods=["GET", "POST"])
def employees():
    # the contracts as plain headings (the page names them and shows a window; the same choice and 404)
    choices = enrollments.org_contract_headings(_org_id())
    contract = enrollments.pick_contract(_org_id(), _contract_id(request.values), choices)
    filters = _filters()
    context = {"contract": contract, "contracts": choices, "filters": filters, "searched": request.method == "POST"}
    context.update(employee_page=employee_rows.employee_page, result=None, departments=(), categories=())
    context.update(booking_link=None, employee_results=employee_rows.employee_results)
    if contract is not None:
        context["booking_link"] = _booking_link(contract)
        page = _number(request.values.get("page"))
        context["result"] = enrollments.contract_employee_page(contract, filters, page)
        context["departments"], context["categories"] = enrollments.filter_choices(contract)
    return render_page("hr/employees.html", "hr/_employee_results.html" if contract else None, **context)


@bp.route("/employees.xlsx", methods=["GET", "POST"])
def export_employees():
    """The list as shown, its search included (POSTed, like the list's own search): the file at once, or,
    for a long list, made in the background (a GET only offers to start it)."""
    contract, _choices = _pick_contract(request.values)
    if contract is None:
        abort(404)
    filters = _filters()
    if request.method == "GET" and employee_exports.too_long_for_now(_org_id(), contract.id, filters):
        return render_page("hr/export_start.html", contract=contract, filters=filters)
    outcome = employee_exports.export_or_owe(actor(), _org_id(), contract.id, filters, locale=str(get_locale()))
    if isinstance(outcome, employee_exports.InlineExport):
        return _xlsx(outcome.data, outcome.filename)
    return redirect(url_for("hr.export_status", export_id=outcome.id), code=303)


def _xlsx(data, filename):
    response = make_response(data)
    response.headers["Content-Type"] = XLSX_TYPE
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/exports/<int:export_id>")
def export_status(export_id):
    """The export being made (the fragment polls itself), then its download link."""
    return render_page("hr/export.html", "hr/_export_status.html", job=employee_exports.status(export_id, _org_id()))


@bp.get("/exports/<int:export_id>/file")
def export_download(export_id):
    path, filename = employee_exports.download(actor(), export_id, _org_id())
    response = send_file(path, mimetype=XLSX_TYPE, as_attachment=True, download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- invitations -------------------------------------------------------------------------------


def _invitations_page(contract, choices, mode="", ids=(), plan=None, error=None, status=200):
    figures = invitations.overview(contract) if contract else None
    sent = max(_number(request.args.get("sent")) or 0, figures.pending if figures else 0)
    return render_page(
        "hr/invitations.html",
        contract=contract,
        contracts=choices,
        figures=figures,
        mode=mode,
        ids=ids,
        plan=plan,
        error=error,
        sent_total=sent,
        status=status,
    )


@bp.get("/invitations")
def invitations_page():
    """The figures and the three ways to invite; with ``mode`` (and ``ids``) the confirmation step."""
    contract, choices = _pick_contract(request.args)
    mode, ids = request.args.get("mode", ""), request.args.getlist("ids")
    plan, error = None, None
    if contract is not None and mode:
        try:
            plan = invitations.plan_invitations(_org_id(), contract.id, mode, ids)
        except (Conflict, ValidationError) as exc:
            error = exc.message
    return _invitations_page(contract, choices, mode, [str(i) for i in (plan.to_send if plan else ())], plan, error)


@bp.post("/invitations")
def send_invitations():
    contract, choices = _pick_contract(request.form)
    if contract is None:
        abort(404)
    mode, ids = request.form.get("mode", ""), request.form.getlist("ids")
    try:
        plan = invitations.send_invitations(actor(), _org_id(), contract.id, mode, ids)
    except (Conflict, ValidationError) as exc:
        return _invitations_page(contract, choices, error=exc.message, status=422)
    _flash_result(plan)
    return redirect(url_for("hr.invitations_page", contract=contract.id, sent=plan.sent), code=303)


def _flash_result(plan):
    if plan.sent:
        flash(
            ngettext("%(num)d invitation sent.", "%(num)d invitations sent.", plan.sent)
            if tasks.inline()
            else ngettext("%(num)d invitation is being sent.", "%(num)d invitations are being sent.", plan.sent),
            "success",
        )
    else:
        flash(_("No invitation was sent."), "info")
    notes = [
        (
            plan.resend,
            lambda n: ngettext(
                "%(num)d of them had been invited before and got a new link.",
                "%(num)d of them had been invited before and got a new link.",
                n,
            ),
        ),
        (
            plan.no_email,
            lambda n: ngettext(
                "%(num)d employee has no email address and could not be invited.",
                "%(num)d employees have no email address and could not be invited.",
                n,
            ),
        ),
        (
            plan.already_invited,
            lambda n: ngettext(
                "%(num)d employee was invited already and was left out.",
                "%(num)d employees were invited already and were left out.",
                n,
            ),
        ),
        (
            plan.booked,
            lambda n: ngettext(
                "%(num)d employee has booked already and was left out.",
                "%(num)d employees have booked already and were left out.",
                n,
            ),
        ),
    ]
    for count, message in notes:
        if count:
            flash(message(count), "info")


@bp.get("/invitations/progress")
def invitation_progress():
    contract, _choices = _pick_contract(request.args)
    if contract is None:
        abort(404)
    contract, pending = invitations.invitation_progress(_org_id(), contract.id)
    total = max(_number(request.args.get("sent")) or 0, pending)
    return render_page(
        "hr/invitation_progress.html", "hr/_invitation_progress.html", contract=contract, pending=pending, total=total
    )
