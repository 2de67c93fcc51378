"""Matches and leads published before ranks moved to the readers still decode; the old rank
is dropped, never written again."""

from __future__ import annotations

import json

from shared.contract.envelope import decode
from shared.topics import LOAN_LEADS, SOURCING_MATCHES


def _old_record(event_type: str, payload: dict[str, object]) -> bytes:
    return json.dumps(
        {
            "event_id": "00000000-0000-0000-0000-00000000100a",
            "type": event_type,
            "schema_version": 1,
            "occurred_at": "2026-03-02T08:30:00+07:00",
            "producer": "matching",
            "key": payload.get("match_id") or payload["lead_id"],
            "payload": payload,
        }
    ).encode()


def test_an_old_match_with_a_rank_decodes_and_loses_it() -> None:
    payload = {
        "match_id": "m-1",
        "demand_id": "d-1",
        "business_id": "b-1",
        "cooperative_id": "c-1",
        "product_id": "p-1",
        "score": 0.86,
        "rank": 1,
        "components": {"text": 0.9},
        "reasons": [],
        "model_version": "weights-v1",
    }
    envelope = decode(SOURCING_MATCHES.name, _old_record("SourcingMatchFound", payload))
    assert envelope.payload.model_dump(mode="json") == {
        k: v for k, v in payload.items() if k != "rank"
    } | {"partners": []}


def test_an_old_lead_with_a_rank_decodes_and_loses_it() -> None:
    payload = {
        "lead_id": "l-1",
        "credit_need_id": "n-1",
        "cooperative_id": "c-1",
        "loan_product_id": "lp-1",
        "bank_id": "bank-1",
        "score": 0.78,
        "rank": 2,
        "components": {"record": 0.7},
        "reasons": [],
        "model_version": "weights-v1",
    }
    envelope = decode(LOAN_LEADS.name, _old_record("LoanLeadScored", payload))
    assert "rank" not in json.loads(envelope.model_dump_json())["payload"]
