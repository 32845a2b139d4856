"""Which ports an Asterisk instance and `hotline serve` need, whether they are free, and who holds them.

Several clones (or test sessions) run side by side on one machine, each on its own loopback address.
A second instance started on an address whose ports another one holds would boot without SIP or AMI,
and its bridge would then log in to the other instance with the wrong secret. So the ports are probed
before anything starts, and the process holding a busy one is named (from /proc) with how to free it.
"""

from __future__ import annotations

import os
import shlex
import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TCP_LISTEN = "0A"


@dataclass(frozen=True)
class Port:
    """One port a server binds: protocol, number and what it is for."""

    proto: str  # "tcp" or "udp"
    number: int
    role: str  # e.g. "AMI", "SIP", "FastAGI"
    setting: str = ""  # HOTLINE_* variable that moves it

    def label(self, address: str) -> str:
        """Return e.g. '127.0.0.1:5038/tcp (AMI)'."""
        return f"{address}:{self.number}/{self.proto} ({self.role})"


@dataclass(frozen=True)
class Holder:
    """A process holding a port, as /proc shows it."""

    pid: int
    command: str  # comm, e.g. "asterisk"
    cmdline: str
    cwd: str = ""
    asterisk_state: str = ""  # state dir of a `hotline asterisk` instance, from its namespace script

    def describe(self) -> str:
        """Return who this is in words, e.g. 'pid 42 (asterisk of the instance in /x/var/asterisk/a)'."""
        if self.asterisk_state:
            return f"pid {self.pid} (asterisk of the instance in {self.asterisk_state})"
        where = f", in {self.cwd}" if self.cwd else ""
        return f"pid {self.pid} ({self.command}: {' '.join(self.cmdline.split())[:120]}{where})"


def is_free(address: str, port: Port) -> bool:
    """Tell whether `port` can be bound on `address` now (a TCP port in TIME_WAIT counts as free)."""
    kind = socket.SOCK_STREAM if port.proto == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, kind) as probe:
        if port.proto == "tcp":  # servers set SO_REUSEADDR too; on UDP it would let two binds share
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port.number))
        except OSError:
            return False
    return True


def busy(address: str, ports: list[Port]) -> list[Port]:
    """Return the ports of the list that cannot be bound on `address`."""
    return [port for port in ports if not is_free(address, port)]


def socket_inodes(address: str, port: Port, proc: Path = PROC) -> set[str]:
    """Return the inodes of sockets bound to address:port (or the wildcard) in /proc/net (IPv4)."""
    inodes: set[str] = set()
    try:
        wanted = {_hex_address(socket.gethostbyname(address)), _hex_address("0.0.0.0")}
        lines = (proc / "net" / port.proto).read_text().splitlines()[1:]
    except OSError:
        return inodes
    for line in lines:
        fields = line.split()
        if len(fields) < 10:
            continue
        local_ip, _, local_port = fields[1].partition(":")
        listening = port.proto == "udp" or fields[3] == TCP_LISTEN
        if local_ip in wanted and int(local_port, 16) == port.number and listening:
            inodes.add(fields[9])
    return inodes


def _hex_address(address: str) -> str:
    """Return an IPv4 address as /proc/net writes it (little-endian hex)."""
    return socket.inet_aton(address)[::-1].hex().upper()


def holder(address: str, port: Port, proc: Path = PROC) -> Holder | None:
    """Return the process holding address:port, None when it cannot be seen (another user, namespace)."""
    inodes = {f"socket:[{inode}]" for inode in socket_inodes(address, port, proc)}
    if not inodes:
        return None
    for pid_dir in proc.iterdir():
        if not pid_dir.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (pid_dir / "fd").iterdir()):
                return describe_process(int(pid_dir.name), proc)
        except OSError:
            continue
    return None


def describe_process(pid: int, proc: Path = PROC) -> Holder:
    """Read a process's name, command line, working directory and (for Asterisk) its instance's state."""
    base = proc / str(pid)
    command = _read(base / "comm").strip()
    argv = [part for part in _read(base / "cmdline").split("\0") if part]
    try:
        cwd = os.readlink(base / "cwd")
    except OSError:
        cwd = ""
    state = asterisk_state_dir(_parent_argv(base, proc)) if command == "asterisk" else ""
    return Holder(pid=pid, command=command, cmdline=" ".join(argv), cwd=cwd, asterisk_state=state)


def _parent_argv(base: Path, proc: Path) -> list[str]:
    for line in _read(base / "status").splitlines():
        if line.startswith("PPid:"):
            return [part for part in _read(proc / line.split()[1] / "cmdline").split("\0") if part]
    return []


def asterisk_state_dir(argv: list[str]) -> str:
    """Return the instance state dir from the namespace script `hotline asterisk start` runs (or "")."""
    if not argv or "-c" not in argv[:-1]:
        return ""
    for line in argv[-1].splitlines():
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if words[:2] == ["mount", "--rbind"] and len(words) == 4 and words[3].endswith("/etc/asterisk"):
            return str(Path(words[2]).parent)
    return ""


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def free_address(ports: list[Port], start: int = 2) -> str | None:
    """Return a 127.0.0.N (N >= start) where every port of the list is free, for the hint."""
    for n in range(start, 255):
        address = f"127.0.0.{n}"
        if not busy(address, ports):
            return address
    return None


def conflict_message(address: str, taken: list[Port], holders: dict[Port, Holder | None], *,
                     remedy: str) -> str:
    """Return the error text for ports in use: each port with its holder, then how to resolve it."""
    lines = []
    for port in taken:
        found = holders.get(port)
        who = found.describe() if found else "another process (not visible from here)"
        lines.append(f"{port.label(address)} is in use by {who}")
    return "\n".join(lines) + "\n" + remedy


def asterisk_remedy(holders: list[Holder | None], address: str, alternative: str | None) -> str:
    """Return how to free an instance's address: stop the other instance, or choose another address."""
    clones = sorted({_clone_of(h.asterisk_state) for h in holders if h and h.asterisk_state})
    parts = []
    if clones:
        parts.append("stop that instance with `hotline asterisk stop` run from " + " / ".join(clones))
    else:
        parts.append("stop that process")
    choice = alternative or "127.0.0.2"
    parts.append(f"or give this clone its own address, e.g. HOTLINE_ASTERISK_ADDRESS={choice} "
                 f"(in .env or the environment)")
    return "To start Asterisk on " + address + ": " + ", ".join(parts) + "."


def _clone_of(state_dir: str) -> str:
    """Return the clone a default instance belongs to (<clone>/var/asterisk/<name>), else the state dir."""
    path = Path(state_dir)
    if path.parent.name == "asterisk" and path.parent.parent.name == "var":
        return str(path.parent.parent.parent)
    return f"the clone whose HOTLINE_ASTERISK_STATE_DIR is {state_dir}"
