"""Two provisions at once against one cache directory: the second waits for the first and builds nothing.

Real processes and the real lock on a temporary cache dir (the shared ~/.cache/hotline root is never
touched); the debootstrap step is replaced by a build that writes the root's binary and waits for the
test's signal, since a real Debian root takes minutes and needs the network.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from ivr.asterisk.provision import lock_path

SCRIPT = """
import shutil, sys, time
from pathlib import Path
from ivr.asterisk.provision import provision

root, go = Path(sys.argv[1]), Path(sys.argv[2])

def build(root, progress):
    partial = root.with_name(root.name + ".partial")
    if partial.exists():  # as build_root does
        progress("removing the half-built root")
        shutil.rmtree(partial)
    (partial / "usr/sbin").mkdir(parents=True)
    (partial / "usr/sbin/asterisk").write_text("#!/bin/sh\\n")
    with open(root.parent / "builds", "a") as log:
        log.write("built\\n")
    progress("building")
    while not go.exists():
        time.sleep(0.05)
    partial.rename(root)

install = provision(root, use_system=False, build=build, progress=lambda line: print(line, flush=True))
print("ready", install.root, flush=True)
"""


def start(root: Path, go: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(root), str(go)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_for_line(proc: subprocess.Popen, words: str, within: float = 30.0) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line.rstrip())
        if words in line:
            return seen
    raise AssertionError(f"{words!r} not printed; saw {seen}")


def test_second_provision_waits_says_so_and_reuses_the_root(tmp_path):
    root, go = tmp_path / "cache" / "asterisk-root", tmp_path / "go"
    first = start(root, go)
    wait_for_line(first, "building")
    second = start(root, go)
    said = wait_for_line(second, "waiting for it to finish")
    assert any("another provision (pid " in line for line in said)
    go.touch()
    first_out, _ = first.communicate(timeout=30)
    second_out, _ = second.communicate(timeout=30)
    assert first.returncode == 0 and second.returncode == 0, (first_out, second_out)
    assert f"ready {root}" in first_out and f"ready {root}" in second_out
    assert "the other provision finished" in second_out
    assert (root.parent / "builds").read_text() == "built\n"  # built once
    assert (root / "usr/sbin/asterisk").is_file() and not root.with_name(root.name + ".partial").exists()
    assert lock_path(root).is_file()


def test_a_provision_that_died_leaves_no_lock_behind(tmp_path):
    root, go = tmp_path / "cache" / "asterisk-root", tmp_path / "go"
    first = start(root, go)
    wait_for_line(first, "building")
    first.kill()
    first.wait()
    go.touch()
    second = start(root, go)
    out, _ = second.communicate(timeout=30)
    assert second.returncode == 0, out
    assert "waiting" not in out and "removing the half-built root" in out
    assert (root.parent / "builds").read_text() == "built\nbuilt\n"
    assert f"ready {root}" in out
