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
