"""Headline counts that may be a few seconds old: "clients: 100,064" on a dashboard is counted at most once
per HEADLINE_MAX_AGE_SECONDS per process and app, not on every view (a count over every client costs
~15 ms on a big center's PostgreSQL, more than the rest of the page); the exam floor's station loads (a
count over the whole day's items, ~30 ms of PostgreSQL at 1,000 clients) are kept the same way for a few seconds. Lists
and anything a decision is taken on are never read from here.

When a kept value is too old, one thread counts again while the others keep answering with the old value
(on a busy floor eight threads would otherwise all fold the day at the same moment). Before that, once a
kept value is past half its age limit, the next call starts counting again in a background thread and
answers with the kept value: under steady traffic no request waits for a count (the management dashboard's
figures take ~0.5 s to count on a big center), and a value is still never older than its limit. Only a
value nobody asked for during the second half of its life is counted again in the request.

When nothing usable is kept yet (a fresh process, or a figure on a new basis), one thread counts and the
others wait for its value instead of each counting on its own: on a cold server sixteen threads counting
the management dashboard at once answered nothing for seconds. A waiter that waits longer than
WAIT_FOR_COUNT_SECONDS counts itself; if the count fails, the next waiter counts.
``app.config["HEADLINE_REFRESH_AHEAD"] = False`` turns the background count off (the tests' setting)."""

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

from checkup.models.base import db

# app.config["HEADLINE_MAX_AGE_SECONDS"] overrides it; 0 counts on every call (the tests' setting)
HEADLINE_MAX_AGE_SECONDS = 30.0

# past this share of its age limit, a kept value is counted again in the background
REFRESH_AHEAD_SHARE = 0.5

# a thread waiting for another's first count gives up and counts itself after this long
WAIT_FOR_COUNT_SECONDS = 30.0

_lock = threading.Lock()


def headline(
    name: str,
    count: Callable[[], Any],
    max_age_key: str = "HEADLINE_MAX_AGE_SECONDS",
    default_max_age: float = HEADLINE_MAX_AGE_SECONDS,
    basis: Any = None,
) -> Any:
    """``count()``'s value, counted again when the one kept under ``name`` is older than
    ``app.config[max_age_key]`` seconds (``default_max_age`` when unset; 0: count on every call), or at once
    when it was counted on another ``basis``: a cheap mark of what the figure follows that the page reads
    anyway (the re-enrollment funnel passes its latest invitations, so a counselor who has just sent them
    sees them counted)."""
    max_age = float(current_app.config.get(max_age_key, default_max_age))
    if max_age <= 0:
        return count()
    kept: dict[str, tuple[float, Any, Any]] = current_app.extensions.setdefault("checkup.headlines", {})
    # name -> set when the count running for it ends (by a request or in the background)
    counting: dict[str, threading.Event] = current_app.extensions.setdefault("checkup.headlines_counting", {})
    while True:
        with _lock:
            entry = kept.get(name)
            running = counting.get(name)
            if entry is not None and entry[2] == basis:
                if running is not None:
                    return entry[1]  # another thread is counting it again right now
                age = time.monotonic() - entry[0]
                if age < max_age:
                    if age >= max_age * REFRESH_AHEAD_SHARE and current_app.config.get("HEADLINE_REFRESH_AHEAD", True):
                        counting[name] = threading.Event()
                        app = current_app._get_current_object()  # type: ignore[attr-defined]
                        _count_in_background(app, name, count, kept, counting, basis)
                    return entry[1]
            if running is None:
                done = counting[name] = threading.Event()
                break
        # nothing usable is kept and another thread is counting it: its value serves this call too
        if not running.wait(WAIT_FOR_COUNT_SECONDS):
            return count()
    try:
        value = count()  # outside the lock: the threads asking for another name do not wait on it
        with _lock:
            kept[name] = (time.monotonic(), value, basis)
    finally:
        with _lock:
            counting.pop(name, None)
        done.set()
    return value


def _count_in_background(
    app: Flask,
    name: str,
    count: Callable[[], Any],
    kept: dict[str, tuple[float, Any, Any]],
    counting: dict[str, threading.Event],
    basis: Any,
) -> None:
    """Count ``name`` again in a thread of its own (its own app context and pooled connection); a failure is
    logged and the kept value stays until a request counts it again."""

    def run() -> None:
        try:
            with app.app_context(), db.connection_context():
                value = count()
            with _lock:
                kept[name] = (time.monotonic(), value, basis)
        except Exception:
            app.logger.exception("headline figure %s could not be counted in the background", name)
        finally:
            with _lock:
                done = counting.pop(name, None)
            if done is not None:
                done.set()

    threading.Thread(target=run, name=f"headline {name}", daemon=True).start()
