"""Background jobs: rq on Redis when CHECKUP_REDIS_URL is set, inline otherwise.

A job is a service function named by its dotted path and called with ids, so this
module imports no service. ``perform`` runs it inside an app context with a
database connection, which lets a plain ``rq worker`` run our jobs too.
"""
import importlib
import logging

from flask import current_app, has_app_context

log = logging.getLogger(__name__)
_worker_app = None


def _resolve(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def queue(connection=None, name="default"):
    from redis import Redis
    from rq import Queue

    connection = connection or Redis.from_url(current_app.config["REDIS_URL"])
    return Queue(name, connection=connection)


def enqueue(path, *args, **kwargs):
    """Run the service function ``path`` with ``args`` in the background (or now, without Redis).

    Returns the rq job, or the function's result when run inline.
    """
    if not isinstance(path, str):
        path = f"{path.__module__}.{path.__qualname__}"
    config = current_app.config
    if config.get("REDIS_URL") and not config.get("JOBS_INLINE"):
        return queue().enqueue(perform, path, *args, retry=_retry(), **kwargs)
    return _resolve(path)(*args, **kwargs)


def _retry():
    from rq import Retry

    return Retry(max=3, interval=[10, 60, 300])


def perform(path, *args, **kwargs):
    """The rq entry point: call ``path`` inside an app context and a database connection."""
    if has_app_context():
        return _call(path, args, kwargs)
    global _worker_app
    if _worker_app is None:
        from checkup import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        return _call(path, args, kwargs)


def _call(path, args, kwargs):
    from checkup.extensions import db

    with db.connection_context():
        return _resolve(path)(*args, **kwargs)
