"""Group settlement: the company is charged by what was done under the contract.

What each outcome calls for is written when it happens (services/money/outcomes.py: the report signed, the
no-show marked); ``settle_contract`` writes whatever the ledger still lacks, once each (idempotent keys):

- completed: the package booked under the contract stays charged (the category's package, or the cheaper
  one the employee actually did — the charge is the appointment's own); each package item not performed is
  credited at its item price when the contract says so (``ContractMoneyTerms``: item price, or no credit),
  never more than the package cost;
- no-show: everything charged is credited, and the contract's no-show share of the company's package
  charge is charged (``no_show`` line);
- add-ons stay with whoever pays them (the employee's never enter the company's total).

The statement (``figures``) then reads the ledger through revenue.py, line per employee — naming the
employee and the category, never an item (a credit is "items not performed"). A statement is kept in
versions: a draft follows the ledger; an issued version is frozen; when the figures move after issue a new
version is drafted with the differences, line by line. The company's payments are recorded against a
version; paid in full, it turns ``paid``.
"""

import json
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from checkup.core import audit
from checkup.core.arguments import valid_id
from checkup.core.audit import SYSTEM
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.core.prepared import PreparedSelect
from checkup.models import Appointment, Client, ContractCategory, Enrollment, GroupContract, Organization
from checkup.models.appointments import BOOKED, CANCELLED, CHECKED_IN, COMPLETED, NO_SHOW
from checkup.models.base import db, utcnow
from checkup.models.money import (
    ADDON,
    COMPANY,
    CREDIT_RULES,
    DRAFT,
    METHODS,
    NO_SHOW_CHARGE,
    NOT_PERFORMED,
    PACKAGE,
    PAID,
    STATEMENT_ISSUED,
    Adjustment,
    ChargeLine,
    ContractMoneyTerms,
    Payment,
    StatementVersion,
)
from checkup.services.money import ledger, outcomes, revenue


def _contract_query(contract_id):
    return GroupContract.select().where(GroupContract.id == contract_id).limit(1)


def _organization_contract_query(contract_id, organization_id):
    return (
        GroupContract.select()
        .where(GroupContract.id == contract_id, GroupContract.organization == organization_id)
        .limit(1)
    )


def _contract_with_organization_query(contract_id):
    return (
        GroupContract.select(GroupContract, Organization)
        .join(Organization)
        .where(GroupContract.id == contract_id)
        .limit(1)
    )


# the contract's row (SQL built once per process, prepared on PostgreSQL); of one organization (HR's pages)
_CONTRACT = PreparedSelect(_contract_query, "checkup_settlement_contract", samples=(-2_000_000_001,))
_ORGANIZATION_CONTRACT = PreparedSelect(
    _organization_contract_query,
    "checkup_settlement_organization_contract",
    samples=(-2_000_000_001, -2_000_000_002),
)
_CONTRACT_WITH_ORGANIZATION = PreparedSelect(
    _contract_with_organization_query, "checkup_settlement_contract_with_organization", samples=(-2_000_000_001,)
)


def _found(rows):
    if not rows:
        raise NotFound(_l("We could not find that contract."))
    return rows[0]


def get_contract(contract_id, organization_id=None):
    if not valid_id(contract_id):  # no row has it (and a prepared statement takes only 32-bit ids)
        return _found([])
    if organization_id is None:
        return _found(_CONTRACT.rows(contract_id))
    if not valid_id(organization_id):
        return _found([])
    return _found(_ORGANIZATION_CONTRACT.rows(contract_id, organization_id))


def contract_with_organization(contract_id):
    """The contract with its organization attached (the statement page names both): one query."""
    return _found(_CONTRACT_WITH_ORGANIZATION.rows(contract_id) if valid_id(contract_id) else [])


def credit_rule(contract_id):
    return outcomes.credit_rule(contract_id)


