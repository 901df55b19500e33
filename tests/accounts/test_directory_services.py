"""The directory services hold their rules without the forms in front of them (CLI, jobs, imports)."""

import datetime

import pytest

from checkup.core.audit import SYSTEM
from checkup.core.errors import NotFound, ValidationError
from checkup.models import AuditEvent, Client, Organization
from checkup.services.accounts import clients, organizations
from tests.factories import make_client, make_client_with_id, make_organization, national_id_for

pytestmark = pytest.mark.both_dbs

BORN = datetime.date(1992, 12, 12)
PERSON = {"name": "Chen Jing", "sex": "female", "birth_date": BORN, "value_tier": "general", "organization": None}


def _errors(call, *args):
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.field_errors


def test_client_rules_are_checked_by_the_service(app):
    errors = _errors(
        clients.create_client,
        SYSTEM,
        dict(
            PERSON,
            name=" ",
            sex="x",
            value_tier="gold",
            birth_date=datetime.date(1850, 1, 1),
            organization=4242,
            address="x" * 301,
            notes="x" * 4001,
        ),
    )
    assert set(errors) == {"name", "sex", "value_tier", "birth_date", "organization", "address", "notes"}
    assert Client.select().count() == 0


def test_an_out_of_range_organization_id_is_a_field_error_not_a_crash(app):
    errors = _errors(clients.create_client, SYSTEM, dict(PERSON, organization=10**30))
    assert set(errors) == {"organization"}


def test_a_race_on_the_same_id_ends_as_a_field_error_and_nothing_half_written(app, monkeypatch):
    number = national_id_for(BORN, "female", sequence=5)
    make_client_with_id(number, name="First", sex="female", birth_date=BORN)
    monkeypatch.setattr(clients, "_id_taken", lambda *a, **k: False)  # the check ran before the other insert
    errors = _errors(clients.create_client, SYSTEM, dict(PERSON, national_id=number))
    assert "already on file" in str(errors["national_id"])
    assert Client.select().count() == 1
    assert not AuditEvent.select().where(AuditEvent.action == "directory.client_created").exists()


def test_tags_are_trimmed_and_deduplicated(app):
    client = clients.create_client(SYSTEM, dict(PERSON, tags=" a，b , a,,c "))
    assert client.tags == "a, b, c" and Client.get_by_id(client.id).tag_list == ["a", "b", "c"]


def test_unknown_or_impossible_ids_are_not_found(app):
    for bad in (0, -1, 4242, 2**40, "7"):
        with pytest.raises(NotFound):
            clients.get_client(bad)
        with pytest.raises(NotFound):
            organizations.get_organization(bad)
    assert clients.client_summary(2**40) is None


def test_client_summary_and_stats_still_serve_the_other_screens(app):
    number = national_id_for(BORN, "female", sequence=6)
    record = make_client_with_id(number, name="Chen Jing", sex="female", birth_date=BORN)
    make_organization("Acme Ltd")
    summary = clients.client_summary(record.id)
    assert summary.name == "Chen Jing" and summary.national_id_masked == number[:6] + "*" * 10 + number[-2:]
    assert clients.directory_stats() == {"clients": 1, "organizations": 1}


def test_organization_rules_are_checked_by_the_service(app):
    make_organization("Acme Ltd")
    errors = _errors(
        organizations.create_organization,
        SYSTEM,
        {
            "name": "ACME LTD",
            "website": "javascript:alert(1)",
            "employee_count": 10_000_001,
            "size_tier": "huge",
            "value_tier": "gold",
            "business_scope": "x" * 4001,
        },
    )
    assert set(errors) == {"name", "website", "employee_count", "size_tier", "value_tier", "business_scope"}
    assert Organization.select().count() == 1


def test_a_race_on_the_same_organization_name_ends_as_a_field_error(app, monkeypatch):
    make_organization("Acme Ltd")
    monkeypatch.setattr(organizations, "_name_taken", lambda *a, **k: False)
    errors = _errors(
        organizations.create_organization, SYSTEM, {"name": "Acme Ltd", "size_tier": "large", "value_tier": "vip"}
    )
    assert "already on file" in str(errors["name"]) and Organization.select().count() == 1


def test_an_update_that_changes_nothing_still_leaves_a_trace(app):
    org = make_organization("Acme Ltd")
    values = {name: getattr(org, name) for name in organizations.ORGANIZATION_FIELDS}
    organizations.update_organization(SYSTEM, org.id, values)
    event = AuditEvent.get(AuditEvent.action == "directory.organization_updated")
    assert event.detail == '{"fields": []}'


def test_search_results_count_clients_per_organization(app):
    acme = make_organization("Acme Ltd")
    make_organization("Empty Co")
    make_client(organization=acme)
    make_client(organization=acme)
    page = organizations.search_organizations()
    assert {o.name: o.client_count for o in page.items} == {"Acme Ltd": 2, "Empty Co": 0}
    assert page.total == 2 and page.pages == 1 and not page.has_next
