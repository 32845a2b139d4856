"""Refuse requests the application must never see: oversized bodies and NUL characters.

A pure ASGI middleware, so a 200 MB upload is cut off after `max_body` bytes instead of being read into
memory, and NUL characters (which PostgreSQL refuses, even on the unauthenticated login form) are
answered 400 before any route runs.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes

# A JSON \u0000 escape not itself escaped (an odd number of backslashes before 'u0000').
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
FORM_NUL = re.compile(rb"%00")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
OPEN311_PREFIX = "/open311/"  # answers errors in the GeoReport spec's format: [{"code", "description"}]
UPLOAD_PATH = re.compile(r"/cases/[^/]+/attachments$")  # case files (API and console): their own limit


class RequestRefused(Exception):
    """A request the guard answers itself, with a status and a reason."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def check_target(path: str, raw_path: bytes | None, query: bytes) -> None:
    """Refuse a NUL character in the path or the query string."""
    if "\x00" in path or b"%00" in (raw_path or b"") or b"\x00" in unquote_to_bytes(query):
        raise RequestRefused(400, "NulCharacter", "the URL contains a NUL character (%00)")


def check_body(content_type: str, body: bytes) -> None:
    """Refuse a JSON or form body carrying a NUL character."""
    if "json" in content_type and (b"\x00" in body or JSON_NUL.search(body)):
        raise RequestRefused(400, "NulCharacter", "the JSON body contains a NUL character (\\u0000)")
    if "x-www-form-urlencoded" in content_type and (b"\x00" in body or FORM_NUL.search(body)):
        raise RequestRefused(400, "NulCharacter", "the form contains a NUL character (%00)")


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """Return the Content-Length the client declared (None when absent or unreadable)."""
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> str:
    """Return one request header as text ('' when absent)."""
    for name, value in headers:
        if name.lower() == wanted:
            return value.decode("latin-1").lower()
    return ""


class RequestGuard:
    """ASGI middleware: body size limit and NUL refusal for every HTTP request."""

    def __init__(self, app, max_body: int, upload_body: int | None = None) -> None:
        self.app, self.max_body = app, max_body
        self.upload_body = upload_body or max_body

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_target(scope.get("path", ""), scope.get("raw_path"), scope.get("query_string", b""))
            if scope["method"] in BODY_METHODS:
                receive = await self._buffered(scope, receive)
        except RequestRefused as refused:
            await _answer(send, refused, scope.get("path", ""))
            return
        await self.app(scope, receive, send)

    async def _buffered(self, scope, receive):
        """Read the whole body (at most max_body bytes), check it, and hand it on unchanged."""
        headers = scope.get("headers", [])
        limit = self.upload_body if UPLOAD_PATH.search(scope.get("path", "")) else self.max_body
        length = declared_length(headers)
        if length is not None and length > limit:
            raise _too_large(limit)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return _replay([message])
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        check_body(header(headers, b"content-type"), body)
        return _replay([{"type": "http.request", "body": body, "more_body": False}], receive)


def _too_large(limit: int) -> RequestRefused:
    return RequestRefused(413, "BodyTooLarge", f"request body larger than {limit} bytes")


def _replay(messages: list[dict], receive=None):
    """A receive callable that first returns `messages`, then defers to the real one (disconnects)."""
    pending = list(messages)

    async def replay() -> dict:
        if pending:
            return pending.pop(0)
        if receive is None:
            return {"type": "http.disconnect"}
        return await receive()

    return replay


def error_body(path: str, refused: RequestRefused) -> bytes:
    """The JSON error in the format the path's API speaks (ours, or Open311's list of errors)."""
    if path.startswith(OPEN311_PREFIX):
        return json.dumps([{"code": refused.status, "description": refused.detail}]).encode()
    return json.dumps({"detail": refused.detail, "error": refused.error}).encode()


async def _answer(send, refused: RequestRefused, path: str) -> None:
    body = error_body(path, refused)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if refused.status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": refused.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
