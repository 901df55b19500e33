"""Roster import, service side: preview, all-or-nothing commit, a record of its own per row, re-import, jobs."""

import json

import pytest

from checkup.core import national_id, tasks
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, Client, Enrollment, GroupContract, RosterImport
from checkup.services.groups.roster import roster, roster_commit
from tests import factories
from tests.conftest import REDIS_URL
from tests.roster_helpers import RosterWorld, csv_bytes, employee
from tests.task_helpers import redis_app, run_worker  # noqa: F401  (redis_app is a fixture)

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def world(app):
    return RosterWorld()


def upload(world, employees, filename="roster.csv"):
    return roster.upload(world.actor(), world.organization.id, world.contract.id, filename, csv_bytes(employees))


def commit(world, roster_import):
    return roster.request_commit(world.actor(), world.organization.id, world.contract.id, roster_import.id)


def errors_of(roster_import):
    stored = RosterImport.get_by_id(roster_import.id)
    return [(row, column, code) for row, column, code, _params in json.loads(stored.errors_json or "[]")]


def test_a_clean_roster_is_checked_then_imported_with_records_of_its_own(world):
    result = upload(world, [employee(1), employee(2, department="销售部"), employee(3)])
    assert (result.state, result.total_rows, result.valid_rows, result.error_rows) == ("ready", 3, 3, 0)
    assert Client.select().count() == 0 and Enrollment.select().count() == 0  # nothing written before the decision

    result = commit(world, result)
    assert (result.state, result.rows_json) == ("imported", "")
    second = Client.get(Client.employee_no == "E00002")
    assert (second.organization_id, second.department, second.sex, second.phone) == (
        world.organization.id,
        "销售部",
        "female",
        "13900000002",
    )
    assert (second.value_tier, second.tags, second.address, second.birth_date.isoformat()) == (
        "general",
        "",
        "",
        employee(2)["birth date"],
    )
    assert second.created_at.year >= 2024
    assert national_id.decrypt(second.national_id_cipher) == employee(2)["national ID"]
    # the roster's ID is kept apart from the unique one: a roster record never claims a person's number
    assert second.national_id_hash is None and second.roster_unverified_since is not None
    assert second.roster_id_hash == national_id.lookup_hash(employee(2)["national ID"])
    enrollments = list(Enrollment.select().where(Enrollment.contract == world.contract.id))
    assert sorted(e.employee_no for e in enrollments) == ["E00001", "E00002", "E00003"]
    assert {e.category_id for e in enrollments} == {world.category.id}


def test_uploads_and_imports_are_audited_with_counts_never_contents(world):
    result = commit(world, upload(world, [employee(1), employee(2, sex="?")]))
    events = {e.action: e for e in AuditEvent.select().where(AuditEvent.action.startswith("roster."))}
    assert set(events) == {"roster.uploaded", "roster.imported"}
    assert json.loads(events["roster.uploaded"].detail)["rows"] == 2
    imported = json.loads(events["roster.imported"].detail)
    assert (imported["rows"], imported["enrolled"]) == (1, 1) and not {"created", "linked"} & set(imported)
    assert events["roster.imported"].user_id == world.hr.id and events["roster.imported"].object_id == str(result.id)
    text = " ".join(e.detail for e in events.values())
    for secret in (employee(1)["name"], employee(1)["national ID"], employee(1)["phone"], "E00001"):
        assert secret not in text


def test_waiting_rows_are_encrypted_and_errors_hold_no_contents(world):
    result = upload(world, [employee(1), employee(2, email="not-an-email")])
    stored = RosterImport.get_by_id(result.id)
    for secret in (employee(1)["name"], employee(1)["national ID"], "13900000001", "not-an-email", "E00001"):
        assert secret not in stored.rows_json and secret not in stored.errors_json
    assert [r["employee_no"] for r in roster.unpack_rows(stored.rows_json)] == ["E00001"]
    assert errors_of(result) == [(3, "email", "email")]


