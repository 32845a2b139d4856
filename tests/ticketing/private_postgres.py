"""A PostgreSQL cluster of a test's own on a free port, which the test may stop and start.

The shared server on 5432 must never be restarted, so outage tests run their own (initdb as the
`postgres` user, since PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivatePostgres:
    """initdb into a temporary directory; start(), stop(), and the URL of its `postgres` database."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
        self.port = _free_port()
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres([_bin("initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"])

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, argv: list[str]) -> None:
        prefix = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        subprocess.run([*prefix, *argv], check=True, capture_output=True, cwd=self.dir)

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres([_bin("pg_ctl"), "-D", str(self.dir / "data"), "-o", options,
                           "-l", str(self.dir / "log"), "-w", "start"])

    def stop(self) -> None:
        """Stop the cluster at once (open connections are cut)."""
        self._as_postgres([_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"])

    def remove(self) -> None:
        """Stop (if running) and delete the cluster."""
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
