"""The client's money (/me/money): what each checkup costs them and what the company pays, paid or not,
their receipts, paying online (the manual transfer here), and asking for an invoice (发票). Only their own
appointments: another's answers 404 like a missing one."""

from flask import Blueprint, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from checkup.core.errors import DomainError
from checkup.models.accounts import CLIENT
from checkup.models.money import SELF
from checkup.services.booking import booking, payment_holds
from checkup.services.money import invoices, ledger, payments, providers, revenue
from checkup.web.form_round_trip import refusal_of
from checkup.web.guards import actor, render_page, roles_required

bp = Blueprint("me_money", __name__, url_prefix="/me/money")


@bp.get("")
@roles_required(CLIENT)
def index():
    return render_page(
        "cashier/my_money.html",
        appointments=ledger.client_overview(current_user.client_id),
        paid_total=revenue.for_client(current_user.client_id),
    )


def _page(appointment_id, refusal=None, form=None, order=None, status=200):
    item = booking.get_appointment(appointment_id, current_user.client_id, with_related="package")
    charges, adjustments = ledger.lines(appointment_id)
    paid, _refunds = ledger.payments_of(appointment_id)
    return render_page(
        "cashier/my_appointment.html",
        status=status,
        appointment=item,
        account=ledger.account(appointment_id),
        charges=charges,
        adjustments=adjustments,
        payments=[p for p in paid if p.payer == SELF],
        receipts=sorted({p.receipt_no for p in paid if p.payer == SELF}),
        invoices=invoices.for_appointment(appointment_id),
        hold=payment_holds.hold_of(appointment_id),
        order=order,
        method_label=payments.method_label,
        refusal=refusal,
        form=form or {},
    )


@bp.get("/<int:appointment_id>")
@roles_required(CLIENT)
def appointment(appointment_id):
    return _page(appointment_id)


@bp.post("/<int:appointment_id>/invoice")
@roles_required(CLIENT)
def request_invoice(appointment_id):
    booking.get_appointment(appointment_id, current_user.client_id)
    form = request.form
    try:
        invoices.request_for_appointment(
            actor(),
            appointment_id,
            form.get("title", ""),
            form.get("taxpayer_id", ""),
            form.get("email", ""),
            client_id=current_user.client_id,
        )
    except DomainError as error:
        refusal = refusal_of(error)
        return _page(appointment_id, refusal, form, status=422)
    flash(_("Invoice requested. It is emailed to you once issued."), "success")
    return redirect(url_for("me_money.appointment", appointment_id=appointment_id), code=303)


@bp.post("/<int:appointment_id>/pay")
@roles_required(CLIENT)
def pay_online(appointment_id):
    booking.get_appointment(appointment_id, current_user.client_id)
    try:
        order, _shown = providers.create_order(actor(), appointment_id, client_id=current_user.client_id)
    except DomainError as error:
        if error.status == 404:
            raise
        return _page(appointment_id, {"message": str(error.message), "fields": {}}, status=409)
    return _page(appointment_id, order=order)


@bp.get("/<int:appointment_id>/receipt")
@roles_required(CLIENT)
def receipt(appointment_id):
    filename, pdf = payments.receipt_pdf(
        appointment_id, request.args.get("no", ""), current_app.config["CENTER_NAME"], client_id=current_user.client_id
    )
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
