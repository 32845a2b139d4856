"""Decoding capacity: a thread pool sized to the cores and a cap on concurrent streams."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def default_workers() -> int:
    """One decoding thread per core (vosk releases the GIL while decoding)."""
    return max(1, os.cpu_count() or 1)


class Lease:
    """The right to decode one stream; release exactly once."""

    def __init__(self, pool: RecognizerPool) -> None:
        self._pool = pool
        self._released = False

    def release(self) -> None:
        """Give the stream slot back (idempotent)."""
        if not self._released:
            self._released = True
            self._pool.in_use -= 1


class RecognizerPool:
    """Run decoding off the event loop and refuse streams beyond the capacity instead of queueing."""

    def __init__(self, max_streams: int, workers: int | None = None) -> None:
        self.max_streams = max_streams
        self.in_use = 0
        self._executor = ThreadPoolExecutor(max_workers=workers or default_workers(),
                                            thread_name_prefix="vosk")

    def try_acquire(self) -> Lease | None:
        """Reserve a stream slot, or None when every recogniser is busy."""
        if self.in_use >= self.max_streams:
            return None
        self.in_use += 1
        return Lease(self)

    async def run(self, fn: Callable[..., T], *args) -> T:
        """Run a blocking decoding step in the pool."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        """Stop the threads once running steps finish."""
        self._executor.shutdown(wait=False, cancel_futures=True)
