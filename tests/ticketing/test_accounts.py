"""Accounts: login throttling and lockout (as data), password changes, (de)activation, token expiry."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from ticketing.audit.models import AccessRecord
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.user import accounts
from ticketing.user import service as users
from ticketing.user.models import ApiToken, ConsoleSession, LoginAttempt
from ticketing.user.policy import LoginPolicy

POLICY = LoginPolicy(max_user_failures=3, max_address_failures=5, window=timedelta(minutes=15),
                     lockout=timedelta(minutes=10))


def _try(session_factory, username, password, address="10.0.0.1", now=None):
    """One login attempt in its own transaction (committed even when refused, as the console does)."""
    with session_scope(session_factory) as session:
        try:
            return accounts.login(session, username, password, address, POLICY, now or utcnow()).username
        except accounts.LoginRefused as refused:
            return refused.reason


@pytest.fixture
def alice(session_factory):
    with session_scope(session_factory) as session:
        users.create(session, "alice", "agent", password="correct-horse")


def test_wrong_passwords_lock_the_account_and_the_right_one_waits(session_factory, alice, caplog):
    caplog.set_level(logging.WARNING, logger="ticketing.user.accounts")
    assert [_try(session_factory, "alice", "nope-nope") for _ in range(3)] == ["failed", "failed", "locked"]
    assert _try(session_factory, "alice", "correct-horse") == "locked"  # even the right password
    later = utcnow() + timedelta(minutes=11)
    assert _try(session_factory, "alice", "correct-horse", now=later) == "alice"
    assert _try(session_factory, "alice", "nope-nope", now=later) == "failed"  # the success reset the count
    with session_factory() as session:
        rows = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [r.outcome for r in rows] == ["wrong-password"] * 3 + ["locked", "ok", "wrong-password"]
    assert all(r.username == "alice" and r.address == "10.0.0.1" for r in rows)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "outcome=wrong-password" in logged and "account alice locked" in logged
    assert "nope-nope" not in logged and "correct-horse" not in logged  # never the password


def test_unknown_usernames_lock_like_real_ones(session_factory, alice):
    answers = [_try(session_factory, "mallory", "whatever1") for _ in range(4)]
    assert answers == ["failed", "failed", "locked", "locked"]


def test_an_address_with_many_failures_is_throttled_for_every_user(session_factory, alice):
    for name in ("u1", "u2", "u3", "u4", "u5"):
        _try(session_factory, name, "wrong-one", address="10.9.9.9")
    assert _try(session_factory, "alice", "correct-horse", address="10.9.9.9") == "throttled"
    assert _try(session_factory, "alice", "correct-horse", address="10.0.0.2") == "alice"


def test_inactive_users_cannot_log_in(session_factory, alice):
    with session_scope(session_factory) as session:
        accounts.set_active(session, users.get_by_username(session, "alice"), False, utcnow())
    assert _try(session_factory, "alice", "correct-horse") == "failed"


def test_unlock_lifts_the_lockout_at_once(session_factory, alice):
    for _ in range(3):
        _try(session_factory, "alice", "bad-password")
    with session_scope(session_factory) as session:
        accounts.unlock(session, users.get_by_username(session, "alice"), utcnow())
    assert _try(session_factory, "alice", "correct-horse") == "alice"


def test_admin_api_changes_password_deactivates_and_unlocks_with_audit(client, headers, session_factory,
                                                                       alice):
    for _ in range(3):
        _try(session_factory, "alice", "bad-password")
    listed = {u["username"]: u for u in client.get("/api/v1/users", headers=headers["admin"]).json()}
    assert listed["alice"]["locked_until"] is not None
    unlocked = client.post("/api/v1/users/alice/unlock", headers=headers["admin"])
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert _try(session_factory, "alice", "correct-horse") == "alice"

    with session_scope(session_factory) as session:  # alice has a console session open
        user = users.get_by_username(session, "alice")
        session.add(ConsoleSession(id="x" * 64, user_id=user.id, csrf_token="c", expires_at=utcnow()
                                   + timedelta(hours=1)))
    changed = client.put("/api/v1/users/alice/password", json={"password": "new-secret-1"},
                         headers=headers["admin"])
    assert changed.status_code == 204
    assert _try(session_factory, "alice", "correct-horse") == "failed"
    assert _try(session_factory, "alice", "new-secret-1") == "alice"
    short = client.put("/api/v1/users/alice/password", json={"password": "short"}, headers=headers["admin"])
    assert short.status_code == 422

    off = client.post("/api/v1/users/alice/deactivate", headers=headers["admin"])
    assert off.status_code == 200 and off.json()["active"] is False
    assert _try(session_factory, "alice", "new-secret-1") == "failed"
    assert client.post("/api/v1/users/alice/activate", headers=headers["admin"]).json()["active"] is True
    assert client.post("/api/v1/users/admin1/deactivate", headers=headers["admin"]).status_code == 422
    assert client.post("/api/v1/users/nobody/unlock", headers=headers["admin"]).status_code == 404
    assert client.post("/api/v1/users/alice/promote", headers=headers["admin"]).status_code == 422
    for role in ("agent", "supervisor", "bureau"):
        assert client.post("/api/v1/users/alice/deactivate", headers=headers[role]).status_code == 403
        assert client.put("/api/v1/users/alice/password", json={"password": "whatever-9"},
                          headers=headers[role]).status_code == 403
    with session_factory() as session:
        trail = session.scalars(select(AccessRecord).order_by(AccessRecord.id)).all()
        assert session.scalar(select(ConsoleSession).where(ConsoleSession.id == "x" * 64)) is None
    assert [(r.username, r.action, r.target) for r in trail] == [
        ("admin1", "user-unlock", "alice"), ("admin1", "user-password", "alice"),
        ("admin1", "user-deactivate", "alice"), ("admin1", "user-activate", "alice")]


def test_deactivation_stops_the_users_tokens(client, headers, session_factory):
    assert client.get("/api/v1/me", headers=headers["agent"]).status_code == 200
    assert client.post("/api/v1/users/agent1/deactivate", headers=headers["admin"]).status_code == 200
    assert client.get("/api/v1/me", headers=headers["agent"]).status_code == 401


def test_tokens_expire(client, headers, session_factory):
    made = client.post("/api/v1/users/agent1/tokens", json={"name": "short", "days": 1},
                       headers=headers["admin"])
    assert made.status_code == 201 and made.json()["expires_at"] is not None
    bearer = {"Authorization": f"Bearer {made.json()['token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    default = client.post("/api/v1/users/agent1/tokens", json={}, headers=headers["admin"]).json()
    assert default["expires_at"] is not None  # HOTLINE_TOKEN_DAYS (90) applies
    with session_scope(session_factory) as session:
        session.execute(update(ApiToken).where(ApiToken.name == "short")
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    users.forget_tokens()  # this process had it verified a moment ago (cached for up to 30 s)
    expired = client.get("/api/v1/me", headers=bearer)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    assert client.post("/api/v1/users/agent1/tokens", json={"days": 0},
                       headers=headers["admin"]).status_code == 422


def test_cli_passwd_deactivate_activate_unlock(backend, session_factory, monkeypatch, alice):
    from hotline.cli import app

    monkeypatch.setenv("HOTLINE_DATABASE_URL", backend[1])
    runner = CliRunner()
    out = runner.invoke(app, ["users", "passwd", "alice"], input="brand-new-pw\nbrand-new-pw\n")
    assert out.exit_code == 0, out.output
    assert "brand-new-pw" not in out.output
    assert _try(session_factory, "alice", "brand-new-pw") == "alice"
    short = runner.invoke(app, ["users", "passwd", "alice", "--password", "short"])
    assert short.exit_code != 0 and "8 characters" in short.output
    assert runner.invoke(app, ["users", "deactivate", "alice"]).exit_code == 0
    assert "inactive" in runner.invoke(app, ["users", "list"]).output
    assert _try(session_factory, "alice", "brand-new-pw") == "failed"
    assert runner.invoke(app, ["users", "activate", "alice"]).exit_code == 0
    for _ in range(3):
        _try(session_factory, "alice", "wrong-pass")
    assert "locked" in runner.invoke(app, ["users", "list"]).output
    assert runner.invoke(app, ["users", "unlock", "alice"]).exit_code == 0
    assert _try(session_factory, "alice", "brand-new-pw") == "alice"
    assert runner.invoke(app, ["users", "unlock", "nobody"]).exit_code != 0
    token = runner.invoke(app, ["tokens", "create", "alice", "--days", "2"])
    assert token.exit_code == 0
    with session_factory() as session:
        row = session.scalars(select(ApiToken)).one()
    assert timedelta(days=1.9) < row.expires_at - utcnow() < timedelta(days=2.1)
