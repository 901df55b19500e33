"""Group contracts for the center's admins and schedulers: draft with HR, activate, close, reserve places,
release the group summary.

The category and contract-form views are shared with HR's pages (``hr_contracts``): they take the
endpoint prefix and an already-authorised contract, so the organization check stays in one place.
"""

import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from checkup.core import clock
from checkup.core.errors import Conflict, ValidationError
from checkup.forms.catalog import values_of
from checkup.forms.contracts import (
    ActionForm,
    ActiveContractForm,
    CategoryForm,
    CloseForm,
    ContractForm,
    ReservationForm,
)
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.models.groups import CONTRACT_STATUSES, DRAFT
from checkup.services.accounts import organizations
from checkup.services.groups import (
    contract_categories,
    contract_reservations,
    contracts,
    group_summary,
    summary_releases,
)
from checkup.web.form_round_trip import submit
from checkup.web.guards import actor, render_page, restrict_blueprint, wants_fragment
from checkup.web.kept_markup import KeptMarkup

bp = Blueprint("contracts", __name__, url_prefix="/desk/contracts")
restrict_blueprint(bp, ADMIN, SCHEDULER)

STAFF = "contracts"


def invalid_status():
    """422 for a page with errors; 200 for an htmx swap, which htmx 2 drops on 4xx by default."""
    return 200 if wants_fragment() else 422


def _id_arg(name):
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


# --- shared with HR's pages ------------------------------------------------------------------------


def _release_context(ep, contract):
    """The staff page's summary releases and whether an interim one may be made now (HR's page: none)."""
    if ep != STAFF:
        return {"releases": [], "release_refusal": None}
    listed = summary_releases.releases(contract.id)  # first: none listed spares the latest one's query
    refusal = summary_releases.interim_refusal(contract, listed=listed) if contract.status != DRAFT else None
    return {
        "releases": listed,
        "release_refusal": refusal,
        "reason_labels": group_summary.RELEASE_REASONS,
    }


# the page's content as a GET prints it: it holds the contract, its rows and the request's CSRF token only, so it is
# printed once per language and what it shows (kept_markup); a page with an error or a form sent back is printed
# as it is, never kept
_KEPT_BODIES = KeptMarkup(limit=64)


def _row_values(row, *joined):
    """What a row read for the page holds (its columns and its joined rows'): the key's part for it."""
    return (tuple(row.__data__.items()), *(tuple(getattr(row, name).__data__.items()) for name in joined))


def detail_page(ep, contract, status=200, action_error=None, close_form=None):
    categories = contract_categories.categories_of(contract.id)
    reservations = contract_reservations.reservations_of(contract.id)
    problems = contracts.activation_problems(contract) if contract.status == DRAFT else []
    releases = _release_context(ep, contract)
    context = {
        "ep": ep,
        "contract": contract,
        "categories": categories,
        "reservations": reservations,
        "activation_problems": problems,
        # a form only shown is built without its CSRF field: the page prints the request's token itself
        "close_form": close_form or CloseForm(formdata=None, meta={"csrf": False}),
        "action_error": action_error,
        "status_label": contracts.status_label,
        **releases,
    }

    def content():
        return render_template("contracts/_detail_body.html", **context)

    if action_error is None and close_form is None:
        refusal = releases["release_refusal"]
        key = (
            str(get_locale()),
            ep,
            _row_values(contract, "organization"),
            tuple(_row_values(category, "package") for category in categories),
            tuple(_row_values(reservation, "slot") for reservation in reservations),
            tuple(tuple(release.__data__.items()) for release in releases["releases"]),
            None if refusal is None else str(refusal),
            tuple(str(problem) for problem in problems),
        )
        html = _KEPT_BODIES(key, content)
    else:
        html = Markup(content())
    return render_page("contracts/detail.html", contract=contract, content_html=html, status=status)


def _contract_data(contract):
    return {name: getattr(contract, name) for name in contracts.CONTRACT_FIELDS}


