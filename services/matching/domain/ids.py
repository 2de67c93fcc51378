"""Deterministic ids for matches and leads: the same pair always gets the same id, so a replay
or a restarted worker republishes under the id a reader already has, never a new one.

The ids are name-based UUIDs (version 5, RFC 4122). Every re-ranking asks for the ids of its
matches again, so they are computed from the SHA-1 digest directly, which is what
``uuid.uuid5`` does less the cost of building a ``UUID`` object, and the recent ones are kept.
"""

from __future__ import annotations

import functools
import hashlib
import uuid

# Fixed once; changing it would change every id ever published.
_NAMESPACE = uuid.UUID("6f1c2a4e-9b1d-5c3e-8a47-0d2b6e5f7a10")
_PREFIX = _NAMESPACE.bytes


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(_NAMESPACE, name))``."""
    digest = bytearray(hashlib.sha1(_PREFIX + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@functools.lru_cache(maxsize=200_000)
def sourcing_match_id(demand_id: str, cooperative_id: str, product_id: str) -> str:
    return _uuid5(f"sourcing\x1f{demand_id}\x1f{cooperative_id}\x1f{product_id}")


@functools.lru_cache(maxsize=200_000)
def lead_id(credit_need_id: str, loan_product_id: str) -> str:
    return _uuid5(f"lead\x1f{credit_need_id}\x1f{loan_product_id}")
