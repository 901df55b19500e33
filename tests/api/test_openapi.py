"""The OpenAPI document is generated from the declared operations and is a valid OpenAPI 3.1 document."""

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from checkup.web import openapi

pytestmark = pytest.mark.both_dbs


def test_the_document_is_valid_openapi_3_1_and_lists_every_operation(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    document = response.get_json()
    validate(document, cls=OpenAPIV31SpecValidator)
    assert document["openapi"] == "3.1.0"
    declared = {(op.method, op.path) for op in openapi.OPERATIONS if op.path.startswith("/api/v1")}
    listed = {
        (method, path.replace("{", "<int:").replace("}", ">"))
        for path, methods in document["paths"].items()
        for method in methods
    }
    assert listed == declared
    results = document["paths"]["/api/v1/results"]["post"]
    assert results["security"] == [{"bearer": ["results:write"]}]
    assert {"401", "403", "422", "429"} <= set(results["responses"])
    assert results["responses"]["422"]["content"]["application/problem+json"]


def test_the_docs_page_lists_the_operations_without_any_outside_script(app, client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/worklist" in page and "orders:read" in page and "/api/v1/openapi.json" in page
    assert "cdn" not in page.lower() and "unpkg" not in page
