"""Headline counts that may be a few seconds old: "clients: 100,064" on a dashboard is counted at most once
per HEADLINE_MAX_AGE_SECONDS per process and app, not on every view (a count over every client costs
~15 ms on a big center's PostgreSQL, more than the rest of the page); the exam floor's station loads (a
fold over the whole day's items, ~100 ms at 1,000 clients) are kept the same way for a few seconds. Lists
and anything a decision is taken on are never read from here.

When a kept value is too old, one thread counts again while the others keep answering with the old value
(on a busy floor eight threads would otherwise all fold the day at the same moment)."""

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

# app.config["HEADLINE_MAX_AGE_SECONDS"] overrides it; 0 counts on every call (the tests' setting)
HEADLINE_MAX_AGE_SECONDS = 30.0

_lock = threading.Lock()


def headline(
    name: str,
    count: Callable[[], Any],
    max_age_key: str = "HEADLINE_MAX_AGE_SECONDS",
    default_max_age: float = HEADLINE_MAX_AGE_SECONDS,
) -> Any:
    """``count()``'s value, counted again when the one kept under ``name`` is older than
    ``app.config[max_age_key]`` seconds (``default_max_age`` when unset; 0: count on every call)."""
    max_age = float(current_app.config.get(max_age_key, default_max_age))
    if max_age <= 0:
        return count()
    kept: dict[str, tuple[float, Any]] = current_app.extensions.setdefault("checkup.headlines", {})
    counting: set[str] = current_app.extensions.setdefault("checkup.headlines_counting", set())
    with _lock:
        entry = kept.get(name)
        if entry is not None and (time.monotonic() - entry[0] < max_age or name in counting):
            return entry[1]  # fresh enough, or another thread is counting it again right now
        counting.add(name)
    try:
        value = count()  # outside the lock: nobody waits on it (the first count ever may run twice)
        with _lock:
            kept[name] = (time.monotonic(), value)
    finally:
        with _lock:
            counting.discard(name)
    return value
