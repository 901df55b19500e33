"""Issue #11.1: HR cannot take over a stranger's client record through a roster.

A roster row naming a private client of the center looks, to HR, exactly like a row naming a made-up
person; the client's record is never changed and never enrolled; HR can book, move or cancel only what the
roster's own record holds. The enrollment joins the person's own record only on their proof — opening the
invitation while signed in, the birth date and ID digits of their earlier record, or the ID card at the
front desk — each audited. Invitations to a record with an account go to the account's own address.
"""

import datetime
import json
import re

import pytest

from checkup.core import national_id
from checkup.core.audit import Actor
from checkup.core.errors import Conflict, ValidationError
from checkup.models import Appointment, AuditEvent, Client, Enrollment, RosterImport, Slot, User
from checkup.services.booking import booking
from checkup.services.groups import enrollments, group_booking, invitation_links, invitations
from checkup.services.groups.roster import roster
from tests import factories
from tests.booking_helpers import Center
from tests.conftest import PASSWORD
from tests.enrollment_helpers import Roster, invite_links
from tests.exam_day_helpers import ExamDay, freeze_clock
from tests.roster_helpers import csv_bytes, employee

pytestmark = pytest.mark.both_dbs

BORN = datetime.date(1986, 3, 14)
STRANGER_ID = factories.national_id_for(BORN, "female", sequence=41)
MADE_UP_ID = factories.national_id_for(BORN, "female", sequence=58)


class Company:
    """An organization with its HR account and an active contract whose one category books ``package``."""

    def __init__(self, package):
        self.org = factories.make_organization()
        self.hr = factories.make_user("hr", organization=self.org)
        self.contract = factories.make_contract(self.org, categories=[{"label": "Staff", "package": package}])
        self.actor = Actor(self.hr, "10.0.0.7")

    def upload(self, rows):
        return roster.upload(self.actor, self.org.id, self.contract.id, "roster.csv", csv_bytes(rows))

    def commit(self, roster_import):
        return roster.request_commit(self.actor, self.org.id, self.contract.id, roster_import.id)

    def enrollment(self, employee_no="E00001"):
        return Enrollment.get(Enrollment.contract == self.contract.id, Enrollment.employee_no == employee_no)

    def invite(self, outbox, enrollment):
        invitations.send_invitations(self.actor, self.org.id, self.contract.id, "selected", [enrollment.id])
        return invite_links(outbox())[-1]


def row(**values):
    """One roster row for a woman born on BORN, as HR would type her (employee number E00001)."""
    values = {
        "employee number": "E00001",
        "name": "陈静",
        "birth date": BORN.isoformat(),
        "sex": "女",
        "national ID": "",
        "phone": "",
        "email": "chen.jing@acme-hr.example",
        "department": "Sales",
        **values,
    }
    return employee(1, **values)


def private_client(center, with_account=True, **fields):
    """A private client of the center (not anyone's employee) with an ID on file, maybe an account, and
    a booked checkup of her own."""
    client = factories.make_client_with_id(
        STRANGER_ID,
        name="陈静",
        sex="female",
        birth_date=BORN,
        phone="13912345678",
        email="chen@private.example",
        **fields,
    )
    if with_account:
        factories.make_user("client", client=client, email="chen@private.example")
    appointment = booking.book(Actor(), client.id, center.slot.id, "BASIC")
    return client, appointment


def linked_events(**detail):
    events = [e for e in AuditEvent.select().where(AuditEvent.action == "enrollment.linked")]
    return [e for e in events if all(json.loads(e.detail).get(k) == v for k, v in detail.items())]


def _main(html, company, roster_import):
    """The page's main part, with what differs between two companies by design blanked."""
    block = html.split("<main", 1)[-1].split("</main>", 1)[0]
    block = block.replace(f"/hr/contracts/{company.contract.id}/roster", "ROSTER").replace(
        f"imports/{roster_import.id}", "imports/ID"
    )
    for name in (company.contract.name, company.org.name):
        block = block.replace(name, "NAME")
    return re.sub(r'name="csrf_token" value="[^"]*"', "CSRF", block)


