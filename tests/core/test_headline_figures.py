"""Headline counts are counted at most once per HEADLINE_MAX_AGE_SECONDS per app, and never with 0."""

from checkup.core import headline_figures
from checkup.models import Client
from checkup.services.accounts import clients
from tests.factories import make_client


def counter():
    calls = []

    def count():
        calls.append(1)
        return len(calls)

    return count, calls


def test_a_kept_count_is_reused_until_it_is_too_old(app, monkeypatch):
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 30
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    count, calls = counter()
    assert headline_figures.headline("x", count) == 1
    now[0] += 29.9
    assert headline_figures.headline("x", count) == 1
    now[0] += 0.2
    assert headline_figures.headline("x", count) == 2
    assert headline_figures.headline("y", count) == 3  # another name is counted on its own
    assert len(calls) == 3


def test_zero_counts_on_every_call(app):
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 0
    count, calls = counter()
    assert [headline_figures.headline("x", count) for _ in range(3)] == [1, 2, 3]


def test_the_directory_count_lags_at_most_the_limit(app, monkeypatch):
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 30
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    before = clients.directory_stats()["clients"]
    make_client()
    assert clients.directory_stats()["clients"] == before
    now[0] += 31
    assert clients.directory_stats()["clients"] == before + 1 == Client.select().count()


def test_while_one_thread_counts_again_the_others_answer_with_the_kept_value(app, monkeypatch):
    """A busy floor's eight threads must not all fold the day at the moment the kept loads grow old."""
    import threading

    app.config["HEADLINE_MAX_AGE_SECONDS"] = 5
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    assert headline_figures.headline("loads", lambda: "old") == "old"
    now[0] += 6
    counting, release, answers = threading.Event(), threading.Event(), []

    def slow_count():
        counting.set()
        release.wait(5)
        return "new"

    def first():
        with app.app_context():
            answers.append(headline_figures.headline("loads", slow_count))

    thread = threading.Thread(target=first)
    thread.start()
    assert counting.wait(5)
    others = [headline_figures.headline("loads", lambda: "counted twice") for _ in range(3)]
    release.set()
    thread.join(5)
    assert others == ["old", "old", "old"] and answers == ["new"]
    assert headline_figures.headline("loads", lambda: "counted twice") == "new"


def test_a_separate_limit_can_keep_a_value_shorter(app, monkeypatch):
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 30
    app.config["FLOOR_LOADS_MAX_AGE_SECONDS"] = 5
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    count, calls = counter()

    def floor(value):
        return headline_figures.headline("floor", value, max_age_key="FLOOR_LOADS_MAX_AGE_SECONDS")

    assert floor(count) == 1
    now[0] += 4.9
    assert floor(count) == 1
    now[0] += 0.2
    assert floor(count) == 2


def wait_until_counted(app, name):
    import time as real_time

    deadline = real_time.perf_counter() + 5
    while name in app.extensions.get("checkup.headlines_counting", set()):
        assert real_time.perf_counter() < deadline, "the background count never finished"
        real_time.sleep(0.01)


def test_past_half_its_age_a_value_is_counted_again_in_the_background(app, monkeypatch):
    """Under steady traffic no request waits for a count, and a value is still never older than its limit."""
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 10
    app.config["HEADLINE_REFRESH_AHEAD"] = True
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    count, calls = counter()
    assert headline_figures.headline("x", count) == 1
    now[0] += 4.9
    assert headline_figures.headline("x", count) == 1 and len(calls) == 1  # young: nothing counted
    now[0] += 1.1  # past half its life: this call answers at once and counts again behind it
    assert headline_figures.headline("x", count) == 1
    wait_until_counted(app, "x")
    assert len(calls) == 2
    now[0] += 9.9  # the background count's value is the kept one now, with its own age
    assert headline_figures.headline("x", lambda: "not counted") in (2, "not counted")
    wait_until_counted(app, "x")
    now[0] += 20  # nobody asked for it in the second half of its life: counted in the request
    assert headline_figures.headline("x", lambda: "fresh") == "fresh"


