"""Drop in-process caches when this process writes the rows they hold.

A cache of rows (reference codes, webhook receivers) registers the models it holds and a function that
forgets it. Any session of this process that flushes a new, changed or deleted row of those models calls
that function after the flush and again after its commit, so a reader in this process never sees the old
rows once the writer committed (a reader between flush and commit reloads committed rows, and the second
call drops those). Writes by other processes are seen when the cache's own refresh interval ends.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session


def on_write(models: tuple[type, ...], forget: Callable[[], None], *, key: str) -> None:
    """Call `forget` after any flush that writes a row of `models`, and again after that commit.

    `key` names the cache in `session.info` (one per cache, so caches of different models stay apart).
    """

    def after_flush(session: Session, _context) -> None:
        changed = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(row, models) for row in changed):
            session.info[key] = True
            forget()

    def after_commit(session: Session) -> None:
        if session.info.pop(key, False):
            forget()

    event.listen(Session, "after_flush", after_flush)
    event.listen(Session, "after_commit", after_commit)