def another_day(center):
    """A slot the day after the center's day (a client may hold one live appointment a day)."""
    return Slot.create(
        day=center.day + datetime.timedelta(days=1), start_time=datetime.time(8), end_time=datetime.time(9), capacity=5
    )


# --- the attack: what HR sees ---------------------------------------------------------------------------


@pytest.mark.parametrize("known_by", ["phone", "national ID"])
def test_a_strangers_row_looks_to_hr_exactly_like_a_made_up_persons(app, known_by, count_queries):
    center = Center()
    stranger, _appointment = private_client(center)
    before = dict(Client.get_by_id(stranger.id).__data__)
    real, made_up = Company(center.basic), Company(center.basic)
    rows = {
        real: row(**{known_by: "13912345678" if known_by == "phone" else STRANGER_ID}),
        made_up: row(**{known_by: "13900009999" if known_by == "phone" else MADE_UP_ID}),
    }

    seen = {}
    for company, values in rows.items():
        http = app.test_client()
        factories.sign_in_directly(http, company.hr)
        with count_queries() as queries:
            uploaded = company.upload([values])
            done = company.commit(uploaded)
        base = f"/hr/contracts/{company.contract.id}/roster/imports/{done.id}"
        page = http.post(f"{base}/commit", follow_redirects=True).get_data(as_text=True)  # 409: shows the result
        detail = http.get(base).get_data(as_text=True)
        stored = RosterImport.get_by_id(done.id)
        employees = enrollments.employee_page(company.org.id, company.contract.id, enrollments.EmployeeFilters())
        event = json.loads(
            AuditEvent.get(AuditEvent.action == "roster.imported", AuditEvent.object_id == str(done.id)).detail
        )
        event.pop("contract")
        seen[company] = {
            "preview": (
                uploaded.state,
                uploaded.total_rows,
                uploaded.valid_rows,
                uploaded.error_rows,
                uploaded.errors_json,
            ),
            "result": (stored.state, stored.valid_rows, stored.error_rows, stored.processed_rows, stored.message),
            "page": _main(detail, company, done),
            "refused_again": "no longer waiting" in page,
            "employees": [
                (r.employee_no, r.name, r.department, r.category, r.status, r.has_email) for r in employees.items
            ],
            "audit": event,
            "queries": queries.count,
        }
    assert seen[real] == seen[made_up]
    assert "known to the center" not in seen[real]["page"] and "linked" not in seen[real]["page"]
    assert {"created", "linked"} & set(seen[real]["audit"]) == set()

    # her record is untouched and she is on nobody's roster
    assert Client.get_by_id(stranger.id).__data__ == before
    assert not Enrollment.select().where(Enrollment.client == stranger.id).exists()
    record = real.enrollment().client
    assert record.id != stranger.id and record.roster_unverified_since is not None
    assert record.national_id_hash is None


def test_the_import_flash_says_only_how_many_rows_were_imported(app):
    center = Center()
    private_client(center)
    company = Company(center.basic)
    http = app.test_client()
    factories.sign_in_directly(http, company.hr)
    uploaded = company.upload([row(phone="13912345678")])
    page = http.post(
        f"/hr/contracts/{company.contract.id}/roster/imports/{uploaded.id}/commit", follow_redirects=True
    ).get_data(as_text=True)
    assert "Imported 1 employee." in page and "already known" not in page and "linked" not in page


