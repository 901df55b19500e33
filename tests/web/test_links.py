"""Every address an email carries (checkup/core/links.py) is a route the app serves."""

import inspect
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from checkup.core import links

BUILDERS = [
    (name, fn)
    for name, fn in inspect.getmembers(links, inspect.isfunction)
    if fn.__module__ == links.__name__ and name != "absolute"
]


def _sample_args(fn):
    return [
        7 if parameter.annotation is int else "sample-token"
        for parameter in inspect.signature(fn).parameters.values()
        if parameter.default is inspect.Parameter.empty
    ]


@pytest.mark.parametrize("name, builder", BUILDERS, ids=[name for name, _ in BUILDERS])
def test_each_emailed_link_is_served(app, name, builder):
    with app.app_context():
        address = builder(*_sample_args(builder))
    base = app.config["BASE_URL"].rstrip("/")
    path = address[len(base) :] if address.startswith(base) else address
    assert path.startswith("/")
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
    except (NotFound, MethodNotAllowed) as exc:  # pragma: no cover - the failure message
        pytest.fail(f"links.{name}() gives {path}, which no GET route serves: {exc}")
    assert endpoint != "static"


def test_the_sign_in_link_carries_where_to_go_next(app):
    with app.app_context():
        address = links.sign_in(links.group_booking_path(12))
    assert address.endswith("/login?next=/me/group/12/book")


def test_every_builder_is_checked():
    assert len(BUILDERS) >= 10
