"""Fault tests use the session's provisioned Asterisk like the integration tests (same fixtures)."""

from tests.integration.conftest import asterisk, asterisk_install  # noqa: F401 - fixtures found by name
