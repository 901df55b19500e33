"""The WSGI entry point: ``gunicorn wsgi:app`` (make run, deploy/checkup-web.service) and ``flask --app wsgi``."""

import gc

from checkup import create_app

app = create_app()

# What start-up built (the modules, the app, its routes and extensions: ~141k objects) lives as long as the
# process. Frozen out of the cyclic collector's sight, a full collection walks only what requests made since:
# on the review page full collections cost ~0.2 ms a request averaged, and nothing measurable once frozen
# (bench: gc callbacks over 1,000 requests). Each gunicorn worker imports this module itself, after its fork.
gc.collect()
gc.freeze()