def test_hr_imports_only_the_valid_rows_when_choosing_so(world):
    rows = [employee(1), employee(2, sex="x"), employee(3, **{"birth date": "1990-13-01"}), employee(4)]
    result = upload(world, rows)
    assert (result.valid_rows, result.error_rows) == (2, 2)
    assert errors_of(result)[0] == (3, "sex", "sex")
    commit(world, result)
    assert sorted(e.employee_no for e in Enrollment.select()) == ["E00001", "E00004"]


def test_fix_the_file_first_discards_and_writes_nothing(world):
    result = upload(world, [employee(1), employee(2, sex="x")])
    discarded = roster.discard(world.actor(), world.organization.id, world.contract.id, result.id)
    assert (discarded.state, discarded.rows_json) == ("discarded", "")
    assert Client.select().count() == 0 and Enrollment.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "roster.discarded").count() == 1
    with pytest.raises(Conflict):
        commit(world, result)
    with pytest.raises(Conflict):
        roster.discard(world.actor(), world.organization.id, world.contract.id, result.id)


def test_a_file_without_any_valid_row_cannot_be_committed(world):
    result = upload(world, [employee(1, sex="x")])
    with pytest.raises(ValidationError):
        commit(world, result)
    assert RosterImport.get_by_id(result.id).state == "ready"


def test_commit_is_all_or_nothing_and_a_retry_imports_once(world, monkeypatch):
    factories.make_client(name=employee(2)["name"], phone=employee(2)["phone"])  # a client of the center
    result = upload(world, [employee(1), employee(2), employee(3)])
    insert = roster_commit._insert

    def broken(model, columns, rows, returning=()):
        if model is Enrollment:
            raise RuntimeError("database went away")
        return insert(model, columns, rows, returning)

    monkeypatch.setattr(roster_commit, "_insert", broken)  # fails after the roster's records were inserted
    with pytest.raises(RuntimeError):
        commit(world, result)
    assert Client.select().count() == 1 and Enrollment.select().count() == 0
    assert RosterImport.get_by_id(result.id).state == "importing"  # as rq leaves it for a retry

    monkeypatch.undo()
    roster.commit_import(result.id, world.hr.id, "127.0.0.1")  # the retry
    roster.commit_import(result.id, world.hr.id, "127.0.0.1")  # a second, late retry: nothing to do
    assert RosterImport.get_by_id(result.id).state == "imported"
    assert Client.select().count() == 4 and Enrollment.select().count() == 3
    assert AuditEvent.select().where(AuditEvent.action == "roster.imported").count() == 1


def test_reads_and_writes_in_chunks_cover_every_row(world, monkeypatch):
    monkeypatch.setattr(roster_commit, "CHUNK", 7)  # prefetch IN (...) lists
    monkeypatch.setattr(roster_commit, "INSERT_CHUNK", 5)  # rows per INSERT
    commit(world, upload(world, [employee(n) for n in range(1, 17)]))  # re-import 1-16 below: chunked reads
    result = commit(world, upload(world, [employee(n, department="新部门") for n in range(1, 24)]))
    assert result.state == "imported" and Client.select().count() == 23
    enrolled = {e.employee_no: e.client_id for e in Enrollment.select()}
    assert len(enrolled) == 23 and {e.department for e in Enrollment.select()} == {"新部门"}
    clients = {c.id: c for c in Client.select()}
    assert all(clients[client_id].employee_no == number for number, client_id in enrolled.items())


def test_clients_the_center_knows_are_never_looked_up_or_changed(world):
    """The roster's rows get records of their own, even with the ID number or name and phone of a client."""
    by_id = factories.make_client_with_id(employee(1)["national ID"], name="王芳 (old name)")
    by_phone = factories.make_client(name=employee(2)["name"], phone=employee(2)["phone"], email="")
    before = {c.id: c.__data__.copy() for c in Client.select()}
    result = commit(world, upload(world, [employee(n) for n in (1, 2, 3)]))
    assert result.state == "imported" and Client.select().count() == 5
    assert {c.id: c.__data__ for c in Client.select().where(Client.id.in_(list(before)))} == before
    enrolled = {e.employee_no: e.client for e in Enrollment.select()}
    assert not {c.id for c in enrolled.values()} & {by_id.id, by_phone.id}
    assert all(c.roster_unverified_since is not None and c.national_id_hash is None for c in enrolled.values())


