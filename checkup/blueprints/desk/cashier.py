"""The front desk cashier (/desk/cashier): find a visit, see its balance and lines, take a payment split
across methods, print the receipt, refund by rule, credit items not performed, close the day (日结); the
invoice desk (issue, 红冲); manual transfers to confirm; a contract's statement versions. Thin: every rule
is in services/money."""

import datetime

from flask import Blueprint, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _

from checkup.core import clock
from checkup.core.errors import DomainError
from checkup.models.accounts import ADMIN, SCHEDULER
from checkup.models.money import CREDIT_RULES, METHODS, REQUESTED, REVERSED, SELF
from checkup.models.money import ISSUED as INVOICE_ISSUED
from checkup.services.booking import appointments, booking
from checkup.services.money import closing, invoices, ledger, payments, providers, refunds, settlement
from checkup.web.form_round_trip import refusal_of
from checkup.web.guards import actor, render_page, restrict_blueprint

bp = Blueprint("desk_cashier", __name__, url_prefix="/desk/cashier")
restrict_blueprint(bp, SCHEDULER, ADMIN)

SPLIT_ROWS = 3  # method rows on the payment form


@bp.route("", methods=["GET", "POST"])
def search():
    """The search (exam code, name or phone) comes only as a POSTed form: never in an address."""
    query = request.form.get("q", "").strip()[:100]
    return render_page(
        "cashier/search.html",
        "cashier/_rows.html",
        query=query,
        results=appointments.search(query),
        orders=providers.open_order_count(),
        requested=invoices.requested_count(),
    )


def _appointment_page(appointment_id, refusal=None, form=None, status=200):
    appointment = ledger.ensure_charges(appointment_id)
    charges, adjustments = ledger.lines(appointment_id)
    paid, _refund_rows = ledger.payments_of(appointment_id)
    return render_page(
        "cashier/appointment.html",
        status=status,
        appointment=appointment,
        account=ledger.account(appointment_id),
        charges=charges,
        adjustments=adjustments,
        payments=paid,
        receipts=sorted({p.receipt_no for p in paid if p.payer == SELF}),
        invoices=invoices.for_appointment(appointment_id),
        refundable=refunds.refundable(appointment_id),
        rule=refunds.rule_for(appointment_id),
        threshold=refunds.second_person_above(),
        methods=[m for m in METHODS if m != "company_account"],
        method_label=payments.method_label,
        split_rows=range(SPLIT_ROWS),
        refusal=refusal,
        form=form or {},
    )


@bp.get("/appointments/<int:appointment_id>")
def appointment(appointment_id):
    return _appointment_page(appointment_id)


@bp.post("/appointments/<int:appointment_id>/pay")
def pay(appointment_id):
    booking.get_appointment(appointment_id)
    rows = [
        (
            request.form.get(f"method_{n}", ""),
            request.form.get(f"amount_{n}", ""),
            request.form.get(f"reference_{n}", ""),
        )
        for n in range(SPLIT_ROWS)
    ]
    try:
        receipt_no = payments.take_payment(actor(), appointment_id, payments.parse_parts(rows))
    except DomainError as error:
        return _appointment_page(appointment_id, refusal_of(error), request.form, status=422)
    flash(_("Payment recorded. Receipt %(number)s.", number=receipt_no), "success")
    return redirect(url_for("desk_cashier.appointment", appointment_id=appointment_id) + "#receipts", code=303)


@bp.get("/appointments/<int:appointment_id>/receipt")
def receipt(appointment_id):
    filename, pdf = payments.receipt_pdf(appointment_id, request.args.get("no", ""), current_app.config["CENTER_NAME"])
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/appointments/<int:appointment_id>/refund")
def refund(appointment_id):
    booking.get_appointment(appointment_id)
    form = request.form
    try:
        refunds.refund(
            actor(),
            appointment_id,
            form.get("amount", ""),
            form.get("reason", ""),
            form.get("approver_email", ""),
            form.get("approver_password", ""),
        )
    except DomainError as error:
        kept = {k: v for k, v in form.items() if k != "approver_password"}
        return _appointment_page(appointment_id, refusal_of(error), kept, status=422)
    flash(_("Refund recorded."), "success")
    return redirect(url_for("desk_cashier.appointment", appointment_id=appointment_id), code=303)


@bp.post("/appointments/<int:appointment_id>/not-performed")
def not_performed(appointment_id):
    booking.get_appointment(appointment_id)
    try:
        credited = refunds.credit_not_performed(actor(), appointment_id, request.form.get("credit_reason", ""))
    except DomainError as error:
        return _appointment_page(appointment_id, refusal_of(error), request.form, status=422)
    if credited:
        flash(_("Credited %(amount)s for items not performed.", amount=f"{credited:.2f}"), "success")
    else:
        flash(_("Every item was performed, or was credited already."), "info")
    return redirect(url_for("desk_cashier.appointment", appointment_id=appointment_id), code=303)


def _day_arg():
    try:
        day = datetime.date.fromisoformat(request.values.get("day", ""))
    except ValueError:
        day = clock.today()
    return min(day, clock.today())


