"""Who may see and change a conference and its participants.

Organisers (the trade department, the cooperative alliance) run conferences together: every
organiser reads and changes every conference. A cooperative, business or bank sees only the
conferences it is invited to, and of those only its own participation: its agenda, its
availability, its requests. Anything else answers 404, as if it did not exist, so nobody
learns who else is invited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.conferences.orm import ConferenceRow, ParticipantRow
from services.conferences.repository import Conferences
from shared.identity.model import Caller, Role
from shared.web.errors import NotFound


def is_organiser(caller: Caller) -> bool:
    return caller.role is Role.ORGANISER


def conference_to_read(session: Session, caller: Caller, conference_id: str) -> ConferenceRow:
    """The conference, for an organiser or an invited participant; else 404."""
    conferences = Conferences(session)
    row = conferences.get(conference_id)
    if row is None or not (
        is_organiser(caller) or conferences.participant_of(row.id, caller.organisation_id)
    ):
        raise NotFound.of("conference", conference_id)
    return row


def conference_to_change(session: Session, caller: Caller, conference_id: str) -> ConferenceRow:
    """The conference, locked for the transaction, for an organiser (the route has checked the
    role); else 404. Locking serialises a conference's writes, so revisions and events follow
    one another."""
    row = Conferences(session).get(conference_id, lock=True)
    if row is None or not is_organiser(caller):
        raise NotFound.of("conference", conference_id)
    return row


def participant_to_read(
    session: Session, caller: Caller, conference_id: str, participant_id: str
) -> tuple[ConferenceRow, ParticipantRow]:
    """A participant, for an organiser or the participant's own organisation; else 404."""
    conference = conference_to_read(session, caller, conference_id)
    row = Conferences(session).participant(conference_id, participant_id)
    if row is None or not caller.may_read(row.organisation_id):
        raise NotFound.of("participant", participant_id)
    return conference, row


def participant_to_change(
    session: Session, caller: Caller, conference_id: str, participant_id: str
) -> tuple[ConferenceRow, ParticipantRow]:
    """A participant, with the conference locked, for an organiser or its own organisation."""
    conferences = Conferences(session)
    conference = conferences.get(conference_id, lock=True)
    own = (
        None
        if conference is None
        else conferences.participant_of(conference.id, caller.organisation_id)
    )
    if conference is None or not (is_organiser(caller) or own is not None):
        raise NotFound.of("conference", conference_id)
    row = conferences.participant(conference_id, participant_id)
    if row is None or not caller.may_read(row.organisation_id):
        raise NotFound.of("participant", participant_id)
    return conference, row


def own_participant(session: Session, caller: Caller, conference_id: str) -> ParticipantRow:
    """The caller's own participation in a conference (not for organisers); else 404."""
    row = Conferences(session).participant_of(conference_id, caller.organisation_id)
    if row is None:
        raise NotFound.of("conference", conference_id)
    return row
