"""Group contracts in the services: validation of every field, the draft → active → closed machine,
draft-only categories and HR's confirmation, audit events."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from checkup.models import AuditEvent, ContractCategory, Enrollment, GroupContract
from checkup.models.base import utcnow
from checkup.services.groups import contract_categories, contracts
from tests import factories

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def scheduler(app):
    return Actor(factories.make_user("scheduler"), "127.0.0.1")


@pytest.fixture
def org(app):
    return factories.make_organization("Acme Manufacturing")


def good_values(**changes):
    today = clock.today()
    values = {
        "name": "Annual checkup",
        "year": today.year,
        "window_start": today,
        "window_end": today + datetime.timedelta(days=30),
        "discount_percent": Decimal("12.50"),
        "no_show_charge_percent": Decimal("50"),
        "reservation_release_days": 3,
        "notes": "Signed in May.",
    }
    values.update(changes)
    return values


def actions():
    return [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]


# --- creating and editing ------------------------------------------------------------------------


def test_create_draft_stores_every_field_and_audits(scheduler, org):
    contract = contracts.create_contract(scheduler, org.id, good_values())
    assert (contract.status, contract.name, contract.organization_id) == ("draft", "Annual checkup", org.id)
    assert contract.discount_percent == Decimal("12.50") and contract.no_show_charge_percent == Decimal("50")
    assert contract.reservation_release_days == 3 and contract.notes == "Signed in May."
    assert contract.created_by_id == scheduler.user.id and contract.hr_confirmed_at is None
    assert "contract.created" in actions()


TOO_LONG = "x" * 201
BAD_FIELDS = [
    ("name", "", "name"),
    ("name", "   ", "name"),
    ("name", TOO_LONG, "name"),
    ("year", 1999, "year"),
    ("year", 2101, "year"),
    ("year", "twenty", "year"),
    ("year", None, "year"),
    ("window_start", "2025-13-01", "window_start"),
    ("window_start", None, "window_start"),
    ("window_start", datetime.date(1990, 1, 1), "window_start"),
    ("window_end", "soon", "window_end"),
    ("discount_percent", Decimal("-1"), "discount_percent"),
    ("discount_percent", "100.01", "discount_percent"),
    ("discount_percent", "1.234", "discount_percent"),
    ("discount_percent", "lots", "discount_percent"),
    ("no_show_charge_percent", "101", "no_show_charge_percent"),
    ("no_show_charge_percent", None, "no_show_charge_percent"),
    ("reservation_release_days", -1, "reservation_release_days"),
    ("reservation_release_days", 366, "reservation_release_days"),
    ("reservation_release_days", "1.5", "reservation_release_days"),
    ("notes", "n" * 4001, "notes"),
]


@pytest.mark.parametrize("name,value,field", BAD_FIELDS, ids=[f"{n}={str(v)[:12]}" for n, v, _f in BAD_FIELDS])
def test_create_refuses_each_bad_field_and_writes_nothing(scheduler, org, name, value, field):
    with pytest.raises(ValidationError) as refused:
        contracts.create_contract(scheduler, org.id, good_values(**{name: value}))
    assert field in refused.value.field_errors
    assert GroupContract.select().count() == 0 and "contract.created" not in actions()


def test_window_must_not_end_before_it_starts_nor_last_over_two_years(scheduler, org):
    today = clock.today()
    with pytest.raises(ValidationError) as backwards:
        contracts.create_contract(scheduler, org.id, good_values(window_end=today - datetime.timedelta(days=1)))
    assert "window_end" in backwards.value.field_errors
    with pytest.raises(ValidationError) as endless:
        contracts.create_contract(scheduler, org.id, good_values(window_end=today + datetime.timedelta(days=800)))
    assert "window_end" in endless.value.field_errors
    one_day = contracts.create_contract(scheduler, org.id, good_values(window_end=today))
    assert one_day.window_start == one_day.window_end == today


def test_percentages_accept_the_bounds(scheduler, org):
    contract = contracts.create_contract(
        scheduler, org.id, good_values(discount_percent="0", no_show_charge_percent="100")
    )
    assert contract.discount_percent == 0 and contract.no_show_charge_percent == 100


def test_name_is_unique_per_organization_only(scheduler, org):
    contracts.create_contract(scheduler, org.id, good_values(name="Annual 2025"))
    with pytest.raises(ValidationError) as taken:
        contracts.create_contract(scheduler, org.id, good_values(name="annual 2025"))
    assert "name" in taken.value.field_errors
    other = factories.make_organization("Other Co")
    assert contracts.create_contract(scheduler, other.id, good_values(name="Annual 2025")).organization_id == other.id


@pytest.mark.parametrize("organization_id", [None, "", "abc", 999999, 10**12])
def test_an_unknown_organization_is_a_field_error(scheduler, organization_id):
    with pytest.raises(ValidationError) as refused:
        contracts.create_contract(scheduler, organization_id, good_values())
    assert "organization" in refused.value.field_errors


def test_a_draft_takes_every_field(scheduler, org):
    contract = contracts.create_contract(scheduler, org.id, good_values())
    saved = contracts.update_contract(
        scheduler, contract, good_values(name="Renamed", discount_percent="5", reservation_release_days=7, year=2030)
    )
    assert (saved.name, saved.discount_percent, saved.reservation_release_days, saved.year) == (
        "Renamed",
        Decimal("5"),
        7,
        2030,
    )
    event = AuditEvent.select().where(AuditEvent.action == "contract.updated").get()
    assert "Renamed" in event.detail


def test_an_active_contract_only_takes_notes_and_a_later_end(scheduler, org):
    contract = factories.make_contract(org, status="active", name="Live")
    later = contract.window_end + datetime.timedelta(days=10)
    saved = contracts.update_contract(
        scheduler, contract, good_values(name="Hijack", discount_percent="90", window_end=later, notes="Extended")
    )
    assert (saved.name, saved.discount_percent, saved.window_end, saved.notes) == ("Live", 0, later, "Extended")
    with pytest.raises(ValidationError) as shorter:
        contracts.update_contract(scheduler, saved, {"window_end": later - datetime.timedelta(days=1), "notes": ""})
    assert "window_end" in shorter.value.field_errors
    assert GroupContract.get_by_id(contract.id).window_end == later


def test_closed_contracts_and_hr_on_active_ones_cannot_be_changed(scheduler, org):
    closed = factories.make_contract(org, status="closed")
    with pytest.raises(Conflict):
        contracts.update_contract(scheduler, closed, {"notes": "late"})
    active = factories.make_contract(org, status="active")
    with pytest.raises(Conflict):
        contracts.update_contract(scheduler, active, {"notes": "by HR"}, draft_only=True)
    assert GroupContract.get_by_id(active.id).notes == ""


def test_a_draft_window_cannot_leave_its_reserved_slots_outside(scheduler, org):
    from checkup.services.groups import contract_reservations

    contract = factories.make_contract(org, status="draft")
    slot = make_slot(clock.today() + datetime.timedelta(days=20))
    contract_reservations.reserve(scheduler, contract.id, slot.id, 2)
    values = {k: getattr(contract, k) for k in contracts.CONTRACT_FIELDS}
    values["window_end"] = clock.today() + datetime.timedelta(days=10)
    with pytest.raises(ValidationError) as refused:
        contracts.update_contract(scheduler, contract, values)
    assert "window_start" in refused.value.field_errors


# --- accessors and the list ------------------------------------------------------------------------


def test_another_organizations_contract_is_not_found_like_a_missing_one(org):
    contract = factories.make_contract(org)
    other = factories.make_organization()
    assert contracts.contract_for_org(contract.id, org.id).id == contract.id
    for contract_id, organization_id in [
        (contract.id, other.id),
        (999999, org.id),
        (contract.id, None),
        (10**15, org.id),
        ("1", org.id),
    ]:
        with pytest.raises(NotFound) as missing:
            contracts.contract_for_org(contract_id, organization_id)
        assert str(missing.value.message) == "No such contract."
    assert contracts.contracts_for_org(None) == []


def test_list_counts_categories_enrollments_and_reserved_places(scheduler, org):
    from checkup.services.groups import contract_reservations

    big = factories.make_contract(org, categories=["Staff", "Managers"], name="Big")
    factories.make_contract(factories.make_organization(), status="draft", categories=[], name="Empty")
    client = factories.make_client()
    Enrollment.create(contract=big, client=client, category=big.categories[0], employee_no="E1")
    contract_reservations.reserve(scheduler, big.id, make_slot(clock.today() + datetime.timedelta(days=9)).id, 4)
    rows = {c.name: c for c in contracts.list_contracts()}
    assert (rows["Big"].category_count, rows["Big"].enrollment_count, rows["Big"].reserved_remaining) == (2, 1, 4)
    assert (rows["Empty"].category_count, rows["Empty"].enrollment_count) == (0, 0)
    assert [c.name for c in contracts.list_contracts(status="draft")] == ["Empty"]
    assert [c.name for c in contracts.list_contracts(organization_id=org.id)] == ["Big"]
    assert [c.name for c in contracts.list_contracts(status="nonsense", organization_id=org.id)] == ["Big"]


# --- categories ------------------------------------------------------------------------------------


def category_values(pkg, **changes):
    values = {
        "label": "Over 40",
        "sex": "",
        "age_min": 40,
        "age_max": None,
        "package": pkg.id,
        "company_pays": True,
        "addons_allowed": False,
        "position": None,
    }
    values.update(changes)
    return values


def test_add_category_on_a_draft(scheduler, org):
    contract = factories.make_contract(org, status="draft", categories=[])
    package = factories.make_package()
    category = contract_categories.add_category(scheduler, contract, category_values(package))
    assert (category.label, category.sex, category.age_min, category.age_max, category.package_id) == (
        "Over 40",
        "",
        40,
        None,
        package.id,
    )
    assert category.company_pays and not category.addons_allowed and category.position == 0
    second = contract_categories.add_category(
        scheduler, contract, category_values(package, label="Young", age_min=None, age_max=39)
    )
    assert second.position == 1
    assert "contract.category_added" in actions()


BAD_CATEGORY = [
    ({"label": ""}, "label"),
    ({"label": "y" * 101}, "label"),
    ({"sex": "other"}, "sex"),
    ({"age_min": -1}, "age_min"),
    ({"age_min": 121}, "age_min"),
    ({"age_max": "old"}, "age_max"),
    ({"age_min": 50, "age_max": 40}, "age_max"),
    ({"package": None}, "package"),
    ({"package": 999999}, "package"),
    ({"package": "abc"}, "package"),
    ({"position": -3}, "position"),
    ({"position": 1001}, "position"),
]


@pytest.mark.parametrize("changes,field", BAD_CATEGORY, ids=[str(c) for c, _f in BAD_CATEGORY])
def test_category_refuses_each_bad_field(scheduler, org, changes, field):
    contract = factories.make_contract(org, status="draft", categories=[])
    with pytest.raises(ValidationError) as refused:
        contract_categories.add_category(scheduler, contract, category_values(factories.make_package(), **changes))
    assert field in refused.value.field_errors
    assert ContractCategory.select().count() == 0


def test_category_label_is_unique_per_contract_whatever_the_case(scheduler, org):
    contract = factories.make_contract(org, status="draft", categories=["Management"])
    with pytest.raises(ValidationError) as taken:
        contract_categories.add_category(
            scheduler, contract, category_values(factories.make_package(), label="MANAGEMENT")
        )
    assert "label" in taken.value.field_errors
    other = factories.make_contract(org, status="draft", categories=[])
    assert contract_categories.add_category(
        scheduler, other, category_values(factories.make_package(), label="Management")
    ).id


def test_category_package_must_be_offered_and_fit_its_sex_and_ages(scheduler, org):
    contract = factories.make_contract(org, status="draft", categories=[])
    retired = factories.make_package(active=False)
    men = factories.make_package(sex="male")
    over_40 = factories.make_package(age_min=40)
    under_60 = factories.make_package(age_max=60)
    refusals = [
        (retired, {}),
        (men, {"sex": ""}),
        (men, {"sex": "female"}),
        (over_40, {"age_min": 30}),
        (under_60, {"age_min": None, "age_max": 65}),
    ]
    for package, changes in refusals:
        with pytest.raises(ValidationError) as refused:
            contract_categories.add_category(scheduler, contract, category_values(package, **changes))
        assert "package" in refused.value.field_errors, (package.code, changes)
    assert contract_categories.add_category(scheduler, contract, category_values(men, label="Men", sex="male"))
    assert contract_categories.add_category(scheduler, contract, category_values(over_40, label="Senior", age_min=45))


def test_categories_change_only_while_draft(scheduler, org):
    contract = factories.make_contract(org, status="active", categories=["Staff"])
    category = contract.categories[0]
    package = factories.make_package()
    with pytest.raises(Conflict):
        contract_categories.add_category(scheduler, contract, category_values(package))
    with pytest.raises(Conflict):
        contract_categories.update_category(scheduler, contract, category.id, category_values(package))
    with pytest.raises(Conflict):
        contract_categories.delete_category(scheduler, contract, category.id)
    assert [c.label for c in contract_categories.categories_of(contract.id)] == ["Staff"]


def test_any_category_change_clears_hr_confirmation(scheduler, org):
    hr = Actor(factories.make_user("hr", organization=org))
    contract = factories.make_contract(org, status="draft", categories=["Staff"])
    staff_id = contract.categories[0].id
    package = factories.make_package()

    def confirmed():
        return GroupContract.get_by_id(contract.id).hr_confirmed_at is not None

    for change in (
        lambda: contract_categories.add_category(scheduler, contract, category_values(package)),
        lambda: contract_categories.update_category(
            hr, contract, staff_id, category_values(package, label="Everyone", age_min=None)
        ),
        lambda: contract_categories.delete_category(
            scheduler, contract, ContractCategory.get(ContractCategory.label == "Over 40").id
        ),
    ):
        contract_categories.confirm_categories(hr, contract)
        assert confirmed()
        change()
        assert not confirmed()
    assert actions().count("contract.categories_confirmed") == 3


def test_a_category_of_another_contract_is_not_found(scheduler, org):
    mine = factories.make_contract(org, status="draft", categories=["Staff"])
    theirs = factories.make_contract(status="draft", categories=["Theirs"])
    with pytest.raises(NotFound):
        contract_categories.update_category(
            scheduler, mine, theirs.categories[0].id, category_values(factories.make_package())
        )
    with pytest.raises(NotFound):
        contract_categories.delete_category(scheduler, mine, theirs.categories[0].id)
    assert ContractCategory.select().count() == 2


def test_a_category_with_enrolled_employees_cannot_be_deleted(scheduler, org):
    contract = factories.make_contract(org, status="draft", categories=["Staff"])
    Enrollment.create(
        contract=contract, client=factories.make_client(), category=contract.categories[0], employee_no="E7"
    )
    with pytest.raises(Conflict):
        contract_categories.delete_category(scheduler, contract, contract.categories[0].id)
    assert ContractCategory.select().count() == 1


def test_confirming_needs_a_category_and_a_draft(org):
    hr = Actor(factories.make_user("hr", organization=org))
    empty = factories.make_contract(org, status="draft", categories=[])
    with pytest.raises(ValidationError):
        contract_categories.confirm_categories(hr, empty)
    with pytest.raises(Conflict):
        contract_categories.confirm_categories(hr, factories.make_contract(org, status="active"))
    assert GroupContract.get_by_id(empty.id).hr_confirmed_at is None


# --- activating and closing ---------------------------------------------------------------------------


def confirmed_draft(org, **fields):
    return factories.make_contract(org, status="draft", hr_confirmed_at=utcnow(), **fields)


def test_activate_needs_staff_a_category_confirmation_and_an_open_window(scheduler, org):
    hr = Actor(factories.make_user("hr", organization=org))
    with pytest.raises(PermissionDenied):
        contracts.activate(hr, confirmed_draft(org).id)
    with pytest.raises(ValidationError, match="at least one category"):
        contracts.activate(scheduler, confirmed_draft(org, categories=[]).id)
    with pytest.raises(ValidationError, match="not confirmed"):
        contracts.activate(scheduler, factories.make_contract(org, status="draft").id)
    yesterday = clock.today() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="already ended"):
        contracts.activate(scheduler, confirmed_draft(org, window_start=yesterday, window_end=yesterday).id)
    retired = factories.make_package(active=False)
    with pytest.raises(ValidationError, match="no longer offered"):
        contracts.activate(scheduler, confirmed_draft(org, categories=[{"label": "Old", "package": retired}]).id)
    assert GroupContract.select().where(GroupContract.status == "active").count() == 0
    assert "contract.activated" not in actions()


def test_activate_a_ready_draft_once(scheduler, org):
    contract = confirmed_draft(org, window_end=clock.today())
    active = contracts.activate(scheduler, contract.id)
    assert active.status == "active" and active.activated_at is not None
    with pytest.raises(Conflict):
        contracts.activate(scheduler, contract.id)
    assert actions().count("contract.activated") == 1


def test_activation_uses_the_centers_today(scheduler, org, monkeypatch):
    contract = confirmed_draft(org, window_end=clock.today() + datetime.timedelta(days=2))
    later = clock.now() + datetime.timedelta(days=3)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(ValidationError, match="already ended"):
        contracts.activate(scheduler, contract.id)


def test_close_an_active_contract_enqueues_its_documents(scheduler, org, monkeypatch):
    from tests.task_helpers import hold_tasks

    queued = hold_tasks(monkeypatch)
    contract = factories.make_contract(org, status="active")
    closed = contracts.close(scheduler, contract.id)
    assert closed.status == "closed" and closed.closed_at is not None
    assert queued == [("group_document.after_close", (contract.id,))]
    with pytest.raises(Conflict):
        contracts.close(scheduler, contract.id)
    with pytest.raises(Conflict):
        contracts.close(scheduler, factories.make_contract(org, status="draft").id)
    with pytest.raises(PermissionDenied):
        contracts.close(
            Actor(factories.make_user("hr", organization=org)), factories.make_contract(org, status="active").id
        )
    assert actions().count("contract.closed") == 1 and len(queued) == 1


def make_slot(day, capacity=10, start=datetime.time(8, 0), **fields):
    from checkup.models import Slot

    return Slot.create(
        day=day, start_time=start, end_time=datetime.time(start.hour + 1, 0), capacity=capacity, **fields
    )
