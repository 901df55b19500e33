"""Headline counts that may be a few seconds old: "clients: 100,064" on a dashboard is counted at most once
per HEADLINE_MAX_AGE_SECONDS per process and app, not on every view (a count over every client costs
~15 ms on a big center's PostgreSQL, more than the rest of the page). Lists and anything a decision is
taken on are never read from here."""

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import current_app

# app.config["HEADLINE_MAX_AGE_SECONDS"] overrides it; 0 counts on every call (the tests' setting)
HEADLINE_MAX_AGE_SECONDS = 30.0

_lock = threading.Lock()


def headline(name: str, count: Callable[[], Any]) -> Any:
    """``count()``'s value, counted again when the one kept under ``name`` is older than the limit."""
    max_age = float(current_app.config.get("HEADLINE_MAX_AGE_SECONDS", HEADLINE_MAX_AGE_SECONDS))
    if max_age <= 0:
        return count()
    kept: dict[str, tuple[float, Any]] = current_app.extensions.setdefault("checkup.headlines", {})
    now = time.monotonic()
    entry = kept.get(name)
    if entry is not None and now - entry[0] < max_age:
        return entry[1]
    value = count()  # outside the lock: two threads may both count once, neither waits on the other
    with _lock:
        kept[name] = (now, value)
    return value
