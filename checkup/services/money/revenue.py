"""Revenue: the one place its figures come from. The management dashboard, the group statement and the HR
billing page, and the client's own money page all read these functions, so they agree to the cent.

Revenue is what the ledger says an appointment finally costs, once its outcome is known, on the
appointment's day:

- completed: every charge line and adjustment (items not performed credited, discounts, corrections);
- cancelled: the same — the cancellation credit leaves the fee kept after the cutoff, or nothing;
- no-show: only the no-show charge (a contract's share of the package; none for individual clients);
- booked or checked in: nothing yet.

``group`` is what companies pay (payer ``company``), ``individual`` what clients pay themselves (their own
checkups, and the add-ons an employee pays for). Sums are exact (NUMERIC on PostgreSQL, integer cents on
SQLite), never floats.
"""

from collections import defaultdict

from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment
from checkup.models.appointments import CANCELLED, COMPLETED, NO_SHOW
from checkup.models.money import COMPANY, NO_SHOW_CHARGE, SELF, Adjustment, ChargeLine
from checkup.services.money import ledger

OUTCOME_STATUSES = (COMPLETED, CANCELLED)


def _charge_condition():
    return Appointment.status.in_(OUTCOME_STATUSES) | (
        (Appointment.status == NO_SHOW) & (ChargeLine.kind == NO_SHOW_CHARGE)
    )


def _adjustment_condition():
    return Appointment.status.in_(OUTCOME_STATUSES)


def _grouped_query(model, condition, extra, *keys):
    columns = [key(model) for key in keys] + [model.payer, ledger.sum_column(model.amount)]
    return (
        model.select(*columns)
        .join(Appointment, on=(model.appointment == Appointment.id))
        .where(condition, *extra(model))
        .group_by(*columns[:-1])
        .tuples()
    )


def _grouped(where_charge, where_adjustment, *keys):
    """[(key values…, payer, Decimal)] of recognized rows, charge lines and adjustments summed apart."""
    rows = []
    for model, condition, extra in (
        (ChargeLine, _charge_condition(), where_charge),
        (Adjustment, _adjustment_condition(), where_adjustment),
    ):
        query = _grouped_query(model, condition, extra, *keys)
        rows.extend((*row[:-1], ledger.summed(row[-1])) for row in query)
    return rows


def _client_own(client_id):
    return lambda model: [Appointment.client == client_id, model.payer == SELF]


def _client_charges(client_id):
    return _grouped_query(ChargeLine, _charge_condition(), _client_own(client_id))


def _client_adjustments(client_id):
    return _grouped_query(Adjustment, _adjustment_condition(), _client_own(client_id))


# the client's money page reads these on every visit: built once, prepared on PostgreSQL
_CLIENT_CHARGES = PreparedSelect(_client_charges, "checkup_revenue_client_charges", samples=(-2_000_000_001,))
_CLIENT_ADJUSTMENTS = PreparedSelect(
    _client_adjustments, "checkup_revenue_client_adjustments", samples=(-2_000_000_001,)
)


def between(start, end):
    """{"individual", "group", "total"} for appointments on days [start, end] (two grouped queries)."""
    in_window = lambda model: [Appointment.day >= start, Appointment.day <= end]  # noqa: E731
    totals = {SELF: ledger.ZERO, COMPANY: ledger.ZERO}
    for payer, amount in _grouped(in_window, in_window):
        totals[payer] = totals.get(payer, ledger.ZERO) + amount
    return {"individual": totals[SELF], "group": totals[COMPANY], "total": totals[SELF] + totals[COMPANY]}


def by_day(start, end):
    """{day: {"individual", "group"}} for days [start, end] with revenue."""
    in_window = lambda model: [Appointment.day >= start, Appointment.day <= end]  # noqa: E731
    days = defaultdict(lambda: {"individual": ledger.ZERO, "group": ledger.ZERO})
    for day, payer, amount in _grouped(in_window, in_window, lambda model: Appointment.day):
        days[day]["group" if payer == COMPANY else "individual"] += amount
    return dict(days)


def by_appointment(appointment_ids):
    """{appointment id: {payer: Decimal}} recognized so far (two grouped queries)."""
    ids = list(appointment_ids)
    result = defaultdict(lambda: {SELF: ledger.ZERO, COMPANY: ledger.ZERO})
    if not ids:
        return result
    of = lambda model: [model.appointment.in_(ids)]  # noqa: E731
    for appointment_id, payer, amount in _grouped(of, of, lambda model: model.appointment):
        result[appointment_id][payer] += amount
    return result


def for_contract(contract_id):
    """What the company owes under the contract by what was done (its recognized rows)."""
    of = lambda model: [model.contract == contract_id, model.payer == COMPANY]  # noqa: E731
    return sum((amount for _payer, amount in _grouped(of, of)), ledger.ZERO)


def for_contracts(contract_ids):
    """{contract id: company amount} for many contracts (two grouped queries)."""
    ids = list(contract_ids)
    totals = {contract_id: ledger.ZERO for contract_id in ids}
    if not ids:
        return totals
    of = lambda model: [model.contract.in_(ids), model.payer == COMPANY]  # noqa: E731
    for contract_id, _payer, amount in _grouped(of, of, lambda model: model.contract):
        totals[contract_id] += amount
    return totals


def for_client(client_id):
    """What the client has paid for themself, by what was done (their recognized own rows)."""
    rows = _CLIENT_CHARGES.rows(client_id) + _CLIENT_ADJUSTMENTS.rows(client_id)
    return sum((ledger.summed(amount) for _payer, amount in rows), ledger.ZERO)
