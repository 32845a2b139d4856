"""Instance rendering, version parsing and the namespace script (no Asterisk needed)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ivr.asterisk.instance import AGENT_EXTENSIONS, Instance, InstanceError
from ivr.asterisk.provision import AsteriskInstall, ProvisionError, parse_version, prepare_root, provision
from ivr.asterisk.runner import namespace_script, resolve_in_root
from ivr.config import PROJECT_DIR


def make_instance(tmp_path: Path, address: str = "127.0.0.9") -> Instance:
    return Instance(name="t", state_dir=tmp_path / "state dir", address=address, agi=f"{address}:4573",
                    prompts_dir=tmp_path / "prompts", config_dir=PROJECT_DIR / "asterisk-config")


def test_render_copies_config_and_writes_instance_values(tmp_path):
    instance = make_instance(tmp_path)
    instance.render()
    etc = instance.path("etc")
    assert {"extensions.conf", "pjsip.conf", "manager.conf", "queues.conf", "modules.conf"} <= \
        {p.name for p in etc.glob("*.conf")}
    generated = {p.name: p.read_text() for p in (etc / "generated").iterdir()}
    assert "bind = 127.0.0.9:5060" in generated["pjsip.conf"]
    assert "bindaddr = 127.0.0.9" in generated["manager.conf"]
    assert "HOTLINE_AGI = 127.0.0.9:4573" in generated["extensions.conf"]
    assert all(f"[{ext}-auth](agent-auth)" in generated["pjsip.conf"] for ext in AGENT_EXTENSIONS)
    assert instance.secrets().ami_secret in generated["manager.conf"]
    assert (instance.path("lib/moh/hotline-chime.wav")).stat().st_size > 1000


def test_secrets_are_private_and_stable(tmp_path):
    instance = make_instance(tmp_path)
    first = instance.secrets()
    assert instance.secrets() == first
    mode = stat.S_IMODE((instance.state_dir / "secrets.json").stat().st_mode)
    assert mode == 0o600
    assert len(set(first.sip_passwords.values())) == len(AGENT_EXTENSIONS) + 1


def test_corrupt_secrets_give_a_clear_error(tmp_path):
    instance = make_instance(tmp_path)
    instance.state_dir.mkdir(parents=True)
    (instance.state_dir / "secrets.json").write_text("{not json")
    with pytest.raises(InstanceError, match="secrets.json"):
        instance.secrets()


def test_render_refuses_a_missing_config_dir(tmp_path):
    instance = Instance(name="t", state_dir=tmp_path / "s", config_dir=tmp_path / "nowhere")
    with pytest.raises(InstanceError, match="no Asterisk configuration"):
        instance.render()


@pytest.mark.parametrize(("text", "expected"), [
    ("Asterisk 22.10.1+dfsg+~cs6.17.60671434-1", (22, 10, 1)),
    ("Asterisk 20.5.0", (20, 5, 0)),
    ("Asterisk certified/18.9-cert7", (18, 9)),
    ("Asterisk 21", (21,)),
    ("asterisk: command not found", None),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def test_resolve_in_root_follows_the_roots_own_absolute_links(tmp_path):
    root = tmp_path / "root"
    (root / "run").mkdir(parents=True)
    (root / "var").mkdir()
    (root / "var" / "run").symlink_to("/run")  # absolute: must resolve inside the root, not on the host
    assert resolve_in_root(root, "/var/run/asterisk") == root / "run" / "asterisk"
    assert resolve_in_root(root, "/etc/asterisk") == root / "etc" / "asterisk"


def test_namespace_script_binds_instance_dirs_then_chroots(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    prepare_root(root)
    instance = make_instance(tmp_path)
    script = namespace_script(AsteriskInstall(root=root, version="22"), instance)
    assert f"mount --rbind '{instance.path('etc')}' {root}/etc/asterisk" in script
    assert f"{root}/var/spool/asterisk/monitor" in script
    assert script.splitlines()[-1].startswith(f"exec chroot {root} /usr/sbin/asterisk -f")
    system = namespace_script(AsteriskInstall(root=Path("/"), version="22"), instance)
    assert "chroot" not in system and "/dev" not in system


def test_a_failed_build_leaves_no_root_and_reports_the_tail(tmp_path, monkeypatch):
    # A stand-in debootstrap: the real one needs minutes and the network; this checks our handling of failure.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "debootstrap"
    fake.write_text("#!/bin/sh\necho 'I: Retrieving InRelease'\necho 'E: Failed getting release file' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    root = tmp_path / "asterisk-root"
    (tmp_path / "asterisk-root.partial").mkdir()  # left over from an interrupted build
    lines: list[str] = []
    with pytest.raises(ProvisionError, match="Failed getting release file"):
        provision(root, use_system=False, progress=lines.append)
    assert not root.exists()
    assert any("removing the half-built" in line for line in lines)
    assert any("Retrieving InRelease" in line for line in lines)
