"""Whom to invite: chosen one by one, or everyone of a district or sector."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from services.conferences.domain.model import Participant, ParticipantKind


def invite_all(
    directory: Iterable[Participant],
    *,
    districts: Collection[str] = (),
    sectors: Collection[str] = (),
    kinds: Collection[ParticipantKind] = (),
) -> tuple[Participant, ...]:
    """Everyone in the directory in one of ``districts`` and one of ``sectors`` and of one of
    ``kinds``; an empty filter does not filter. A participant without a district (a bank,
    say) is left out by a district filter: filter it by kind in a second call instead."""
    return tuple(
        p
        for p in directory
        if (not districts or p.district in districts)
        and (not sectors or p.sector in sectors)
        and (not kinds or p.kind in kinds)
    )