def test_reimporting_updates_category_and_department_without_duplicates(app):
    world = RosterWorld(categories=["All staff", "Managers"])
    staff = {"category": "All staff"}  # both categories fit anyone: the label picks one
    commit(world, upload(world, [employee(1, **staff), employee(2, **staff)]))
    commit(
        world,
        upload(
            world, [employee(1, category="Managers", department="总经办"), employee(2, **staff), employee(3, **staff)]
        ),
    )
    assert Client.select().count() == 3 and Enrollment.select().count() == 3
    moved = Enrollment.get(Enrollment.employee_no == "E00001")
    assert (moved.category.label, moved.department) == ("Managers", "总经办")
    detail = json.loads(
        AuditEvent.select().where(AuditEvent.action == "roster.imported").order_by(AuditEvent.id.desc()).first().detail
    )
    assert (detail["enrolled"], detail["updated"], detail["unchanged"]) == (1, 1, 1)


def test_rows_the_roster_makes_impossible_are_reported(world):
    commit(world, upload(world, [employee(1), employee(2), employee(3, **{"national ID": ""})]))
    known = employee(8)
    factories.make_client_with_id(known["national ID"], name=known["name"], phone=known["phone"])
    rows = [
        employee(5, **{"employee number": "E00001"}),  # row 2: E00001 is someone else on the roster
        employee(2, **{"employee number": "E09999"}),  # row 3: she is on the roster already, as E00002
        employee(8, phone="13700000000"),  # row 4: a client of the center: none of the roster's business
        employee(9, name=known["name"], phone=known["phone"], **{"national ID": ""}),  # row 5: likewise
        employee(6, name=employee(7)["name"], phone=employee(7)["phone"], **{"national ID": ""}),  # row 6
        employee(7, **{"national ID": ""}),  # row 7: same name and phone as row 6
        employee(3, **{"employee number": "E08888", "national ID": ""}),
    ]  # row 8: E00003, by name and phone
    result = upload(world, rows)
    assert errors_of(result) == [
        (2, "employee_no", "employee_taken"),
        (3, "employee_no", "already_enrolled"),
        (7, "phone", "duplicate_person"),
        (8, "employee_no", "already_enrolled"),
    ]
    assert (result.valid_rows, result.error_rows) == (3, 4)
    page = roster.error_page(roster.get_import(world.organization.id, world.contract.id, result.id, True)[1])
    assert page.items[1].reason == "This person is already on the roster with employee number E00002."


def test_the_same_employee_number_and_name_is_the_same_person_without_an_id(world):
    commit(world, upload(world, [employee(1, **{"national ID": "", "phone": ""})]))
    result = commit(world, upload(world, [employee(1, **{"national ID": "", "phone": ""}, department="新部门")]))
    assert (result.state, Client.select().count()) == ("imported", 1)
    assert Enrollment.get().department == "新部门"


def test_a_roster_changed_after_checking_fails_without_writing(world):
    result = upload(world, [employee(1), employee(2)])
    intruder = factories.make_client(name="Someone Else")
    Enrollment.create(contract=world.contract, client=intruder, category=world.category, employee_no="E00002")
    done = commit(world, result)
    assert (done.state, done.message, done.rows_json) == ("failed", "changed", "")
    assert Enrollment.select().count() == 1 and Client.select().count() == 1


