"""What the outcome of a checkup under a group contract writes to the ledger, when it happens.

- Signed (a report signed, or amended): each package item not performed is credited to the company at its
  item price when the contract says so (``ContractMoneyTerms``: item price, or no credit), never more than
  the package cost the company;
- no-show: everything charged is credited, and the contract's no-show share of the company's package charge
  is charged (the ``no_show`` line).

Each row has its key (``not_performed:package:<item id>``, ``no_show:<payer>``, the ``no_show`` line), so the
signature, any amendment and the statement's settlement (services/money/settlement.py, which writes what the
ledger still lacks for appointments from before these receivers or marked outside them) write it once
between them. The management dashboard, the statement and HR's billing page read these rows at once
(services/money/revenue.py).

Individual clients: nothing here. Their items not performed are credited when the front desk refunds them
(refunds.credit_not_performed, with a reason), and an individual no-show is charged nothing (revenue counts
nothing for it).

The exam domain announces the signature and the no-show (services/exam/events.py) inside its transaction.
It sits above money, which may not import it: checkup/task_kinds.py connects ``on_report_signed`` and
``on_no_show`` to its signals.
"""

from collections import defaultdict

from checkup.core import audit
from checkup.core.audit import SYSTEM
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, AppointmentItem, GroupContract, Result
from checkup.models.appointments import COMPLETED, NO_SHOW
from checkup.models.base import utcnow
from checkup.models.money import (
    ADDON,
    COMPANY,
    CREDIT_AT_ITEM_PRICE,
    NO_SHOW_CHARGE,
    NO_SHOW_CREDIT,
    NOT_PERFORMED,
    PACKAGE,
    SELF,
    Adjustment,
    ChargeLine,
    ContractMoneyTerms,
)
from checkup.services.money import ledger


def _terms_query(contract_id):
    return ContractMoneyTerms.select().where(ContractMoneyTerms.contract == contract_id).limit(1)


_TERMS = PreparedSelect(_terms_query, "checkup_outcomes_contract_terms", samples=(-2_000_000_001,))


def credit_rule(contract_id):
    """How the contract credits items not performed (item price unless its terms say none)."""
    terms = _TERMS.rows(contract_id)
    return terms[0].not_performed_credit if terms else CREDIT_AT_ITEM_PRICE


def net_by_appointment(ids, exclude_kinds=()):
    """{(appointment id, payer): net of charge lines and adjustments} (two grouped queries)."""
    net = defaultdict(lambda: ledger.ZERO)
    for model in (ChargeLine, Adjustment):
        query = model.select(model.appointment, model.payer, ledger.sum_column(model.amount)).where(
            model.appointment.in_(ids), model.kind.not_in(exclude_kinds or ("",))
        )
        for appointment_id, payer, value in query.group_by(model.appointment, model.payer).tuples():
            net[(appointment_id, payer)] += ledger.summed(value)
    return net


def _no_show_rows(no_shows, contract, keys, package_company, actor_id, now):
    """The credits of everything charged and the no-show charge, for the no-shows still without them."""
    adjustments, charges = [], []
    net = net_by_appointment([a.id for a in no_shows], exclude_kinds=(NO_SHOW_CHARGE,))
    for appointment in no_shows:
        for payer in (SELF, COMPANY):
            amount = net.get((appointment.id, payer), ledger.ZERO)
            if amount and (appointment.id, f"no_show:{payer}") not in keys:
                adjustments.append(
                    {
                        "appointment": appointment.id,
                        "contract": contract.id,
                        "kind": NO_SHOW_CREDIT,
                        "adjustment_key": f"no_show:{payer}",
                        "payer": payer,
                        "item": None,
                        "amount": -amount,
                        "reason": "no-show",
                        "created_by": actor_id,
                        "created_at": now,
                    }
                )
        fee = ledger.money(
            ledger.money(package_company.get(appointment.id)) * contract.no_show_charge_percent / ledger.HUNDRED
        )
        if fee > 0 and (appointment.id, "no_show") not in keys:
            charges.append(
                {
                    "appointment": appointment.id,
                    "contract": contract.id,
                    "kind": NO_SHOW_CHARGE,
                    "line_key": "no_show",
                    "payer": COMPANY,
                    "item": None,
                    "description": "",
                    "amount": fee,
                    "created_by": actor_id,
                    "created_at": now,
                }
            )
    return adjustments, charges


