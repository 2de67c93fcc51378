"""Columnar rows that change one at a time but are scored all at once.

Rebuilding a 100,000-row matrix for every new cooperative would cost more than scoring it, so
the table is kept in two segments: the main block, and a small block of rows added since it
was built. Removed rows are only marked dead. The recent rows are folded into the main block
once they are many, and dead rows are dropped once they are a quarter of the table.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

import numpy as np


class Columns(Protocol):
    @property
    def size(self) -> int: ...

    def take(self, rows: np.ndarray) -> Self: ...


K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Columns)

COMPACT_DEAD_SHARE = 0.25
# Recent rows are scored as their own block until there are this many, or 5% of the main one.
RECENT_ROWS = 2048
RECENT_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class TableView(Generic[K, R]):
    """One block of the table: row i is ``keys[i]``, live if ``alive[i]`` (shape (n,) bool)."""

    rows: R
    keys: Sequence[K]
    alive: np.ndarray


class RowTable(Generic[K, R]):
    """Rows keyed by K; adding a key that exists replaces its row."""

    def __init__(self, concat: Callable[[Sequence[R]], R]) -> None:
        self._concat = concat
        self._main: TableView[K, R] | None = None
        self._recent: list[tuple[Sequence[K], R]] = []
        self._recent_block: TableView[K, R] | None = None
        self._recent_rows = 0
        self._alive = np.zeros(0, dtype=bool)  # by position: main rows, then recent ones
        self._where: dict[K, int] = {}
        self._size = 0  # positions used, dead ones included
        self._dead = 0

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: K) -> bool:
        return key in self._where

    def add(self, keys: Sequence[K], rows: R) -> None:
        if len(keys) != rows.size:
            raise ValueError("one key per row")
        for key in keys:
            self.remove(key)
        for offset, key in enumerate(keys):
            self._where[key] = self._size + offset
        self._recent.append((list(keys), rows))
        self._recent_rows += rows.size
        self._recent_block = None
        self._size += rows.size
        if self._alive.shape[0] < self._size:
            grown = np.zeros(max(self._size, 2 * self._alive.shape[0]), dtype=bool)
            grown[: self._alive.shape[0]] = self._alive
            self._alive = grown
        self._alive[self._size - rows.size : self._size] = True

    def remove(self, key: K) -> bool:
        position = self._where.pop(key, None)
        if position is None:
            return False
        self._alive[position] = False
        self._dead += 1
        return True

    def blocks(self) -> list[TableView[K, R]]:
        """The table as at most two blocks (main, then recent rows); empty if never filled."""
        main_rows = self._main.rows.size if self._main is not None else 0
        if self._recent_rows > max(RECENT_ROWS, RECENT_SHARE * main_rows):
            self._fold_recent()
        if self._dead > COMPACT_DEAD_SHARE * max(self._size, 1):
            self._fold_recent()
            self._compact()
        found: list[TableView[K, R]] = []
        if self._main is not None:
            found.append(self._view(self._main, 0))
        if self._recent:
            if self._recent_block is None:
                self._recent_block = self._joined(self._recent)
            found.append(self._view(self._recent_block, self._size - self._recent_rows))
        return found

    def _view(self, block: TableView[K, R], start: int) -> TableView[K, R]:
        alive = self._alive[start : start + block.rows.size]
        return TableView(block.rows, block.keys, alive)

    def _joined(self, parts: Sequence[tuple[Sequence[K], R]]) -> TableView[K, R]:
        rows = parts[0][1] if len(parts) == 1 else self._concat([part[1] for part in parts])
        keys = [key for part in parts for key in part[0]]
        return TableView(rows, keys, np.zeros(0, dtype=bool))

    def _fold_recent(self) -> None:
        if not self._recent:
            return
        parts: list[tuple[Sequence[K], R]] = []
        if self._main is not None:
            parts.append((self._main.keys, self._main.rows))
        self._main = self._joined(parts + self._recent)
        self._recent, self._recent_block, self._recent_rows = [], None, 0

    def _compact(self) -> None:
        if self._main is None:
            return
        live = np.flatnonzero(self._alive[: self._size])
        keys = [self._main.keys[i] for i in live.tolist()]
        self._main = TableView(self._main.rows.take(live), keys, np.zeros(0, dtype=bool))
        self._size = live.shape[0]
        self._alive = np.ones(self._size, dtype=bool)
        self._where = {key: position for position, key in enumerate(keys)}
        self._dead = 0
