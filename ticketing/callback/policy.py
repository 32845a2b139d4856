"""The survey call's retry policy as data (callback.yaml beside sla.yaml) and its decisions, all pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import yaml

FILE = "callback.yaml"
RESULTS = ("answered", "no_answer", "busy", "failed")
# Asterisk's OriginateResponse reasons: 1 hung up, 3 rang out (no answer), 5 busy, 8 congestion, 0 failure.
REASONS = {"3": "no_answer", "1": "no_answer", "5": "busy", "8": "busy", "0": "failed"}


class CallbackPolicyError(ValueError):
    """The callback policy file is missing or wrong."""


@dataclass(frozen=True)
class CallbackPolicy:
    """How survey calls are placed and retried before the task goes to an agent."""

    max_attempts: int = 3
    retry_after: tuple[timedelta, ...] = (timedelta(minutes=30), timedelta(hours=2))
    ring_seconds: int = 30
    calling_from: time = time(9, 0)  # residents are called only between these local times
    calling_until: time = time(20, 0)
    batch: int = 5  # survey calls started per round


def load_policy(directory: Path) -> CallbackPolicy:
    """Read DIRECTORY/callback.yaml; the defaults when there is none."""
    path = Path(directory) / FILE
    if not path.exists():
        return CallbackPolicy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return parse_policy(raw.get("survey") or {})
    except (yaml.YAMLError, TypeError, ValueError, AttributeError) as err:
        raise CallbackPolicyError(f"{path}: {err}") from err


def parse_policy(raw: dict[str, Any]) -> CallbackPolicy:
    """Build the policy from the file's `survey` mapping, checking it."""
    minutes = tuple(timedelta(minutes=float(m)) for m in raw.get("retry_after_minutes", [30, 120]))
    policy = CallbackPolicy(
        max_attempts=int(raw.get("max_attempts", 3)), retry_after=minutes,
        ring_seconds=int(raw.get("ring_seconds", 30)),
        calling_from=time.fromisoformat(str(raw.get("calling_from", "09:00"))),
        calling_until=time.fromisoformat(str(raw.get("calling_until", "20:00"))),
        batch=int(raw.get("batch", 5)))
    if policy.max_attempts < 1 or policy.ring_seconds < 5 or policy.batch < 1:
        raise ValueError("max_attempts and batch must be at least 1, ring_seconds at least 5")
    if not policy.calling_from < policy.calling_until:
        raise ValueError("calling_from must be before calling_until")
    return policy


@dataclass(frozen=True)
class AttemptOutcome:
    """What happens to a task after a survey call that was not answered."""

    status: str  # pending (try again) or agent (hand over)
    next_attempt_at: datetime | None


def result_of(answered: bool, reason: str) -> str:
    """Return the attempt's result from Asterisk's answer and reason code."""
    return "answered" if answered else REASONS.get(str(reason), "failed")


def after_failed_attempt(policy: CallbackPolicy, attempts: int, now: datetime) -> AttemptOutcome:
    """Return when to call again after ATTEMPTS unanswered calls, or hand the task to the agents."""
    if attempts >= policy.max_attempts:
        return AttemptOutcome("agent", None)
    wait = policy.retry_after[min(attempts, len(policy.retry_after)) - 1] if policy.retry_after \
        else timedelta(minutes=30)
    return AttemptOutcome("pending", now + wait)


def may_call_now(policy: CallbackPolicy, local_now: datetime) -> bool:
    """Tell whether residents may be called at this local time."""
    return policy.calling_from <= local_now.time() < policy.calling_until
