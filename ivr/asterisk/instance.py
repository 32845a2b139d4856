"""One Asterisk instance: its state directory, its secrets and its rendered configuration.

An instance owns a directory (var/asterisk/<name>/ or a test's tmp dir) whose sub-directories are
bind-mounted over Asterisk's standard paths inside a private mount namespace, and a loopback address
every port binds to. `render()` copies the committed asterisk-config/*.conf into etc/ and writes the
instance-specific include files into etc/generated/.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import struct
import wave
from dataclasses import dataclass, field
from pathlib import Path

from ivr.asterisk import webrtc
from ivr.config import IvrSettings

AGENT_EXTENSIONS = tuple(str(n) for n in range(1001, 1021))
MOUNTS = (  # (instance sub-directory, path inside the Asterisk root); order matters (nested last)
    ("etc", "/etc/asterisk"),
    ("run", "/var/run/asterisk"),
    ("log", "/var/log/asterisk"),
    ("spool", "/var/spool/asterisk"),
    ("lib", "/var/lib/asterisk"),
    ("recordings", "/var/spool/asterisk/monitor"),
    ("test-audio", "/var/lib/asterisk/sounds/test-audio"),
)
PROMPTS_MOUNT = "/var/lib/asterisk/sounds/hotline"


class InstanceError(RuntimeError):
    """The instance's directory or configuration cannot be prepared."""


@dataclass(frozen=True)
class InstanceSecrets:
    """Generated credentials of one instance (kept in secrets.json, mode 0600)."""

    ami_secret: str
    sip_passwords: dict[str, str] = field(default_factory=dict)  # user -> password

    @classmethod
    def generate(cls) -> InstanceSecrets:
        """Make fresh random credentials for the AMI user, agents 1001-1020 and the demo resident."""
        users = (*AGENT_EXTENSIONS, "resident")
        return cls(ami_secret=secrets.token_urlsafe(18),
                   sip_passwords={user: secrets.token_urlsafe(9) for user in users})


@dataclass(frozen=True)
class Instance:
    """Where an instance lives and what it binds to."""

    name: str
    state_dir: Path
    address: str = "127.0.0.1"
    sip_port: int = 5060
    ami_port: int = 5038
    http_port: int = 8088
    wss_port: int = 8089
    tls_files: webrtc.TlsFiles | None = None
    ami_username: str = "hotline"
    agi: str = "127.0.0.1:4573"
    audiosocket: str = "127.0.0.1:9092"
    hotline_number: str = "12345"
    sip_trunk: str = ""
    queue_timeout: int = 300
    prompts_dir: Path | None = None
    config_dir: Path = Path("asterisk-config")

    @classmethod
    def from_settings(cls, settings: IvrSettings) -> Instance:
        """Describe the instance the settings name."""
        return cls(name=settings.asterisk_instance, state_dir=settings.state_dir.resolve(),
                   address=settings.asterisk_address, sip_port=settings.sip_port, ami_port=settings.ami_port,
                   http_port=settings.http_port, wss_port=settings.wss_port, tls_files=_tls_files(settings),
                   ami_username=settings.ami_username, agi=f"{settings.agi_host}:{settings.agi_port}",
                   audiosocket=f"{settings.audiosocket_host}:{settings.audiosocket_port}",
                   hotline_number=settings.hotline_number, sip_trunk=settings.sip_trunk,
                   queue_timeout=settings.queue_timeout, prompts_dir=settings.prompts_path.resolve(),
                   config_dir=settings.asterisk_config_dir)

    def path(self, sub: str) -> Path:
        """Return a sub-directory of the instance's state dir."""
        return self.state_dir / sub

    @property
    def pid_file(self) -> Path:
        """File holding the process-group id of the namespace running Asterisk."""
        return self.state_dir / "namespace.pid"

    @property
    def console_log(self) -> Path:
        """Asterisk's stdout/stderr."""
        return self.path("log") / "console.log"

    @property
    def recordings_dir(self) -> Path:
        """Where MixMonitor/Record files appear on the host."""
        return self.path("recordings")

    @property
    def test_audio_dir(self) -> Path:
        """Files put here can be played as test-audio/<name> inside Asterisk."""
        return self.path("test-audio")

    def secrets(self) -> InstanceSecrets:
        """Load the instance's credentials, generating them on first use."""
        path = self.state_dir / "secrets.json"
        if path.exists():
            try:
                raw = json.loads(path.read_text())
                return InstanceSecrets(ami_secret=raw["ami_secret"], sip_passwords=raw["sip_passwords"])
            except (OSError, ValueError, KeyError, TypeError) as err:
                raise InstanceError(f"{path} is unreadable ({err}); delete it for new secrets") from err
        created = InstanceSecrets.generate()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        _write_private(path, json.dumps({"ami_secret": created.ami_secret,
                                         "sip_passwords": created.sip_passwords}, indent=2))
        return created

    def render(self) -> None:
        """Create the state directories and write the configuration Asterisk will read."""
        for sub, _target in MOUNTS:
            self.path(sub).mkdir(parents=True, exist_ok=True)
        self.path("lib/sounds/hotline").mkdir(parents=True, exist_ok=True)
        self.path("lib/sounds/test-audio").mkdir(parents=True, exist_ok=True)
        self.path("spool/monitor").mkdir(parents=True, exist_ok=True)
        if self.prompts_dir is not None:
            self.prompts_dir.mkdir(parents=True, exist_ok=True)
        self._copy_config()
        webrtc.ensure_certificate(self.path("etc/keys"), self.address, self.tls_files)
        generated = self.path("etc/generated")
        generated.mkdir(exist_ok=True)
        for name, text in render_generated(self, self.secrets()).items():
            _write_private(generated / name, text)
        _write_chime(self.path("lib/moh/hotline-chime.wav"))

    def _copy_config(self) -> None:
        if not (self.config_dir / "extensions.conf").is_file():
            raise InstanceError(f"no Asterisk configuration in {self.config_dir}")
        etc = self.path("etc")
        for old in etc.glob("*.conf"):
            old.unlink()
        for conf in sorted(self.config_dir.glob("*.conf")):
            shutil.copyfile(conf, etc / conf.name)


