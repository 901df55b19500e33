"""Invitations: waves, personal single-use links, the set-password landing, reminders, idempotent jobs."""

import hashlib

import pytest

from checkup.core.audit import Actor
from checkup.core.errors import Conflict, NotFound, ValidationError
from checkup.models import AuditEvent, Enrollment, Message, User
from checkup.services.groups import invitations
from tests import factories
from tests.conftest import PASSWORD
from tests.enrollment_helpers import Roster, invite_links, move_clock

pytestmark = pytest.mark.both_dbs


@pytest.fixture
def roster(app):
    roster = Roster()
    roster.ann = roster.employee("Ann", "not_invited")
    roster.ben = roster.employee("Ben", "not_invited")
    roster.nomail = roster.employee("No Mail", "not_invited", email=False)
    roster.cat = roster.employee("Cat", "invited")
    roster.dan = roster.employee("Dan", "booked")
    return roster


def hr_actor(roster):
    return Actor(factories.make_user("hr", organization=roster.org), "10.0.0.9")


def reload(enrollment):
    return Enrollment.get_by_id(enrollment.id)


def test_a_wave_to_everyone_not_invited_sends_one_personal_link_each(roster, outbox):
    plan = invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "all")
    assert (plan.sent, plan.no_email, plan.already_invited, plan.booked, plan.resend) == (2, 1, 1, 1, 0)
    mails = outbox()
    assert sorted(m["To"] for m in mails) == sorted([roster.ann.client.email, roster.ben.client.email])
    tokens = invite_links(mails)
    assert len(set(tokens)) == 2
    stored = {reload(roster.ann).invite_token_hash, reload(roster.ben).invite_token_hash}
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert all(t not in stored for t in tokens), "only the hash of a token is kept"
    ann = reload(roster.ann)
    assert ann.invite_count == 1 and ann.invited_at is not None and ann.invite_expires_at > ann.invited_at
    assert (ann.invite_expires_at - ann.invited_at).days in (13, 14)
    assert reload(roster.nomail).invited_at is None and reload(roster.cat).invite_count == 1
    event = AuditEvent.get(AuditEvent.action == "hr.invitations_sent")
    assert '"sent": 2' in event.detail and '"no_email": 1' in event.detail


def test_not_yet_booked_reinvites_the_invited_with_a_fresh_link(roster, outbox):
    plan = invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "not_booked")
    assert (plan.sent, plan.resend, plan.no_email, plan.booked) == (3, 1, 1, 1)
    assert reload(roster.cat).invite_count == 2 and len(outbox()) == 3


def test_selected_employees_only_and_only_of_this_contract(roster, outbox):
    other = Roster(center=roster.center, name="Other Co")
    stranger = other.employee("Stranger")
    plan = invitations.send_invitations(
        hr_actor(roster),
        roster.org.id,
        roster.contract.id,
        "selected",
        [str(roster.ann.id), str(stranger.id), "junk", "-3"],
    )
    assert plan.sent == 1 and [m["To"] for m in outbox()] == [roster.ann.client.email]
    assert reload(stranger).invited_at is None


@pytest.mark.parametrize("mode,ids,error", [("selected", [], ValidationError), ("everyone", [], ValidationError)])
def test_a_wave_needs_a_mode_and_a_selection(roster, mode, ids, error):
    with pytest.raises(error):
        invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, mode, ids)
    assert Enrollment.select().where(Enrollment.invite_count > 1).count() == 0


def test_only_an_active_contract_of_ones_own_organization(roster, outbox):
    draft = Roster(center=roster.center, status="draft", name="Draft Co")
    draft.employee("Draftee")
    with pytest.raises(Conflict):
        invitations.send_invitations(hr_actor(draft), draft.org.id, draft.contract.id, "all")
    with pytest.raises(NotFound):
        invitations.send_invitations(hr_actor(draft), draft.org.id, roster.contract.id, "all")
    assert outbox() == [] and Message.select().count() == 0


@pytest.mark.parametrize("default", ["zh", "en"])
def test_email_in_the_clients_default_without_an_account_else_in_the_accounts_language(
    app, roster, monkeypatch, default
):
    app.config["CLIENT_LOCALE"] = default
    factories.make_user("client", client=roster.ben.client, email="ben.account@example.com", locale="en")
    seen = {}
    real = invitations.messages.send_once

    def spy(client, kind, key, subject, text, **kwargs):
        seen[client.id] = kwargs.get("locale")
        return real(client, kind, key, subject, text, **kwargs)

    monkeypatch.setattr(invitations.messages, "send_once", spy)
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "all")
    assert seen == {roster.ann.client_id: default, roster.ben.client_id: "en"}


def test_a_retried_batch_sends_nothing_new(roster, outbox):
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "all")
    ids = [roster.ann.id, roster.ben.id, roster.nomail.id]
    assert invitations.send_invitation_batch(roster.contract.id, ids) == 0
    assert invitations.send_invitation_batch(roster.contract.id, ids) == 0
    assert len(outbox()) == 2 and Message.select().count() == 2


