"""Fuzz the JSON API from its own OpenAPI description (schemathesis): no 5xx, responses match."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from search_app import create_app
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def app(data_dir):
    return create_app({"TESTING": True, "PLANKB_DATA": str(data_dir), "PLANKB_CORPUS": str(ROOT / "corpus")})


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = ["GET /api/search", "GET /api/clauses/{clause_id}", "GET /api/departments", "GET /api/departments/{name}",
              "GET /api/documents", "GET /healthz", "GET /api/indicators", "GET /api/indicators/{indicator_id}"]


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


@pytest.mark.parametrize("label", OPERATIONS)
def test_api_conforms_to_its_schema(api_schema, label):
    operations = {op.ok().label: op.ok() for op in api_schema.get_all_operations()}
    assert set(operations) == set(OPERATIONS)
    calls = []

    @given(case=operations[label].as_strategy())
    @settings(max_examples=150 if label == "GET /api/search" else 60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        # No 5xx, a documented status, the right content type, a body matching the schema.
        # (A syntactically valid but unknown department is a 400 with a message, by design.)
        response = case.call_and_validate(checks=CHECKS)
        calls.append(response.status_code)

    check()
    assert calls and all(code < 500 for code in calls)


def test_openapi_is_served(app):
    body = app.test_client().get("/api/openapi.json").get_json()
    assert body["openapi"].startswith("3.") and "/api/search" in body["paths"]
