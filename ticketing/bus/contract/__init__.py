"""The one contract of the hotline's bus: every event and command that crosses a process boundary.

Each is a frozen dataclass with its bus type (`TYPE`), stream (`STREAM`), schema version (`VERSION`)
and key; `to_data()` gives the payload and `parse(envelope)` rebuilds the typed event on the other side.
Publishers build these classes and consumers parse them; nobody reads raw payload keys. The table of
types is in docs/architecture.md.
"""

from ticketing.bus.contract.base import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    Event,
    UnknownEventType,
    new_event_id,
    now_iso,
    parse,
    register,
)
from ticketing.bus.contract.calls import (
    AGENT_STATES,
    LOST_DURING_OUTAGE,
    AgentCompleted,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallEnded,
    CallerIdChanged,
    CallEvent,
    CallOffered,
    CallQueued,
    CallsReconciled,
    CallStarted,
    CallTransferred,
    IvrCaseOpened,
    IvrStep,
    PhoneContact,
    QueueStats,
    TelephonyEvent,
)
from ticketing.bus.contract.cases import (
    NOTICES,
    CaseCalledBack,
    CaseChanged,
    CaseCreated,
    CaseEvent,
    CaseOverdue,
    CaseReminded,
    CaseReopened,
    CaseSupervised,
    CaseUrged,
    CaseUrgent,
    DeadlineNotice,
)
from ticketing.bus.contract.commands import ACTIONS, AmiCommand, AmiReply
from ticketing.bus.contract.console import AgentPresence, PresenceView, TabClaimed, UserEvent
from ticketing.bus.contract.speech import (
    MessageTranscribed,
    RequestConfirmed,
    SpeechEvent,
    TranscriptFinal,
    TranscriptPartial,
)

__all__ = [
    "ACTIONS", "AGENT_STATES", "EVENT_TYPES", "LOST_DURING_OUTAGE", "NOTICES", "SCHEMA_VERSION",
    "AgentCompleted", "AgentPresence", "AgentStateChanged", "AmiCommand", "AmiReply", "CallAbandoned",
    "CallConnected", "CallEnded", "CallEvent", "CallOffered", "CallQueued", "CallsReconciled", "CallStarted",
    "CallTransferred",
    "CallerIdChanged", "CaseCalledBack", "CaseChanged", "CaseCreated", "CaseEvent", "CaseOverdue",
    "CaseReminded", "CaseReopened", "CaseSupervised", "CaseUrged", "CaseUrgent", "DeadlineNotice", "Event",
    "IvrCaseOpened", "IvrStep",
    "MessageTranscribed", "PhoneContact", "PresenceView", "QueueStats", "RequestConfirmed", "SpeechEvent",
    "TabClaimed", "TelephonyEvent", "TranscriptFinal", "TranscriptPartial", "UnknownEventType", "UserEvent",
    "new_event_id", "now_iso", "parse", "register",
]
