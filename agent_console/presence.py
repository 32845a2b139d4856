"""Agent presence: load, decide (agent_state), save, tell Asterisk, announce. The only presence writer.

Announcements (console.agent_presence, console.tab_claimed) are staged in the outbox in the transaction that
writes the presence row, so every console process learns each committed change, in order, even when the
bus was down at the time; nothing is announced that was not committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from agent_console import agent_state as sm
from agent_console.config import ConsoleSettings
from agent_console.live.commands import AmiCommands, CommandFailed
from agent_console.models import AgentPresenceRow
from ticketing import outbox
from ticketing.bus.contract import AgentPresence, PresenceView, TabClaimed
from ticketing.database.core import session_scope
from ticketing.user.models import User

log = logging.getLogger(__name__)



class PresenceError(Exception):
    """An agent action that cannot be done; `code` names the message shown on the page."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Agent:
    """Who acts on a presence: the user and the console tab the request came from."""

    user_id: int
    name: str
    tab: str = ""


def now_utc() -> datetime:
    """Return the current time (UTC, aware)."""
    return datetime.now(UTC)


class PresenceService:
    """Runs agent_state decisions against the database (and its outbox) and the AMI bridge."""

    def __init__(self, session_factory: sessionmaker[Session], commands: AmiCommands,
                 settings: ConsoleSettings) -> None:
        self._sessions = session_factory
        self._commands = commands
        self._servers = commands.servers  # which Asterisk each phone is registered with
        self._settings = settings
        self._locks: dict[int, asyncio.Lock] = {}
        self.devices: dict[str, str] = {}  # interface -> last device state reported by Asterisk
        self._device_reports: dict[str, asyncio.Event] = {}

    # -- reading --------------------------------------------------------------------------------------

    def get(self, user_id: int) -> tuple[sm.Presence, str]:
        """Return an agent's presence and the tab holding it."""
        with session_scope(self._sessions) as session:
            row = session.get(AgentPresenceRow, user_id)
            return (sm.Presence.from_json(row.data), row.tab) if row else (sm.Presence(), "")

    def online(self) -> list[tuple[int, str, sm.Presence]]:
        """Return (user id, name, presence) of every agent not offline."""
        with session_scope(self._sessions) as session:
            rows = session.execute(select(AgentPresenceRow, User.display_name)
                                   .join(User, User.id == AgentPresenceRow.user_id)
                                   .where(AgentPresenceRow.state != sm.AgentState.OFFLINE)).all()
            return [(row.user_id, name, sm.Presence.from_json(row.data)) for row, name in rows]

    # -- agent actions ---------------------------------------------------------------------------------

    async def login(self, agent: Agent, extension: str, queues: Iterable[str],
                    phone: str = "desk") -> sm.Presence:
        """Put the agent's desk or browser phone into the queues; refuse (and undo) when unregistered."""
        queues = tuple(q for q in self._settings.queues if q in set(queues))
        if extension not in self._settings.extensions:
            raise PresenceError("unknown_extension", extension)
        template = (self._settings.browser_interface_template if phone == "browser"
                    else self._settings.interface_template)
        interface = template.format(extension=extension)
        await asyncio.to_thread(self._check_interface_free, agent.user_id, interface)
        if self._settings.check_registration and self.devices.get(interface) == "unavailable":
            raise PresenceError("phone_not_registered", interface)
        server = self._servers.of_interface(interface)
        if not server and len(self._servers.servers) > 1 and self._settings.check_registration:
            # Several Asterisk servers and none said this phone registered: its queue would ring nowhere.
            raise PresenceError("phone_not_registered", interface)
        reported = self._device_reports.setdefault(interface, asyncio.Event())
        reported.clear()
        event = sm.Login(interface=interface, member_name=agent.name, queues=queues, server=server)

        async def check_phone() -> None:
            # Asterisk answers QueueAdd for any interface; its QueueMemberAdded event tells the device state.
            if not self._settings.check_registration:
                return
            try:
                await asyncio.wait_for(reported.wait(), self._settings.registration_wait)
            except TimeoutError:
                return  # no report: the bridge did not say, so nothing contradicts the login
            if self.devices.get(interface) == "unavailable":
                raise PresenceError("phone_not_registered", interface)

        return await self._act(agent, event, rollback_login=True, verify=check_phone)

    def note_device(self, interface: str, state: str) -> None:
        """Record the device state Asterisk reports for a member interface (from agent.state_changed)."""
        self.devices[interface] = state
        reported = self._device_reports.get(interface)
        if reported is not None:
            reported.set()

    async def act(self, agent: Agent, event: sm.Event) -> sm.Presence:
        """Apply an agent's own action (pause, resume, logout, end wrap-up)."""
        return await self._act(agent, event)

    async def _act(self, agent: Agent, event: sm.Event, rollback_login: bool = False,
                   verify: Callable[[], Awaitable[None]] | None = None) -> sm.Presence:
        # The new presence is written before Asterisk is told, so the echoes of our own commands
        # (member removed, paused) find the console already agreeing; a refused command writes it back.
        async with self._locks.setdefault(agent.user_id, asyncio.Lock()):
            current, tab, revision = await asyncio.to_thread(self._load, agent.user_id)
            if tab and agent.tab and tab != agent.tab:
                raise PresenceError("another_tab")
            try:
                decision = sm.decide(current, event, now_utc(), self._settings.wrapup_seconds)
            except sm.InvalidTransition as err:
                raise PresenceError(err.code, str(err.state)) from err
            if not await asyncio.to_thread(self._save, agent.user_id, decision.presence, revision):
                raise PresenceError("changed_meanwhile")
            server = decision.presence.server or current.server  # logging out: where the phone was
            try:
                done = await self._run_all(decision.commands, server, undo_login=rollback_login)
                if verify is not None:
                    try:
                        await verify()
                    except BaseException:
                        await self._undo(done, server)
                        raise
            except BaseException:
                await asyncio.to_thread(self._save, agent.user_id, current, revision + 1)
                raise
            await asyncio.to_thread(self._announce, agent.user_id, agent.name, decision.presence,
                                    revision + 1)
            return decision.presence

    async def _run_all(self, commands: tuple[sm.Command, ...], server: str,
                       undo_login: bool) -> list[sm.Command]:
        done: list[sm.Command] = []
        for command in commands:
            try:
                await self._commands.run(command.action, command.args, server=server)
            except CommandFailed as err:
                if command.action == "QueueAdd" and "already" in err.message.lower():
                    done.append(command)
                    continue
                await self._undo(done if undo_login else [], server)
                raise PresenceError("asterisk_refused", err.message) from err
            except Exception:
                await self._undo(done if undo_login else [], server)
                raise
            done.append(command)
        return done

    async def _undo(self, added: list[sm.Command], server: str) -> None:
        for command in added:
            if command.action != "QueueAdd":
                continue
            args = {"Queue": command.args["Queue"], "Interface": command.args["Interface"]}
            try:
                await self._commands.run("QueueRemove", args, check=False, server=server)
            except Exception:
                log.exception("could not undo %s", command)

    def _check_interface_free(self, user_id: int, interface: str) -> None:
        with session_scope(self._sessions) as session:
            other = session.scalars(select(AgentPresenceRow).where(
                AgentPresenceRow.interface == interface, AgentPresenceRow.user_id != user_id,
                AgentPresenceRow.state != sm.AgentState.OFFLINE)).first()
            if other is not None:
                raise PresenceError("extension_taken", interface)

    # -- storage ---------------------------------------------------------------------------------------

    def _load(self, user_id: int) -> tuple[sm.Presence, str, int]:
        with session_scope(self._sessions) as session:
            row = session.get(AgentPresenceRow, user_id)
            if row is None:
                session.add(AgentPresenceRow(user_id=user_id, interface="", state="offline", data={},
                                             tab="", revision=0))
                return sm.Presence(), "", 0
            return sm.Presence.from_json(row.data), row.tab, row.revision

    def _save(self, user_id: int, presence: sm.Presence, revision: int, name: str | None = None) -> bool:
        """Write the presence unless someone changed it since `revision` was read; return whether written.

        With NAME, the change is announced in the same transaction (through the outbox).
        """
        values = {"data": presence.to_json(), "state": str(presence.state), "interface": presence.interface,
                  "revision": revision + 1, "updated_at": now_utc()}
        with session_scope(self._sessions) as session:
            result = session.execute(update(AgentPresenceRow).where(
                AgentPresenceRow.user_id == user_id, AgentPresenceRow.revision == revision).values(**values))
            if result.rowcount == 1 and name is not None:
                outbox.add(session, _presence_event(user_id, name, presence))
            return result.rowcount == 1

    def _announce(self, user_id: int, name: str, presence: sm.Presence, revision: int) -> None:
        """Announce a presence Asterisk agreed to, unless it was changed again since (that change announces).

        The row is read FOR UPDATE, so a concurrent change commits either before (this one stays quiet) or
        after (its announcement follows this one).
        """
        with session_scope(self._sessions) as session:
            row = session.get(AgentPresenceRow, user_id, with_for_update=True)
            if row is not None and row.revision == revision:
                outbox.add(session, _presence_event(user_id, name, presence))

    def claim_tab(self, user_id: int, tab: str) -> None:
        """Make `tab` the console tab in charge of the agent (the newest tab wins); the others are told."""
        with session_scope(self._sessions) as session:
            row = session.get(AgentPresenceRow, user_id)
            if row is None:
                session.add(AgentPresenceRow(user_id=user_id, interface="", state="offline", data={},
                                             tab=tab, revision=0))
            else:
                row.tab = tab
            outbox.add(session, TabClaimed(user_id=user_id, tab=tab))

    # -- changes reported by Asterisk -----------------------------------------------------------------

    async def apply(self, user_id: int, name: str, event: sm.Event) -> sm.Presence | None:
        """Apply a telephony fact to one agent; send resulting commands without failing the caller."""
        async with self._locks.setdefault(user_id, asyncio.Lock()):
            for _attempt in range(3):
                current, _tab, revision = await asyncio.to_thread(self._load, user_id)
                decision = sm.decide(current, event, now_utc(), self._settings.wrapup_seconds)
                if decision.presence != current and not await asyncio.to_thread(
                        self._save, user_id, decision.presence, revision, name):
                    continue
                for command in decision.commands:
                    await self._send_quietly(command, decision.presence.server or current.server)
                return decision.presence
        log.warning("gave up applying %s to user %s after conflicting updates", event, user_id)
        return None

    async def _send_quietly(self, command: sm.Command, server: str) -> None:
        try:
            await self._commands.run(command.action, command.args, check=False, server=server)
        except Exception:
            log.exception("sending %s failed", command)


def _presence_event(user_id: int, name: str, presence: sm.Presence) -> AgentPresence:
    return AgentPresence(user_id=user_id, name=name, presence=PresenceView.from_data(presence.to_json()))
