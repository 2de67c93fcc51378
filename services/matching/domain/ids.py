"""Deterministic ids for matches and leads: the same pair always gets the same id, so a replay
or a restarted worker republishes under the id a reader already has, never a new one."""

from __future__ import annotations

import uuid

# Fixed once; changing it would change every id ever published.
_NAMESPACE = uuid.UUID("6f1c2a4e-9b1d-5c3e-8a47-0d2b6e5f7a10")


def sourcing_match_id(demand_id: str, cooperative_id: str, product_id: str) -> str:
    return str(
        uuid.uuid5(_NAMESPACE, f"sourcing\x1f{demand_id}\x1f{cooperative_id}\x1f{product_id}")
    )


def lead_id(credit_need_id: str, loan_product_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"lead\x1f{credit_need_id}\x1f{loan_product_id}"))
