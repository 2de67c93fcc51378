"""Numbers the tables of the meetings chosen for each slot.

Tables are interchangeable for the solvers; for people they are not: a business or bank that
keeps one table all day is easy to find, and cooperatives walk to it. So a counterpart gets
back the table it had before whenever that table is free.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.conferences.domain.errors import ConferenceError


def assign_tables(
    placements: Sequence[tuple[tuple[str, str], str]],
    slot_order: Sequence[str],
    table_count: int,
    taken: Iterable[tuple[tuple[str, str], str, int]] = (),
) -> dict[tuple[str, str], int]:
    """Table number (1-based) of each placed pair.

    ``placements``: ((cooperative, counterpart), slot id) of the new meetings.
    ``taken``: ((cooperative, counterpart), slot id, table) of meetings that keep their table.
    """
    used: dict[str, set[int]] = {slot_id: set() for slot_id in slot_order}
    home: dict[str, int] = {}
    position = {slot_id: i for i, slot_id in enumerate(slot_order)}
    for (_, counterpart), slot_id, table in sorted(taken, key=lambda t: position.get(t[1], -1)):
        used.setdefault(slot_id, set()).add(table)
        home.setdefault(counterpart, table)

    by_slot: dict[str, list[tuple[str, str]]] = {}
    for key, slot_id in placements:
        by_slot.setdefault(slot_id, []).append(key)
    tables: dict[tuple[str, str], int] = {}
    for slot_id in slot_order:
        keys = sorted(by_slot.get(slot_id, []), key=lambda k: (k[1], k[0]))
        taken_here = used[slot_id]
        waiting = []
        for key in keys:
            known = home.get(key[1])
            if known is not None and known not in taken_here:
                tables[key] = known
                taken_here.add(known)
            else:
                waiting.append(key)
        free = (t for t in range(1, table_count + 1) if t not in taken_here)
        for key in waiting:
            table = next(free, 0)
            if table == 0:
                raise ConferenceError(f"slot {slot_id!r} has more meetings than tables")
            tables[key] = table
            taken_here.add(table)
            home.setdefault(key[1], table)
    return tables
