"""Checks around starting an instance: its ports are free before, and it answers as itself after.

Without them a second instance on an address another one holds boots "fine" with no SIP or AMI port,
and `hotline serve` then logs in to the other instance's AMI with the wrong secret, forever.
"""

from __future__ import annotations

import socket
import time

from ivr.asterisk import ports
from ivr.asterisk.instance import Instance

LOGIN_TIMEOUT = 5.0


class PortsInUse(RuntimeError):
    """A port the instance (or `hotline serve`) needs is held by another process."""


class AmiLoginFailed(RuntimeError):
    """The instance's AMI did not accept the instance's own credentials."""


def instance_ports(instance: Instance) -> list[ports.Port]:
    """Return the ports Asterisk binds on the instance's address."""
    return [ports.Port("udp", instance.sip_port, "SIP", "HOTLINE_SIP_PORT"),
            ports.Port("tcp", instance.ami_port, "AMI", "HOTLINE_AMI_PORT"),
            ports.Port("tcp", instance.http_port, "HTTP/WS", "HOTLINE_HTTP_PORT"),
            ports.Port("tcp", instance.wss_port, "WSS (browser phones)", "HOTLINE_WSS_PORT")]


def ensure_ports_free(instance: Instance) -> None:
    """Raise PortsInUse naming the holder of every busy port and how to free the address."""
    needed = instance_ports(instance)
    taken = ports.busy(instance.address, needed)
    if not taken:
        return
    holders = {port: ports.holder(instance.address, port) for port in taken}
    alternative = ports.free_address(needed)
    remedy = ports.asterisk_remedy(list(holders.values()), instance.address, alternative)
    raise PortsInUse(f"Asterisk {instance.name} cannot start on {instance.address}:\n"
                     + ports.conflict_message(instance.address, taken, holders, remedy=remedy))


def ami_login(host: str, port: int, username: str, secret: str, timeout: float = LOGIN_TIMEOUT) -> str:
    """Log in to an AMI and log off again; return Asterisk's message, raise AmiLoginFailed otherwise."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            reader = conn.makefile("rb")
            banner = reader.readline().decode(errors="replace").strip()
            if not banner.startswith("Asterisk Call Manager"):
                raise AmiLoginFailed(f"{host}:{port} is not an AMI (it said {banner[:60]!r})")
            conn.sendall(f"Action: Login\r\nUsername: {username}\r\nSecret: {secret}\r\n"
                         f"Events: off\r\n\r\n".encode())
            reply = _read_message(reader)
            if reply.get("Response") != "Success":
                raise AmiLoginFailed(f"AMI at {host}:{port} refused user {username!r}: "
                                     f"{reply.get('Message', 'no answer')}")
            conn.sendall(b"Action: Logoff\r\n\r\n")
            return reply.get("Message", "")
    except OSError as err:
        raise AmiLoginFailed(f"AMI at {host}:{port} not reachable: {err}") from err


def _read_message(reader) -> dict[str, str]:
    """Read one AMI message (header lines up to a blank line)."""
    fields: dict[str, str] = {}
    while line := reader.readline().decode(errors="replace"):
        line = line.strip()
        if not line:
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def verify_running_as_itself(instance: Instance, asterisk_pid: int | None,
                             timeout: float = LOGIN_TIMEOUT) -> None:
    """Check the instance holds its SIP port and accepts its own AMI secret; AmiLoginFailed otherwise."""
    sip = instance_ports(instance)[0]
    deadline = time.monotonic() + timeout
    while ports.is_free(instance.address, sip) and time.monotonic() < deadline:  # bound as modules load
        time.sleep(0.1)
    owner = ports.holder(instance.address, sip)
    if owner is not None and asterisk_pid is not None and owner.pid != asterisk_pid:
        raise AmiLoginFailed(f"{sip.label(instance.address)} is held by {owner.describe()}, "
                             f"not by this instance's Asterisk (pid {asterisk_pid})")
    try:
        ami_login(instance.address, instance.ami_port, instance.ami_username,
                  instance.secrets().ami_secret, timeout)
    except AmiLoginFailed as err:
        who = ports.holder(instance.address, instance_ports(instance)[1])
        held = f"; the AMI port is held by {who.describe()}" if who else ""
        raise AmiLoginFailed(f"{err}{held}") from err


def serve_ports(settings, http_host: str, http_port: int) -> list[tuple[str, ports.Port]]:
    """Return (address, port) of every server `hotline serve` binds with these IvrSettings."""
    wanted = [(http_host, ports.Port("tcp", http_port, "HTTP", "--host/--port"))]
    if settings.ivr_enabled:
        wanted.append((settings.agi_host, ports.Port("tcp", settings.agi_port, "FastAGI",
                                                     "HOTLINE_AGI_HOST/HOTLINE_AGI_PORT")))
    if settings.speech_enabled:
        wanted.append((settings.audiosocket_host, ports.Port("tcp", settings.audiosocket_port, "AudioSocket",
                                                             "HOTLINE_AUDIOSOCKET_HOST/_PORT")))
    return wanted


def ensure_serve_ports_free(wanted: list[tuple[str, ports.Port]]) -> None:
    """Raise PortsInUse (one line per busy port, with its holder and the setting that moves it)."""
    problems = []
    for address, port in wanted:
        if ports.is_free(address, port):
            continue
        found = ports.holder(address, port)
        who = found.describe() if found else "another process (not visible from here)"
        problems.append(f"{port.label(address)} is in use by {who}; stop it (another clone's "
                        f"`hotline serve`?) or move this one with {port.setting}")
    if problems:
        raise PortsInUse("cannot serve: " + " | ".join(problems))