def contract_edit_page(ep, contract, draft_only=False):
    """The edit form of a contract: every field on a draft, only window end and notes on an active one."""
    try:
        scope = contracts.edit_scope(contract, draft_only)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(f"{ep}.detail", contract_id=contract.id), code=303)
    kind = ContractForm if scope == contracts.EVERY_FIELD else ActiveContractForm
    form = kind(data=_contract_data(contract)) if request.method == "GET" else kind()
    if kind is ContractForm:
        form.without_organization()
    outcome = submit(
        form,
        lambda: contracts.update_contract(actor(), contract, values_of(form, contracts.CONTRACT_FIELDS), draft_only),
        refusals=(ValidationError, Conflict),
    )
    if outcome.done:
        flash(_("Contract %(name)s saved.", name=form.name.data if kind is ContractForm else contract.name), "success")
        return redirect(url_for(f"{ep}.detail", contract_id=contract.id), code=303)
    return render_page(
        "contracts/form.html", ep=ep, form=form, contract=contract, form_error=outcome.form_error, status=outcome.status
    )


def new_contract_page(ep, organization_id=None):
    """A new draft: staff choose the organization, HR's is their own (``organization_id``)."""
    form = (
        ContractForm()
        if request.method == "POST"
        else ContractForm(data={"year": clock.today().year, "organization": str(_id_arg("org") or "")})
    )
    if organization_id is None:
        form.organization.choices = [("", "—")] + [(str(pk), name) for pk, name in organizations.choices()]
    else:
        form.without_organization()
    chosen = organization_id if organization_id is not None else form.organization.data
    outcome = submit(
        form, lambda: contracts.create_contract(actor(), chosen, values_of(form, contracts.CONTRACT_FIELDS))
    )
    if outcome.done:
        flash(_("Draft contract %(name)s created. Add its categories next.", name=outcome.result.name), "success")
        return redirect(url_for(f"{ep}.detail", contract_id=outcome.result.id), code=303)
    return render_page(
        "contracts/form.html", ep=ep, form=form, contract=None, form_error=outcome.form_error, status=outcome.status
    )


def _category_form(category=None):
    if request.method == "GET" and category is not None:
        form = CategoryForm(
            data={name: getattr(category, name) for name in contract_categories.CATEGORY_FIELDS if name != "package"}
            | {"package": str(category.package_id)}
        )
    else:
        form = CategoryForm()
    offered = contract_categories.package_choices(category.package_id if category else None)
    form.package.choices = [("", "—")] + [(str(pk), label) for pk, label in offered]
    return form


def category_page(ep, contract, category_id=None):
    """Add (no id) or edit a category of a draft contract."""
    category = contract_categories.get_category(contract, category_id) if category_id is not None else None
    if contract.status != DRAFT:
        flash(_("Categories can only be changed while the contract is a draft."), "error")
        return redirect(url_for(f"{ep}.detail", contract_id=contract.id), code=303)
    form = _category_form(category)

    def save():
        values = values_of(form, contract_categories.CATEGORY_FIELDS)
        if category is None:
            return contract_categories.add_category(actor(), contract, values)
        return contract_categories.update_category(actor(), contract, category.id, values)

    outcome = submit(form, save, refusals=(ValidationError, Conflict))
    if outcome.done:
        flash(_("Category %(label)s saved.", label=outcome.result.label), "success")
        return redirect(url_for(f"{ep}.detail", contract_id=contract.id, _anchor="categories"), code=303)
    return render_page(
        "contracts/category_form.html",
        ep=ep,
        form=form,
        contract=contract,
        category=category,
        form_error=outcome.form_error,
        status=outcome.status,
    )


def delete_category_action(ep, contract, category_id):
    category = contract_categories.get_category(contract, category_id)
    if ActionForm().validate_on_submit():
        try:
            contract_categories.delete_category(actor(), contract, category.id)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(_("Category %(label)s deleted.", label=category.label), "success")
    return redirect(url_for(f"{ep}.detail", contract_id=contract.id, _anchor="categories"), code=303)


def list_page(ep, rows, **context):
    return render_page(
        "contracts/list.html",
        "contracts/_rows.html",
        ep=ep,
        rows=rows,
        status_label=contracts.status_label,
        statuses=CONTRACT_STATUSES,
        **context,
    )


# --- the center's pages ------------------------------------------------------------------------------


