"""The base of every event and command on the bus: type, stream, schema version, key, payload, parser."""

from __future__ import annotations

import copy
import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from ticketing.bus.core import Envelope, Outgoing

SCHEMA_VERSION = 1  # bumped for every type at once when a field is removed or renamed


def now_iso() -> str:
    """Return the current UTC time as an ISO-8601 string (the `at` of events)."""
    return datetime.now(UTC).isoformat()


def new_event_id() -> str:
    """Return a fresh event id (the envelope id consumers de-duplicate by)."""
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class Event:
    """A fact or a command crossing a process boundary; `TYPE`, `STREAM` and `key` place it on the bus.

    Subclasses are frozen dataclasses with JSON-safe fields; `at` is when it happened at its source.
    """

    TYPE: ClassVar[str] = ""
    STREAM: ClassVar[str] = ""
    VERSION: ClassVar[int] = SCHEMA_VERSION

    at: str = field(default_factory=now_iso)

    @property
    def key(self) -> str:
        """Return the bus key (a call's Linkedid, a case number, an interface, a command id)."""
        raise NotImplementedError

    def to_data(self) -> dict[str, Any]:
        """Return the JSON-safe payload put into the bus envelope.

        The same result as `dataclasses.asdict`, without its deep copy of every string: the AMI bridge
        builds one of these per telephony event (bench.ami_ingest).
        """
        names = _FIELD_NAMES.get(type(self))
        if names is None:
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in dataclasses.fields(self))
        return {name: _plain(getattr(self, name)) for name in names}

    def outgoing(self, event_id: str | None = None) -> Outgoing:
        """Return this event ready for `Bus.publish_batch` (a fixed id keeps retries idempotent)."""
        return Outgoing(self.STREAM, self.TYPE, self.key, self.to_data(), self.VERSION,
                        id=event_id or new_event_id())

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Event:
        """Build the event from its payload, ignoring fields this version does not know."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """Return VALUE as `dataclasses.asdict` would: containers copied, nested dataclasses as dicts."""
    if isinstance(value, _SCALARS):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    return copy.deepcopy(value)


EVENT_TYPES: dict[str, type[Event]] = {}
E = TypeVar("E", bound=type[Event])


def register(cls: E) -> E:
    """Make an event class known to `parse` (a class decorator)."""
    if cls.TYPE in EVENT_TYPES and EVENT_TYPES[cls.TYPE] is not cls:
        raise ValueError(f"event type {cls.TYPE!r} registered twice")
    EVENT_TYPES[cls.TYPE] = cls
    return cls


class UnknownEventType(ValueError):
    """An envelope's type is not in the contract (another version's event, or a foreign stream)."""


def parse(envelope_or_type: Envelope | str, data: dict[str, Any] | None = None) -> Event:
    """Rebuild the typed event of an envelope (or of a type and payload); ValueError when malformed.

    Raises UnknownEventType for types the contract does not define and ValueError for a schema version
    newer than this code or a payload that does not fit the class.
    """
    if isinstance(envelope_or_type, Envelope):
        type_, data, version = envelope_or_type.type, envelope_or_type.data, envelope_or_type.version
    else:
        type_, data, version = envelope_or_type, data or {}, SCHEMA_VERSION
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise UnknownEventType(f"unknown event type {type_!r}")
    if version > cls.VERSION:
        raise ValueError(f"{type_} event of schema version {version}, this code reads {cls.VERSION}")
    try:
        return cls.from_data(data)
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        raise ValueError(f"malformed {type_} event: {err}") from err
