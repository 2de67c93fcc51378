"""Match and lead ids are RFC 4122 name-based UUIDs: published ids must never change."""

from __future__ import annotations

import uuid

from services.matching.domain import ids

NAMESPACE = uuid.UUID("6f1c2a4e-9b1d-5c3e-8a47-0d2b6e5f7a10")


def test_ids_are_the_uuid5_of_the_pair() -> None:
    for demand, cooperative, product in [
        ("d1", "c1", "p1"),
        ("demand-bac-trung-bo-gao", "coop-vinh-ninh", "gạo-hữu-cơ"),
        ("", "", ""),
    ]:
        name = f"sourcing\x1f{demand}\x1f{cooperative}\x1f{product}"
        assert ids.sourcing_match_id(demand, cooperative, product) == str(
            uuid.uuid5(NAMESPACE, name)
        )
    assert ids.lead_id("n1", "lp1") == str(uuid.uuid5(NAMESPACE, "lead\x1fn1\x1flp1"))


def test_a_known_id_stays_what_was_published() -> None:
    # Pinned: readers store matches by these ids; a change here orphans every stored match.
    assert ids.sourcing_match_id("d1", "c1", "p1") == "470678d6-34d7-5e58-8f48-9c7c0806acac"
    assert uuid.UUID(ids.lead_id("n1", "lp1")).version == 5
