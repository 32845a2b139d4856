"""Log lines that carry the call and case they concern, never a resident's phone number.

`bind(call=..., case=...)` marks what the current task or thread works on; every record then carries
`call_id` and `case` (JSON fields, or a `[call=… case=…]` prefix in text). Phone numbers in messages are
masked (138****8000) whatever the format. `configure("json")` writes one JSON object per line.
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

from ticketing.case.privacy import mask_phone

CALL_ID: ContextVar[str | None] = ContextVar("hotline_call_id", default=None)
CASE: ContextVar[str | None] = ContextVar("hotline_case", default=None)
# +86/0086 and mobiles (1[3-9] + 9 digits), area code + landline, or a bare 7-8 digit local number; not
# inside words (FT20261126-0042), dotted ids (Asterisk's 1733112233.45) or longer digit runs.
PHONE = re.compile(r"(?<![\w.+-])(?:(?:\+|00)86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}[- ]?\d{7,8}|\d{7,8})"
                   r"(?![\w-]|\.\d)")


def mask_phones(text: str) -> str:
    """Return text with every phone number masked (13800138000 -> 138****8000)."""
    return PHONE.sub(lambda found: mask_phone(found.group(0)), text)


class bind:  # lower-case: used like a function, `with logs.bind(call=...)`
    """Within the block, log records carry this call id and/or case number.

    A class rather than a @contextmanager generator: the AMI bridge enters one per AMI event.
    """

    __slots__ = ("_tokens", "_values")

    def __init__(self, *, call: str | None = None, case: str | None = None) -> None:
        self._values = ((CALL_ID, call), (CASE, case))
        self._tokens: list = []

    def __enter__(self) -> None:
        self._tokens = [(var, var.set(value)) for var, value in self._values if value]

    def __exit__(self, *exc) -> None:
        for var, token in reversed(self._tokens):
            var.reset(token)


def bind_call(call_id: str | None) -> None:
    """Mark the rest of this task (one call's IVR session) as working on call CALL_ID."""
    if call_id:
        CALL_ID.set(call_id)


def bind_case(number: str | None) -> None:
    """Mark the rest of this request (task or thread) as working on case NUMBER."""
    if number:
        CASE.set(number)


class ContextFilter(logging.Filter):
    """Add call_id and case to each record, and mask phone numbers in its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.call_id, record.case = CALL_ID.get(), CASE.get()
        message = record.getMessage()
        masked = mask_phones(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class TextFormatter(logging.Formatter):
    """The classic one-line format with a [call=… case=…] prefix when known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        parts = [f"{key}={value}" for key, value in (("call", getattr(record, "call_id", None)),
                                                     ("case", getattr(record, "case", None))) if value]
        line = super().formatMessage(record)
        return line.replace(": ", f": [{' '.join(parts)}] ", 1) if parts else line


def formatter(fmt: str) -> logging.Formatter:
    """The text or JSON formatter."""
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(call_id)s %(case)s",
                             rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
    return TextFormatter()


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Send every log record to stderr in FMT (text or json), with context and phone numbers masked."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # through the root handler, same format
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