def test_hr_cannot_book_move_or_cancel_the_strangers_own_checkup(app, outbox):
    center = Center()
    stranger, appointment = private_client(center)
    company = Company(center.basic)
    company.commit(company.upload([row(phone="13912345678", **{"national ID": STRANGER_ID})]))
    enrollment = company.enrollment()
    scope = {"organization_id": company.org.id}

    # nothing to move or cancel: her own appointment is not the enrollment's
    with pytest.raises(ValidationError):
        group_booking.cancel(company.actor, enrollment.id, "HR", **scope)
    with pytest.raises(ValidationError):
        group_booking.reschedule(company.actor, enrollment.id, center.slot2.id, **scope)
    # booking the same day works (no "already booked that day" to give her away) and books the roster's record
    booked = group_booking.book(company.actor, enrollment.id, center.slot.id, **scope)
    assert booked.client_id == enrollment.client_id != stranger.id
    group_booking.cancel(company.actor, enrollment.id, "HR", **scope)
    assert Appointment.get_by_id(appointment.id).status == "booked"
    assert Appointment.select().where(Appointment.client == stranger.id).count() == 1

    # the invitation goes to the address HR typed, never to her
    company.invite(outbox, enrollment)
    assert outbox()[-1]["To"] == "chen.jing@acme-hr.example"
    assert User.get(User.client == stranger.id).email == "chen@private.example"


# --- proof (a): the invitation, opened while signed in --------------------------------------------------


def _open_link(http, token):
    """The invitation page for ``token`` (following the trade of the link for the session, if any)."""
    response = http.get(f"/invite/{token}", follow_redirects=True)
    return response, response.request.path


def test_opening_the_invitation_signed_in_joins_the_enrollment_to_ones_own_record(app, outbox):
    center = Center()
    own, private = private_client(center)
    company = Company(center.basic)
    company.commit(company.upload([row(phone="13912345678")]))
    enrollment = company.enrollment()
    record = enrollment.client
    token = company.invite(outbox, enrollment)
    hr_booked = group_booking.book(company.actor, enrollment.id, another_day(center).id, organization_id=company.org.id)

    http = app.test_client()
    factories.sign_in_directly(http, User.get(User.client == own.id))
    page, path = _open_link(http, token)
    assert page.status_code == 200 and "Use my existing account" in page.get_data(as_text=True)
    assert Enrollment.get_by_id(enrollment.id).client_id == record.id, "nothing moves before the choice"

    response = http.post(path, data={})
    assert response.status_code == 303 and f"/me/group/{enrollment.id}/book" in response.headers["Location"]
    joined = Enrollment.get_by_id(enrollment.id)
    assert joined.client_id == own.id and joined.invite_used_at is not None
    assert Appointment.get_by_id(hr_booked.id).client_id == own.id  # HR's booking came along
    assert Appointment.get_by_id(private.id).status == "booked"
    assert Client.get_or_none(Client.id == record.id) is None, "the roster's record is discarded"
    (event,) = linked_events(proof="invitation")
    assert (event.object_type, event.object_id, event.client_id) == ("enrollment", str(enrollment.id), own.id)
    assert json.loads(event.detail)["roster_record"] == record.id
    # her own record kept its details: the roster's employee data stays on the enrollment
    assert (Client.get_by_id(own.id).employee_no, Client.get_by_id(own.id).organization_id) == ("", None)


def test_after_the_join_a_new_row_is_never_compared_with_her_own_record(app, outbox):
    center = Center()
    own, _private = private_client(center)  # her own phone: 13912345678
    company = Company(center.basic)
    company.commit(company.upload([row(phone="13900001111")]))
    token = company.invite(outbox, company.enrollment())
    http = app.test_client()
    factories.sign_in_directly(http, User.get(User.client == own.id))
    _page, path = _open_link(http, token)
    http.post(path, data={})
    assert company.enrollment().client_id == own.id
    # a row with her name and her own phone under another number: just another row, as for anyone
    checked = company.upload([row(phone="13912345678", **{"employee number": "E00002"})])
    assert (checked.valid_rows, checked.error_rows) == (1, 0)
    # her own number with her name updates her enrollment; her record keeps its details
    again = company.commit(company.upload([row(phone="13900001111", department="Finance")]))
    assert again.state == "imported" and company.enrollment().department == "Finance"
    assert Client.get_by_id(own.id).phone == "13912345678"


