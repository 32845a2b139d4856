"""The transactional outbox: events written in the same transaction as the change that caused them.

`add(session, *events)` stages contract events in the caller's session; the `Relay` publishes committed
rows to the bus in order, retries with backoff while the bus is down, and marks them sent.
"""

from ticketing.outbox.relay import Relay
from ticketing.outbox.service import add, backlog

__all__ = ["Relay", "add", "backlog"]
