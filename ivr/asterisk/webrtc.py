"""The browser phones' side of an instance: the TLS certificate, the HTTP/WebSocket server, WebRTC endpoints.

Each agent extension NNNN has two PJSIP endpoints: `NNNN` for a desk phone (UDP, plain RTP) and
`webrtc-NNNN` for the console's browser phone (SIP over WebSocket, ICE, DTLS-SRTP). Both use the
agent's one generated password. The WebSocket is served by Asterisk's HTTP server: plain WS on
<address>:<http_port> for loopback tools, WSS on <address>:<wss_port> with the instance's certificate.

The certificate is generated at the first start (self-signed, for the instance's address and
localhost) into etc/keys/, which Asterisk sees as /etc/asterisk/keys/; a real certificate and key
given in the settings are copied there instead (docs/telephony.md).
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

WEBRTC_PREFIX = "webrtc-"
KEYS_INNER = "/etc/asterisk/keys"
CERT_NAME = "hotline.crt"
KEY_NAME = "hotline.key"
CERT_DAYS = 825  # browsers refuse longer-lived server certificates


class CertificateError(RuntimeError):
    """The instance's TLS certificate could not be generated or copied."""


def webrtc_endpoint(extension: str) -> str:
    """Return the PJSIP endpoint of an extension's browser phone ("1001" -> "webrtc-1001")."""
    return f"{WEBRTC_PREFIX}{extension}"


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and its key on the host, when a real certificate replaces the generated one."""

    cert: Path
    key: Path


def ensure_certificate(keys_dir: Path, address: str, given: TlsFiles | None = None) -> Path:
    """Put the instance's certificate and key in keys_dir (generated once, or `given`); return the cert."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    cert, key = keys_dir / CERT_NAME, keys_dir / KEY_NAME
    if given is not None:
        for source, target in ((given.cert, cert), (given.key, key)):
            try:
                shutil.copyfile(source, target)
            except OSError as err:
                raise CertificateError(f"cannot copy {source}: {err}") from err
        key.chmod(0o600)
        return cert
    marker = keys_dir / "address"
    if cert.is_file() and key.is_file() and marker.is_file() and marker.read_text() == address:
        return cert
    _generate(cert, key, address)
    marker.write_text(address)
    return cert


def _generate(cert: Path, key: Path, address: str) -> None:
    """Write a self-signed EC certificate for the address (and localhost) with openssl."""
    if shutil.which("openssl") is None:
        raise CertificateError("openssl is missing: apt-get install openssl (needed for the browser phone's "
                               "certificate), or set HOTLINE_WEBRTC_CERT_FILE and HOTLINE_WEBRTC_KEY_FILE")
    names = ["DNS:localhost", _san(address)]
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(CERT_DAYS),
            "-subj", f"/O=Citizen Hotline/CN={address}", "-addext", "subjectAltName=" + ",".join(names)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CertificateError(f"openssl could not make the certificate: {done.stderr.strip()}")
    key.chmod(0o600)


def _san(address: str) -> str:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return f"DNS:{address}"
    return f"IP:{address}"


def http_conf(head: str, address: str, http_port: int, wss_port: int) -> str:
    """Return the generated http.conf lines: plain HTTP/WS and TLS/WSS on the instance's address."""
    return (f"{head}[general](+)\nbindaddr = {address}\nbindport = {http_port}\n"
            f"tlsbindaddr = {address}:{wss_port}\n"
            f"tlscertfile = {KEYS_INNER}/{CERT_NAME}\ntlsprivatekey = {KEYS_INNER}/{KEY_NAME}\n")


def pjsip_sections(extensions: tuple[str, ...]) -> list[str]:
    """Return the generated pjsip.conf lines of every extension's browser-phone endpoint, auth and AOR."""
    lines = ["[webrtc-dtls](!)", f"dtls_cert_file = {KEYS_INNER}/{CERT_NAME}",
             f"dtls_private_key = {KEYS_INNER}/{KEY_NAME}", ""]
    for extension in extensions:
        name = webrtc_endpoint(extension)
        lines += [f"[{name}](webrtc-endpoint,webrtc-dtls)", f"auth = {name}-auth", f"aors = {name}",
                  f"[{name}](webrtc-aor)", ""]
    return lines


def pjsip_auths(extensions: tuple[str, ...], passwords: dict[str, str]) -> list[str]:
    """Return the auth sections of the browser phones: the endpoint's name, the agent's password."""
    lines: list[str] = []
    for extension in extensions:
        name = webrtc_endpoint(extension)
        lines += [f"[{name}-auth](agent-auth)", f"username = {name}", f"password = {passwords[extension]}"]
    return lines


class BrowserPhones:
    """What a browser needs to register as an extension's browser phone on one instance."""

    def __init__(self, instance, websocket_url: str = "") -> None:
        self._instance = instance
        self._websocket_url = websocket_url or f"wss://{instance.address}:{instance.wss_port}/ws"

    @property
    def certificate_page(self) -> str:
        """Page of the WSS server where a browser can accept the generated certificate."""
        return self._websocket_url.replace("wss://", "https://", 1).rsplit("/", 1)[0] + "/httpstatus"

    def upstream(self) -> tuple[str, ssl.SSLContext | None]:
        """Return the WSS URL a relay connects to and the TLS context verifying it (generated cert pinned)."""
        url = f"wss://{self._instance.address}:{self._instance.wss_port}/ws"
        if self._instance.tls_files is not None:
            return url, ssl.create_default_context()
        return url, ssl.create_default_context(cafile=str(self._instance.path(f"etc/keys/{CERT_NAME}")))

    def account(self, extension: str) -> dict[str, str] | None:
        """Return the SIP account of an extension's browser phone, None for an unknown extension."""
        password = self._instance.secrets().sip_passwords.get(extension)
        if password is None or not extension.isdigit():
            return None
        return {"username": webrtc_endpoint(extension), "password": password,
                "websocket": self._websocket_url, "domain": self._instance.address,
                "certificate_page": self.certificate_page}
