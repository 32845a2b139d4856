"""In-process cache of the reference rows intake looks up by code: bureaus, streets, communities, categories.

Intake resolves up to four codes per case; reading them from memory saves a query each. The cache is
loaded per engine in a session of its own (committed rows only), dropped when any session of this process
writes a reference row (after that flush and again after its commit: `hotline seed` in-process, tests) and
reloaded at most REFRESH after loading, so a seed run by another process shows within that time. Row ids
never change for a code (seeding updates by code), so a slightly stale cache only shows old names.
A code missing from the cache is looked up in the caller's session, as before.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.base import instance_state

from ticketing.bureau import service as bureaus
from ticketing.bureau.models import Bureau, Category, Community, Street
from ticketing.database.watch import on_write

REFRESH = 60.0  # seconds a loaded cache serves before the next use reloads it
MODELS = (Bureau, Street, Community, Category)
LOOKUPS = {
    Bureau: bureaus.get_bureau,
    Street: bureaus.get_street,
    Community: bureaus.get_community,
    Category: bureaus.get_category,
}


@dataclass
class _Snapshot:
    loaded_at: float
    by_code: dict[type, dict[str, object]] = field(default_factory=dict)


_snapshots: weakref.WeakKeyDictionary[Engine, _Snapshot] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def lookup(session: Session, model: type, code: str):
    """Return the row of `model` with this code attached to `session` (None when there is none)."""
    cached = _snapshot(session).by_code[model].get(code)
    if cached is None:
        return LOOKUPS[model](session, code)
    state = instance_state(cached)
    present = session.identity_map.get(state.key)
    return present if present is not None else session.merge(cached, load=False)


def invalidate() -> None:
    """Forget every loaded cache (the next lookup reloads)."""
    with _lock:
        _snapshots.clear()


def _snapshot(session: Session) -> _Snapshot:
    engine = session.get_bind()
    engine = getattr(engine, "engine", engine)
    snapshot = _snapshots.get(engine)
    if _fresh(snapshot):
        return snapshot
    # The caller's connection is taken from the pool before the lock: whoever holds the lock must never
    # wait for the pool, which the threads waiting for the lock may have emptied (a request that had not
    # queried yet deadlocked 20 concurrent intakes for the 30 s pool timeout in the Redis fault test).
    connection = session.connection()
    with _lock:
        snapshot = _snapshots.get(engine)
        if not _fresh(snapshot):  # another thread may have reloaded while this one waited
            snapshot = _load(connection)
            _snapshots[engine] = snapshot
    return snapshot


def _fresh(snapshot: _Snapshot | None) -> bool:
    return snapshot is not None and time.monotonic() - snapshot.loaded_at < REFRESH


def _load(connection: Connection) -> _Snapshot:
    # On the caller's own connection: a second one, taken while every thread that waits on _lock holds
    # its request's connection, exhausted the pool under 20 concurrent intakes (QueuePool timeouts).
    snapshot = _Snapshot(loaded_at=time.monotonic())
    with Session(bind=connection) as session:
        for model in MODELS:
            # Column attributes only: merging a row into a request's session copies every relationship
            # loaded with it (a street's bureau, a category's parent and default bureau), 3 % of intake.
            rows = session.scalars(select(model).options(lazyload("*"))).unique()
            snapshot.by_code[model] = {row.code: row for row in rows}
    # close() detaches the rows with their loaded attributes (a rollback would expire them)
    return snapshot


on_write(MODELS, invalidate, key="references_touched")

__all__ = ["REFRESH", "invalidate", "lookup"]
