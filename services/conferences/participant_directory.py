"""Who may be invited, as this service knows them: cooperatives from the cooperatives'
directory (``ketnoi.cooperatives.v1``), businesses and banks from the matches and leads that
name them. The contract has no event that describes a business or a bank, so they are known
by their organisation id only, unless an organiser names them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.conferences import orm
from services.conferences.candidate_pairs import counterparts_of
from services.conferences.domain.invitations import invite_all
from services.conferences.domain.model import Participant, ParticipantKind
from shared.storage.directory import Directory


def known_cooperative(session: Session, cooperative_id: str) -> dict[str, Any] | None:
    """The cooperative's latest profile (a CooperativeRegistered/Updated payload), if known."""
    return Directory(orm.known_cooperatives).get_many(session, [cooperative_id]).get(cooperative_id)


def _as_participant(profile: dict[str, Any]) -> Participant:
    return Participant(
        participant_id=profile["cooperative_id"],
        name=profile["name"],
        kind=ParticipantKind.COOPERATIVE,
        max_meetings=0,  # set by the invitation
        district=profile.get("district"),
        sector=profile.get("sector"),
    )


def select_participants(
    session: Session,
    *,
    districts: Collection[str],
    sectors: Collection[str],
    kinds: Collection[ParticipantKind],
    invited_cooperatives: Collection[str],
) -> tuple[list[tuple[Participant, str]], list[Participant]]:
    """Cooperatives of the districts and sectors, with their organisation ids; and the
    businesses and banks matched with them or with cooperatives invited already.

    Returns (cooperatives with organisation id, counterparts), in a stable order."""
    wanted = set(kinds) or set(ParticipantKind)
    table = orm.known_cooperatives
    profiles = {
        row.id: dict(row.document)
        for row in session.execute(select(table.c.id, table.c.document).order_by(table.c.id))
    }
    chosen = invite_all(
        (_as_participant(profile) for profile in profiles.values()),
        districts=districts,
        sectors=sectors,
    )
    cooperatives = (
        [(p, profiles[p.participant_id]["organisation_id"]) for p in chosen]
        if ParticipantKind.COOPERATIVE in wanted
        else []
    )
    matched = counterparts_of(
        session, {p.participant_id for p in chosen} | set(invited_cooperatives)
    )
    counterparts = [
        Participant(
            participant_id=counterpart_id,
            name=counterpart_id,
            kind=ParticipantKind(kind),
            max_meetings=0,
        )
        for counterpart_id, kind in sorted(matched.items())
        if ParticipantKind(kind) in wanted
    ]
    return cooperatives, counterparts
