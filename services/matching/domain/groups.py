"""Group proposals: when no single cooperative can supply a demand, a few that together can.

Small cooperatives are the rule in the province; a buyer needing 20 tấn a month may find no
one cooperative with that much, but three with 8 tấn each are worth introducing together.
"""

from __future__ import annotations

import numpy as np

MAX_GROUP_SIZE = 5
_FULL = 1.0 - 1e-6  # shares are float32; a sum a hair under 1 is a full supply


def propose_group(shares: np.ndarray, max_size: int = MAX_GROUP_SIZE) -> list[int] | None:
    """Positions of the members of a group that together supply the whole need, or None.

    ``shares`` (m,): each candidate's monthly capacity as a share of the need (capped at 1),
    candidates best first. Members are taken best first; if that needs more than ``max_size``
    members, the biggest suppliers are tried instead, so the group stays small. A candidate
    that could supply it all alone is no group member (it would be a proposal on its own).
    """
    usable = [i for i in range(shares.shape[0]) if 0.0 < float(shares[i]) < _FULL]
    by_capacity = sorted(usable, key=lambda i: -float(shares[i]))
    for order in (usable, by_capacity):
        members: list[int] = []
        total = 0.0
        for position in order[:max_size]:
            members.append(position)
            total += float(shares[position])
            if total >= _FULL:
                return sorted(members)
    return None
