"""What a scanner does: every route, as every role allowed on it, with every parameter name the portal reads
(query strings and form fields alike) set to hostile values, by GET and by POST wherever the route takes
them. Nothing may answer 5xx."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm

import checkup.forms
from tests.web.test_permissions import ANY, PUBLIC, ROLES, RULES, _urls, http_as, world  # noqa: F401 (world is a fixture)

ROOT = Path(checkup.__file__).parent
HOSTILE = [
    "-1",
    "99999999999999999999999999",
    "2026-02-30",
    "abc' OR '1'='1",
    "１２３",  # full-width digits
    "x" * 5000,
]


pytestmark = pytest.mark.both_dbs  # PostgreSQL refuses what SQLite lets by (integer range, bad dates)


def _parameter_names():
    """Every query or form parameter the code reads by name, and every WTForms field name."""
    names = set()
    pattern = re.compile(r"request\.(?:args|form|values)\.(?:get|getlist)\(\s*[\"'](\w+)")
    for path in ROOT.rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    for module in pkgutil.iter_modules(checkup.forms.__path__):
        importlib.import_module(f"checkup.forms.{module.name}")
    stack = [FlaskForm]
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        names.update(name for name, _field in getattr(form, "_unbound_fields", None) or [])
        names.update(
            name for name in vars(form) if not name.startswith("_") and hasattr(vars(form)[name], "field_class")
        )
    names.discard("csrf_token")
    return sorted(names)


def _allowed(endpoint, role):
    rule = RULES[endpoint]
    return rule in (PUBLIC, ANY) or role in rule


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_hostile_values_in_every_parameter_never_give_a_server_error(app, world, role):  # noqa: F811
    users, values = world
    names = _parameter_names()
    assert {"q", "page", "day", "status", "level", "email", "password"} <= set(names)
    http = http_as(app, users, role)
    problems = []
    for endpoint, url, methods in _urls(app, values):
        if endpoint in ("auth.logout", "static") or not (role is None or _allowed(endpoint, role)):
            continue
        for value in HOSTILE:
            params = {name: value for name in names}
            answers = []
            if "GET" in methods:
                answers.append(("GET", http.get(url, query_string=params).status_code))
            if "POST" in methods:
                answers.append(("POST", http.post(url, data=params).status_code))
            problems.extend(
                f"{method} {url} as {role} with {value[:30]!r}: {status}" for method, status in answers if status >= 500
            )
    assert problems == []
