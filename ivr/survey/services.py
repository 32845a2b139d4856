"""What the survey call asks of the case service: the task's case, saving the rating and the comment.

Synchronous (SQLAlchemy); the executors call these with asyncio.to_thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from ivr.survey.node import SurveyLoaded
from ticketing.callback import service as callbacks
from ticketing.database.core import session_scope
from ticketing.dataset import Dataset


class SurveyServices:
    """Case-service calls of the survey nodes, with the IVR's clock."""

    def __init__(self, session_factory: sessionmaker[Session], dataset: Dataset,
                 clock: Callable[[], datetime]) -> None:
        self.session_factory, self.dataset, self.clock = session_factory, dataset, clock

    def load(self, task_id: int) -> SurveyLoaded:
        """Return the case a task asks about (found False when the task is unknown or already closed)."""
        with session_scope(self.session_factory) as session:
            try:
                task = callbacks.get(session, task_id)
            except callbacks.TaskNotFound:
                return SurveyLoaded(found=False)
            if task.status in ("done", "skipped"):
                return SurveyLoaded(found=False)
            callbacks.attempt_answered(session, task_id)
            case = task.case
            return SurveyLoaded(found=True, task_id=task.id, case_number=case.number,
                                category=case.category.code if case.category else "",
                                bureau=case.bureau.code if case.bureau else "")

    def rate(self, task_id: int, rating: str) -> None:
        """Record the rating (不满意 reopens the case to the same bureau)."""
        with session_scope(self.session_factory) as session:
            callbacks.rate(session, self.dataset, task_id, rating, callbacks.SURVEY, self.clock())

    def comment(self, task_id: int, path: str) -> None:
        """Keep the comment's audio on the task and the case."""
        with session_scope(self.session_factory) as session:
            callbacks.attach_comment(session, callbacks.get(session, task_id), path)
