"""Places reserved for a contract: never more than a slot has, given back exactly once (by hand, by the
periodic release job, or when the contract closes)."""

import datetime
import threading

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, ContractReservation, Slot
from checkup.services.groups import contract_reservations, contracts
from tests import factories

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def scheduler(app):
    return Actor(factories.make_user("scheduler"))


def days(n):
    return clock.today() + datetime.timedelta(days=n)


def make_slot(day, capacity=10, hour=8, **fields):
    return Slot.create(
        day=day, start_time=datetime.time(hour, 0), end_time=datetime.time(hour + 1, 0), capacity=capacity, **fields
    )


def fresh(model, row):
    return model.get_by_id(row.id)


def test_reserve_moves_places_into_the_slot_and_audits(scheduler):
    contract = factories.make_contract()
    slot = make_slot(days(10))
    reservation = contract_reservations.reserve(scheduler, contract.id, slot.id, 4)
    assert (reservation.places, reservation.remaining, reservation.released_at) == (4, 4, None)
    assert fresh(Slot, slot).reserved == 4 and fresh(Slot, slot).free == 6
    assert AuditEvent.select().where(AuditEvent.action == "contract.places_reserved").count() == 1


def test_reserving_again_adds_to_the_same_reservation(scheduler):
    contract = factories.make_contract(status="draft")
    slot = make_slot(days(10))
    contract_reservations.reserve(scheduler, contract.id, slot.id, 2)
    again = contract_reservations.reserve(scheduler, contract.id, slot.id, "3")
    assert (again.places, again.remaining, fresh(Slot, slot).reserved) == (5, 5, 5)
    assert ContractReservation.select().count() == 1


def test_reserve_is_all_or_nothing_against_booked_held_and_reserved(scheduler):
    slot = make_slot(days(10), capacity=10, booked=4, held=1)
    contract_reservations.reserve(scheduler, factories.make_contract().id, slot.id, 3)
    with pytest.raises(ValidationError) as refused:
        contract_reservations.reserve(scheduler, factories.make_contract().id, slot.id, 3)
    assert "Only 2 places are free" in str(refused.value.field_errors["places"])
    assert fresh(Slot, slot).reserved == 3 and ContractReservation.select().count() == 1
    contract_reservations.reserve(scheduler, factories.make_contract().id, slot.id, 2)
    assert fresh(Slot, slot).free == 0


@pytest.mark.parametrize("places", [0, -1, "two", "", None, 10001, "1.5"])
def test_reserve_refuses_bad_place_counts(scheduler, places):
    slot = make_slot(days(10))
    with pytest.raises(ValidationError) as refused:
        contract_reservations.reserve(scheduler, factories.make_contract().id, slot.id, places)
    assert "places" in refused.value.field_errors and fresh(Slot, slot).reserved == 0


def test_reserve_refuses_slots_the_contract_cannot_hold(scheduler):
    contract = factories.make_contract(reservation_release_days=5)
    cases = [
        make_slot(days(70)).id,  # after the window
        make_slot(days(4)).id,  # within the release period
        make_slot(days(12), closed=True).id,  # a closed day
        999999,
        "abc",
        None,
    ]
    for slot_id in cases:
        with pytest.raises(ValidationError) as refused:
            contract_reservations.reserve(scheduler, contract.id, slot_id, 1)
        assert "slot" in refused.value.field_errors, slot_id
    assert Slot.select().where(Slot.reserved > 0).count() == 0


def test_only_draft_or_active_contracts_reserve(scheduler):
    slot = make_slot(days(10))
    with pytest.raises(Conflict):
        contract_reservations.reserve(scheduler, factories.make_contract(status="closed").id, slot.id, 1)
    with pytest.raises(NotFound):
        contract_reservations.reserve(scheduler, 999999, slot.id, 1)
    assert fresh(Slot, slot).reserved == 0


def test_cancel_gives_the_remaining_places_back(scheduler):
    contract = factories.make_contract()
    slot = make_slot(days(10))
    reservation = contract_reservations.reserve(scheduler, contract.id, slot.id, 4)
    assert contract_reservations.cancel_reservation(scheduler, contract, reservation.id) == 4
    assert fresh(Slot, slot).reserved == 0 and ContractReservation.select().count() == 0
    with pytest.raises(NotFound):
        contract_reservations.cancel_reservation(scheduler, contract, reservation.id)


def _book_into_reservation(reservation):
    """What the group booking does: a reserved place becomes a booked one."""
    ContractReservation.update(remaining=ContractReservation.remaining - 1).where(
        ContractReservation.id == reservation.id
    ).execute()
    Slot.update(reserved=Slot.reserved - 1, booked=Slot.booked + 1).where(Slot.id == reservation.slot_id).execute()


def test_cancel_keeps_a_reservation_employees_booked_into(scheduler):
    contract = factories.make_contract()
    slot = make_slot(days(10))
    reservation = contract_reservations.reserve(scheduler, contract.id, slot.id, 4)
    _book_into_reservation(reservation)
    assert contract_reservations.cancel_reservation(scheduler, contract, reservation.id) == 3
    kept = fresh(ContractReservation, reservation)
    assert (kept.places, kept.remaining, kept.released_at is not None) == (4, 0, True)
    assert (fresh(Slot, slot).reserved, fresh(Slot, slot).booked) == (0, 1)
    with pytest.raises(Conflict):
        contract_reservations.cancel_reservation(scheduler, contract, reservation.id)
    with pytest.raises(Conflict):  # a released slot is not reserved again for the same contract
        contract_reservations.reserve(scheduler, contract.id, slot.id, 1)
    assert fresh(Slot, slot).reserved == 0


