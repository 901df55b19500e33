"""Group settlement by what was done, statements in versions, and one source of revenue: the statement,
the HR billing page, the dashboard and the client's page agree to the cent."""

from decimal import Decimal

import pytest

from checkup.core.errors import Conflict, ValidationError
from checkup.models import Appointment, Result
from checkup.models.appointments import BOOKED, COMPLETED, NO_SHOW
from checkup.models.money import BANK_TRANSFER, DRAFT, PAID, STATEMENT_ISSUED, StatementVersion
from checkup.services.admin import management
from checkup.services.groups import billing
from checkup.services.money import revenue, settlement
from tests.money.money_helpers import Contract

pytestmark = pytest.mark.both_dbs


def _world():
    world = Contract()
    world.employee("全做", world.executive, addon=True)  # 810 to the company, 120 paid by the employee
    world.employee("漏两项", world.executive, done=[world.ldl])  # skipped CT and ultrasound: 810 - 500 = 310
    world.employee("做便宜的", world.standard)  # did the cheaper package: 360
    world.employee("爽约", world.executive, status=NO_SHOW)  # 50% of 810 = 405
    world.employee("还没来", world.executive, status=BOOKED)  # nothing yet
    return world


def test_the_company_is_charged_by_what_was_done(app):
    world = _world()
    data = billing.statement_data(world.contract.id)
    lines = {line["name"]: line for line in data["lines"]}
    assert {name: line["amount"] for name, line in lines.items()} == {
        "全做": Decimal("810.00"),
        "漏两项": Decimal("310.00"),
        "做便宜的": Decimal("360.00"),
        "爽约": Decimal("405.00"),
        "还没来": Decimal("0.00"),
    }
    assert lines["漏两项"]["not_performed"] == Decimal("500.00")
    assert data["totals"]["company"] == Decimal("1885.00") == data["categories"][0]["amount"]
    assert data["self_paid"] == {"employees": 1, "count": 1, "amount": Decimal("120.00")}
    # HR's statement names people and money, never an exam item
    for name in ("Tumour markers", "CTX", "US", "LDL"):
        assert name not in repr(data["lines"])
    assert billing.statement_data(world.contract.id)["totals"]["company"] == Decimal(
        "1885.00"
    )  # settling is idempotent


def test_no_credit_when_the_contract_says_so(app):
    world = Contract()
    settlement.set_credit_rule(world.finance, world.contract.id, "none")
    world.employee("漏两项", world.executive, done=[world.ldl])
    assert billing.statement_data(world.contract.id)["totals"]["company"] == Decimal("810.00")
    with pytest.raises(ValidationError):
        settlement.set_credit_rule(world.finance, world.contract.id, "half")


def test_an_issued_statement_never_changes_a_later_change_is_a_new_version(app):
    world = _world()
    first = settlement.draft_statement(world.finance, world.contract.id)
    assert (first.version, first.status, first.total) == (1, DRAFT, Decimal("1885.00"))
    issued = settlement.issue_statement(world.finance, first.id)
    assert issued.status == STATEMENT_ISSUED
    assert settlement.draft_statement(world.finance, world.contract.id).id == first.id  # nothing moved
    late = Appointment.get(Appointment.exam_code == "S00005")
    Appointment.update(status=COMPLETED).where(Appointment.id == late.id).execute()
    for item in (world.ldl, world.ct, world.us):
        Result.create(appointment=late, item=item, value_text="ok")
    second = settlement.draft_statement(world.finance, world.contract.id)
    assert (second.version, second.total) == (2, Decimal("2695.00"))
    newest = settlement.versions(world.contract.id)[0]
    assert newest.differences == [{"employee_no": "E005", "name": "还没来", "before": "0.00", "after": "810.00"}]
    frozen = StatementVersion.get_by_id(first.id)
    assert (frozen.status, frozen.total, frozen.lines_json) == (STATEMENT_ISSUED, Decimal("1885.00"), issued.lines_json)
    with pytest.raises(Conflict):
        settlement.issue_statement(world.finance, first.id)


def test_company_payments_against_an_issued_statement(app):
    world = _world()
    statement = settlement.issue_statement(
        world.finance, settlement.draft_statement(world.finance, world.contract.id).id
    )
    with pytest.raises(ValidationError, match="1885.00"):
        settlement.record_company_payment(world.finance, statement.id, "2000", BANK_TRANSFER)
    settlement.record_company_payment(world.finance, statement.id, "1000", BANK_TRANSFER, "对公转账")
    account = settlement.company_account(world.contract.id)
    assert (account["billed"], account["paid"], account["owed"]) == (
        Decimal("1885.00"),
        Decimal("1000.00"),
        Decimal("885.00"),
    )
    settlement.record_company_payment(world.finance, statement.id, "885.00", BANK_TRANSFER)
    assert StatementVersion.get_by_id(statement.id).status == PAID
    assert settlement.company_account(world.contract.id)["owed"] == Decimal("0.00")


def test_statement_hr_billing_and_dashboard_agree_to_the_cent(app):
    world = _world()
    data = billing.statement_data(world.contract.id)
    settlement.issue_statement(world.finance, settlement.draft_statement(world.finance, world.contract.id).id)
    dashboard = management.dashboard()["revenue"]
    assert (
        data["totals"]["company"]
        == sum(line["amount"] for line in data["lines"])
        == revenue.for_contract(world.contract.id)
        == settlement.company_account(world.contract.id)["billed"]
        == dashboard["group"]
        == Decimal("1885.00")
    )
    assert dashboard["individual"] == Decimal("120.00") == data["totals"]["self_paid"]
