"""Pure rules of webhook delivery: the signature a receiver checks, and when a failed POST is tried again.

The signature is HMAC-SHA256 over `<timestamp>.<body>` with the receiver's secret, sent as
`X-Hotline-Signature: t=<timestamp>,v1=<hex>`; a receiver recomputes it and refuses old timestamps, so a
captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

RETRY_DELAYS = (10, 30, 60, 300, 900, 1800, 3600, 3600, 3600, 3600)  # seconds after attempt 1, 2, ...
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # then the delivery is marked failed (about 4 hours of retries)
TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its clock


def body_of(payload: dict[str, Any]) -> bytes:
    """Return the exact bytes POSTed for a payload (the bytes that are signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the X-Hotline-Signature header value for BODY sent at TIMESTAMP."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE) -> bool:
    """Tell whether HEADER signs BODY with SECRET and is fresh (what a receiver does)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def next_delay(
    attempts: int, status_code: int | None, delays: tuple[float, ...] = RETRY_DELAYS
) -> float | None:
    """Return seconds until the next try after ATTEMPTS failed ones, or None to give up.

    A 4xx other than 408/429 means the receiver refuses this event for good: retrying cannot help.
    """
    if status_code is not None and 400 <= status_code < 500 and status_code not in (408, 429):
        return None
    if attempts > len(delays):
        return None
    return delays[attempts - 1]
