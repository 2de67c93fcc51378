"""The codec accepts what the contract allows and rejects the rest with a clear reason."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from shared.contract.envelope import ContractError, decode, encode, wrap
from shared.contract.events import CreditNeedSubmitted, SmokePing, SourcingDemandClosed
from shared.topics import COOPERATIVES, DEMANDS, SMOKE_PINGS


def raw_ping(**changes: Any) -> bytes:
    document = json.loads(
        encode(SMOKE_PINGS.name, wrap(SmokePing(ping_id="p", sequence=1, text="a"), "t"))
    )
    document.update(changes)
    return json.dumps(document).encode()


def test_round_trip_keeps_type_key_and_payload() -> None:
    need = CreditNeedSubmitted(
        credit_need_id="n1",
        cooperative_id="c1",
        amount_vnd=500_000_000,
        purpose="equipment",
        term_months=24,
        collateral_offered=False,
    )
    envelope = decode(COOPERATIVES.name, encode(COOPERATIVES.name, wrap(need, "cooperatives")))
    assert envelope.type == "CreditNeedSubmitted"
    assert envelope.key == "c1"
    assert envelope.payload == need


def test_wire_names_the_event_type_not_a_python_class() -> None:
    raw = encode(SMOKE_PINGS.name, wrap(SmokePing(ping_id="p", sequence=1, text="a"), "t"))
    assert b"shared.contract" not in raw
    assert json.loads(raw)["type"] == "SmokePing"


def test_unknown_event_type_is_rejected_by_name() -> None:
    with pytest.raises(ContractError, match="unknown event type 'Nonsense'"):
        decode(SMOKE_PINGS.name, raw_ping(type="Nonsense"))


def test_unknown_schema_version_is_rejected_with_known_versions() -> None:
    with pytest.raises(ContractError, match=r"unknown version 2 of SmokePing \(known: \[1\]\)"):
        decode(SMOKE_PINGS.name, raw_ping(schema_version=2))


def test_event_on_the_wrong_topic_is_rejected() -> None:
    with pytest.raises(ContractError, match=r"not allowed on ketnoi\.demands\.v1"):
        decode(DEMANDS.name, raw_ping())


def test_producing_to_the_wrong_topic_is_rejected() -> None:
    closed = SourcingDemandClosed(demand_id="d", business_id="b")
    with pytest.raises(ContractError, match="not allowed"):
        encode(COOPERATIVES.name, wrap(closed, "businesses"))


def test_invalid_payload_names_the_field() -> None:
    document = json.loads(raw_ping())
    document["payload"]["sequence"] = -1
    with pytest.raises(ContractError, match=r"payload|sequence"):
        decode(SMOKE_PINGS.name, json.dumps(document).encode())


def test_key_must_be_the_payload_key() -> None:
    with pytest.raises(ContractError, match="is not the payload's key"):
        decode(SMOKE_PINGS.name, raw_ping(key="someone-else"))


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"type": "SmokePing"}'])
def test_malformed_records_are_contract_errors(raw: bytes) -> None:
    with pytest.raises(ContractError):
        decode(SMOKE_PINGS.name, raw)


def test_tombstone_is_a_contract_error() -> None:
    with pytest.raises(ContractError, match="tombstone"):
        decode(SMOKE_PINGS.name, None)


def test_vietnamese_text_is_nfc_normalised_on_decode() -> None:
    decomposed = unicodedata.normalize("NFD", "Nước mắm Bảo Ninh")
    document = json.loads(raw_ping())
    document["payload"]["text"] = decomposed
    envelope = decode(SMOKE_PINGS.name, json.dumps(document).encode())
    assert isinstance(envelope.payload, SmokePing)
    assert envelope.payload.text == unicodedata.normalize("NFC", decomposed)
    assert envelope.payload.text != decomposed