@bp.get("")
def index():
    status = request.args.get("status", "")
    status = status if status in CONTRACT_STATUSES else ""
    organization_id = _id_arg("org")
    return list_page(
        STAFF,
        contracts.list_contracts(status or None, organization_id),
        status_filter=status,
        organization_id=organization_id,
        organization_choices=[] if wants_fragment() else organizations.choices(),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    return new_contract_page(STAFF)


@bp.get("/<int:contract_id>")
def detail(contract_id):
    return detail_page(STAFF, contracts.contract_for_staff(contract_id))


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
def edit(contract_id):
    return contract_edit_page(STAFF, contracts.contract_for_staff(contract_id))


@bp.route("/<int:contract_id>/categories/new", methods=["GET", "POST"])
def category_new(contract_id):
    return category_page(STAFF, contracts.contract_for_staff(contract_id))


@bp.route("/<int:contract_id>/categories/<int:category_id>/edit", methods=["GET", "POST"])
def category_edit(contract_id, category_id):
    return category_page(STAFF, contracts.contract_for_staff(contract_id), category_id)


@bp.post("/<int:contract_id>/categories/<int:category_id>/delete")
def category_delete(contract_id, category_id):
    return delete_category_action(STAFF, contracts.contract_for_staff(contract_id), category_id)


@bp.post("/<int:contract_id>/activate")
def activate(contract_id):
    contract = contracts.contract_for_staff(contract_id)
    if ActionForm().validate_on_submit():
        try:
            contracts.activate(actor(), contract.id)
        except ValidationError as exc:
            return detail_page(STAFF, contract, status=422, action_error=exc.message)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(_("Contract %(name)s is active: employees can book.", name=contract.name), "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id), code=303)


@bp.post("/<int:contract_id>/close")
def close(contract_id):
    contract = contracts.contract_for_staff(contract_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return detail_page(STAFF, contract, status=422, close_form=form)
    try:
        contracts.close(actor(), contract.id)
    except Conflict as exc:
        flash(exc.message, "error")
    else:
        flash(_("Contract %(name)s is closed; the group documents are being prepared.", name=contract.name), "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id), code=303)


@bp.post("/<int:contract_id>/summary-releases")
def release_summary(contract_id):
    """An interim release of the group summary; refused, with the reason, until k more people count."""
    contract = contracts.contract_for_staff(contract_id)
    if ActionForm().validate_on_submit():
        try:
            release = summary_releases.release_interim(actor(), contract.id)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(
                _("Summary release %(number)s is published; its documents are being prepared.", number=release.number),
                "success",
            )
    return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="summary-releases"), code=303)


def _day_arg(contract):
    """The ?day= to reserve on, within the contract's window; defaults to the first reservable day."""
    raw = request.args.get("day", "") if request.method == "GET" else request.form.get("day", "")
    try:
        day = datetime.date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        day = None
    return contract_reservations.day_to_reserve(contract, day)


@bp.route("/<int:contract_id>/reservations/new", methods=["GET", "POST"])
def reservation_new(contract_id):
    contract = contracts.contract_for_staff(contract_id)
    day = _day_arg(contract)
    slots = contract_reservations.slots_to_reserve(contract, day)
    form = ReservationForm() if request.method == "POST" else ReservationForm(formdata=None)
    form.slot.choices = [("", "—")] + [
        (
            str(s.id),
            _(
                "%(start)s–%(end)s (%(free)s free of %(capacity)s)",
                start=s.start_time.strftime("%H:%M"),
                end=s.end_time.strftime("%H:%M"),
                free=s.free,
                capacity=s.capacity,
            ),
        )
        for s in slots
    ]
    outcome = submit(
        form,
        lambda: contract_reservations.reserve(actor(), contract.id, form.slot.data, form.places.data),
        refusals=(ValidationError, Conflict),
    )
    if outcome.done:
        slot = outcome.result.slot
        flash(
            _(
                "%(n)s places reserved on %(day)s at %(time)s.",
                n=form.places.data,
                day=slot.day.isoformat(),
                time=slot.start_time.strftime("%H:%M"),
            ),
            "success",
        )
        return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="reservations"), code=303)
    return render_page(
        "contracts/reservation_form.html",
        ep=STAFF,
        form=form,
        contract=contract,
        day=day,
        slots=slots,
        form_error=outcome.form_error,
        status=outcome.status,
    )


@bp.post("/<int:contract_id>/reservations/<int:reservation_id>/cancel")
def reservation_cancel(contract_id, reservation_id):
    contract = contracts.contract_for_staff(contract_id)
    reservation = contract_reservations.get_reservation(contract, reservation_id)
    if ActionForm().validate_on_submit():
        try:
            given = contract_reservations.cancel_reservation(actor(), contract, reservation.id)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(
                _(
                    "%(n)s reserved places on %(day)s went back to everyone.",
                    n=given,
                    day=reservation.slot.day.isoformat(),
                ),
                "success",
            )
    return redirect(url_for("contracts.detail", contract_id=contract.id, _anchor="reservations"), code=303)