def test_without_signing_in_the_invitation_makes_an_account_on_the_rosters_record_only(app, outbox):
    center = Center()
    own, _private = private_client(center, with_account=False)
    company = Company(center.basic)
    company.commit(company.upload([row(**{"national ID": STRANGER_ID})]))
    enrollment = company.enrollment()
    token = company.invite(outbox, enrollment)
    http = app.test_client()
    _page, path = _open_link(http, token)
    http.post(path, data={"password": PASSWORD, "confirm": PASSWORD})
    user = User.get(User.email == "chen.jing@acme-hr.example")
    assert user.client_id == enrollment.client_id != own.id
    assert not User.select().where(User.client == own.id).exists() and not linked_events()


def test_a_roster_record_whose_checkup_began_cannot_be_taken_by_invitation(app, outbox):
    center = Center()
    own, _private = private_client(center)
    company = Company(center.basic)
    company.commit(company.upload([row()]))
    enrollment = company.enrollment()
    token = company.invite(outbox, enrollment)
    booked = group_booking.book(company.actor, enrollment.id, center.slot2.id, organization_id=company.org.id)
    Appointment.update(status="checked_in").where(Appointment.id == booked.id).execute()

    http = app.test_client()
    factories.sign_in_directly(http, User.get(User.client == own.id))
    page, path = _open_link(http, token)
    assert "Use my existing account" not in page.get_data(as_text=True)
    refused = http.post(path, data={})
    assert refused.status_code == 409
    assert Enrollment.get_by_id(enrollment.id).client_id == enrollment.client_id and not linked_events()
    assert Enrollment.get_by_id(enrollment.id).invite_used_at is None


def test_a_join_that_would_give_her_two_checkups_the_same_day_changes_nothing(app, outbox):
    center = Center()
    own, _private = private_client(center)
    company = Company(center.basic)
    company.commit(company.upload([row()]))
    enrollment = company.enrollment()
    token = company.invite(outbox, enrollment)
    group_booking.book(company.actor, enrollment.id, center.slot2.id, organization_id=company.org.id)
    user = User.get(User.client == own.id)
    with pytest.raises(Conflict):
        invitation_links.use_existing_account(token, user, "10.0.0.1")
    assert Enrollment.get_by_id(enrollment.id).client_id == enrollment.client_id
    assert Client.get_or_none(Client.id == enrollment.client_id) is not None and not linked_events()


# --- proof (b): birth date and last four ID characters, at first sign-in --------------------------------


def _accepted(app, outbox, company, enrollment):
    """The invitee chose a password from the invitation: a signed-in test client on the roster's record."""
    token = company.invite(outbox, enrollment)
    http = app.test_client()
    _page, path = _open_link(http, token)
    assert http.post(path, data={"password": PASSWORD, "confirm": PASSWORD}).status_code == 303
    http.get("/me")  # the welcome message is shown (and gone)
    return http, User.get(User.client == enrollment.client_id)


def test_the_earlier_record_joins_with_its_birth_date_and_id_digits(app, outbox):
    center = Center()
    earlier, private = private_client(center, with_account=False)
    company = Company(center.basic)
    company.commit(company.upload([row(**{"national ID": STRANGER_ID})]))
    enrollment = company.enrollment()
    http, user = _accepted(app, outbox, company, enrollment)
    assert "Bring those records into this account" in http.get("/me").get_data(as_text=True)

    wrong = http.post("/me/earlier-records", data={"birth_date": BORN.isoformat(), "id_last4": "0000"})
    assert wrong.status_code == 422 and Enrollment.get_by_id(enrollment.id).client_id == enrollment.client_id
    right = http.post("/me/earlier-records", data={"birth_date": BORN.isoformat(), "id_last4": STRANGER_ID[-4:]})
    assert right.status_code == 303
    assert User.get_by_id(user.id).client_id == earlier.id
    assert Enrollment.get_by_id(enrollment.id).client_id == earlier.id
    assert Client.get_or_none(Client.id == enrollment.client_id) is None
    assert Appointment.get_by_id(private.id).client_id == earlier.id
    (event,) = linked_events(proof="details")
    assert event.user_id == user.id and event.client_id == earlier.id
    assert AuditEvent.select().where(AuditEvent.action == "enrollment.link_refused").count() == 1
    assert "Bring those records" not in http.get("/me").get_data(as_text=True)


