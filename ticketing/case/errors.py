"""Domain errors of the case service; the API turns each into one HTTP status."""

from __future__ import annotations


class CaseError(Exception):
    """Base of the case service's errors."""


class CaseNotFound(CaseError):
    """No case with that number (or not visible to the actor)."""

    def __init__(self, number: str) -> None:
        super().__init__(f"case {number!r} not found")
        self.number = number


class UnknownReference(CaseError):
    """A code (category, bureau, street, community, case) that the data set does not know."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"unknown {field} {code!r}")
        self.field = field
        self.code = code


class InvalidAction(CaseError):
    """An action's payload is incomplete or contradictory (e.g. a return without a reason)."""


class NotPermitted(CaseError):
    """The actor's role may not perform this action on this case."""


class ConcurrentUpdate(CaseError):
    """Someone else changed the case first; reload and retry."""

    def __init__(self, number: str) -> None:
        super().__init__(f"case {number} was changed by someone else at the same time; reload and retry")
        self.number = number
