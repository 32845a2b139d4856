"""The project's Asterisk configuration loads as intended, and instances start and stop cleanly."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from ivr.asterisk import runner
from ivr.asterisk.instance import Instance
from ivr.asterisk.provision import in_root_command
from ivr.config import IvrSettings

pytestmark = pytest.mark.asterisk

QUEUES = [f"{group}-{lang}" for group in ("general", "urban", "safety", "livelihood", "consumer")
          for lang in ("zh", "en")]


def test_modules_endpoints_queues_and_globals(asterisk):
    modules = asterisk.cli("module show")
    for module in ("chan_pjsip.so", "app_queue.so", "res_agi.so", "app_mixmonitor.so", "app_audiosocket.so",
                   "res_musiconhold.so", "codec_gsm.so", "format_wav.so"):
        assert module in modules
    assert "cdr_csv" not in modules and "chan_iax2" not in modules  # autoload is off
    endpoints = asterisk.cli("pjsip show endpoints")
    assert all(f"Endpoint:  {n} " in endpoints for n in range(1001, 1021))
    assert "Endpoint:  inbound" in endpoints and "Endpoint:  resident" in endpoints
    assert f"{asterisk.address}:5060" in endpoints
    queues = asterisk.cli("queue show")
    assert all(f"{queue} has" in queues for queue in QUEUES)
    assert f"HOTLINE_AGI={asterisk.address}:4573" in asterisk.cli("dialplan show globals").replace(" ", "")
    assert "default" in asterisk.cli("moh show classes")


def test_a_second_instance_runs_beside_and_stops_without_leftovers(asterisk, tmp_path, loopback_address):
    instance = Instance(name="second", state_dir=tmp_path / "second", address=loopback_address,
                        prompts_dir=tmp_path / "prompts", config_dir=IvrSettings().asterisk_config_dir)
    pgid = runner.start(asterisk.install, instance, timeout=60)
    try:
        status = runner.status(instance)
        assert status.running and "Asterisk 2" in status.version and "active channel" in status.channels
        assert "System uptime" in asterisk.cli("core show uptime")  # the session's instance still runs
        asterisk_pid = runner.asterisk_pid(instance)
        (instance.state_dir / "secrets.json").unlink()  # rotated while running: its AMI has the old one
        instance.secrets()  # generates new ones
        with pytest.raises(runner.AsteriskError, match="refused user 'hotline'.*\n.*restart it"):
            runner.start(asterisk.install, instance, timeout=60)
    finally:
        assert runner.stop(instance)
    assert not runner.status(instance).running
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)  # no process of the namespace's group is left
    with pytest.raises(ProcessLookupError):
        os.kill(asterisk_pid, 0)
    assert runner.stop(instance) is False  # stopping twice is harmless


def test_an_instance_on_an_address_another_instance_holds_is_refused(asterisk, tmp_path):
    late = Instance(name="late", state_dir=tmp_path / "late", address=asterisk.address,
                    config_dir=IvrSettings().asterisk_config_dir)
    with pytest.raises(runner.AsteriskError) as caught:
        runner.start(asterisk.install, late, timeout=60)
    message = str(caught.value)
    holder = f"(asterisk of the instance in {asterisk.instance.state_dir})"
    assert f"{asterisk.address}:5060/udp (SIP) is in use by pid {runner.asterisk_pid(asterisk.instance)} " \
           f"{holder}" in message
    assert f"{asterisk.address}:5038/tcp (AMI) is in use by" in message
    assert "`hotline asterisk stop` run from" in message and "HOTLINE_ASTERISK_ADDRESS=127.0.0." in message
    assert not late.pid_file.exists() and runner.status(late).running is False
    assert "System uptime" in asterisk.cli("core show uptime")


def test_recordings_reach_the_host(asterisk):
    before = set(asterisk.recordings_dir.rglob("*.wav"))
    asterisk.cli("channel originate Local/caller@hotline-test/n extension 12345@hotline-inbound")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not set(asterisk.recordings_dir.rglob("*.wav")) - before:
        time.sleep(0.2)
    assert set(asterisk.recordings_dir.rglob("*.wav")) - before


def test_commands_run_inside_the_cached_root_with_proc_mounted(asterisk_install):
    """The build steps' prefix (apt-get inside the root) runs the root's own programs, with /proc there."""
    if asterisk_install.system:
        pytest.skip("a system Asterisk: no root was built")
    prefix = in_root_command(asterisk_install.root)
    out = subprocess.run([*prefix, "/usr/sbin/asterisk", "-V"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("Asterisk 2")
    mounts = subprocess.run([*prefix, "cat", "/proc/self/mounts"], capture_output=True, text=True, timeout=60)
    assert mounts.returncode == 0, mounts.stderr
    assert " /proc proc " in mounts.stdout
