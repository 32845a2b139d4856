"""schemathesis against the API's own OpenAPI document: whatever a client sends, never a 5xx.

Every operation gets a few generated requests (valid and invalid bodies, queries, paths and the
Idempotency-Key header) as an admin, on PostgreSQL (where NUL bytes, huge numbers and odd dates used to
end in 500s). Bounded to a few examples per operation so the whole run stays under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from ticketing.bureau.seed import sync_dataset
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]
EXAMPLES = 6


@pytest.fixture
def api_schema(app, session_factory, dataset):
    with session_scope(session_factory) as session:
        sync_dataset(session, dataset)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_gets_a_server_error(case, headers):
    response = case.call(headers={**(case.headers or {}), **headers["admin"]})
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body,
                                        response.text[:300])
