"""50 clients race for the last places against a real gunicorn server: never overbooked, no 5xx.

The server is a separate gunicorn process (2 workers x 8 threads) on the test's database;
the 50 clients are threads released together by a barrier, each with its own session.
"""

import re
import threading

import pytest

from checkup.models import Appointment, ResourceDay, Slot
from tests import factories
from tests.booking_helpers import Center, assert_counters_consistent
from tests.support.live_server import Browserless, GunicornServer, signed_in_cookie

pytestmark = pytest.mark.both_dbs
RACERS = 50


def _prepare(app, base, users, package, slot_id):
    """Each racer is signed in and opens the confirm page (its own CSRF token and idempotency key)."""
    from concurrent.futures import ThreadPoolExecutor

    def open_confirm(agent):
        status, _, html = agent.get(f"/me/book/{package}/confirm?slot={slot_id}")
        assert status == 200, html[:300]
        key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]+)"', html).group(1)
        return agent, {"slot": slot_id, "idempotency_key": key, "csrf_token": agent.csrf(html)}

    agents = [Browserless(base, signed_in_cookie(app, user)) for user in users]
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(open_confirm, agents))


def _race(racers, package):
    start = threading.Barrier(len(racers))
    results = [None] * len(racers)

    def run(index, agent, data):
        start.wait()
        results[index] = agent.post(f"/me/book/{package}/confirm", data)

    threads = [threading.Thread(target=run, args=(i, a, d)) for i, (a, d) in enumerate(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _clients(n):
    return [factories.make_user("client", email=f"racer{i}@example.com") for i in range(n)]


def _outcome(results):
    statuses = [status for status, _, _ in results]
    assert all(status in (303, 409) for status in statuses), sorted(set(statuses))
    for status, _, body in results:
        if status == 409:
            assert "just filled up" in body or "fully booked" in body
    return statuses.count(303)


def test_fifty_clients_race_for_ten_places(app):
    center = Center(slot_capacity=10, ct_capacity=100)
    users = _clients(RACERS)
    with GunicornServer(app.config) as base:
        racers = _prepare(app, base, users, "BASIC", center.slot.id)
        won = _outcome(_race(racers, "BASIC"))
    assert won == 10
    assert Slot.get_by_id(center.slot.id).booked == 10
    assert Appointment.select().where(Appointment.slot == center.slot.id).count() == 10
    assert_counters_consistent()


def test_fifty_clients_race_for_three_ct_places(app):
    center = Center(slot_capacity=100, ct_capacity=3)
    users = _clients(RACERS)
    with GunicornServer(app.config) as base:
        racers = _prepare(app, base, users, "CT-PKG", center.slot.id)
        won = _outcome(_race(racers, "CT-PKG"))
    assert won == 3
    assert ResourceDay.get_by_id(center.ct_day.id).booked == 3
    assert Slot.get_by_id(center.slot.id).booked == 3
    assert_counters_consistent()