def test_wrong_details_and_a_record_with_its_own_account_get_the_same_answer(app, outbox):
    center = Center()
    private_client(center, with_account=True)  # has an account: only signing in to it proves it is hers
    company = Company(center.basic)
    company.commit(company.upload([row(**{"national ID": STRANGER_ID})]))
    enrollment = company.enrollment()
    http, _user = _accepted(app, outbox, company, enrollment)
    answers = []
    for birth_date, digits in ((BORN, STRANGER_ID[-4:]), (BORN, "9999"), (datetime.date(1990, 1, 1), "1234")):
        response = http.post("/me/earlier-records", data={"birth_date": birth_date.isoformat(), "id_last4": digits})
        main = response.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]
        answers.append((response.status_code, re.sub(r'value="[^"]*"', "", main)))
    assert len(set(answers)) == 1 and answers[0][0] == 422
    assert Enrollment.get_by_id(enrollment.id).client_id == enrollment.client_id and not linked_events()


def test_details_can_be_tried_five_times_then_only_the_desk_can_join(app, outbox):
    center = Center()
    earlier, _private = private_client(center, with_account=False)
    company = Company(center.basic)
    company.commit(company.upload([row(**{"national ID": STRANGER_ID})]))
    enrollment = company.enrollment()
    http, _user = _accepted(app, outbox, company, enrollment)
    for _ in range(5):
        http.post("/me/earlier-records", data={"birth_date": BORN.isoformat(), "id_last4": "0000"})
    late = http.post("/me/earlier-records", data={"birth_date": BORN.isoformat(), "id_last4": STRANGER_ID[-4:]})
    assert late.status_code == 403 and "front desk" in late.get_data(as_text=True)
    assert Enrollment.get_by_id(enrollment.id).client_id != earlier.id and not linked_events()


def test_an_ordinary_account_has_nothing_to_join(app):
    user = factories.make_user("client")
    http = app.test_client()
    factories.sign_in_directly(http, user)
    assert "Bring those records" not in http.get("/me").get_data(as_text=True)
    page = http.post("/me/earlier-records", data={"birth_date": "1985-06-01", "id_last4": "1234"})
    assert page.status_code == 200 and "nothing to join" in page.get_data(as_text=True)
    assert not AuditEvent.select().where(AuditEvent.action.startswith("enrollment.")).exists()


# --- proof (c): the ID card at the front desk ------------------------------------------------------------


@pytest.fixture
def desk_day(app, monkeypatch):
    """Today's exam day, a company whose HR booked a roster row into today's 10:00 slot, the desk's session."""
    day = ExamDay()
    freeze_clock(monkeypatch, 7)
    company = Company(day.basic)
    company.commit(company.upload([row(phone="13912345678")]))
    enrollment = company.enrollment()
    appointment = group_booking.book(company.actor, enrollment.id, day.mid.id, organization_id=company.org.id)
    http = app.test_client()
    factories.sign_in_directly(http, factories.make_user("scheduler"))
    return day, company, enrollment, appointment, http


def _earlier_client(**fields):
    return factories.make_client_with_id(
        STRANGER_ID, name="陈静", sex="female", birth_date=BORN, phone="13912345678", **fields
    )


def test_the_desk_joins_the_rosters_record_to_the_earlier_one_by_the_id_card(desk_day):
    _day, _company, enrollment, appointment, http = desk_day
    earlier = _earlier_client()
    sheet = http.get("/desk/day").get_data(as_text=True)
    assert "company roster" in sheet and "Join the records" in sheet

    unknown = http.post(
        f"/desk/day/appointments/{appointment.id}/join-record",
        data={"national_id": MADE_UP_ID},
        headers={"HX-Request": "true"},
    )
    assert "no other record with this ID number" in unknown.get_data(as_text=True)
    assert Appointment.get_by_id(appointment.id).client_id == enrollment.client_id

    joined = http.post(
        f"/desk/day/appointments/{appointment.id}/join-record",
        data={"national_id": STRANGER_ID.lower()},
        headers={"HX-Request": "true"},
    )
    assert "Records joined" in joined.get_data(as_text=True)
    assert Appointment.get_by_id(appointment.id).client_id == earlier.id
    assert Enrollment.get_by_id(enrollment.id).client_id == earlier.id
    assert Client.get_or_none(Client.id == enrollment.client_id) is None
    (event,) = linked_events(proof="front_desk")
    assert event.client_id == earlier.id and json.loads(event.detail)["appointment"] == appointment.id
    assert STRANGER_ID not in event.detail


