"""Alembic migration from an empty database on both backends, and the `hotline` case-service commands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from ticketing.api import create_api
from ticketing.case.models import Case
from ticketing.cli import register
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory
from ticketing.database.migrate import current, downgrade, upgrade
from ticketing.database.models import Base

# The case-service commands exactly as `hotline` mounts them, without importing the other packages.
hotline = typer.Typer()
register(hotline)
SCRIPT = "import typer; from ticketing.cli import register; app = typer.Typer(); register(app); app()"
TABLES = {
    "bureaus",
    "streets",
    "communities",
    "categories",
    "routing_rules",
    "cases",
    "case_events",
    "case_attachments",
    "case_number_counters",
    "users",
    "api_tokens",
    "console_sessions",
    "calls",
    "case_calls",
    "case_assists",
    "case_notices",
    "supervision_orders",
    "access_audit",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """URL of a brand-new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with request.getfixturevalue("make_private_database")("hotline_mig") as url:
        yield url


def test_upgrade_from_empty_matches_the_models_and_downgrades(empty_url):
    assert current(empty_url) is None
    upgrade(empty_url, "0001_initial")
    assert current(empty_url) == "0001_initial"
    upgrade(empty_url)  # every later revision applies on top; the head matches the models
    engine = make_engine(empty_url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        ours = [d for d in diffs if _table_of(d) in TABLES]
        assert ours == [], ours
    finally:
        engine.dispose()
    downgrade(empty_url, "base")
    engine = make_engine(empty_url)
    try:
        assert not (TABLES & set(inspect(engine).get_table_names()))
    finally:
        engine.dispose()


def _table_of(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else part
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if name in TABLES:
            return name
    return None


def test_db_upgrade_works_from_any_directory(tmp_path):
    env = {**os.environ, "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, "db", "upgrade"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout
    assert current(env["HOTLINE_DATABASE_URL"]) is not None


def test_seed_users_and_tokens_commands(tmp_path, monkeypatch, dataset):
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(hotline, list(args))
        assert result.exit_code == 0, result.output + repr(result.exception)
        return result.output

    run("db", "upgrade")
    first = run("seed", "futian")
    assert "25 bureaus, 10 streets" in first and "6 sample cases added" in first
    assert "agent1" in first and "agent-pass" in first
    second = run("seed", "futian")
    assert "0 sample cases added" in second and "[new]" not in second
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        assert session.scalar(select(func.count(Case.id))) == 6
    run("users", "add", "clerk", "--role", "bureau", "--bureau", "water", "--password", "pw-123456")
    refused = runner.invoke(hotline, ["users", "add", "ghost", "--role", "bureau", "--bureau", "nowhere"])
    assert refused.exit_code != 0 and "unknown bureau 'nowhere'" in refused.output
    token = run("tokens", "create", "clerk").strip().splitlines()[-1]
    with TestClient(
        create_api(Settings(database_url=url), session_factory=factory, dataset=dataset)
    ) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert (me["username"], me["bureau"]) == ("clerk", "water")
    engine.dispose()


def test_migrations_ship_with_the_package():
    from ticketing.database import migrate

    assert (Path(migrate.__file__).parent / "migrations" / "versions" / "0001_initial.py").is_file()


def test_serve_refuses_a_schema_older_than_the_code(tmp_path):
    """`hotline serve` on a database not yet upgraded says what to run, instead of 503s in the console."""
    from ticketing.database import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0015_backbone_outbox")
    assert "run `hotline db upgrade`" in migrate.behind(url)
    free = "127.0.0.231"  # a loopback address no running hotline binds (the port check comes first)
    env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_VAR_DIR": str(tmp_path),
           "HOTLINE_AGI_HOST": free, "HOTLINE_AUDIOSOCKET_HOST": free}
    command = [sys.executable, "-c", "from hotline.cli import app; app()", "serve", "--host", free,
               "--port", "0"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "hotline db upgrade" in done.stderr + done.stdout
    upgrade(url)
    assert migrate.behind(url) is None
