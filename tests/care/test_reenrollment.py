"""Annual re-enrollment: who is invited (and who is not), one invitation per checkup cycle, the funnel."""

import datetime
from decimal import Decimal

import pytest

from checkup.core import clock
from checkup.models import Appointment, AppointmentItem, Client, ClientFacts, Consent, Finding, Message, Report, Slot
from checkup.models.appointments import BOOKED, COMPLETED
from checkup.models.care import MARKETING_EMAIL, SERVICE_REMINDERS
from checkup.services.accounts import consents
from checkup.services.care import client_facts, reenrollment
from checkup.services.mail import mail
from tests import factories

pytestmark = pytest.mark.both_dbs


def _completed(client, day, package, items=(), findings=()):
    slot = Slot.get_or_none(Slot.day == day) or Slot.create(
        day=day, start_time=datetime.time(8), end_time=datetime.time(9), capacity=50
    )
    appointment = Appointment.create(
        exam_code=f"R{client.id:05d}{day:%y%m%d}",
        client=client,
        slot=slot,
        day=day,
        package=package,
        status=COMPLETED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    for item in items:
        AppointmentItem.create(appointment=appointment, item=item, price=Decimal("10"))
    report = Report.create(appointment=appointment, status="published", signed_at=datetime.datetime(2026, 1, 1))
    for item in findings:
        Finding.create(report=report, item=item, text=f"{item.name_en} high", level="C")
    client_facts.refresh([client.id])  # written straight to the tables: the facts follow by hand
    return appointment


@pytest.fixture
def world(app):
    today = clock.today()
    glu = factories.make_item("GLU", name_en="Fasting glucose", name_zh="空腹血糖")
    tsh = factories.make_item("TSH", name_en="Thyroid stimulating hormone", name_zh="促甲状腺激素")
    package = factories.make_package("BASIC", [glu], name_en="Basic checkup", name_zh="基础体检")
    eleven_months = reenrollment.months_before(today, 11)

    def client(name, email, last_day, consent=True, **kw):
        person = factories.make_client(name=name, email=email, phone="")
        _completed(person, last_day, package, items=[glu], **kw)
        if consent:
            consents.record(None, person.id, SERVICE_REMINDERS, True, "registration")
        return person

    due = client("张伟", "due@example.com", eleven_months, findings=[tsh, glu])
    recent = client("李娜", "recent@example.com", today - datetime.timedelta(days=200))
    no_consent = client("王强", "quiet@example.com", eleven_months, consent=False)
    consents.record(None, no_consent.id, MARKETING_EMAIL, True, "registration")  # marketing is not enough
    booked = client("赵敏", "booked@example.com", eleven_months - datetime.timedelta(days=30))
    future = Slot.create(
        day=today + datetime.timedelta(days=5),
        start_time=datetime.time(8),
        end_time=datetime.time(9),
        capacity=5,
        booked=1,
    )
    Appointment.create(
        exam_code="UPCOMING1",
        client=booked,
        slot=future,
        day=future.day,
        live_day=future.day,
        package=package,
        status=BOOKED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    no_email = client("孙丽", "", eleven_months)
    return {
        "today": today,
        "eleven_months": eleven_months,
        "due": due,
        "recent": recent,
        "no_consent": no_consent,
        "booked": booked,
        "no_email": no_email,
        "tsh": tsh,
        "package": package,
    }


def test_months_before_keeps_the_day_or_takes_the_month_end():
    assert reenrollment.months_before(datetime.date(2026, 11, 29), 11) == datetime.date(2025, 12, 29)
    assert reenrollment.months_before(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 2, 28)
    assert reenrollment.months_before(datetime.date(2026, 1, 15), 13) == datetime.date(2024, 12, 15)


def test_only_consented_clients_eleven_months_on_without_a_booking_are_due(world):
    due = reenrollment.due_clients(world["today"])
    assert [client.id for client, _ in due] == [world["due"].id]
    assert due[0][1] == reenrollment.months_before(world["today"], 11)


def test_the_invitation_suggests_last_package_and_the_finding_items_it_lacks(app, world, outbox):
    app.config["CLIENT_LOCALE"] = "zh"  # the lapsed client has no account: the center's language for clients
    assert reenrollment.send_invitations(world["today"]) == 1
    messages = outbox()
    assert len(messages) == 1
    text = messages[0].get_content()
    assert messages[0]["To"] == "due@example.com"
    assert "张伟" in text and "促甲状腺激素" in text  # TSH is a finding item not in the package
    assert "/preferences/" in text  # the manage/unsubscribe link
    package, items = reenrollment.suggestion(world["due"].id, reenrollment.months_before(world["today"], 11))
    assert package.code == "BASIC" and [i.code for i in items] == ["TSH"]


def test_a_rerun_or_retry_sends_nothing_twice(world, outbox):
    reenrollment.send_invitations(world["today"])
    assert reenrollment.send_invitations(world["today"]) == 0
    assert reenrollment.send_invitations(world["today"] + datetime.timedelta(days=1)) == 0
    assert len(outbox()) == 1
    assert Message.select().where(Message.kind == "reenrollment").count() == 1


def test_withdrawal_takes_effect_before_the_next_message(world, outbox):
    consents.record(None, world["due"].id, SERVICE_REMINDERS, False, "privacy_page")
    assert reenrollment.send_invitations(world["today"]) == 0
    assert outbox() == []


def test_funnel_counts_invited_booked_and_completed(world):
    assert reenrollment.funnel()["due"] == 1
    reenrollment.send_invitations(world["today"])
    flow = reenrollment.funnel()
    assert (flow["invited"], flow["booked"], flow["completed"]) == (1, 0, 0)
    assert flow["due"] == 0  # invited: today's run has dealt with them
    slot = Slot.create(
        day=world["today"] + datetime.timedelta(days=3),
        start_time=datetime.time(10),
        end_time=datetime.time(11),
        capacity=5,
        booked=1,
    )
    Appointment.create(
        exam_code="AGAIN0001",
        client=world["due"],
        slot=slot,
        day=slot.day,
        live_day=slot.day,
        package=world["package"],
        status=BOOKED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    flow = reenrollment.funnel()
    assert (flow["due"], flow["invited"], flow["booked"], flow["rate"]) == (0, 1, 1, 100.0)


def test_counselor_sees_the_funnel_and_can_send_now(world, client, login, outbox):
    login(factories.make_user("counselor", email="care@example.com"))
    page = client.get("/care/reenrollment")
    assert page.status_code == 200 and "张伟" in page.text
    answer = client.post("/care/reenrollment/run")
    assert answer.status_code == 303
    assert len(outbox()) == 1
    assert "张伟" in client.get("/care/reenrollment").text


def test_run_periodic_runs_the_daily_job_from_the_command_line(world, app, outbox):
    outcome = app.test_cli_runner().invoke(args=["run-periodic", "--only", "reenrollment.send_invitations"])
    assert outcome.exit_code == 0, outcome.output
    assert "reenrollment.send_invitations: done" in outcome.output
    assert len(outbox()) == 1
    again = app.test_cli_runner().invoke(args=["run-periodic", "--only", "reenrollment.send_invitations"])
    assert "reenrollment.send_invitations: done" in again.output
    assert len(outbox()) == 1  # invited once this cycle


# --- every due client once per cycle, in batches ------------------------------------------------------


def _due_client(n, package, day, consent=True):
    person = factories.make_client(name=f"到期{n}", email=f"due{n}@example.com", phone="")
    _completed(person, day, package)
    if consent:
        consents.record(None, person.id, SERVICE_REMINDERS, True, "registration")
    return person


def _invitations():
    return list(Message.select(Message.client, Message.dedupe_key).where(Message.kind == "reenrollment").tuples())


def test_runs_in_batches_invite_every_due_client_exactly_once(world, outbox):
    day = world["today"] - datetime.timedelta(days=400)
    extra = [_due_client(n, world["package"], day - datetime.timedelta(days=n)) for n in range(7)]
    due_ids = {c.id for c, _ in reenrollment.due_clients(world["today"])}
    assert due_ids == {world["due"].id} | {c.id for c in extra}  # 8 due, more than the batch of 3
    assert reenrollment.send_invitations(world["today"], batch=3) == 8
    assert reenrollment.send_invitations(world["today"], batch=3) == 0
    assert reenrollment.send_invitations(world["today"] + datetime.timedelta(days=3), batch=3) == 0
    invitations = _invitations()
    assert sorted(client_id for client_id, _ in invitations) == sorted(due_ids)
    assert len(outbox()) == 8
    marked = {f.client_id: f for f in ClientFacts.select().where(ClientFacts.client.in_(list(due_ids)))}
    assert all(f.invited_for_day == f.last_exam_day and f.invited_at is not None for f in marked.values())
    assert reenrollment.due_clients(world["today"]) == []


def test_more_due_clients_than_the_default_batch_are_all_invited_once(world, outbox):
    today, day = world["today"], world["today"] - datetime.timedelta(days=380)
    slot = Slot.create(day=day, start_time=datetime.time(7), end_time=datetime.time(8), capacity=1000)
    total = reenrollment.BATCH + 20
    Client.insert_many(
        [
            {
                "name": f"批量{n}",
                "sex": "male",
                "birth_date": datetime.date(1970, 1, 1),
                "email": f"bulk{n}@example.com",
            }
            for n in range(total)
        ]
    ).execute()
    ids = [c.id for c in Client.select(Client.id).where(Client.email.startswith("bulk")).order_by(Client.id)]
    Appointment.insert_many(
        [
            {
                "exam_code": f"B{client_id:07d}",
                "client": client_id,
                "slot": slot.id,
                "day": day,
                "status": COMPLETED,
                "total_price": Decimal("300"),
                "self_amount": Decimal("300"),
            }
            for client_id in ids
        ]
    ).execute()
    Consent.insert_many(
        [{"client": i, "purpose": SERVICE_REMINDERS, "granted": True, "source": "import"} for i in ids]
    ).execute()
    client_facts.rebuild_all()  # the rows were written in bulk: the facts follow in one go
    assert reenrollment.due_count(today) == (total + 1, False)  # and world's own due client
    assert reenrollment.send_invitations(today) == total + 1  # past the first batch of 500, in one run
    assert reenrollment.send_invitations(today) == 0
    invited = [client_id for client_id, _ in _invitations()]
    assert len(invited) == len(set(invited)) == total + 1
    assert set(ids) <= set(invited)
    assert len(outbox()) == total + 1


def test_a_run_that_stops_midway_sends_nobody_twice(world, outbox, monkeypatch):
    day = world["today"] - datetime.timedelta(days=400)
    for n in range(5):
        _due_client(n, world["package"], day - datetime.timedelta(days=n))
    real_send, calls = mail.send, []

    def send_then_die(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 4:
            raise RuntimeError("the worker was killed")
        return real_send(*args, **kwargs)

    monkeypatch.setattr(mail, "send", send_then_die)
    with pytest.raises(RuntimeError):
        reenrollment.send_invitations(world["today"], batch=2)
    assert len(outbox()) == 3
    monkeypatch.setattr(mail, "send", real_send)
    assert reenrollment.send_invitations(world["today"], batch=2) == 2  # the rest, not the one it died on
    invited = [client_id for client_id, _ in _invitations()]
    assert len(invited) == len(set(invited)) == 6
    assert [m["To"] for m in outbox()].count(calls[3]) == 0  # claimed before the crash: never sent again
    assert len(outbox()) == 5


def test_booking_or_completing_a_new_checkup_leaves_the_due_list(world):
    due = world["due"]

    def listed():
        return due.id in {c.id for c, _ in reenrollment.due_clients(world["today"])}

    assert listed()
    slot = Slot.create(
        day=world["today"] + datetime.timedelta(days=9),
        start_time=datetime.time(8),
        end_time=datetime.time(9),
        capacity=5,
        booked=1,
    )
    booked = Appointment.create(
        exam_code="NEXT0001",
        client=due,
        slot=slot,
        day=slot.day,
        live_day=slot.day,
        package=world["package"],
        status=BOOKED,
        total_price=Decimal("300"),
        self_amount=Decimal("300"),
    )
    assert not listed()
    Appointment.update(status="cancelled", live_day=None).where(Appointment.id == booked.id).execute()
    assert listed()  # cancelled again: due again
    _completed(due, world["today"] - datetime.timedelta(days=2), world["package"])
    assert not listed()
    facts = ClientFacts.get_by_id(due.id)
    assert (facts.last_exam_day, facts.unreviewed_day) == ((world["today"] - datetime.timedelta(days=2),) * 2)
    assert reenrollment.send_invitations(world["today"]) == 0


def test_the_next_cycle_gets_its_own_invitation(world, outbox):
    assert reenrollment.send_invitations(world["today"]) == 1
    again = world["today"] - datetime.timedelta(days=20)
    _completed(world["due"], again, world["package"])  # came back after the invitation
    assert reenrollment.send_invitations(world["today"]) == 0
    a_year_on = again + datetime.timedelta(days=340)
    assert world["due"].id in [c.id for c, _ in reenrollment.due_clients(a_year_on)]
    reenrollment.send_invitations(a_year_on)
    assert sorted(key for client_id, key in _invitations() if client_id == world["due"].id) == sorted(
        [
            reenrollment.invitation_key(world["due"].id, reenrollment.months_before(world["today"], 11)),
            reenrollment.invitation_key(world["due"].id, again),
        ]
    )


def test_a_client_passed_over_by_a_run_is_invited_by_a_later_one(world, outbox):
    quiet = world["no_consent"]
    assert reenrollment.send_invitations(world["today"]) == 1
    assert reenrollment.due_clients(world["today"]) == []  # the page lists only who became due since
    consents.record(None, quiet.id, SERVICE_REMINDERS, True, "privacy_page")
    assert reenrollment.due_clients(world["today"]) == []
    assert [c.id for c, _ in reenrollment.due_clients(world["today"], reviewed_too=True)] == [quiet.id]
    assert reenrollment.send_invitations(world["today"]) == 1
    assert [m["To"] for m in outbox()] == ["due@example.com", "quiet@example.com"]


def test_the_due_count_stops_at_its_cap(world):
    day = world["today"] - datetime.timedelta(days=400)
    for n in range(3):
        _due_client(n, world["package"], day)
    assert reenrollment.due_count(world["today"]) == (4, False)
    assert reenrollment.due_count(world["today"], cap=2) == (2, True)
    assert reenrollment.funnel()["due"] == 4


def test_invitations_loaded_in_bulk_mark_their_cycle(world, outbox):
    last_day = reenrollment.months_before(world["today"], 11)
    Message.create(
        client=world["due"],
        kind="reenrollment",
        dedupe_key=reenrollment.invitation_key(world["due"].id, last_day),
        email="due@example.com",
        status="sent",
    )
    client_facts.rebuild_all()
    facts = ClientFacts.get_by_id(world["due"].id)
    assert (facts.invited_for_day, facts.unreviewed_day) == (last_day, None)
    assert reenrollment.due_clients(world["today"]) == []
    assert reenrollment.send_invitations(world["today"]) == 0
    assert outbox() == []


def test_the_cycle_mark_and_the_message_row_commit_together(world, outbox, monkeypatch):
    def mark_fails(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reenrollment, "_mark_invited", mark_fails)
    with pytest.raises(RuntimeError):
        reenrollment.send_invitations(world["today"])
    assert _invitations() == [] and outbox() == []  # no row, no mail: the next run sends it
    monkeypatch.undo()
    assert reenrollment.send_invitations(world["today"]) == 1


def test_the_page_lists_the_due_and_the_sent_in_as_many_statements(world, client, login, outbox):
    from tests.support.page_crawl import Statements

    login(factories.make_user("counselor", email="care@example.com"))
    client.get("/care/reenrollment")
    with Statements() as before:
        page = client.get("/care/reenrollment").text
    due = page.split("<h2>", 3)[2]
    assert "<td>张伟</td><td>" + world["eleven_months"].isoformat() + "</td>" in due
    assert "李娜" not in due and "王强" not in due and "赵敏" not in due and "孙丽" not in due
    assert reenrollment.send_invitations(world["today"]) == 1
    with Statements() as after:
        page = client.get("/care/reenrollment").text
    assert "No client is due for an invitation today." in page
    sent = page.split("<h2>", 3)[3]
    assert sent.count("<tr><td>张伟</td><td>") == 1 and "<td>Sent</td></tr>" in sent
    # session, the latest invitations, the funnel's two counts (counted on every view in the tests), the due list
    assert len(before.recorded) == len(after.recorded) == 5
