"""Tokens: signed by the organiser's key, verified with the public key alone."""

from __future__ import annotations

import base64
import json
import stat
import time
from datetime import timedelta
from pathlib import Path

import jwt
import pytest

from shared.identity.keys import MissingKey, create_key_pair, load_private_key, load_public_key
from shared.identity.model import Caller, Role
from shared.identity.tokens import InvalidToken, TokenIssuer, TokenVerifier

ISSUER, AUDIENCE = "ketnoi-organiser", "ketnoi"


def _pair(folder: Path) -> tuple[TokenIssuer, TokenVerifier]:
    private, public = folder / "key.pem", folder / "key.pub.pem"
    create_key_pair(private, public)
    return (
        TokenIssuer(load_private_key(private), ISSUER, AUDIENCE),
        TokenVerifier(load_public_key(public), ISSUER, AUDIENCE),
    )


def test_a_token_names_its_organisation_and_role(tmp_path: Path) -> None:
    issuer, verifier = _pair(tmp_path)
    caller = Caller("org-htx-sen-thuy", Role.COOPERATIVE, "HTX Nông nghiệp Sen Thủy")
    assert verifier.verify(issuer.issue(caller, timedelta(days=1))) == caller


def test_the_private_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    _pair(tmp_path)
    mode = stat.S_IMODE((tmp_path / "key.pem").stat().st_mode)
    assert mode == 0o600


def test_an_existing_key_pair_is_kept(tmp_path: Path) -> None:
    issuer, _ = _pair(tmp_path)
    token = issuer.issue(Caller("org-1", Role.BANK, "Ngân hàng"), timedelta(days=1))
    assert create_key_pair(tmp_path / "key.pem", tmp_path / "key.pub.pem") is False
    assert TokenVerifier(load_public_key(tmp_path / "key.pub.pem"), ISSUER, AUDIENCE).verify(token)


def test_a_token_of_another_key_does_not_verify(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    issuer, _ = _pair(tmp_path / "a")
    _, other_verifier = _pair(tmp_path / "b")
    token = issuer.issue(Caller("org-1", Role.ORGANISER, "Sở Công Thương"), timedelta(days=1))
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        other_verifier.verify(token)


def test_an_expired_token_does_not_verify(tmp_path: Path) -> None:
    issuer, verifier = _pair(tmp_path)
    token = issuer.issue(Caller("org-1", Role.BUSINESS, "DN"), timedelta(seconds=-1))
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)


def test_a_changed_role_breaks_the_signature(tmp_path: Path) -> None:
    issuer, verifier = _pair(tmp_path)
    header, claims, signature = issuer.issue(
        Caller("org-1", Role.COOPERATIVE, "HTX"), timedelta(days=1)
    ).split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    decoded["role"] = "organiser"
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{forged}.{signature}")


def test_an_unsigned_token_is_refused(tmp_path: Path) -> None:
    _, verifier = _pair(tmp_path)
    unsigned = jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "org-1",
            "role": "organiser",
            "iat": 0,
            "exp": 4_000_000_000,
        },
        key=None,
        algorithm="none",
    )
    with pytest.raises(InvalidToken):
        verifier.verify(unsigned)


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    private, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    create_key_pair(private, public)
    token = jwt.encode(
        {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "org-1",
            "role": "admin",
            "iat": 0,
            "exp": 4_000_000_000,
        },
        load_private_key(private),
        algorithm="EdDSA",
    )
    with pytest.raises(InvalidToken, match="unknown role 'admin'"):
        TokenVerifier(load_public_key(public), ISSUER, AUDIENCE).verify(token)


def test_a_missing_key_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(MissingKey, match="ketnoi org init"):
        load_public_key(tmp_path / "absent.pem")


def test_organisers_read_everything_and_others_their_own() -> None:
    organiser = Caller("org-so-cong-thuong", Role.ORGANISER, "Sở Công Thương")
    bank = Caller("org-agribank", Role.BANK, "Agribank")
    assert organiser.may_read("org-anyone")
    assert bank.may_read("org-agribank")
    assert not bank.may_read("org-bidv")
    assert not organiser.owns("org-anyone")


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _cached_pair(
    folder: Path, clock: _Clock, size: int = 1024
) -> tuple[TokenIssuer, TokenVerifier]:
    private, public = folder / "key.pem", folder / "key.pub.pem"
    create_key_pair(private, public)
    return (
        TokenIssuer(load_private_key(private), ISSUER, AUDIENCE),
        TokenVerifier(load_public_key(public), ISSUER, AUDIENCE, cache_size=size, clock=clock),
    )


def test_a_token_seen_before_is_answered_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer, verifier = _cached_pair(tmp_path, _Clock(time.time()))
    caller = Caller("org-1", Role.BUSINESS, "DN")
    token = issuer.issue(caller, timedelta(hours=1))
    assert verifier.verify(token) == caller
    decodes = []
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decodes.append(a) or {})
    assert verifier.verify(token) == caller
    assert decodes == []


def test_a_remembered_token_still_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock(time.time())
    issuer, verifier = _cached_pair(tmp_path, clock)
    caller = Caller("org-1", Role.BUSINESS, "DN")
    token = issuer.issue(caller, timedelta(seconds=60))
    assert verifier.verify(token) == caller
    exp = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))["exp"]
    clock.now = exp - 0.5
    assert verifier.verify(token) == caller  # from memory, still valid

    def expired(*_args: object, **_kwargs: object) -> None:
        raise jwt.ExpiredSignatureError("Signature has expired")

    # PyJWT's clock is the real one: stand in for it at the moment the verifier's says exp.
    monkeypatch.setattr(jwt, "decode", expired)
    clock.now = exp  # PyJWT: expired when exp <= now; memory must not answer any longer
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)
    assert token not in verifier._verified


def test_a_tampered_copy_of_a_remembered_token_is_refused(tmp_path: Path) -> None:
    issuer, verifier = _cached_pair(tmp_path, _Clock(time.time()))
    token = issuer.issue(Caller("org-1", Role.COOPERATIVE, "HTX"), timedelta(days=1))
    verifier.verify(token)
    header, claims, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    decoded["role"] = "organiser"
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{forged}.{signature}")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(InvalidToken):
        verifier.verify(f"{header}.{claims}.{flipped}")
    assert verifier.verify(token).role is Role.COOPERATIVE


def test_refused_tokens_are_not_remembered_and_memory_is_bounded(tmp_path: Path) -> None:
    clock = _Clock(time.time())
    issuer, verifier = _cached_pair(tmp_path, clock, size=2)
    expired = issuer.issue(Caller("org-0", Role.BANK, "NH"), timedelta(seconds=-1))
    for _ in range(2):
        with pytest.raises(InvalidToken, match="expired"):
            verifier.verify(expired)
    tokens = [
        issuer.issue(Caller(f"org-{n}", Role.BANK, "NH"), timedelta(hours=1)) for n in range(3)
    ]
    for token in tokens:
        verifier.verify(token)
    assert len(verifier._verified) == 2
    assert tokens[0] not in verifier._verified  # the least recently used went first
    assert verifier.verify(tokens[0]).organisation_id == "org-0"
