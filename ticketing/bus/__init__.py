"""The event bus: Redis streams with consumer groups, or the same interface in process.

Publishers put typed, versioned events keyed by a call's Linkedid or a case number; each consumer
group sees every event once and acknowledges it after its handler succeeds, so a restarted consumer
resumes from its last acknowledged entry. Handlers must be safe to run twice.
"""

from ticketing.bus.core import Bus, Envelope, Handler, Outgoing, Subscription, create_bus
from ticketing.bus.streams import Streams

__all__ = ["Bus", "Envelope", "Handler", "Outgoing", "Streams", "Subscription", "create_bus"]