def set_credit_rule(actor, contract_id, rule):
    if rule not in CREDIT_RULES:
        message = _l("Choose how items not performed are credited.")
        raise ValidationError(message, {"rule": message})
    get_contract(contract_id)
    with db.atomic():
        ContractMoneyTerms.insert(contract=contract_id, not_performed_credit=rule).on_conflict(
            conflict_target=[ContractMoneyTerms.contract], update={ContractMoneyTerms.not_performed_credit: rule}
        ).execute()
        audit.record(actor, "money.contract_terms_changed", get_contract(contract_id), not_performed_credit=rule)


def _appointments(contract_id):
    return list(
        Appointment.select()
        .join(Enrollment, on=(Enrollment.appointment == Appointment.id))
        .where(Enrollment.contract == contract_id)
    )


def settle_contract(actor, contract_id):
    """Write what the ledger still lacks for every appointment under the contract: its charges, and the rows
    its outcome calls for (services/money/outcomes.py; most were written when the report was signed or the
    no-show marked). Returns how many rows were written. Idempotent; a fixed number of queries for the whole
    contract."""
    contract = get_contract(contract_id)
    with db.atomic():
        ledger.lock_balance(f"contract:{contract_id}")
        appointments = _appointments(contract_id)
        written = ledger.post_charges_for(appointments, actor.user_id)
        outcome_rows = outcomes.write_outcomes(appointments, contract, actor.user_id)
        if outcome_rows:
            audit.record(actor, "money.contract_settled", contract, rows=outcome_rows)
    return written + outcome_rows


# --- the statement's figures -------------------------------------------------------------------------


def figures(contract_id):
    """The statement of the contract, from the ledger: one line per employee (employee number, name,
    department, category, day, status, package charged, items-not-performed credit, no-show charge, company
    amount), the self-paid add-ons in total only, and the company's total. Six queries."""
    contract = get_contract(contract_id)
    query = (
        Enrollment.select(
            Enrollment.id.alias("enrollment"),
            Enrollment.employee_no.alias("employee_no"),
            Enrollment.department.alias("department"),
            ContractCategory.id.alias("category_id"),
            ContractCategory.label.alias("category"),
            Client.name.alias("name"),
            Appointment.id.alias("appointment"),
            Appointment.day.alias("day"),
            Appointment.status.alias("status"),
        )
        .join(Client, on=(Enrollment.client == Client.id))
        .switch(Enrollment)
        .join(ContractCategory, on=(Enrollment.category == ContractCategory.id))
        .switch(Enrollment)
        .join(Appointment, JOIN.LEFT_OUTER, on=(Enrollment.appointment == Appointment.id))
        .where(Enrollment.contract == contract.id)
        .order_by(Enrollment.department, Enrollment.employee_no, Enrollment.id)
        .dicts()
    )
    rows = list(query)
    ids = [row["appointment"] for row in rows if row["appointment"]]
    recognized = revenue.by_appointment(ids)
    parts = defaultdict(lambda: ledger.ZERO)
    self_addons = defaultdict(lambda: [0, ledger.ZERO])
    if ids:
        for model in (ChargeLine, Adjustment):
            grouped = (
                model.select(
                    model.appointment, model.kind, model.payer, ledger.sum_column(model.amount), fn.COUNT(model.id)
                )
                .where(model.appointment.in_(ids))
                .group_by(model.appointment, model.kind, model.payer)
                .tuples()
            )
            for appointment_id, kind, payer, value, count in grouped:
                amount = ledger.summed(value)
                if payer == COMPANY:
                    parts[(appointment_id, kind)] += amount
                elif kind == ADDON:
                    self_addons[appointment_id][0] += int(count)
                    self_addons[appointment_id][1] += amount
    lines = []
    self_paid = {"employees": 0, "count": 0, "amount": ledger.ZERO}
    for row in rows:
        appointment_id, status = row["appointment"], row["status"] or ""
        done = status in (COMPLETED, NO_SHOW)
        company = recognized[appointment_id][COMPANY] if appointment_id else ledger.ZERO
        lines.append(
            {
                "employee_no": row["employee_no"],
                "name": row["name"],
                "department": row["department"],
                "category_id": row["category_id"],
                "category": row["category"],
                "date": row["day"].isoformat() if row["day"] else "",
                "status": status,
                "package": parts[(appointment_id, PACKAGE)] if status == COMPLETED else ledger.ZERO,
                "not_performed": -parts[(appointment_id, NOT_PERFORMED)] if status == COMPLETED else ledger.ZERO,
                "no_show": parts[(appointment_id, NO_SHOW_CHARGE)] if status == NO_SHOW else ledger.ZERO,
                "amount": company if done or status == CANCELLED else ledger.ZERO,
            }
        )
        if status == COMPLETED and appointment_id in self_addons:
            count, amount = self_addons[appointment_id]
            self_paid["employees"] += 1
            self_paid["count"] += count
            self_paid["amount"] += amount
    return {
        "contract_id": contract.id,
        "lines": lines,
        "self_paid": self_paid,
        "total": sum((line["amount"] for line in lines), ledger.ZERO),
        "pending": sum(1 for line in lines if line["status"] in (BOOKED, CHECKED_IN)),
    }