def test_a_failed_background_count_keeps_the_value_and_is_tried_again(app, monkeypatch):
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 10
    app.config["HEADLINE_REFRESH_AHEAD"] = True
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    assert headline_figures.headline("x", lambda: "kept") == "kept"
    now[0] += 6

    def broken():
        raise RuntimeError("the database went away")

    assert headline_figures.headline("x", broken) == "kept"
    wait_until_counted(app, "x")
    assert headline_figures.headline("x", lambda: "again") == "kept"  # a new background count starts
    wait_until_counted(app, "x")
    assert headline_figures.headline("x", lambda: "not yet") == "again"


def test_a_kept_count_on_another_basis_is_counted_again_at_once(app, monkeypatch):
    app.config["HEADLINE_MAX_AGE_SECONDS"] = 30
    app.config["HEADLINE_REFRESH_AHEAD"] = False
    now = [1000.0]
    monkeypatch.setattr(headline_figures.time, "monotonic", lambda: now[0])
    count, calls = counter()
    assert headline_figures.headline("funnel", count, basis=((1, "queued"),)) == 1
    now[0] += 1
    assert headline_figures.headline("funnel", count, basis=((1, "queued"),)) == 1  # same basis: kept
    assert headline_figures.headline("funnel", count, basis=((1, "sent"),)) == 2  # the invitation went out
    assert headline_figures.headline("funnel", count, basis=((2, "queued"), (1, "sent"))) == 3  # a new one
    assert headline_figures.headline("funnel", count, basis=((2, "queued"), (1, "sent"))) == 3
    assert len(calls) == 3


def run_in_threads(app, call, how_many):
    import threading

    answers = []

    def ask():
        with app.app_context():
            answers.append(call())

    threads = [threading.Thread(target=ask) for _ in range(how_many)]
    for thread in threads:
        thread.start()
    return threads, answers


def test_on_a_cold_start_one_thread_counts_and_the_others_wait_for_its_value(app):
    """Sixteen threads counting the management dashboard at once on a fresh server answered nothing for
    seconds: the first count is made once."""
    import threading

    app.config["HEADLINE_MAX_AGE_SECONDS"] = 30
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_count():
        calls.append(1)
        started.set()
        release.wait(5)
        return "counted once"

    first, first_answer = run_in_threads(app, lambda: headline_figures.headline("cold", slow_count), 1)
    assert started.wait(5)
    others, answers = run_in_threads(app, lambda: headline_figures.headline("cold", slow_count), 5)
    release.set()
    for thread in first + others:
        thread.join(5)
    assert first_answer == ["counted once"] and answers == ["counted once"] * 5
    assert len(calls) == 1
    assert "cold" not in app.extensions["checkup.headlines_counting"]


def test_when_the_first_count_fails_a_waiting_thread_counts_itself(app):
    import threading

    app.config["HEADLINE_MAX_AGE_SECONDS"] = 30
    started, release = threading.Event(), threading.Event()

    def broken():
        started.set()
        release.wait(5)
        raise RuntimeError("the database went away")

    failures = []

    def ask_broken():
        with app.app_context():
            try:
                headline_figures.headline("cold", broken)
            except RuntimeError as error:
                failures.append(str(error))

    first = threading.Thread(target=ask_broken)
    first.start()
    assert started.wait(5)
    waiters, answers = run_in_threads(app, lambda: headline_figures.headline("cold", lambda: "counted again"), 2)
    release.set()
    for thread in [first, *waiters]:
        thread.join(5)
    assert failures == ["the database went away"]
    assert answers == ["counted again", "counted again"]


def test_a_waiter_that_waits_too_long_counts_itself(app, monkeypatch):
    import threading

    app.config["HEADLINE_MAX_AGE_SECONDS"] = 30
    monkeypatch.setattr(headline_figures, "WAIT_FOR_COUNT_SECONDS", 0.05)
    started, release = threading.Event(), threading.Event()

    def stuck():
        started.set()
        release.wait(5)
        return "late"

    first, first_answer = run_in_threads(app, lambda: headline_figures.headline("slow", stuck), 1)
    assert started.wait(5)
    assert headline_figures.headline("slow", lambda: "its own") == "its own"
    release.set()
    first[0].join(5)
    assert first_answer == ["late"]
    assert headline_figures.headline("slow", lambda: "not counted") == "late"