def test_a_large_wave_goes_out_in_batches_each_email_once_even_when_jobs_run_twice(roster, outbox, monkeypatch):
    from tests.task_helpers import hold_tasks

    for n in range(7):
        roster.employee(f"Many {n}")
    monkeypatch.setattr(invitations, "BATCH_SIZE", 3)
    queued = hold_tasks(monkeypatch)
    plan = invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "all")
    assert plan.sent == 9 and len(queued) == 3 and outbox() == []
    assert invitations.invitation_progress(roster.org.id, roster.contract.id)[1] == 9
    for kind, args in queued + queued:  # every task run twice (a retry after a lost acknowledgement)
        assert kind == "invitation.send_batch"
        invitations.send_invitation_batch(*args)
    assert len(outbox()) == 9 and len({m["To"] for m in outbox()}) == 9
    assert invitations.invitation_progress(roster.org.id, roster.contract.id)[1] == 0


def test_lost_jobs_are_resumed_by_the_daily_run(roster, outbox, monkeypatch):
    from checkup.core import tasks
    from tests.task_helpers import hold_tasks

    hold_tasks(monkeypatch)  # the wake-ups were lost and no dispatcher ran
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "all")
    monkeypatch.undo()
    assert invitations.resume_stuck_invitations() == 0  # too early to call them lost
    move_clock(monkeypatch, hours=2)
    assert invitations.resume_stuck_invitations() == 2
    assert len(outbox()) == 2 and invitations.resume_stuck_invitations() == 0
    assert tasks.dispatch_due() >= 1 and len(outbox()) == 2  # the original task, run late, sends nothing more


# --- the landing -------------------------------------------------------------------------------


def _invite(roster, outbox, enrollment=None):
    ids = [(enrollment or roster.ann).id]
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "selected", ids)
    return invite_links(outbox())[-1]


def test_new_employee_sets_a_password_is_signed_in_and_lands_on_group_booking(roster, outbox, client):
    token = _invite(roster, outbox)
    traded = client.get(f"/invite/{token}")  # the token leaves the address at once: kept in the session
    assert traded.status_code == 303 and traded.headers["Location"] == "/invite"
    page = client.get("/invite")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and roster.ann.client.email in html and "Acme Test Co" in html
    assert token not in html
    response = client.post("/invite", data={"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/me/group/{roster.ann.id}/book")
    user = User.get(User.client == roster.ann.client_id)
    assert user.email == roster.ann.client.email and user.role_names == {"client"}
    assert reload(roster.ann).invite_used_at is not None
    assert client.get("/me").status_code == 200, "signed in as the new client"
    event = AuditEvent.get(AuditEvent.action == "invitation.accepted")
    assert event.user_id == user.id and event.object_id == str(roster.ann.id)


def test_a_link_works_once(roster, outbox, client, app):
    token = _invite(roster, outbox)
    replayer = app.test_client()
    replayer.get(f"/invite/{token}")  # kept in a second browser's session too
    client.get(f"/invite/{token}")
    client.post("/invite", data={"password": PASSWORD, "confirm": PASSWORD})
    again = app.test_client().get(f"/invite/{token}")
    assert again.status_code == 404 and "Invitation link not valid" in again.get_data(as_text=True)
    replay = replayer.post("/invite", data={"password": PASSWORD, "confirm": PASSWORD})
    assert replay.status_code == 404 and User.select().where(User.client == roster.ann.client_id).count() == 1
    assert app.test_client().post(f"/invite/{token}", data={"password": PASSWORD}).status_code == 405


def test_a_link_expires(roster, outbox, client, monkeypatch):
    token = _invite(roster, outbox)
    move_clock(monkeypatch, days=13)
    assert client.get(f"/invite/{token}").status_code == 303
    assert client.get("/invite").status_code == 200
    move_clock(monkeypatch, days=2)
    assert client.get(f"/invite/{token}").status_code == 404
    response = client.post("/invite", data={"password": PASSWORD, "confirm": PASSWORD})  # the kept one has expired
    assert response.status_code == 404 and not User.select().where(User.client == roster.ann.client_id).exists()


def test_wrong_expired_and_superseded_links_look_the_same(roster, outbox, client, monkeypatch):
    first = _invite(roster, outbox)
    second = _invite(roster, outbox)  # a new wave replaces the first link
    pages = [client.get(f"/invite/{t}") for t in (first, "x" * 43, "short")]
    move_clock(monkeypatch, days=20)
    pages.append(client.get(f"/invite/{second}"))
    assert [p.status_code for p in pages] == [404, 404, 404, 404]
    bodies = {p.get_data(as_text=True).split("<main", 1)[-1].split("</main>")[0] for p in pages}
    assert len(bodies) == 1


def test_password_rules_and_confirmation_are_checked(roster, outbox, client):
    token = _invite(roster, outbox)
    client.get(f"/invite/{token}")
    short = client.post("/invite", data={"password": "short", "confirm": "short"})
    mismatch = client.post("/invite", data={"password": PASSWORD, "confirm": PASSWORD + "x"})
    assert short.status_code == mismatch.status_code == 422
    assert "The two passwords do not match." in mismatch.get_data(as_text=True)
    assert not User.select().where(User.client == roster.ann.client_id).exists()
    assert reload(roster.ann).invite_used_at is None


def test_an_employee_with_an_account_spends_the_link_and_signs_in(roster, outbox, client):
    token = _invite(roster, outbox)  # a link issued before she made an account another way
    factories.make_user("client", client=roster.ann.client, email="ann.login@example.com")
    response = client.get(f"/invite/{token}")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(
        "/login?next="
    ) and f"group/{roster.ann.id}/book" in response.headers["Location"].replace("%2F", "/")
    assert reload(roster.ann).invite_used_at is not None
    assert AuditEvent.select().where(AuditEvent.action == "invitation.used").count() == 1
    assert client.get(f"/invite/{token}").status_code == 404


def test_an_email_address_taken_by_another_account_is_refused_politely(roster, outbox, client):
    factories.make_user("client", email=roster.ann.client.email)  # someone else's account, same address
    token = _invite(roster, outbox)
    page = client.get(f"/invite/{token}")
    assert page.status_code == 409 and "already exists" in page.get_data(as_text=True)
    refused = client.post("/invite", data={"password": PASSWORD, "confirm": PASSWORD})  # nothing was kept
    assert refused.status_code == 404 and reload(roster.ann).invite_used_at is None


def test_a_link_of_a_contract_no_longer_active_is_dead(roster, outbox, client):
    token = _invite(roster, outbox)
    roster.contract.status = "closed"
    roster.contract.save()
    assert client.get(f"/invite/{token}").status_code == 404


# --- reminders ---------------------------------------------------------------------------------


def test_reminders_go_to_the_invited_who_have_not_booked_at_most_every_three_days(roster, outbox, monkeypatch):
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "not_booked")
    invited = len(outbox())
    assert invited == 3 and invitations.send_invitation_reminders() == 0  # just invited
    move_clock(monkeypatch, days=3, minutes=1)
    assert invitations.send_invitation_reminders() == 3
    reminders = outbox()[invited:]
    assert sorted(m["To"] for m in reminders) == sorted(e.client.email for e in (roster.ann, roster.ben, roster.cat))
    assert invitations.send_invitation_reminders() == 0, "a second run the same day sends nothing"
    move_clock(monkeypatch, days=2)
    assert invitations.send_invitation_reminders() == 0
    roster.ben.appointment = roster.appointment(roster.ben.client, "booked")
    roster.ben.save()
    move_clock(monkeypatch, days=1, minutes=1)
    assert invitations.send_invitation_reminders() == 2, "Ben booked meanwhile"
    assert Message.select().where(Message.kind == "invite_reminder").count() == 5


