"""The matching worker's garbage collection (shared/collector.FreezingCollector): between
rounds it finds the cycles made since the last look, and the whole heap's now and then."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from shared.collector import FreezingCollector


class Node:
    """A garbage cycle when two of them point at each other and nothing else at them."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def collector(clock: Clock) -> Iterator[FreezingCollector]:
    collector = FreezingCollector(young_limit=1_000, full_every=60.0, clock=clock)
    collector.start()
    try:
        yield collector
    finally:
        collector.stop()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def allocate(count: int) -> list[list[int]]:
    return [[i] for i in range(count)]  # tracked containers, kept alive


def test_once_started_the_collector_runs_only_when_asked(collector: FreezingCollector) -> None:
    assert not gc.isenabled()
    assert gc.get_freeze_count() > 0, "what was there at the start is frozen"
    garbage = cycle()
    kept = allocate(5_000)  # past any automatic threshold
    assert garbage() is not None
    assert kept


def test_between_batches_collects_new_cycles_once_enough_was_made(
    collector: FreezingCollector,
) -> None:
    garbage = cycle()
    collector.between_batches()
    assert garbage() is not None, "too little made since the last collection to look"

    kept = allocate(2_000)
    collector.between_batches()
    assert garbage() is None
    assert collector.collections == 1
    assert kept


def test_what_survives_is_frozen_so_the_next_collection_does_not_scan_it_again(
    collector: FreezingCollector,
) -> None:
    frozen = gc.get_freeze_count()
    kept = allocate(2_000)
    collector.between_batches()
    assert gc.get_freeze_count() >= frozen + len(kept)
    assert gc.get_count()[0] < collector.young_limit


def test_cycles_among_frozen_objects_wait_for_the_full_collection(
    collector: FreezingCollector, clock: Clock
) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    kept = allocate(2_000)
    collector.between_batches()  # a and b are frozen now
    garbage = weakref.ref(a)
    del a, b  # a cycle of frozen objects

    kept += allocate(2_000)
    collector.between_batches()
    assert garbage() is not None, "a young collection does not look at frozen objects"

    clock.now += 60.0
    collector.between_batches()
    assert garbage() is None
    assert collector.full_collections == 2  # the start's, and this one
    assert kept