def _not_performed_rows(completed, contract, keys, package_company, actor_id, now):
    """The company's credits, at item price, for the package items of ``completed`` (ids) not performed,
    capped at what the package cost the company (less its earlier credits and corrections)."""
    done = set(
        Result.select(Result.appointment, Result.item)
        .where(Result.appointment.in_(completed), Result.skipped == False)
        .tuples()
    )
    credited = defaultdict(lambda: ledger.ZERO)  # the credits written now, per appointment (negative)
    # the company's adjustments so far (earlier credits, corrections), per appointment
    existing = net_by_appointment(completed, exclude_kinds=(PACKAGE, ADDON, NO_SHOW_CHARGE, NO_SHOW_CREDIT))
    items = (
        AppointmentItem.select(AppointmentItem.appointment, AppointmentItem.item, AppointmentItem.price)
        .where(AppointmentItem.appointment.in_(completed), AppointmentItem.is_addon == False)
        .order_by(AppointmentItem.appointment, AppointmentItem.item)
        .tuples()
    )
    adjustments = []
    for appointment_id, item_id, price in items:
        key = f"not_performed:package:{item_id}"
        if (appointment_id, item_id) in done or (appointment_id, key) in keys:
            continue
        room = (
            ledger.money(package_company[appointment_id])
            + existing[(appointment_id, COMPANY)]
            + credited[appointment_id]
        )
        amount = min(ledger.money(price), room)
        if amount <= 0:
            continue
        credited[appointment_id] -= amount
        adjustments.append(
            {
                "appointment": appointment_id,
                "contract": contract.id,
                "kind": NOT_PERFORMED,
                "adjustment_key": key,
                "payer": COMPANY,
                "item": item_id,
                "amount": -amount,
                "reason": "item not performed (contract: credit at item price)",
                "created_by": actor_id,
                "created_at": now,
            }
        )
    return adjustments


def write_outcomes(appointments, contract, actor_id=None):
    """Write the outcome rows (see the module) that ``appointments``, all booked under ``contract`` and with
    their charges posted, call for and still lack. Returns how many rows were written. A fixed number of
    queries however many appointments; call inside a transaction."""
    ids = [a.id for a in appointments]
    if not ids:
        return 0
    keys = set(
        Adjustment.select(Adjustment.appointment, Adjustment.adjustment_key)
        .where(Adjustment.appointment.in_(ids))
        .tuples()
    ) | set(
        ChargeLine.select(ChargeLine.appointment, ChargeLine.line_key).where(ChargeLine.appointment.in_(ids)).tuples()
    )
    package_company = dict(
        ChargeLine.select(ChargeLine.appointment, ChargeLine.amount)
        .where(ChargeLine.appointment.in_(ids), ChargeLine.line_key == f"{PACKAGE}:{COMPANY}")
        .tuples()
    )
    now = utcnow()
    adjustments, charges = [], []
    no_shows = [a for a in appointments if a.status == NO_SHOW]
    if no_shows:
        adjustments, charges = _no_show_rows(no_shows, contract, keys, package_company, actor_id, now)
    completed = [a.id for a in appointments if a.status == COMPLETED and package_company.get(a.id)]
    if completed and credit_rule(contract.id) == CREDIT_AT_ITEM_PRICE:
        adjustments += _not_performed_rows(completed, contract, keys, package_company, actor_id, now)
    if adjustments:
        Adjustment.insert_many(adjustments).on_conflict_ignore().execute()
    if charges:
        ChargeLine.insert_many(charges).on_conflict_ignore().execute()
    return len(adjustments) + len(charges)


def record_outcome(appointment_id, actor=SYSTEM):
    """Inside the transaction that signed the appointment's report (or amended it) or marked it a no-show:
    write what its outcome calls for under its contract (nothing for an individual client's appointment).
    Idempotent. Returns how many rows were written; audited on the contract when any was."""
    contract_id = ledger.contract_of(appointment_id)
    if contract_id is None:
        return 0
    ledger.lock_balance(f"appointment:{appointment_id}")
    appointment = Appointment.get_by_id(appointment_id)
    if appointment.status not in (COMPLETED, NO_SHOW):
        return 0
    contract = GroupContract.get_by_id(contract_id)
    ledger.post_charges_for([appointment], actor.user_id)
    written = write_outcomes([appointment], contract, actor.user_id)
    if written:
        audit.record(
            actor,
            "money.outcome_recorded",
            contract,
            appointment=appointment.id,
            status=appointment.status,
            rows=written,
        )
    return written


def on_report_signed(report, actor=None, **_):
    """``report_signed`` receiver: a signed (or amended) report's appointment is completed."""
    record_outcome(report.appointment_id, actor or SYSTEM)


def on_no_show(appointment, actor=None, **_):
    """``appointment_no_show`` receiver."""
    record_outcome(appointment.id, actor or SYSTEM)
