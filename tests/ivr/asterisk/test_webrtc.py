"""Browser-phone configuration of an instance: certificate, http.conf, endpoints, accounts (no Asterisk)."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from ivr.asterisk import webrtc
from ivr.asterisk.instance import AGENT_EXTENSIONS, Instance
from ivr.config import PROJECT_DIR


def make_instance(tmp_path: Path, address: str = "127.0.0.9") -> Instance:
    return Instance(name="t", state_dir=tmp_path / "state", address=address, http_port=8188, wss_port=8189,
                    prompts_dir=tmp_path / "prompts", config_dir=PROJECT_DIR / "asterisk-config")


def san(cert: Path) -> str:
    return subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"],
                          capture_output=True, text=True, check=True).stdout


def test_render_generates_a_certificate_for_the_address_once(tmp_path):
    instance = make_instance(tmp_path)
    instance.render()
    cert, key = instance.path("etc/keys/hotline.crt"), instance.path("etc/keys/hotline.key")
    assert "IP Address:127.0.0.9" in san(cert) and "DNS:localhost" in san(cert)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first = cert.read_bytes()
    instance.render()
    assert cert.read_bytes() == first  # kept across starts: browsers that accepted it keep working


def test_a_new_address_gets_a_new_certificate(tmp_path):
    webrtc.ensure_certificate(tmp_path / "keys", "127.0.0.9")
    webrtc.ensure_certificate(tmp_path / "keys", "127.0.0.10")
    assert "IP Address:127.0.0.10" in san(tmp_path / "keys/hotline.crt")


def test_a_real_certificate_is_copied_and_a_missing_one_is_named(tmp_path):
    webrtc.ensure_certificate(tmp_path / "made", "hotline.example.org")
    given = webrtc.TlsFiles(cert=tmp_path / "made/hotline.crt", key=tmp_path / "made/hotline.key")
    webrtc.ensure_certificate(tmp_path / "keys", "127.0.0.9", given)
    assert "DNS:hotline.example.org" in san(tmp_path / "keys/hotline.crt")
    with pytest.raises(webrtc.CertificateError, match="nowhere.crt"):
        webrtc.ensure_certificate(tmp_path / "keys", "127.0.0.9",
                                  webrtc.TlsFiles(cert=tmp_path / "nowhere.crt", key=tmp_path / "x.key"))


def test_generated_files_bind_the_websocket_and_define_every_browser_phone(tmp_path):
    instance = make_instance(tmp_path)
    instance.render()
    generated = {p.name: p.read_text() for p in instance.path("etc/generated").iterdir()}
    http = generated["http.conf"]
    assert "bindaddr = 127.0.0.9\nbindport = 8188" in http and "tlsbindaddr = 127.0.0.9:8189" in http
    phones = generated["pjsip-webrtc.conf"]
    password = instance.secrets().sip_passwords["1001"]
    assert f"[webrtc-1001-auth](agent-auth)\nusername = webrtc-1001\npassword = {password}" in phones
    assert all(f"[webrtc-{ext}](webrtc-endpoint,webrtc-dtls)" in phones for ext in AGENT_EXTENSIONS)
    assert '#include "generated/pjsip-webrtc.conf"' in instance.path("etc/pjsip.conf").read_text()


@pytest.mark.parametrize(("extension", "known"), [("1001", True), ("1020", True), ("1021", False),
                                                  ("resident", False), ("", False)])
def test_accounts_exist_for_agent_extensions_only(tmp_path, extension, known):
    instance = make_instance(tmp_path)
    account = webrtc.BrowserPhones(instance).account(extension)
    assert (account is not None) == known
    if known:
        assert account["username"] == f"webrtc-{extension}"
        assert account["websocket"] == "wss://127.0.0.9:8189/ws"
        assert account["certificate_page"] == "https://127.0.0.9:8189/httpstatus"


def test_a_proxy_url_replaces_the_instance_address(tmp_path):
    phones = webrtc.BrowserPhones(make_instance(tmp_path), "wss://hotline.example.org/sip/ws")
    assert phones.account("1001")["websocket"] == "wss://hotline.example.org/sip/ws"
    assert phones.certificate_page == "https://hotline.example.org/sip/httpstatus"
