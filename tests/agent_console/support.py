"""Console test support: private migrated PostgreSQL database with the sample, the app, a scripted bridge."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import create_engine, delete, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from agent_console.config import ConsoleSettings
from agent_console.models import AgentPresenceRow
from ticketing.bus import Streams, create_bus
from ticketing.bus import contract as ct
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.dataset import load_dataset
from ticketing.seed import seed
from ticketing.user.models import ConsoleSession, LoginAttempt, User


@pytest.fixture(scope="session")
def dataset():
    """The Futian sample data set."""
    return load_dataset(Settings().dataset_dir)


@pytest.fixture(scope="session")
def console_db(postgres_url, dataset) -> Iterator[str]:
    """A private PostgreSQL database migrated to head and seeded with the sample; dropped at the end."""
    server = make_url(Settings(database_url=postgres_url).sqlalchemy_url)
    name = f"hotline_console_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    # Each test module that imports these fixtures gets its own copy of this session fixture, so nothing here
    # may hold a connection while the module's tests run: the suite would exhaust max_connections (100).
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as session:
            seed(session, dataset)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def engine(console_db):
    """One engine on the console database per module; its pooled connections close when the module ends."""
    engine = make_engine(console_db)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    """Session factory with console state (sessions, presence) cleared before the test."""
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        session.execute(delete(AgentPresenceRow))
        session.execute(delete(ConsoleSession))
        session.execute(delete(LoginAttempt))  # failed logins of earlier tests would throttle this one
        session.execute(update(User).values(locked_until=None))
    return factory


@pytest.fixture
def console_settings() -> ConsoleSettings:
    """Console settings with short timers for tests."""
    return ConsoleSettings(wrapup_seconds=2, command_timeout=1.0, wallboard_interval=0.2,
                           registration_wait=0.5, queues=["general-zh", "general-en", "urban-zh"],
                           survey_interval=0)  # no survey calls here (tests/integration/test_survey_calls.py)


class FakeBridge:
    """Answers console commands on the bus in the format of ivr/ami/commands.py.

    A stand-in for the AMI bridge because these tests have no Asterisk; the Asterisk-backed browser test
    (tests/integration/test_console_asterisk.py) runs the real one. After queue_add it reports the
    phone's state the way the bridge does (agent.state_changed), "unavailable" when told to.
    """

    def __init__(self, bus) -> None:
        self.bus = bus
        self.commands: list[dict] = []
        self.device_state = "idle"
        self.refuse: dict[str, str] = {}  # command -> Asterisk's error
        self.refuse_nth: dict[str, tuple[int, str]] = {}  # command -> (refuse its n-th use, error)
        self.silent = False
        self.server = "default"
        bus.subscribe(Streams.AMI_COMMANDS, "fake-bridge", self.on_command, durable=False)

    async def on_command(self, envelope) -> None:
        command = ct.parse(envelope)
        self.commands.append(command)
        if self.silent:
            return
        action, args = command.action, command.args
        nth = self.refuse_nth.get(action)
        if nth and sum(1 for c in self.commands if c.action == action) == nth[0]:
            reply = ct.AmiReply.of(command, self.server, error=nth[1])
        elif action in self.refuse:
            reply = ct.AmiReply.of(command, self.server, error=self.refuse[action])
        else:
            reply = ct.AmiReply.of(command, self.server)
        await self.bus.publish_event(reply)
        if action == "queue_add" and reply.ok:
            await self.bus.publish_event(ct.AgentStateChanged(
                interface=args["interface"], queue=args["queue"], state=self.device_state,
                paused=args["paused"], member_name=args["member_name"], server=self.server))

    def actions(self) -> list[tuple[str, dict]]:
        """Return (command, args) of every command seen."""
        return [(c.action, c.args) for c in self.commands]


@pytest.fixture
def make_app(console_db, session_factory, console_settings):
    """Build the hotline app (API + console) on a given bus; returns (app, services, bridge)."""
    from agent_console.app import mount
    from hotline.components import Services
    from ticketing.api import create_api
    from ticketing.outbox import Relay

    def build(redis_url: str | None = None, with_bridge: bool = True, bus=None, settings_=None):
        settings = Settings(database_url=console_db, redis_url=redis_url)
        bus = bus or create_bus(redis_url)
        services = Services(settings=settings, engine=session_factory.kw["bind"],
                            session_factory=session_factory, bus=bus)
        services.components.append(Relay(session_factory, bus))  # case events leave through the outbox

        @asynccontextmanager
        async def lifespan(_app):
            await services.start()
            try:
                yield
            finally:
                for component in reversed(services.components):
                    await component.stop()
                await services.bus.close()

        app = create_api(settings, session_factory=session_factory, bus=bus, lifespan=lifespan)
        console = mount(app, services, settings_ or console_settings)
        bridge = FakeBridge(bus) if with_bridge else None
        return app, console, bridge

    return build


async def wait_for(predicate, within: float = 5.0, interval: float = 0.02):
    """Poll until predicate() is truthy; return its value or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError("condition not met in time")


class ConsoleClient:
    """A browser-like HTTP client of the console: logs in, keeps cookies, posts with the CSRF token."""

    def __init__(self, base_url: str) -> None:
        import httpx

        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=10)
        self.csrf = ""
        self.tab = uuid.uuid4().hex

    async def login(self, username: str, password: str):
        import re

        form = await self.http.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        response = await self.http.post("/console/login", data={"username": username, "password": password,
                                                                  "csrf_token": token})
        page = await self.http.get("/console/", follow_redirects=True)
        found = re.search(r'name="csrf-token" content="([^"]*)"', page.text)
        self.csrf = found.group(1) if found else ""
        return response

    async def post(self, path: str, json=None, data=None, csrf: str | None = None, **kw):
        headers = {"Accept": "application/json", "X-Console-Tab": self.tab}
        if csrf is None:
            csrf = self.csrf
        if csrf:
            headers["X-CSRF-Token"] = csrf
        return await self.http.post(path, json=json, data=data, headers=headers, **kw)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies.jar)

    async def close(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def serve():
    """Run an app on a free loopback port with uvicorn inside the test's loop; yields a starter."""
    import socket

    import uvicorn

    servers = []

    async def start(app) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="on", ws="websockets-sansio"))
        task = asyncio.create_task(server.serve())
        servers.append((server, task))
        await wait_for(lambda: server.started, within=10)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, task in servers:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
