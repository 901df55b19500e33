"""HR's billing page of a contract (/hr/contracts/<id>/billing): the issued statement versions, what the
company owes and has paid (the ledger's figures, services/money/settlement.py), and asking for the
company's invoice (发票). Only HR's own organization's contracts: another's answers 404 like a missing one."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import DomainError
from checkup.models.accounts import HR
from checkup.services.money import invoices, settlement
from checkup.web.form_round_trip import refusal_of
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("hr_money", __name__, url_prefix="/hr/contracts/<int:contract_id>/billing")


def _page(contract_id, refusal=None, form=None, status=200):
    contract = settlement.get_contract(contract_id, current_user.organization_id)
    return render_page(
        "cashier/hr_billing.html",
        status=status,
        contract=contract,
        account=settlement.company_account(contract_id),
        invoices=invoices.for_contract(contract_id),
        refusal=refusal,
        form=form or {},
    )


@bp.get("")
@roles_required(HR)
def billing(contract_id):
    return _page(contract_id)


@bp.post("/invoice")
@roles_required(HR)
def request_invoice(contract_id):
    settlement.get_contract(contract_id, current_user.organization_id)
    form = request.form
    try:
        invoices.request_for_contract(
            actor(),
            contract_id,
            form.get("title", ""),
            form.get("taxpayer_id", ""),
            form.get("email", ""),
            organization_id=current_user.organization_id,
        )
    except DomainError as error:
        refusal = refusal_of(error)
        return _page(contract_id, refusal, form, status=422)
    flash(_("Invoice requested."), "success")
    return redirect(url_for("hr_money.billing", contract_id=contract_id), code=303)
