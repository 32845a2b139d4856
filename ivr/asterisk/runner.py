"""Start, stop, inspect and talk to one Asterisk instance.

Asterisk runs as `asterisk -f` (foreground, as root, no -U) inside `unshare --mount --fork`: a private
mount namespace where the instance's directories are bind-mounted over the standard paths, then
`chroot` into the cached root (skipped for a system Asterisk). The namespace leader's process group is
recorded in the instance's namespace.pid; stopping asks Asterisk to stop, then kills the whole group,
so nothing is left behind. `cli` enters the running instance's namespace with nsenter and runs
`asterisk -rx` against its control socket.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ivr.asterisk import checks
from ivr.asterisk.instance import MOUNTS, PROMPTS_MOUNT, Instance
from ivr.asterisk.provision import AsteriskInstall

log = logging.getLogger(__name__)

CLI_TIMEOUT = 20.0


class AsteriskError(RuntimeError):
    """The instance could not be started, stopped or reached."""


@dataclass(frozen=True)
class Status:
    """What `hotline asterisk status` reports."""

    running: bool
    pid: int | None = None
    version: str = ""
    uptime: str = ""
    channels: str = ""


def resolve_in_root(root: Path, inner: str) -> Path:
    """Return the host path of `inner` inside `root`, following the root's absolute symlinks inside it."""
    current = root
    for part in PurePosixPath(inner).parts[1:]:
        candidate = current / part
        hops = 0
        while candidate.is_symlink() and hops < 20:
            target = PurePosixPath(os.readlink(candidate))
            inside = root / str(target).lstrip("/")
            candidate = inside if target.is_absolute() else candidate.parent / target
            hops += 1
        current = candidate
    return current


def namespace_script(install: AsteriskInstall, instance: Instance) -> str:
    """Return the shell run inside the new mount namespace: bind mounts, then exec Asterisk."""
    root = install.root
    binds: list[tuple[Path, Path]] = []
    if not install.system:
        binds += [(Path("/dev"), root / "dev"), (Path("/proc"), root / "proc")]
    binds += [(instance.path(sub), resolve_in_root(root, inner)) for sub, inner in MOUNTS]
    if instance.prompts_dir is not None:
        binds.append((instance.prompts_dir, resolve_in_root(root, PROMPTS_MOUNT)))
    lines = ["set -e", "mount --make-rprivate /"]
    lines += [f"mount --rbind {shlex.quote(str(src))} {shlex.quote(str(dst))}" for src, dst in binds]
    command = [install.binary, "-f", "-C", "/etc/asterisk/asterisk.conf"]
    if not install.system:
        command = ["chroot", str(root), *command]
    lines.append("exec " + " ".join(shlex.quote(part) for part in command))
    return "\n".join(lines)