def test_the_desk_join_leaves_an_account_on_the_rosters_record_where_it_is(desk_day, outbox):
    _day, _company, enrollment, appointment, http = desk_day
    holder = factories.make_user("client", client=enrollment.client, email="whoever@acme-hr.example")
    earlier = _earlier_client()
    http.post(f"/desk/day/appointments/{appointment.id}/join-record", data={"national_id": STRANGER_ID})
    assert Appointment.get_by_id(appointment.id).client_id == earlier.id
    assert Enrollment.get_by_id(enrollment.id).client_id == earlier.id
    assert User.get_by_id(holder.id).client_id == enrollment.client_id, "the account proved nothing at the desk"
    assert Client.get_or_none(Client.id == enrollment.client_id) is not None


def test_check_in_asks_to_join_first_when_another_record_holds_the_rosters_id(app, monkeypatch):
    day = ExamDay()
    freeze_clock(monkeypatch, 7)
    company = Company(day.basic)
    company.commit(company.upload([row(**{"national ID": STRANGER_ID}), employee(2, category="")]))
    earlier = _earlier_client()
    held = group_booking.book(company.actor, company.enrollment().id, day.mid.id, organization_id=company.org.id)
    fresh = group_booking.book(
        company.actor, company.enrollment("E00002").id, day.mid.id, organization_id=company.org.id
    )
    http = app.test_client()
    factories.sign_in_directly(http, factories.make_user("scheduler"))
    everything = {"verified": ["name", "birth_date", "national_id"]}

    refused = http.post(f"/desk/day/appointments/{held.id}/check-in", data=everything, headers={"HX-Request": "true"})
    assert "join the records before checking in" in refused.get_data(as_text=True)
    assert Appointment.get_by_id(held.id).status == "booked"

    http.post(f"/desk/day/appointments/{fresh.id}/check-in", data=everything)
    checked = Client.get_by_id(Appointment.get_by_id(fresh.id).client_id)
    assert Appointment.get_by_id(fresh.id).status == "checked_in"
    # the desk confirmed her ID: the record is an ordinary one from now on, the number its own
    assert checked.roster_unverified_since is None
    assert checked.national_id_hash == national_id.lookup_hash(employee(2)["national ID"])

    http.post(f"/desk/day/appointments/{held.id}/join-record", data={"national_id": STRANGER_ID})
    http.post(f"/desk/day/appointments/{held.id}/check-in", data=everything)
    assert Appointment.get_by_id(held.id).status == "checked_in"
    assert Appointment.get_by_id(held.id).client_id == earlier.id


# --- item 4: an invitation to a record with an account goes to the account's own address ----------------


def test_an_invitation_goes_to_the_accounts_address_not_the_one_on_the_roster(app, outbox):
    company = Roster()
    enrollment = company.employee("Ann")
    factories.make_user("client", client=enrollment.client, email="ann.own@example.com")
    Client.update(email="hr.typed@example.com").where(Client.id == enrollment.client_id).execute()
    hr = Actor(factories.make_user("hr", organization=company.org))
    plan = invitations.send_invitations(hr, company.org.id, company.contract.id, "selected", [enrollment.id])
    assert plan.sent == 1
    (mail,) = outbox()
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert mail["To"] == "ann.own@example.com"
    assert "/invite/" not in body and "/login?next=" in body
    assert Enrollment.get_by_id(enrollment.id).invite_token_hash is None, "no personal link for an account"