def render_generated(instance: Instance, creds: InstanceSecrets) -> dict[str, str]:
    """Return the generated include files (name -> text) for an instance."""
    head = f"; generated for instance {instance.name!r} by `hotline asterisk start`; do not edit\n"
    manager = (f"{head}[general](+)\nbindaddr = {instance.address}\nport = {instance.ami_port}\n\n"
               f"[{instance.ami_username}](hotline-ami-user)\nsecret = {creds.ami_secret}\n")
    pjsip = [head, "[hotline-bind](!)", f"bind = {instance.address}:{instance.sip_port}", "",
             "[hotline-media](!)", f"media_address = {instance.address}",
             "bind_rtp_to_media_address = yes", ""]
    for user in AGENT_EXTENSIONS:
        pjsip += [f"[{user}-auth](agent-auth)", f"username = {user}",
                  f"password = {creds.sip_passwords[user]}"]
    pjsip += ["[resident-auth](resident-auth)", f"password = {creds.sip_passwords['resident']}", ""]
    globals_ = {"HOTLINE_AGI": instance.agi, "HOTLINE_AUDIOSOCKET": instance.audiosocket,
                "HOTLINE_NUMBER": instance.hotline_number, "HOTLINE_TRUNK": instance.sip_trunk,
                "HOTLINE_INSTANCE": instance.name, "HOTLINE_QUEUE_TIMEOUT": str(instance.queue_timeout)}
    extensions = head + "[globals]\n" + "".join(f"{k} = {v}\n" for k, v in globals_.items())
    options = f"{head}systemname = {_system_name(instance.name)}\n"
    browser_phones = [head, *webrtc.pjsip_auths(AGENT_EXTENSIONS, creds.sip_passwords),
                      *webrtc.pjsip_sections(AGENT_EXTENSIONS)]
    return {"manager.conf": manager, "pjsip.conf": "\n".join(pjsip), "extensions.conf": extensions,
            "asterisk-options.conf": options, "pjsip-webrtc.conf": "\n".join(browser_phones),
            "http.conf": webrtc.http_conf(head, instance.address, instance.http_port, instance.wss_port)}


def _tls_files(settings: IvrSettings) -> webrtc.TlsFiles | None:
    if settings.webrtc_cert_file is None or settings.webrtc_key_file is None:
        return None
    return webrtc.TlsFiles(cert=settings.webrtc_cert_file, key=settings.webrtc_key_file)


def _system_name(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)[:32] or "hotline"


def _write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner, atomically (never half-written)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)


def _write_chime(path: Path, rate: int = 8000) -> None:
    """Write a soft two-tone chime followed by silence as hold music, once."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for freq, seconds in ((523.25, 0.4), (659.25, 0.6), (0.0, 3.0)):
        for i in range(int(rate * seconds)):
            fade = min(1.0, (int(rate * seconds) - i) / (rate * 0.1))
            sample = 0.15 * fade * math.sin(2 * math.pi * freq * i / rate) if freq else 0.0
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
