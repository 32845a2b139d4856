"""Ports in use: `hotline asterisk start` and `hotline serve` refuse them and name who holds them.

The holder here is a plain socket of this test process (no Asterisk needed); the Asterisk-held case is
in tests/integration/test_ami_instance.py.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.asterisk import ports, runner
from ivr.asterisk.checks import AmiLoginFailed, ami_login
from ivr.asterisk.instance import Instance
from ivr.asterisk.provision import AsteriskInstall
from ivr.config import PROJECT_DIR


def hold(proto: str, port: int) -> tuple[socket.socket, str]:
    """Bind `port` on some free 127.0.0.N from this process; return the socket and the address."""
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    for n in random.sample(range(2, 255), 60):
        sock = socket.socket(socket.AF_INET, kind)
        try:
            sock.bind((f"127.0.0.{n}", port))
        except OSError:
            sock.close()
            continue
        if proto == "tcp":
            sock.listen()
        return sock, f"127.0.0.{n}"
    raise RuntimeError(f"no loopback address with {port}/{proto} free")


@pytest.mark.parametrize(("proto", "port", "role"), [("tcp", 5038, "AMI"), ("udp", 5060, "SIP")])
def test_start_refuses_a_held_port_and_names_the_holder(tmp_path, proto, port, role):
    sock, address = hold(proto, port)
    with sock:
        instance = Instance(name="late", state_dir=tmp_path / "late", address=address,
                            config_dir=PROJECT_DIR / "asterisk-config")
        with pytest.raises(runner.AsteriskError) as caught:
            runner.start(AsteriskInstall(root=tmp_path / "no-root", version="22"), instance, timeout=5)
    message = str(caught.value)
    assert f"{address}:{port}/{proto} ({role}) is in use by pid {os.getpid()}" in message
    assert "HOTLINE_ASTERISK_ADDRESS=127.0.0." in message
    assert not instance.pid_file.exists() and not instance.path("etc").exists()  # nothing started


def test_holder_is_found_for_a_wildcard_bind_too():
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        port = ports.Port("tcp", sock.getsockname()[1], "test")
        assert not ports.is_free("127.0.0.1", port)
        found = ports.holder("127.0.0.1", port)
    assert found is not None and found.pid == os.getpid() and found.cwd == os.getcwd()


def test_the_instance_state_dir_is_read_from_the_namespace_script(tmp_path):
    instance = Instance(name="x", state_dir=tmp_path / "clone" / "var" / "asterisk" / "default",
                        config_dir=PROJECT_DIR / "asterisk-config")
    script = runner.namespace_script(AsteriskInstall(root=Path("/"), version="22"), instance)
    argv = ["unshare", "--mount", "--fork", "--kill-child", "sh", "-c", script]
    assert ports.asterisk_state_dir(argv) == str(instance.state_dir)
    assert ports.asterisk_state_dir(["python", "-m", "http.server"]) == ""
    assert ports.asterisk_state_dir([]) == ""
    holder = ports.Holder(pid=7, command="asterisk", cmdline="", asterisk_state=str(instance.state_dir))
    remedy = ports.asterisk_remedy([holder], "127.0.0.1", "127.0.0.5")
    assert f"`hotline asterisk stop` run from {tmp_path / 'clone'}" in remedy
    assert "HOTLINE_ASTERISK_ADDRESS=127.0.0.5" in remedy


def test_serve_exits_with_one_clear_line_when_its_agi_port_is_taken(tmp_path):
    sock, address = hold("tcp", 0)
    with sock:
        env = {**os.environ, "HOTLINE_AGI_HOST": address, "HOTLINE_AGI_PORT": str(sock.getsockname()[1]),
               "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path}/h.db", "HOTLINE_VAR_DIR": str(tmp_path)}
        hotline = str(Path(sys.executable).parent / "hotline")
        result = subprocess.run([hotline, "serve", "--port", "0"], env=env, capture_output=True, text=True,
                                timeout=60, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert f"(FastAGI) is in use by pid {os.getpid()}" in output
    assert "HOTLINE_AGI_HOST/HOTLINE_AGI_PORT" in output


def test_ami_login_says_what_answered_instead_of_an_ami(tmp_path):
    sock, address = hold("tcp", 0)
    with sock:
        with pytest.raises(AmiLoginFailed, match="not reachable|not an AMI"):
            ami_login(address, sock.getsockname()[1], "hotline", "secret", timeout=0.5)