def read_pid(instance: Instance) -> int | None:
    """Return the namespace leader's pid when it is alive."""
    try:
        pid = int(instance.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid if _is_ours(pid) else None


def _is_ours(pid: int) -> bool:
    """Whether pid is still an `unshare` (pids get reused after a crash)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in {"unshare", "sh", "chroot", "asterisk"}
    except OSError:
        return False


def asterisk_pid(instance: Instance) -> int | None:
    """Return the pid Asterisk wrote into its run dir, when that process is alive."""
    try:
        pid = int(instance.path("run/asterisk.pid").read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def start(install: AsteriskInstall, instance: Instance, timeout: float = 60.0) -> int:
    """Start the instance (no-op when it runs), wait until fully booted and check it answers as itself.

    Refuses (AsteriskError naming the holder) when another process holds the instance's SIP or AMI
    port; after the boot, the instance must hold its SIP port and accept its own AMI secret.
    """
    running = read_pid(instance)
    if running is not None:
        log.info("instance %s already runs (pid %s)", instance.name, running)
        wait_fully_booted(instance, timeout)
        _verify(instance, restart_hint=True)
        return running
    try:
        checks.ensure_ports_free(instance)
    except checks.PortsInUse as err:
        raise AsteriskError(str(err)) from err
    instance.render()
    for stale in ("asterisk.ctl", "asterisk.pid"):
        instance.path("run").joinpath(stale).unlink(missing_ok=True)
    with open(instance.console_log, "ab") as out:
        proc = subprocess.Popen(["unshare", "--mount", "--fork", "--kill-child", "sh", "-c",
                                 namespace_script(install, instance)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    instance.pid_file.write_text(str(proc.pid))
    try:
        wait_fully_booted(instance, timeout, proc=proc)
        _verify(instance, restart_hint=False)
    except AsteriskError:
        _kill_group(proc.pid)
        instance.pid_file.unlink(missing_ok=True)
        raise
    return proc.pid


def _verify(instance: Instance, *, restart_hint: bool) -> None:
    """Raise AsteriskError unless the instance holds its SIP port and accepts its own AMI login."""
    try:
        checks.verify_running_as_itself(instance, asterisk_pid(instance))
    except checks.AmiLoginFailed as err:
        hint = ("\nIf its secrets.json changed since it started, restart it (`hotline asterisk stop`, "
                "then `hotline asterisk start`)." if restart_hint else "")
        raise AsteriskError(f"Asterisk {instance.name} on {instance.address} does not answer as itself: "
                            f"{err}{hint}") from err


def wait_fully_booted(instance: Instance, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Block until `core waitfullybooted` succeeds; raise with the log tail on timeout or exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AsteriskError(f"Asterisk exited with {proc.returncode} while starting:\n"
                                f"{log_tail(instance)}")
        if instance.path("run/asterisk.ctl").exists() and asterisk_pid(instance):
            try:
                cli(instance, "core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
                return
            except AsteriskError:
                pass
        time.sleep(0.2)
    raise AsteriskError(f"Asterisk {instance.name} not fully booted after {timeout:.0f} s:\n"
                        f"{log_tail(instance)}")


def stop(instance: Instance, timeout: float = 15.0) -> bool:
    """Stop the instance cleanly, then kill whatever of its namespace survives; False if not running."""
    pid = read_pid(instance)
    if pid is None:
        instance.pid_file.unlink(missing_ok=True)
        return False
    try:
        cli(instance, "core stop now", timeout=5)
    except AsteriskError as err:
        log.warning("clean stop of %s failed (%s); terminating", instance.name, err)
    if not _wait_gone(pid, timeout):
        _kill_group(pid)
    instance.pid_file.unlink(missing_ok=True)
    return True


def kill(instance: Instance, *, hard: bool = False) -> None:
    """Kill the instance without a clean shutdown (TERM then KILL; hard=True: KILL at once, a crash)."""
    pid = read_pid(instance)
    if pid is not None:
        if hard:
            _signal_group(pid, signal.SIGKILL)
        _kill_group(pid)
    instance.pid_file.unlink(missing_ok=True)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass  # not our child (started by another command): poll for existence instead
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _kill_group(pgid: int) -> None:
    """TERM then KILL every process of the namespace's process group, and wait until all are gone."""
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        if _wait_gone(pgid, grace) and _wait_group_gone(pgid, grace):
            return


def _wait_group_gone(pgid: int, timeout: float) -> bool:
    # The leader (unshare) can be gone while Asterisk itself is still exiting and holding its
    # sockets; a restart right after a kill would then find its own ports taken.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def cli(instance: Instance, command: str, timeout: float = CLI_TIMEOUT) -> str:
    """Run one Asterisk CLI command in the instance's namespace and return its output."""
    pid = asterisk_pid(instance)
    if pid is None:
        raise AsteriskError(f"Asterisk instance {instance.name} is not running")
    argv = ["nsenter", "-t", str(pid), "-m", "-r", "/usr/sbin/asterisk", "-C", "/etc/asterisk/asterisk.conf",
            "-rx", command]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise AsteriskError(f"`{command}` timed out after {timeout:.0f} s") from err
    if out.returncode != 0:
        raise AsteriskError(f"`{command}` failed ({out.returncode}): {(out.stderr or out.stdout).strip()}")
    return out.stdout


def status(instance: Instance) -> Status:
    """Return whether the instance runs, with its version, uptime and channel count."""
    pid = read_pid(instance)
    if pid is None or asterisk_pid(instance) is None:
        return Status(running=False)
    try:
        version = cli(instance, "core show version").strip()
        uptime = cli(instance, "core show uptime").strip()
        channels = cli(instance, "core show channels count").strip()
    except AsteriskError as err:
        return Status(running=True, pid=pid, version=f"not answering: {err}")
    return Status(running=True, pid=pid, version=version, uptime=uptime, channels=channels)


def log_tail(instance: Instance, lines: int = 40) -> str:
    """Return the last lines of the instance's console and messages logs."""
    parts = []
    for path in (instance.console_log, instance.path("log/messages.log")):
        try:
            text = path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            continue
        parts.append(f"--- {path} ---\n" + "\n".join(text))
    return "\n".join(parts) or "(no log written)"
