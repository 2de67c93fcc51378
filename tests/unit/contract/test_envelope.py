"""The codec accepts what the contract allows and rejects the rest with a clear reason."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from shared.contract.envelope import (
    ContractError,
    _decode_checked,
    _decode_fast,
    decode,
    encode,
    wrap,
)
from shared.contract.events import (
    CreditNeedSubmitted,
    SmokePing,
    SourcingDemandClosed,
    SourcingMatchFound,
)
from shared.contract.values import Reason
from shared.topics import COOPERATIVES, DEMANDS, SMOKE_PINGS, SOURCING_MATCHES


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


def _outcome(decoder: Any, topic: str, raw: bytes) -> tuple[str, Any]:
    try:
        envelope = decoder(topic, raw)
    except ContractError as error:
        return "error", str(error)
    return "envelope", (type(envelope), type(envelope.payload), envelope, repr(envelope))


def _compact(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _variants() -> list[bytes]:
    """Records as ``encode`` writes them (compact) and otherwise, good and bad."""
    good = raw_ping()
    document = json.loads(good)
    documents = [document, dict(reversed(list(document.items())))]
    for changes in (
        {"schema_version": True},
        {"schema_version": 1.0},
        {"schema_version": "1"},
        {"schema_version": 2},
        {"type": "SourcingDemandClosed"},
        {"type": "Nonsense"},
        {"key": "someone-else"},
        {"producer": ""},
        {"event_id": "nope"},
        {"occurred_at": "2026-03-01T08:00:00"},
        {"extra": 1},
    ):
        documents.append({**document, **changes})
    payload = document["payload"]
    for payload_changes in (
        {"text": unicodedata.normalize("NFD", "  Nước mắm  ")},
        {"sequence": -1},
        {"sequence": 1.0},
        {"sequence": "1"},
        {"ping_id": None},
        {"surprise": 1},
    ):
        documents.append({**document, "payload": {**payload, **payload_changes}})
    documents.append({**document, "event_id": "nope", "payload": {**payload, "sequence": -1}})
    variants = [
        good,
        encode(SMOKE_PINGS.name, wrap(SmokePing(ping_id="q", sequence=2, text="Cà phê"), "t")),
    ]
    variants += [_compact(d) for d in documents] + [json.dumps(d).encode() for d in documents]
    compact = _compact(document).decode()
    assert '"type":"SmokePing","schema_version":1,' in compact
    for old, new in (
        # A later key wins in a JSON object, as json.loads reads it.
        ('"key"', '"type":"Nonsense","key"'),
        ('"key"', '"schema_version":2,"key"'),
        ('"text":"a"', '"text":"\\ud800"'),
        ('"sequence":1', '"sequence":NaN'),
        ('"sequence":1', '"sequence":1e400'),
        ("}", "} x"),
    ):
        variants.append(compact.replace(old, new, 1).encode())
    variants += [
        compact.encode()[:-1],
        compact.encode() + b"\xff",
        b"\xef\xbb\xbf" + compact.encode(),
    ]
    return variants


@pytest.mark.parametrize("raw", _variants())
def test_fast_decoding_gives_what_the_checked_decoder_gives(raw: bytes) -> None:
    """decode validates a record in one go when it can; it must agree with the step-by-step
    decoder on every record, good or bad (same envelope, same error text)."""
    for topic in (SMOKE_PINGS.name, DEMANDS.name, "nonsense"):
        assert _outcome(decode, topic, raw) == _outcome(_decode_checked, topic, raw)


def test_records_as_encoded_take_the_fast_path() -> None:
    raw = encode(SMOKE_PINGS.name, wrap(SmokePing(ping_id="p", sequence=1, text="a"), "t"))
    assert _decode_fast(SMOKE_PINGS.name, raw) is not None


def test_fast_decoding_of_a_match_keeps_every_field() -> None:
    found = SourcingMatchFound(
        match_id="m-1",
        demand_id="d-1",
        business_id="b-1",
        cooperative_id="c-1",
        product_id="p-1",
        partners=["c-2"],
        score=0.123456789,
        components={"product": 0.9},
        reasons=[Reason(code="near", en="Close", vi="Gần")],
        model_version="v1",
    )
    raw = encode(SOURCING_MATCHES.name, wrap(found, "matching"))
    fast = _decode_fast(SOURCING_MATCHES.name, raw)
    assert fast is not None
    checked = _decode_checked(SOURCING_MATCHES.name, raw)
    assert _outcome(decode, SOURCING_MATCHES.name, raw) == _outcome(
        _decode_checked, SOURCING_MATCHES.name, raw
    )
    assert fast.model_fields_set == checked.model_fields_set
    assert fast.payload.model_fields_set == checked.payload.model_fields_set
    assert fast.model_dump_json() == checked.model_dump_json()
    assert fast.payload == found
