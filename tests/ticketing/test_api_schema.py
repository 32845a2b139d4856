"""schemathesis against the API's own OpenAPI document: whatever a client sends, never a 5xx.

Every operation gets a few generated requests (valid and invalid bodies, queries, paths and the
Idempotency-Key header) as an admin, on PostgreSQL (where NUL bytes, huge numbers and odd dates used to
end in 500s). Bounded to a few examples per operation so the whole run stays under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from ticketing.bureau.seed import sync_dataset
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]
EXAMPLES = 6


def test_no_request_gets_a_server_error(app, session_factory, dataset, headers):
    with session_scope(session_factory) as session:
        sync_dataset(session, dataset)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures, tried = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        @given(case=operation.as_strategy())
        def check(case) -> None:
            nonlocal tried
            tried += 1
            response = case.call(headers={**(case.headers or {}), **headers["admin"]})
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, case.query, case.body,
                                 response.status_code, response.text[:200]))

        check()
    assert tried > 100
    assert failures == []