def _frozen(data):
    def plain(value):
        return f"{value:.2f}" if hasattr(value, "quantize") else value

    lines = [{k: plain(v) for k, v in line.items()} for line in data["lines"]]
    return json.dumps(
        {"lines": lines, "self_paid": {k: plain(v) for k, v in data["self_paid"].items()}},
        ensure_ascii=False,
        sort_keys=True,
    )


def _differences(before_json, after_json):
    """Lines whose amount moved between two frozen versions: [{employee_no, name, before, after}]."""
    before = {line["employee_no"]: line for line in json.loads(before_json)["lines"]}
    after = {line["employee_no"]: line for line in json.loads(after_json)["lines"]}
    moved = []
    for number in sorted(set(before) | set(after)):
        old, new = before.get(number, {}), after.get(number, {})
        if old.get("amount") != new.get("amount") or old.get("status") != new.get("status"):
            moved.append(
                {
                    "employee_no": number,
                    "name": (new or old).get("name", ""),
                    "before": old.get("amount", "0.00"),
                    "after": new.get("amount", "0.00"),
                }
            )
    return moved


def _versions_query(contract_id):
    return (
        StatementVersion.select()
        .where(StatementVersion.contract == contract_id)
        .order_by(StatementVersion.version.desc())
    )


_VERSIONS = PreparedSelect(_versions_query, "checkup_settlement_versions", samples=(-2_000_000_001,))


def versions(contract_id):
    """The contract's statement versions, newest first, each with its ``differences`` (parsed)."""
    rows = _VERSIONS.rows(contract_id)
    for row in rows:
        row.differences = json.loads(row.differences_json or "[]")
    return rows


def draft_statement(actor, contract_id):
    """Settle the contract and put its figures in a draft: the open draft follows the ledger; after an issued
    version, a new version is drafted only when the figures moved (with the differences). Returns the draft
    (or the latest version when nothing moved)."""
    settle_contract(actor, contract_id)
    with db.atomic():
        ledger.lock_balance(f"contract:{contract_id}")
        data = figures(contract_id)
        frozen = _frozen(data)
        latest = (
            StatementVersion.select()
            .where(StatementVersion.contract == contract_id)
            .order_by(StatementVersion.version.desc())
            .first()
        )
        if latest is not None and latest.status == DRAFT:
            StatementVersion.update(lines_json=frozen, total=data["total"]).where(
                StatementVersion.id == latest.id, StatementVersion.status == DRAFT
            ).execute()
            statement = StatementVersion.get_by_id(latest.id)
        elif latest is not None and latest.lines_json == frozen:
            return latest
        else:
            statement = StatementVersion.create(
                contract=contract_id,
                version=(latest.version + 1) if latest else 1,
                status=DRAFT,
                total=data["total"],
                lines_json=frozen,
                differences_json=json.dumps(
                    _differences(latest.lines_json, frozen) if latest else [], ensure_ascii=False
                ),
                created_by=actor.user_id,
            )
        audit.record(actor, "money.statement_drafted", statement, version=statement.version, total=str(statement.total))
    return statement


def get_statement(statement_id, contract_id=None):
    query = StatementVersion.select().where(StatementVersion.id == statement_id)
    if contract_id is not None:
        query = query.where(StatementVersion.contract == contract_id)
    statement = query.first()
    if statement is None:
        raise NotFound(_l("No such statement."))
    return statement


