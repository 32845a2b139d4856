"""Mount the console on the hotline's FastAPI app: pages, live WebSocket, static assets, background work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from agent_console.config import ConsoleSettings, get_console_settings
from agent_console.live.commands import AmiCommands
from agent_console.live.hub import Hub
from agent_console.live.servers import ServerDirectory
from agent_console.live.sync import PresenceSync
from agent_console.presence import PresenceService
from agent_console.transfer import DirectoryEntry, load_directory
from ticketing.bus import Bus
from ticketing.dataset import Dataset, load_dataset

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
DEADLINES_POLL = 15.0  # seconds between pushes of the wallboard's deadline lists without a notice


@dataclass
class Console:
    """Everything the console's views and live feed share in one process."""

    settings: ConsoleSettings
    session_factory: sessionmaker[Session]
    bus: Bus
    timezone: ZoneInfo
    templates: Jinja2Templates
    hub: Hub
    commands: AmiCommands
    presence: PresenceService
    sync: PresenceSync
    dataset: Dataset
    surveys: Any = None  # agent_console.surveys.SurveyDialer, None when this process places no survey calls
    phones: Any = None  # browser phones' SIP accounts: .account(extension) -> dict | None
    directory: tuple[DirectoryEntry, ...] = ()  # outside numbers agents may consult (transfer_directory.yaml)
    tasks: list[asyncio.Task] = field(default_factory=list)


def build_console(services: Any, settings: ConsoleSettings | None = None,
                  dataset: Dataset | None = None) -> Console:
    """Wire the console's parts from the process's shared services."""
    settings = settings or get_console_settings()
    dataset = dataset or load_dataset(services.settings.dataset_dir)
    tz = ZoneInfo(services.settings.timezone)
    servers = ServerDirectory()  # which Asterisk owns each call and phone (filled by the hub)
    commands = AmiCommands(services.bus, settings.command_timeout, servers)
    presence = PresenceService(services.session_factory, commands, settings)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    return Console(settings=settings, session_factory=services.session_factory, bus=services.bus, timezone=tz,
                   templates=templates, hub=Hub(tz, servers), commands=commands, presence=presence,
                   sync=PresenceSync(presence), dataset=dataset, phones=getattr(services, "phones", None),
                   directory=load_directory(settings.transfer_directory),
                   surveys=_survey_dialer(services, settings, dataset, commands, tz))


def _survey_dialer(services: Any, settings: ConsoleSettings, dataset: Dataset, commands: AmiCommands, tz):
    """Return the 回访 survey dialer, or None when survey_interval is 0."""
    if settings.survey_interval <= 0:
        return None
    from agent_console.surveys import SurveyDialer
    from ticketing.callback.policy import load_policy

    policy = load_policy(services.settings.dataset_dir)
    return SurveyDialer(services.session_factory, dataset, commands, policy, settings.survey_channel, tz)


def mount(app: FastAPI, services: Any, settings: ConsoleSettings | None = None) -> Console:
    """Add the console's routes and static files to `app` and its background work to `services`."""
    from agent_console.live.phone_relay import router as phone_relay_router
    from agent_console.live.ws import router as ws_router
    from agent_console.views import register_error_handlers, routers

    console = build_console(services, settings, getattr(app.state, "dataset", None))
    app.state.console = console
    prefix = console.settings.prefix
    for router in (*routers(), ws_router, phone_relay_router):
        app.include_router(router, prefix=prefix)
    app.mount(f"{prefix}/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    if prefix:  # the server's own address (what a new user opens first) leads to the console, not a 404
        app.add_api_route("/", lambda: RedirectResponse(f"{prefix}/", status_code=307),
                          include_in_schema=False)
    register_error_handlers(app)
    services.components.append(ConsoleComponent(console))
    return console


class ConsoleComponent:
    """Subscribes the console to the bus and runs its timers (wrap-up expiry, wallboard pushes)."""

    name = "agent-console"

    def __init__(self, console: Console) -> None:
        self.console = console

    async def start(self) -> None:
        """Subscribe the hub and the presence sync, learn who is online, start the timers."""
        from agent_console.live import feeds

        console = self.console
        console.hub.subscribe(console.bus, console.commands.on_reply)
        console.sync.subscribe(console.bus)
        console.hub.on_device = console.presence.note_device
        console.hub.on_pop = lambda user_id, pop: feeds.send_history(console, user_id, pop)
        notices = asyncio.Event()
        console.hub.on_notice = lambda _notice: notices.set()
        for user_id, _name, presence in await asyncio.to_thread(console.presence.online):
            console.hub.track(user_id, presence.interface, presence.linkedid)
        try:  # after subscribing: live events that race the read win over the records
            read = await feeds.restore_wallboard(console)
            log.info("wallboard rebuilt from %d of today's call records", read)
        except Exception:
            log.exception("rebuilding the wallboard from the call records failed; counting from now")
        console.tasks = [
            _every(1.0, console.sync.expire_wrapups, "wrap-up expiry"),
            _every(console.settings.wallboard_interval, lambda: feeds.push_wallboard(console), "wallboard"),
            # Pushed when a notice arrives; every DEADLINES_POLL seconds anyway (cases turn near/overdue
            # between notices, and a notice missed while the bus was away still shows).
            _every(DEADLINES_POLL, lambda: feeds.push_deadlines(console), "deadline cases", wake=notices),
        ]
        if console.surveys is not None:
            interval = console.settings.survey_interval
            console.tasks.append(_every(interval, console.surveys.run_round, "survey calls"))

    async def stop(self) -> None:
        """Stop the timers."""
        for task in self.console.tasks:
            task.cancel()
        for task in self.console.tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self.console.tasks = []


def _every(seconds: float, job: Callable[[], Awaitable[Any]], name: str,
           wake: asyncio.Event | None = None) -> asyncio.Task:
    """Run JOB every SECONDS (and at once whenever WAKE is set), logging its failures."""
    async def loop() -> None:
        while True:
            if wake is None:
                await asyncio.sleep(seconds)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), seconds)
                wake.clear()
            try:
                await job()
            except Exception:
                log.exception("console %s failed", name)

    return asyncio.create_task(loop(), name=f"console:{name}")
