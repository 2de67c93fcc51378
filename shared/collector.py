"""Pausing Python's cyclic garbage collector around a batch of work.

A batch (a poll's records, a matching round) makes many objects that live until it is done,
then die by reference counting. Meanwhile the collector, run every few hundred allocations,
would only move them to older generations, and now and then scan the whole heap for them: a
third of a read-model consumer's time, and pauses of a tenth of a second inside the matching
worker's rounds. Cycles still get collected: between batches.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
