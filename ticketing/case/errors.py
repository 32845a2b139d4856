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


class AlreadyWithBureau(InvalidAction):
    """A re-dispatch (改派) to the bureau that already holds the case, changing nothing: it would only restart
    the bureau's deadlines and count a second dispatch in the bureau's figures."""

    def __init__(self, bureau: str) -> None:
        super().__init__(f"the case is already with {bureau}: re-dispatch it to another bureau")
        self.bureau = bureau


class NotPermitted(CaseError):
    """The actor's role may not perform this action on this case."""


class ConcurrentUpdate(CaseError):
    """Someone else changed the case first; reload and retry."""

    def __init__(self, number: str) -> None:
        super().__init__(f"case {number} was changed by someone else at the same time; reload and retry")
        self.number = number


class MediaUnavailable(CaseError):
    """A recording or file cannot be served: unknown, not the case's, missing on disk or outside the media
    directories (a stored path that tries to leave them is refused the same way)."""


class RangeNotSatisfiable(CaseError):
    """A Range header that asks for bytes the file does not have."""

    def __init__(self, size: int) -> None:
        super().__init__(f"requested range not satisfiable (the file has {size} bytes)")
        self.size = size


class UploadRefused(CaseError):
    """An uploaded file is too large, empty, or of a type cases do not take."""

    def __init__(self, message: str, code: str, **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class InvalidCursor(CaseError):
    """A list cursor that this service did not hand out (or one from another list)."""

    def __init__(self) -> None:
        super().__init__("invalid cursor: pass the next_cursor of the previous page as it came")
