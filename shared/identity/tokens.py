"""Bearer tokens: JWTs signed with Ed25519 (``EdDSA``) carrying an organisation and its role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.identity.model import Caller, Role

ALGORITHM = "EdDSA"


class InvalidToken(Exception):
    """The token is missing a claim, expired, not ours, or its signature does not verify."""


class TokenIssuer:
    """Signs tokens; only the organiser's command line has one."""

    def __init__(self, private_key: Ed25519PrivateKey, issuer: str, audience: str) -> None:
        self._key = private_key
        self._issuer = issuer
        self._audience = audience

    def issue(self, caller: Caller, valid_for: timedelta, now: datetime | None = None) -> str:
        issued_at = now or datetime.now(UTC)
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": caller.organisation_id,
            "role": caller.role.value,
            "name": caller.name,
            "iat": issued_at,
            "exp": issued_at + valid_for,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


class TokenVerifier:
    """Checks tokens with the organiser's public key; every service has one."""

    def __init__(self, public_key: Ed25519PublicKey, issuer: str, audience: str) -> None:
        self._key = public_key
        self._issuer = issuer
        self._audience = audience

    def verify(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],  # never the token's own choice: no "none", no HS256
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["iss", "aud", "sub", "role", "iat", "exp"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        try:
            role = Role(claims["role"])
        except ValueError:
            raise InvalidToken(f"unknown role {claims['role']!r}") from None
        subject, name = claims["sub"], claims.get("name", "")
        if not isinstance(subject, str) or not isinstance(name, str):
            raise InvalidToken("'sub' and 'name' must be strings")
        return Caller(organisation_id=subject, role=role, name=name)
