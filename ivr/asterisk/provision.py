"""Find or build the Asterisk the hotline runs: a system Asterisk >= 20, or a cached Debian-unstable root.

The root is built with debootstrap into DIR.partial and renamed to DIR only when complete, so a
half-built root is never used; building again after a failure starts from scratch. Two provisions at
once (two clones' `make test` on one machine) take turns on DIR.lock: the second waits, says so, and
finds the root the first one built.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MIN_MAJOR = 20
PACKAGES = ("asterisk", "asterisk-core-sounds-en-gsm", "sip-tester")
APT_OPTS = ("-o", "Acquire::Check-Valid-Until=false")
# Paths the runner bind-mounts over or links to; created in the root (they are not all in the packages).
MOUNT_POINTS = ("etc/asterisk", "run/asterisk", "var/log/asterisk", "var/spool/asterisk", "var/lib/asterisk",
                "var/cache/asterisk", "dev", "proc", "tmp")
SOUND_LINKS = {"usr/share/asterisk/sounds/hotline": "/var/lib/asterisk/sounds/hotline",
               "usr/share/asterisk/sounds/test-audio": "/var/lib/asterisk/sounds/test-audio"}

Progress = Callable[[str], None]


class ProvisionError(RuntimeError):
    """Asterisk could not be found or built."""


@dataclass(frozen=True)
class AsteriskInstall:
    """Where the Asterisk binary lives: root "/" for a system install, else the cached chroot."""

    root: Path
    version: str

    @property
    def system(self) -> bool:
        """Whether this is the host's own Asterisk (no chroot)."""
        return self.root == Path("/")

    @property
    def binary(self) -> str:
        """Path of the asterisk binary inside its root."""
        return "/usr/sbin/asterisk"

    def host_path(self, inner: str) -> Path:
        """Translate a path inside the root into a host path."""
        return self.root / inner.lstrip("/")


def parse_version(text: str) -> tuple[int, ...] | None:
    """Return the numeric version in `asterisk -V` output ("Asterisk 22.1.0" -> (22, 1, 0))."""
    match = re.search(r"Asterisk\s+(?:certified/)?(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def find_system_asterisk() -> AsteriskInstall | None:
    """Return the host's Asterisk when one >= MIN_MAJOR is installed at /usr/sbin/asterisk."""
    binary = shutil.which("asterisk")
    if binary is None or Path(binary).resolve() != Path("/usr/sbin/asterisk").resolve():
        return None
    version = _asterisk_version([binary, "-V"])
    if version is None or parse_version(version)[0] < MIN_MAJOR:
        log.info("system asterisk %s is older than %d; using the Debian root", version, MIN_MAJOR)
        return None
    return AsteriskInstall(root=Path("/"), version=version)


def find_root(root: Path) -> AsteriskInstall | None:
    """Return the cached root when it is complete."""
    if not (root / "usr/sbin/asterisk").is_file():
        return None
    version = _asterisk_version(["chroot", str(root), "/usr/sbin/asterisk", "-V"]) or "unknown"
    return AsteriskInstall(root=root, version=version)


def provision(root: Path, *, use_system: bool = True, progress: Progress = print,
              build: Callable[[Path, Progress], None] | None = None) -> AsteriskInstall:
    """Return a usable Asterisk, building the cached root when there is none (idempotent, one at a time)."""
    if use_system and (system := find_system_asterisk()) is not None:
        prepare_root(system.root)  # mount points and sound links on the host itself
        progress(f"using the system Asterisk ({system.version})")
        return system
    with root_lock(root, progress):
        install = find_root(root)
        if install is None:
            (build or build_root)(root, progress)
            install = find_root(root)
            if install is None:
                raise ProvisionError(f"{root} was built but holds no /usr/sbin/asterisk")
        prepare_root(root)
    progress(f"Asterisk root ready at {root} ({install.version})")
    return install


def lock_path(root: Path) -> Path:
    """The lock file beside the cached root (never inside it: the root is renamed into place)."""
    return root.with_name(root.name + ".lock")


@contextmanager
def root_lock(root: Path, progress: Progress) -> Iterator[None]:
    """Hold the cache's exclusive lock; when another provision holds it, say so and wait for it."""
    path = lock_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            progress(f"another provision ({holder}) is preparing {root}; waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
            progress("the other provision finished; continuing")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when this process dies


def prepare_root(root: Path) -> None:
    """Create the mount points and sound links the runner needs inside the root (idempotent)."""
    for inner in MOUNT_POINTS:
        target = root / inner
        if not target.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
    for inner, destination in SOUND_LINKS.items():
        link = root / inner
        if not link.is_symlink():
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(destination)


def build_root(root: Path, progress: Progress) -> None:
    """Build a Debian-unstable root with Asterisk into ROOT.partial, then rename it to ROOT."""
    if shutil.which("debootstrap") is None:
        raise ProvisionError("debootstrap is missing: apt-get install debootstrap (or asterisk >= 20)")
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        progress(f"removing the half-built {partial}")
        shutil.rmtree(partial)
    root.parent.mkdir(parents=True, exist_ok=True)
    progress(f"building a Debian sid root in {partial} (several minutes, once)")
    _run(["debootstrap", "--variant=minbase", "sid", str(partial)], progress)
    progress("installing Asterisk into the root")
    in_root = in_root_command(partial)
    _run([*in_root, "apt-get", *APT_OPTS, "update"], progress)
    _run([*in_root, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", *APT_OPTS, "install",
          *PACKAGES], progress)
    partial.rename(root)
    progress(f"Asterisk root built at {root}")


def in_root_command(root: Path) -> list[str]:
    """Return the argv prefix that runs a command inside ROOT with /dev and /proc mounted (private mounts)."""
    # sh -c SCRIPT ROOT ROOT CMD...: $0 is the root to mount into, "$@" is "ROOT CMD..." for chroot.
    return ["unshare", "--mount", "--fork", "sh", "-c",
            'mount --rbind /dev "$0/dev" && mount -t proc proc "$0/proc" && exec chroot "$@"',
            str(root), str(root)]


def _run(argv: list[str], progress: Progress) -> None:
    """Run a build step, streaming its output as progress; raise with the tail on failure."""
    tail: list[str] = []
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as err:
        raise ProvisionError(f"cannot run {argv[0]}: {err}") from err
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        tail = [*tail[-19:], line]
        if line:
            progress(f"  {line}")
    if proc.wait() != 0:
        raise ProvisionError(f"{' '.join(argv[:3])} ... failed ({proc.returncode}):\n" + "\n".join(tail))


def _asterisk_version(argv: list[str]) -> str | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text if parse_version(text) else None
