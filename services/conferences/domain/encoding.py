"""Maps ids to array indices and back, so solvers work on arrays and people read ids."""

from __future__ import annotations

from collections.abc import Iterable


class Encoder:
    """A fixed, ordered set of ids; index ``i`` of every array along this axis is ``ids[i]``."""

    __slots__ = ("_index", "ids")

    def __init__(self, ids: Iterable[str]) -> None:
        self.ids: tuple[str, ...] = tuple(ids)
        self._index = {value: i for i, value in enumerate(self.ids)}
        if len(self._index) != len(self.ids):
            raise ValueError("an encoder's ids must be distinct")

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, value: object) -> bool:
        return value in self._index

    def encode(self, value: str) -> int:
        return self._index[value]

    def decode(self, index: int) -> str:
        return self.ids[index]
