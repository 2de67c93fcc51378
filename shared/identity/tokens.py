"""Bearer tokens: JWTs signed with Ed25519 (``EdDSA``) carrying an organisation and its role."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
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
    """Checks tokens with the organiser's public key; every service has one.

    A client sends the same token with every request, and checking an Ed25519 signature and
    the claims costs far more than the rest of a small request's authentication. So the
    verifier remembers up to ``cache_size`` tokens it has verified, by their exact text, until
    each one's ``exp``: a token seen before is answered from memory while it is still valid,
    and any other text (a changed claim, a changed signature) is verified in full. Failures
    are never remembered. ``cache_size=0`` verifies every time.
    """

    def __init__(
        self,
        public_key: Ed25519PublicKey,
        issuer: str,
        audience: str,
        *,
        cache_size: int = 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = public_key
        self._issuer = issuer
        self._audience = audience
        self._cache_size = cache_size
        self._clock = clock
        self._verified: OrderedDict[str, tuple[Caller, float]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, token: str) -> Caller:
        with self._lock:
            known = self._verified.get(token)
            if known is not None:
                caller, expires = known
                if self._clock() < expires:
                    self._verified.move_to_end(token)
                    return caller
                del self._verified[token]
        caller, expires = self._verify(token)
        if self._cache_size > 0:
            with self._lock:
                self._verified[token] = (caller, expires)
                while len(self._verified) > self._cache_size:
                    self._verified.popitem(last=False)
        return caller

    def _verify(self, token: str) -> tuple[Caller, float]:
        """The caller and when the token expires (seconds since the epoch)."""
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
        # PyJWT has checked ``exp`` as it checks it here from memory: valid while now < exp.
        return Caller(organisation_id=subject, role=role, name=name), float(int(claims["exp"]))
