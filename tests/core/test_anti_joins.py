"""Every ``NOT IN (SELECT …)`` of the services became an anti-join (``NOT EXISTS``): on data that exercises
each exclusion, the new query returns exactly the rows the old one did, on SQLite and PostgreSQL. (The old
queries are written out here as they were; only their results are compared.)"""

import datetime
import json

import pytest
from peewee import fn

from checkup.core import audit, clock
from checkup.models import (
    AddonModule,
    Appointment,
    AuditEvent,
    Client,
    GroupContract,
    Message,
    Organization,
    RenewalTask,
    User,
    UserRole,
    WaitlistEntry,
)
from checkup.models.accounts import CLIENT
from checkup.models.appointments import BOOKED, COMPLETED, LIVE_STATUSES
from checkup.models.base import utcnow
from checkup.services.access import access_log
from checkup.services.booking import booking, waitlist
from checkup.services.care import campaign_segments, campaigns, renewals
from checkup.services.groups import enrollment_identity
from checkup.services.privacy import anonymization
from tests import factories
from tests.campaign_helpers import checkup, consenting_client

pytestmark = pytest.mark.both_dbs


def _aged(user, years):
    then = utcnow() - datetime.timedelta(days=365 * years + 10)
    User.update(created_at=then, last_login_at=then).where(User.id == user.id).execute()
    Client.update(created_at=then).where(Client.id == user.client_id).execute()
    return user


def test_inactive_accounts(app):
    since = anonymization.years_before(clock.today(), anonymization.inactive_years())
    sleeper = _aged(factories.make_user("client", email="sleeper@example.com"), 5)
    examined = _aged(factories.make_user("client", email="examined@example.com"), 5)
    checkup(examined.client, clock.today() - datetime.timedelta(days=30))
    booked_long_ago = _aged(factories.make_user("client", email="live@example.com"), 5)
    checkup(booked_long_ago.client, since - datetime.timedelta(days=400), status=BOOKED)
    old_checkup = _aged(factories.make_user("client", email="old@example.com"), 5)
    checkup(old_checkup.client, since - datetime.timedelta(days=400))
    package = factories.make_package("WAIT", [factories.make_item("W1")])
    for email, status in (("waiting@example.com", waitlist.WAITING), ("expired@example.com", waitlist.EXPIRED)):
        user = _aged(factories.make_user("client", email=email), 5)
        WaitlistEntry.create(client=user.client, day=clock.today(), package=package, status=status)
    _aged(factories.make_user("client", "scheduler", email="desk@example.com"), 5)

    moment = datetime.datetime.combine(since, datetime.time())
    recent = Appointment.select(Appointment.client).where(
        (Appointment.day >= since) | Appointment.status.in_(LIVE_STATUSES)
    )
    waiting = WaitlistEntry.select(WaitlistEntry.client).where(
        WaitlistEntry.status.in_((waitlist.WAITING, waitlist.OFFERED))
    )
    old = (
        User.select(User.client)
        .join(Client, on=(User.client == Client.id))
        .where(
            User.id.in_(UserRole.select(UserRole.user).where(UserRole.role == CLIENT)),
            User.id.not_in(UserRole.select(UserRole.user).where(UserRole.role != CLIENT)),
            Client.anonymized_at.is_null(),
            User.created_at < moment,
            Client.created_at < moment,
            fn.COALESCE(User.last_login_at, User.created_at) < moment,
            Client.id.not_in(recent),
            Client.id.not_in(waiting),
        )
        .order_by(User.client)
    )
    before = [row.client_id for row in old]
    assert len(before) == 3  # the sleeper, the old checkup, the expired waitlist entry
    assert sleeper.client_id in before and old_checkup.client_id in before
    assert anonymization.inactive_client_ids() == before


def test_staff_accesses_leave_out_the_clients_own_accounts_and_the_system(app):
    person = factories.make_client(name="被访问")
    own = factories.make_user("client", "physician", client=person, email="own@example.com")  # works here too
    doctor = factories.make_user("physician", email="doc@example.com")
    hr = factories.make_user("hr", email="hr@example.com")
    for user in (own, doctor, hr, None):
        AuditEvent.create(
            user=user.id if user else None, client_id=person.id, action="results.viewed", object_type="x", object_id="1"
        )
    own_accounts = User.select(User.id).where(User.client == person.id)
    staff = UserRole.select(UserRole.user).where(UserRole.role.in_(access_log.ACCESS_ROLES))
    old = AuditEvent.select(AuditEvent.id).where(
        AuditEvent.client_id == person.id, AuditEvent.user.in_(staff), AuditEvent.user.not_in(own_accounts)
    )
    before = sorted(e.id for e in old)
    assert len(before) == 2
    assert sorted(e.id for e in access_log._access_events(person.id)) == before
    assert {a.user_id for a in access_log.all_staff_accesses(person.id)} == {doctor.id, hr.id}