def test_only_draft_or_active_contracts_take_imports(app):
    closed = RosterWorld(status="closed")
    with pytest.raises(Conflict):
        upload(closed, [employee(1)])
    assert RosterImport.select().count() == 0
    draft = RosterWorld(status="draft", organization=closed.organization, hr=closed.hr)
    result = upload(draft, [employee(1)])
    assert result.state == "ready"
    GroupContract.update(status="closed").where(GroupContract.id == draft.contract.id).execute()
    with pytest.raises(Conflict):
        commit(draft, result)
    assert RosterImport.get_by_id(result.id).state == "ready" and Enrollment.select().count() == 0


def test_a_contract_closed_while_the_import_job_waits_fails_the_import(world, app):
    app.config["ROSTER_JOB_ROWS"] = 0
    result = upload(world, [employee(1)])
    RosterImport.update(state="importing").where(RosterImport.id == result.id).execute()  # as request_commit does
    GroupContract.update(status="closed").where(GroupContract.id == world.contract.id).execute()
    roster.commit_import(result.id, world.hr.id)
    done = RosterImport.get_by_id(result.id)
    assert (done.state, done.message) == ("failed", "contract_closed") and Enrollment.select().count() == 0
    assert "no longer takes roster imports" in roster.message_text(done)


def test_another_organizations_contract_or_import_is_not_found(world):
    result = upload(world, [employee(1)])
    stranger = RosterWorld()
    with pytest.raises(NotFound):
        roster.upload(stranger.actor(), stranger.organization.id, world.contract.id, "r.csv", csv_bytes([employee(2)]))
    with pytest.raises(NotFound):
        roster.get_import(stranger.organization.id, world.contract.id, result.id)
    other_contract = factories.make_contract(world.organization)
    with pytest.raises(NotFound):
        roster.get_import(world.organization.id, other_contract.id, result.id)  # right organization, other contract
    with pytest.raises(NotFound):
        roster.get_import(world.organization.id, world.contract.id, 10**30)
    assert RosterImport.select().count() == 1


def test_validation_reports_progress_as_it_goes(world, monkeypatch, app):
    app.config["ROSTER_JOB_ROWS"] = 0  # always "a job" (inline here, without Redis)
    monkeypatch.setattr(roster, "PROGRESS_EVERY", 2)
    seen = []
    original = roster.roster_rules.check_rows

    def spying(rows, categories, day, today, progress, every):
        def recorded(done):
            progress(done)
            seen.append(RosterImport.select(RosterImport.processed_rows).scalar())

        return original(rows, categories, day, today, recorded, every)

    monkeypatch.setattr(roster.roster_rules, "check_rows", spying)
    result = upload(world, [employee(n) for n in range(1, 8)])
    assert seen == [2, 4, 6]
    assert (result.state, result.processed_rows, roster.progress_percent(result)) == ("ready", 7, 100)


# --- through a real rq worker -------------------------------------------------------------------------


def test_a_large_roster_is_checked_and_imported_by_background_jobs(redis_app):
    redis_app.config["ROSTER_JOB_ROWS"] = 5
    world = RosterWorld()
    rows = [employee(n) for n in range(1, 31)] + [employee(99, sex="?")]
    result = upload(world, rows)
    assert (result.state, result.processed_rows, roster.progress_percent(result)) == ("validating", 0, 0)
    assert tasks.queue().count == 1

    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr[-3000:]
    checked = RosterImport.get_by_id(result.id)
    assert (checked.state, checked.processed_rows, checked.valid_rows, checked.error_rows) == ("ready", 31, 30, 1)

    importing = commit(world, checked)
    assert importing.state == "importing" and Enrollment.select().count() == 0
    tasks.defer("roster.commit", result.id, world.hr.id, "127.0.0.1")  # a duplicate job, as a retry would be
    finished = run_worker(redis_app)
    assert finished.returncode == 0, finished.stderr[-3000:]
    imported = RosterImport.get_by_id(result.id)
    assert (imported.state, imported.rows_json) == ("imported", "")
    assert Client.select().count() == 30 and Enrollment.select().count() == 30
    assert AuditEvent.select().where(AuditEvent.action == "roster.imported").count() == 1
    assert REDIS_URL and tasks.queue().count == 0
