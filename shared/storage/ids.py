"""New identifiers: a readable prefix and a random UUID, valid as contract ``EntityId``s."""

from __future__ import annotations

import uuid


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"