def issue_statement(actor, statement_id, contract_id=None):
    """draft → issued: from now on this version never changes."""
    statement = get_statement(statement_id, contract_id)
    with db.atomic():
        changed = (
            StatementVersion.update(status=STATEMENT_ISSUED, issued_by=actor.user_id, issued_at=utcnow())
            .where(StatementVersion.id == statement.id, StatementVersion.status == DRAFT)
            .execute()
        )
        if not changed:
            raise Conflict(_l("Only a draft statement can be issued."))
        audit.record(actor, "money.statement_issued", statement, version=statement.version, total=str(statement.total))
    return get_statement(statement.id)


def paid_against(statement_id):
    return ledger.summed(
        Payment.select(ledger.sum_column(Payment.amount)).where(Payment.statement == statement_id).scalar()
    )


def record_company_payment(actor, statement_id, amount, method, reference="", contract_id=None):
    """The company paid (part of) an issued statement: never more than it leaves open; paid in full, the
    version turns ``paid``. Returns the Payment."""
    statement = get_statement(statement_id, contract_id)
    if method not in METHODS:
        message = _l("Choose how the company paid.")
        raise ValidationError(message, {"method": message})
    amount = ledger.parse_amount(amount)
    with db.atomic():
        ledger.lock_balance(f"contract:{statement.contract_id}")
        statement = get_statement(statement.id)
        if statement.status != STATEMENT_ISSUED:
            raise Conflict(_l("Payments are recorded against an issued statement that is not paid yet."))
        open_amount = ledger.money(statement.total) - paid_against(statement.id)
        if amount > open_amount:
            message = _l("That is more than the statement leaves open (%(due)s).", due=f"{open_amount:.2f}")
            raise ValidationError(message, {"amount": message})
        payment = Payment.create(
            contract=statement.contract_id,
            statement=statement.id,
            payer=COMPANY,
            method=method,
            amount=amount,
            reference=(reference or "").strip()[:100],
            receipt_no=f"S{statement.contract_id}-{statement.version}",
            cashier=actor.user_id,
        )
        if amount == open_amount:
            StatementVersion.update(status=PAID, paid_at=utcnow()).where(StatementVersion.id == statement.id).execute()
        audit.record(actor, "money.company_payment", statement, amount=str(amount), method=method)
    return payment


def _paid_by_statement_query(contract_id):
    return (
        Payment.select(Payment.statement, ledger.sum_column(Payment.amount))
        .where(Payment.contract == contract_id, Payment.payer == COMPANY, Payment.statement.is_null(False))
        .group_by(Payment.statement)
        .tuples()
    )


_PAID_BY_STATEMENT = PreparedSelect(
    _paid_by_statement_query, "checkup_settlement_paid_by_statement", samples=(-2_000_000_001,)
)


def company_account(contract_id, all_versions=None):
    """What HR sees: the issued (and paid) versions with their totals and what was paid on each, what the
    company owes now (latest issued or paid version less all the company's payments), and what was paid.
    ``all_versions``: the contract's ``versions`` when the page read them already."""
    if all_versions is None:
        all_versions = versions(contract_id)
    shown = [v for v in all_versions if v.status in (STATEMENT_ISSUED, PAID)]
    paid_by = dict(_PAID_BY_STATEMENT.rows(contract_id))
    for version in shown:
        version.paid = ledger.summed(paid_by.get(version.id))
        version.open = ledger.money(version.total) - version.paid
    paid = sum((ledger.summed(v) for v in paid_by.values()), ledger.ZERO)
    latest = shown[0] if shown else None
    billed = ledger.money(latest.total) if latest else ledger.ZERO
    return {"versions": shown, "billed": billed, "paid": paid, "owed": billed - paid, "latest": latest}


def settle_all(actor=SYSTEM):
    """Settle every contract that has appointments (the demo, an operator's catch-up). Returns rows written."""
    contract_ids = [cid for (cid,) in Enrollment.select(Enrollment.contract).distinct().tuples()]
    return sum(settle_contract(actor, cid) for cid in contract_ids)
