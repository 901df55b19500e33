"""The ledger is right when the fact happens: signing a contract employee's report credits the items not
performed, marking a no-show writes the contract's no-show charge — the dashboard, the statement and HR's
billing read them at once, and neither an amendment nor the later settlement writes them twice."""

import datetime
from decimal import Decimal

import pytest

from checkup.core.audit import Actor
from checkup.models import Appointment, AuditEvent
from checkup.models.appointments import BOOKED, CHECKED_IN, NO_SHOW
from checkup.models.money import COMPANY, NO_SHOW_CHARGE, NO_SHOW_CREDIT, NOT_PERFORMED, SELF, Adjustment, ChargeLine
from checkup.services.admin import management
from checkup.services.exam import exam_day, reports
from checkup.services.money import ledger, refunds, revenue, settlement
from tests import factories
from tests.money.money_helpers import Contract
from tests.report_helpers import ReportWorld

pytestmark = pytest.mark.both_dbs


def _group_revenue():
    return management.dashboard()["revenue"]["group"]


def _credits(appointment_id):
    return sorted(
        (a.adjustment_key, a.payer, a.amount)
        for a in Adjustment.select().where(Adjustment.appointment == appointment_id, Adjustment.kind == NOT_PERFORMED)
    )


def test_signing_with_two_skipped_items_credits_them_at_once_and_never_twice(app):
    world = Contract()
    physician = Actor(factories.make_user("physician", name="李医生"))
    skipper = world.employee("漏两项", world.executive, status=CHECKED_IN, done=[world.ldl])  # CT, ultrasound skipped
    assert _group_revenue() == Decimal("0.00")  # checked in: nothing recognized yet

    report = reports.sign(physician, skipper.id, "两项未检。", "", queue_job=False)

    # the package at the contract's price (810.00) less the two items at their price (300.00 + 200.00), at once
    assert _credits(skipper.id) == [
        (f"not_performed:package:{world.ct.id}", COMPANY, Decimal("-300.00")),
        (f"not_performed:package:{world.us.id}", COMPANY, Decimal("-200.00")),
    ]
    assert _group_revenue() == Decimal("310.00") == revenue.for_contract(world.contract.id)
    [event] = AuditEvent.select().where(AuditEvent.action == "money.outcome_recorded")
    assert event.user_id == physician.user_id and event.object_id == str(world.contract.id)

    # an amendment signs again: nothing more is credited
    reports.amend(physician, report.id, "补充小结", "两项未检，建议择期补做。", "")
    assert len(_credits(skipper.id)) == 2 and _group_revenue() == Decimal("310.00")

    # the settlement then finds nothing left to write, and the statement says what the dashboard says
    assert settlement.settle_contract(world.finance, world.contract.id) == 0
    statement = settlement.draft_statement(world.finance, world.contract.id)
    assert statement.total == Decimal("310.00") == _group_revenue()
    [line] = settlement.figures(world.contract.id)["lines"]
    assert (line["package"], line["not_performed"], line["amount"]) == (
        Decimal("810.00"),
        Decimal("500.00"),
        Decimal("310.00"),
    )


def test_a_contract_without_credits_keeps_the_whole_package_when_signed(app):
    world = Contract()
    settlement.set_credit_rule(world.finance, world.contract.id, "none")
    skipper = world.employee("漏两项", world.executive, status=CHECKED_IN, done=[world.ldl])
    reports.sign(Actor(factories.make_user("physician")), skipper.id, "两项未检。", "", queue_job=False)
    assert _credits(skipper.id) == [] and _group_revenue() == Decimal("810.00")
    assert settlement.settle_contract(world.finance, world.contract.id) == 0


def test_a_no_show_is_charged_at_once_and_once(app):
    world = Contract()
    yesterday = world.today - datetime.timedelta(days=1)
    absent = world.employee("爽约", world.executive, status=BOOKED, slot=world.slot_on(yesterday), addon=True)
    desk = Actor(factories.make_user("scheduler"))

    exam_day.mark_no_show(desk, absent.id)

    assert Appointment.get_by_id(absent.id).status == NO_SHOW
    rows = {
        (row.kind, row.payer): row.amount
        for row in list(Adjustment.select().where(Adjustment.appointment == absent.id))
        + list(ChargeLine.select().where(ChargeLine.appointment == absent.id, ChargeLine.kind == NO_SHOW_CHARGE))
    }
    # everything charged is credited (the package to the company, the add-on to the employee) and the contract's
    # 50 % of the company's package charge is charged
    assert rows == {
        (NO_SHOW_CREDIT, COMPANY): Decimal("-810.00"),
        (NO_SHOW_CREDIT, SELF): Decimal("-120.00"),
        (NO_SHOW_CHARGE, COMPANY): Decimal("405.00"),
    }
    assert revenue.between(yesterday, yesterday) == {
        "individual": Decimal("0.00"),
        "group": Decimal("405.00"),
        "total": Decimal("405.00"),
    }
    assert _group_revenue() == Decimal("405.00")
    assert ledger.balance(absent.id, SELF).due == Decimal("0.00")  # the employee owes nothing for the add-on
    assert settlement.settle_contract(world.finance, world.contract.id) == 0
    assert settlement.draft_statement(world.finance, world.contract.id).total == Decimal("405.00")


def test_an_individual_checkup_is_not_credited_on_signing_the_desk_credits_it_when_refunding(app):
    """Today's rule for individual clients: items not performed are credited by the front desk's refund
    (with a reason), never automatically when the report is signed; their no-show is charged nothing."""
    world = ReportWorld()
    world.result(world.wbc, 6.2, low=3.5, high=9.5)
    world.result(world.glu, 5.0, low=3.9, high=6.1)
    world.result(world.alt, 30, low=9, high=50)
    world.result(world.liver, skipped=True)
    reports.sign(world.actor(), world.appointment.id, "All normal.", "", queue_job=False)
    assert Adjustment.select().where(Adjustment.appointment == world.appointment.id).count() == 0
    assert ledger.balance(world.appointment.id, SELF).charged == Decimal("300.00")
    assert AuditEvent.select().where(AuditEvent.action == "money.outcome_recorded").count() == 0
    credited = refunds.credit_not_performed(Actor(factories.make_user("scheduler")), world.appointment.id, "超声未做")
    assert credited == Decimal("10.00")  # the skipped item at its booked price