def test_a_reminder_carries_a_fresh_link_that_replaces_the_old_one(roster, outbox, client, monkeypatch):
    first = _invite(roster, outbox)
    move_clock(monkeypatch, days=4)
    assert invitations.send_invitation_reminders() == 2  # Ann, and Cat (invited before links were issued)
    (fresh,) = invite_links([m for m in outbox()[1:] if m["To"] == roster.ann.client.email])
    assert fresh != first
    assert client.get(f"/invite/{first}").status_code == 404
    assert client.get(f"/invite/{fresh}", follow_redirects=True).status_code == 200


def test_an_account_holder_is_invited_and_reminded_at_the_accounts_address_to_sign_in(roster, outbox, monkeypatch):
    factories.make_user("client", client=roster.ann.client, email="ann.login@example.com")
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "selected", [roster.ann.id])
    move_clock(monkeypatch, days=4)
    assert invitations.send_invitation_reminders() == 2
    mails = [m for m in outbox() if m["To"] == "ann.login@example.com"]
    assert len(mails) == 2 and not [m for m in outbox() if m["To"] == roster.ann.client.email]
    for mail in mails:  # the invitation and the reminder: no personal link, sign in instead
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "/invite/" not in body and "/login?next=" in body


def test_no_reminder_outside_the_booking_window_or_for_an_inactive_contract(roster, outbox, monkeypatch):
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "all")
    move_clock(monkeypatch, days=61)  # the window ends 60 days after today
    assert invitations.send_invitation_reminders() == 0


def test_a_reminder_claimed_by_a_concurrent_run_is_not_sent_again(roster, outbox, monkeypatch):
    invitations.send_invitations(hr_actor(roster), roster.org.id, roster.contract.id, "all")
    move_clock(monkeypatch, days=4)
    due = list(invitations._due_reminders(invitations.now_utc()))
    assert {e.id for e in due} == {roster.ann.id, roster.ben.id, roster.cat.id}
    # another worker claims Ann's reminder between our read and our update
    Enrollment.update(last_reminded_at=invitations.now_utc()).where(Enrollment.id == roster.ann.id).execute()
    monkeypatch.setattr(invitations, "_due_reminders", lambda now: due)
    assert invitations.send_invitation_reminders() == 2
    assert roster.ann.client.email not in {m["To"] for m in outbox()[2:]}