def test_addons_are_the_active_modules_that_add_an_item_to_the_package(app):
    inside, other, inactive = factories.make_item("IN1"), factories.make_item("OUT1"), factories.make_item("OFF1")
    package = factories.make_package("ADD", [inside])
    factories.make_package("ELSE", [other])
    adds = factories.make_module("ADDS", [inside, other])  # half in the package: still adds OUT1
    factories.make_module("HAS", [inside])  # all in the package: nothing to add
    off = factories.make_module("OFF", [inactive])
    AddonModule.update(active=False).where(AddonModule.id == off.id).execute()
    choices = booking.addon_choices(package)
    assert [m.code for m in choices] == [adds.code]
    assert [i.code for i in choices[0].offered_items] == ["OUT1"]


def test_earlier_records_are_those_without_an_account(app):
    born = datetime.date(1980, 2, 3)
    roster = factories.make_client(name="花名册", birth_date=born, roster_unverified_since=utcnow())
    with_account = factories.make_client_with_id(
        factories.national_id_for(born, sequence=21), name="花名册", birth_date=born
    )
    factories.make_user("client", client=with_account, email="has@example.com")
    without = factories.make_client_with_id(
        factories.national_id_for(born, sequence=31), name="花名册", birth_date=born
    )
    factories.make_user("admin", email="admin@example.com")  # an account with no client record at all
    old = Client.select().where(
        Client.id != roster.id,
        Client.birth_date == born,
        Client.roster_unverified_since.is_null(),
        Client.national_id_cipher.is_null(False),
        Client.id.not_in(User.select(User.client).where(User.client.is_null(False))),
        Client.name == roster.name,
    )
    before = [c.id for c in old]
    assert before == [without.id]
    assert [c.id for c in enrollment_identity._earlier_records(roster, born)] == before


def test_renewal_tasks_open_for_contracts_without_one(app):
    today = clock.today()
    organization = factories.make_organization("Renewal Anti Join", account_manager="王经理")
    start = today - datetime.timedelta(days=330)
    end = today + datetime.timedelta(days=10)
    has_task = factories.make_contract(organization, name="has", window_start=start, window_end=end)
    without = factories.make_contract(organization, name="without", window_start=start, window_end=end)
    factories.make_contract(organization, name="draft", status="draft", window_start=start, window_end=end)
    RenewalTask.create(contract=has_task, account_manager="x", due_on=today, figures_json="{}")
    old = (
        GroupContract.select(GroupContract.id)
        .join(Organization)
        .where(
            GroupContract.status.in_(("active", "closed")),
            GroupContract.id.not_in(RenewalTask.select(RenewalTask.contract)),
        )
    )
    before = sorted(c.id for c in old)
    assert before == [without.id]
    assert renewals.create_due_tasks(today) == 1
    opened = RenewalTask.select().where(RenewalTask.contract != has_task.id)
    assert sorted(t.contract_id for t in opened) == before
    assert json.loads(opened.get().figures_json)["enrolled"] == 0


def test_a_campaign_batch_leaves_out_clients_it_already_reached(app):
    author = factories.make_user("counselor", email="author@example.com")
    reached, fresh, elsewhere = (
        consenting_client(f"客户{n}", email=f"c{n}@example.com", birth_date=datetime.date(1970, 1, 1)) for n in range(3)
    )
    consenting_client("无邮箱", email="")
    checkup(fresh, clock.today() - datetime.timedelta(days=800), status=COMPLETED)
    campaign = campaigns.save_draft(
        audit.Actor(author), {"name": "A", "kind": "newsletter", "subject": "S", "body": "B"}, {"age_min": "40"}
    )
    other = campaigns.save_draft(
        audit.Actor(author), {"name": "B", "kind": "newsletter", "subject": "S", "body": "B"}, {}
    )
    for client, to in ((reached, campaign), (elsewhere, other)):
        Message.create(
            client=client,
            campaign=to,
            kind="campaign",
            dedupe_key=f"campaign:{to.id}:{client.id}",
            email="x",
            subject="s",
        )
    segment = campaign_segments.load(campaign.segment_json)
    old = campaign_segments.audience(segment).where(
        Client.id.not_in(Message.select(Message.client).where(Message.campaign == campaign.id))
    )
    before = sorted(c.id for c in old)
    assert before == sorted([fresh.id, elsewhere.id])
    assert sorted(c.id for c in campaigns.unreached(segment, campaign.id)) == before