@bp.route("/closing", methods=["GET", "POST"])
def closing_page():
    day = _day_arg()
    refusal = None
    if request.method == "POST":
        try:
            closing.close_day(actor(), day, request.form.get("counted_cash", ""), request.form.get("note", ""))
        except DomainError as error:
            refusal = refusal_of(error)
        else:
            flash(_("Day closed."), "success")
            return redirect(url_for("desk_cashier.closing_page", day=day.isoformat()), code=303)
    user_id = actor().user_id
    totals = closing.day_summary(user_id, day)
    return render_page(
        "cashier/closing.html",
        status=422 if refusal else 200,
        day=day,
        totals=[t for t in totals.values() if t.payments or t.refunded],
        cash=totals["cash"],
        closed=closing.closing_of(user_id, day),
        recent=closing.recent_closings(user_id),
        method_label=payments.method_label,
        refusal=refusal,
        form=request.form,
    )


@bp.get("/invoices")
def invoice_list():
    status = request.args.get("status", REQUESTED)
    status = status if status in (REQUESTED, INVOICE_ISSUED, REVERSED) else REQUESTED
    return render_page(
        "cashier/invoices.html", status=200, shown=status, rows=invoices.desk_list(status), refusal=None, form={}
    )


@bp.post("/invoices/<int:invoice_id>/issue")
def issue_invoice(invoice_id):
    invoices.get_invoice(invoice_id)
    try:
        issued_on = datetime.date.fromisoformat(request.form.get("issued_on", ""))
    except ValueError:
        issued_on = None
    try:
        invoices.issue(actor(), invoice_id, request.form.get("number", ""), issued_on)
    except DomainError as error:
        refusal = refusal_of(error)
        refusal["invoice_id"] = invoice_id
        rows = invoices.desk_list(REQUESTED)
        return render_page(
            "cashier/invoices.html", status=422, shown=REQUESTED, rows=rows, refusal=refusal, form=request.form
        )
    flash(_("Invoice issued."), "success")
    return redirect(url_for("desk_cashier.invoice_list", status=INVOICE_ISSUED), code=303)


@bp.post("/invoices/<int:invoice_id>/reverse")
def reverse_invoice(invoice_id):
    invoices.get_invoice(invoice_id)
    try:
        invoices.reverse(actor(), invoice_id, request.form.get("reason", ""))
    except DomainError as error:
        refusal = refusal_of(error)
        refusal["invoice_id"] = invoice_id
        rows = invoices.desk_list(INVOICE_ISSUED)
        return render_page(
            "cashier/invoices.html", status=422, shown=INVOICE_ISSUED, rows=rows, refusal=refusal, form=request.form
        )
    flash(_("Invoice reversed (红冲)."), "success")
    return redirect(url_for("desk_cashier.invoice_list", status=REVERSED), code=303)


@bp.route("/transfers", methods=["GET", "POST"])
def transfers():
    refusal = None
    if request.method == "POST":
        try:
            outcome = providers.confirm_transfer(
                actor(), request.form.get("order_no", ""), request.form.get("reference", "")
            )
        except DomainError as error:
            refusal = refusal_of(error)
        else:
            flash(
                _("Transfer confirmed.") if outcome == "paid" else _("This transfer was already recorded."), "success"
            )
            return redirect(url_for("desk_cashier.transfers"), code=303)
    return render_page(
        "cashier/transfers.html",
        status=422 if refusal else 200,
        orders=providers.open_orders(),
        refusal=refusal,
        form=request.form,
    )


def _statement_page(contract_id, refusal=None, status=200):
    contract = settlement.contract_with_organization(contract_id)
    versions = settlement.versions(contract_id)
    return render_page(
        "cashier/statement.html",
        status=status,
        contract=contract,
        versions=versions,
        account=settlement.company_account(contract_id, versions),
        rule=settlement.credit_rule(contract_id),
        rules=CREDIT_RULES,
        methods=METHODS,
        method_label=payments.method_label,
        refusal=refusal,
        form=request.form,
    )


@bp.get("/contracts/<int:contract_id>/statement")
def statement(contract_id):
    return _statement_page(contract_id)


@bp.post("/contracts/<int:contract_id>/statement")
def draft_statement(contract_id):
    settlement.get_contract(contract_id)
    statement_version = settlement.draft_statement(actor(), contract_id)
    flash(
        _("Statement version %(version)s is up to date with the ledger.", version=statement_version.version), "success"
    )
    return redirect(url_for("desk_cashier.statement", contract_id=contract_id), code=303)


@bp.post("/contracts/<int:contract_id>/terms")
def credit_rule(contract_id):
    try:
        settlement.set_credit_rule(actor(), contract_id, request.form.get("rule", ""))
    except DomainError as error:
        return _statement_page(contract_id, refusal_of(error), status=422)
    flash(_("Contract terms saved."), "success")
    return redirect(url_for("desk_cashier.statement", contract_id=contract_id), code=303)


@bp.post("/contracts/<int:contract_id>/statements/<int:statement_id>/issue")
def issue_statement(contract_id, statement_id):
    try:
        settlement.issue_statement(actor(), statement_id, contract_id)
    except DomainError as error:
        return _statement_page(contract_id, refusal_of(error), status=409)
    flash(_("Statement issued."), "success")
    return redirect(url_for("desk_cashier.statement", contract_id=contract_id), code=303)


@bp.post("/contracts/<int:contract_id>/statements/<int:statement_id>/payment")
def statement_payment(contract_id, statement_id):
    try:
        settlement.record_company_payment(
            actor(),
            statement_id,
            request.form.get("amount", ""),
            request.form.get("method", ""),
            request.form.get("reference", ""),
            contract_id=contract_id,
        )
    except DomainError as error:
        return _statement_page(contract_id, refusal_of(error), status=422)
    flash(_("Company payment recorded."), "success")
    return redirect(url_for("desk_cashier.statement", contract_id=contract_id), code=303)
