"""schemathesis fuzzes /api/v1 on a live gunicorn server: no 5xx, and every answer (status, media type,
headers, body) is one the OpenAPI document declares."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from checkup.models import ExamItem
from tests.api.api_helpers import token_for
from tests.results_helpers import Lab
from tests.support.live_server import GunicornServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def live_api(app):
    lab = Lab()
    ExamItem.update(loinc="14771-0", container="FLU").where(ExamItem.id == lab.glu.id).execute()
    lab.appointment(name="张三")
    _system, token = token_for()
    with GunicornServer(app.config, workers=1, threads=4) as base_url:
        yield base_url, token


def _fuzz(operation, mode, base_url, token, checked):
    """Run ``operation`` with generated cases of ``mode`` (positive or negative) and check each answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def run(case):
        response = case.call_and_validate(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )
        checked.append((operation.label, response.status_code))

    run()


# one test, not schemathesis's pytest plugin: its lazy fixture does not run under pytest 9
def test_the_api_never_fails_and_always_answers_as_documented(live_api):
    base_url, token = live_api
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
    checked = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, base_url, token, checked)
    labels = {label for label, _status in checked}
    assert labels == {op.label for op in operations}
    statuses = {status for _label, status in checked}
    assert 200 in statuses and 422 in statuses and all(status < 500 for status in statuses)
