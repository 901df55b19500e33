"""HR's group contracts: their own organization's only. HR drafts a contract and its categories with the
center and confirms the categories; activating, closing and reserving places are the center's.

Another organization's contract answers exactly like a missing one (404), on every URL here.
"""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.blueprints.desk.contracts import (
    category_page,
    contract_edit_page,
    delete_category_action,
    detail_page,
    list_page,
    new_contract_page,
)
from checkup.core.errors import Conflict, ValidationError
from checkup.forms.contracts import ActionForm
from checkup.models.accounts import HR
from checkup.services.groups import contract_categories, contracts
from checkup.web.guards import actor, restrict_blueprint

bp = Blueprint("hr_contracts", __name__, url_prefix="/hr/contracts")
restrict_blueprint(bp, HR)

EP = "hr_contracts"


def _own(contract_id):
    return contracts.contract_for_org(contract_id, current_user.organization_id)


@bp.get("")
def index():
    return list_page(EP, contracts.contracts_for_org(current_user.organization_id))


@bp.route("/new", methods=["GET", "POST"])
def new():
    return new_contract_page(EP, current_user.organization_id)


@bp.get("/<int:contract_id>")
def detail(contract_id):
    return detail_page(EP, _own(contract_id))


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
def edit(contract_id):
    return contract_edit_page(EP, _own(contract_id), draft_only=True)


@bp.route("/<int:contract_id>/categories/new", methods=["GET", "POST"])
def category_new(contract_id):
    return category_page(EP, _own(contract_id))


@bp.route("/<int:contract_id>/categories/<int:category_id>/edit", methods=["GET", "POST"])
def category_edit(contract_id, category_id):
    return category_page(EP, _own(contract_id), category_id)


@bp.post("/<int:contract_id>/categories/<int:category_id>/delete")
def category_delete(contract_id, category_id):
    return delete_category_action(EP, _own(contract_id), category_id)


@bp.post("/<int:contract_id>/confirm")
def confirm(contract_id):
    """HR confirms the draft's categories; the center may then activate the contract."""
    contract = _own(contract_id)
    if ActionForm().validate_on_submit():
        try:
            contract_categories.confirm_categories(actor(), contract)
        except ValidationError as exc:
            return detail_page(EP, contract, status=422, action_error=exc.message)
        except Conflict as exc:
            flash(exc.message, "error")
        else:
            flash(_("Categories confirmed. The center will activate the contract."), "success")
    return redirect(url_for("hr_contracts.detail", contract_id=contract.id), code=303)