def test_a_reservation_of_another_contract_is_not_found(scheduler):
    theirs = factories.make_contract()
    reservation = contract_reservations.reserve(scheduler, theirs.id, make_slot(days(10)).id, 2)
    with pytest.raises(NotFound):
        contract_reservations.cancel_reservation(scheduler, factories.make_contract(), reservation.id)
    assert fresh(ContractReservation, reservation).remaining == 2


def test_release_job_gives_back_due_places_once(scheduler, monkeypatch):
    contract = factories.make_contract(reservation_release_days=3)
    soon, later = make_slot(days(5)), make_slot(days(20))
    near = contract_reservations.reserve(scheduler, contract.id, soon.id, 3)
    far = contract_reservations.reserve(scheduler, contract.id, later.id, 2)
    _book_into_reservation(near)
    assert contract_reservations.release_due_reservations() == 0  # 5 days ahead: not yet
    two_days_on = clock.now() + datetime.timedelta(days=2)
    monkeypatch.setattr(clock, "now", lambda: two_days_on)  # the slot is now 3 days ahead: due
    assert contract_reservations.release_due_reservations() == 1
    assert contract_reservations.release_due_reservations() == 0  # idempotent
    released = fresh(ContractReservation, near)
    assert (released.remaining, released.released_at is not None) == (0, True)
    assert (fresh(Slot, soon).reserved, fresh(Slot, soon).booked) == (0, 1)
    assert fresh(ContractReservation, far).remaining == 2 and fresh(Slot, later).reserved == 2
    assert AuditEvent.select().where(AuditEvent.action == "contract.reservation_released").count() == 1


def test_release_job_also_frees_past_days(scheduler, monkeypatch):
    contract = factories.make_contract(reservation_release_days=0)
    slot = make_slot(days(2))
    contract_reservations.reserve(scheduler, contract.id, slot.id, 2)
    much_later = clock.now() + datetime.timedelta(days=10)
    monkeypatch.setattr(clock, "now", lambda: much_later)
    assert contract_reservations.release_due_reservations() == 1
    assert fresh(Slot, slot).reserved == 0


def test_closing_a_contract_releases_its_reservations(scheduler, monkeypatch):
    from tests.task_helpers import hold_tasks

    hold_tasks(monkeypatch)  # the group documents are owed, not made
    contract = factories.make_contract()
    other = factories.make_contract()
    slot = make_slot(days(10))
    contract_reservations.reserve(scheduler, contract.id, slot.id, 3)
    contract_reservations.reserve(scheduler, other.id, slot.id, 2)
    contracts.close(scheduler, contract.id)
    assert fresh(Slot, slot).reserved == 2
    mine = ContractReservation.get(ContractReservation.contract == contract.id)
    assert mine.remaining == 0 and mine.released_at is not None
    assert contract_reservations.release_due_reservations() == 0


def test_release_job_is_registered_hourly():
    from checkup.core import periodic, tasks

    assert ("contract.release_reservations", 3600) in periodic.SCHEDULE
    assert tasks.REGISTRY["contract.release_reservations"].run is contract_reservations.release_due_reservations


def test_simultaneous_reservations_never_overbook(app, scheduler):
    """Eight contracts each try to reserve 3 of the slot's 10 places at the same moment: three win."""
    from checkup.models.base import db

    slot = make_slot(days(10), capacity=10)
    contract_ids = [factories.make_contract().id for _ in range(8)]
    barrier = threading.Barrier(len(contract_ids))
    outcomes = []

    def race(contract_id):
        with app.app_context():
            with db.connection_context():
                barrier.wait()
                try:
                    contract_reservations.reserve(scheduler, contract_id, slot.id, 3)
                    outcomes.append("won")
                except ValidationError:
                    outcomes.append("full")

    threads = [threading.Thread(target=race, args=(cid,)) for cid in contract_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["full"] * 5 + ["won"] * 3
    assert fresh(Slot, slot).reserved == 9
    assert sum(r.remaining for r in ContractReservation.select()) == 9


def test_simultaneous_release_runs_give_each_place_back_once(app, scheduler, monkeypatch):
    from checkup.models.base import db

    contract = factories.make_contract(reservation_release_days=3)
    slots = [make_slot(days(10), hour=8 + i) for i in range(4)]
    for slot in slots:
        contract_reservations.reserve(scheduler, contract.id, slot.id, 2)
    due = clock.now() + datetime.timedelta(days=8)
    monkeypatch.setattr(clock, "now", lambda: due)
    barrier = threading.Barrier(3)
    counts = []

    def run():
        with app.app_context():
            with db.connection_context():
                barrier.wait()
                counts.append(contract_reservations.release_due_reservations())

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(counts) == 4
    assert [fresh(Slot, s).reserved for s in slots] == [0, 0, 0, 0]
