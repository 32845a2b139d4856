"""A 200 MB POST to a real uvicorn server is cut off at the body limit without growing its memory."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVER = """
import uvicorn
from ticketing.api import create_api
from ticketing.config import Settings
from ticketing.database.migrate import upgrade
url = "sqlite:///{db}"
upgrade(url)
uvicorn.run(create_api(Settings(database_url=url)), host="127.0.0.1", port={port}, log_level="warning")
"""
MB = 1024 * 1024
UPLOAD = 200 * MB


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(db=tmp_path / "h.db", port=port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, "server exited"
            time.sleep(0.2)
    yield proc, port
    proc.terminate()
    proc.wait(10)


def upload(port: int, chunked: bool) -> tuple[bytes, int]:
    """Send a 200 MB POST (stopping when the server answers); return the answer and the bytes sent."""
    head = "POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {UPLOAD}\r\n\r\n"
    block = b"x" * MB
    piece = f"{MB:x}\r\n".encode() + block + b"\r\n" if chunked else block
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head.encode())
        conn.setblocking(False)
        answer = b""
        while sent < UPLOAD and not answer:
            try:
                answer = conn.recv(65536)
            except BlockingIOError:
                pass
            try:
                conn.sendall(piece)
                sent += MB
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
        conn.setblocking(True)
        while b"\r\n\r\n" not in answer:
            answer += conn.recv(65536)
    return answer, sent


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_200_mb_post_is_refused_without_growing_memory(server, chunked):
    proc, port = server
    before = rss_kib(proc.pid)
    answer, sent = upload(port, chunked)
    grew = rss_kib(proc.pid) - before
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < UPLOAD, "the server read the whole 200 MB"
    assert grew < 20 * 1024, f"server memory grew by {grew} KiB"
