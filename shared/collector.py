"""Keeping Python's cyclic garbage collector out of the way of batches of work.

A batch (a poll's records, a matching round) makes many objects that live until it is done,
then die by reference counting. Meanwhile the collector, run every few hundred allocations,
would only move them to older generations, and now and then scan the whole heap for them: a
third of a read-model consumer's time, and pauses of a tenth of a second inside the matching
worker's rounds. Two ways out, by how long the process's heap lives:

- ``collector_paused``: no collection inside a batch; cycles are collected between batches by
  the collector's own rules. Enough where the heap stays small (a read-model consumer).
- ``FreezingCollector``: for a process whose heap is mostly state it keeps for hours (the
  matching worker's engine). Its own rules would scan that state again and again (a pass over
  the older generations took 0.3 s, over the whole heap 1 s, at 20,000 demands, collecting
  almost nothing); instead, between batches, only what survived since the last look is scanned,
  then frozen (``gc.freeze``), so each object is scanned about once.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; afterwards the collector runs by its own rules if a
    collection became due. Left alone where the application had turned it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        # CPython decides on a collection (and of which generations) when a container is
        # allocated; this one makes that decision now rather than at some later allocation.
        _ = []


class FreezingCollector:
    """Collects between batches what survived since the last time, then freezes it.

    Once ``start``-ed the automatic collector is off. ``between_batches`` collects when more
    than ``young_limit`` tracked objects were made (net) since the last collection: it scans
    only objects not frozen yet, so it costs about what the last batches kept. Garbage cycles
    among frozen objects (state dropped long after it was frozen) would stay: every
    ``full_every`` seconds, at the first ``between_batches`` after that, the whole heap is
    unfrozen, collected and frozen again, a pause of its own, logged with what it found.
    """

    def __init__(
        self,
        *,
        young_limit: int = 50_000,
        full_every: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.young_limit = young_limit
        self.full_every = full_every
        self._clock = clock
        self._last_full = clock()
        self.collections = 0
        self.full_collections = 0

    def start(self) -> None:
        """The state is whole (rebuilt): collect it all once, freeze it, collect by hand from
        now on."""
        self._full()
        gc.disable()

    def between_batches(self) -> None:
        if self._clock() - self._last_full >= self.full_every:
            self._full()
        elif gc.get_count()[0] > self.young_limit:
            # Frozen objects are not looked at: this is what was made since the last time. Not
            # a full collection (``gc.collect()``): that one also untracks dictionaries holding
            # only atomic values, and a cache's dictionary (hundreds of thousands of entries)
            # is tracked again, young, at its next new key, to be scanned whole every time.
            gc.collect(1)
            gc.freeze()
            self.collections += 1

    def stop(self) -> None:
        """Back to the collector's own rules."""
        gc.unfreeze()
        gc.enable()

    def _full(self) -> None:
        started = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self._last_full = self._clock()
        self.full_collections += 1
        log.info(
            "full garbage collection: %d objects found unreachable in %.0f ms; %d frozen",
            found,
            (time.perf_counter() - started) * 1000,
            gc.get_freeze_count(),
        )
