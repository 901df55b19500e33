"""Two chief physicians save the first draft of the same checkup at the same moment, in two real threads on
PostgreSQL: both saves go through (the later one is the draft and holds the claim), one draft row and one claim
row, never an IntegrityError or a refusal."""

import threading
import time

import pytest

from checkup.core.audit import Actor
from checkup.models import AuditEvent, ChiefReview, Report
from checkup.models.base import db
from checkup.services.exam import chief_review
from tests import factories
from tests.report_helpers import ReportWorld

HOLD_SECONDS = 1.0  # how long the first save keeps its transaction open after writing


@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_two_chiefs_saving_the_first_draft_at_once_both_succeed(app):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    first, second = world.chief_user(), factories.make_user("chief", email="chief2@example.com", name="王主任")
    db.close()
    first_inside, outcomes, errors = threading.Event(), {}, []

    def save(name, user, text, hold=False, wait_for=None):
        with app.app_context():
            try:
                if wait_for is not None:
                    assert wait_for.wait(timeout=30)
                with db.connection_context():
                    with db.atomic():
                        report = chief_review.save_draft(Actor(user, "127.0.0.1"), world.appointment.id, text, "")
                        if hold:  # written, not committed: the other chief physician saves now
                            first_inside.set()
                            time.sleep(HOLD_SECONDS)
                outcomes[name] = report.id
            except Exception as error:  # noqa: BLE001 - reported below: the test fails on any error
                errors.append(repr(error))

    threads = [
        threading.Thread(target=save, args=("first", first, "郑主任的草稿", True)),
        threading.Thread(target=save, args=("second", second, "王主任的草稿", False, first_inside)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.connect(reuse_if_open=True)

    assert errors == []
    assert outcomes["first"] == outcomes["second"]  # the same draft row
    (draft,) = Report.select()
    assert draft.status == "draft" and draft.summary == "王主任的草稿"  # the later save
    (claim,) = ChiefReview.select()
    assert claim.chief_id == second.id
    assert AuditEvent.select().where(AuditEvent.action == "report.draft_saved").count() == 2


@pytest.mark.both_dbs
def test_a_second_draft_moves_the_claim(app):
    world = ReportWorld()
    world.all_results()
    world.sign_stations()
    second = factories.make_user("chief", email="chief2@example.com", name="王主任")
    chief_review.save_draft(world.actor(world.chief_user()), world.appointment.id, "一", "")
    started = ChiefReview.get().started_at
    chief_review.save_draft(world.actor(second), world.appointment.id, "二", "")
    (claim,) = ChiefReview.select()
    assert claim.chief_id == second.id and claim.started_at == started
    assert Report.get().summary == "二"
