from __future__ import annotations

from dataclasses import replace

from services.conferences.domain.invitations import invite_all
from services.conferences.domain.model import ParticipantKind

from .factories import bank, business, coop


def test_everyone_of_a_district_and_sector_is_invited_and_no_one_else() -> None:
    directory = [
        replace(coop("a"), district="bo-trach", sector="rice"),
        replace(coop("b"), district="bo-trach", sector="coffee"),
        replace(coop("c"), district="le-thuy", sector="rice"),
        replace(business("x"), district="bo-trach", sector="rice"),
        bank("k"),
    ]
    chosen = invite_all(directory, districts={"bo-trach"}, sectors={"rice"})
    assert [p.participant_id for p in chosen] == ["a", "x"]
    cooperatives = invite_all(directory, kinds={ParticipantKind.COOPERATIVE})
    assert [p.participant_id for p in cooperatives] == ["a", "b", "c"]
    assert [p.participant_id for p in invite_all(directory, kinds={ParticipantKind.BANK})] == ["k"]
