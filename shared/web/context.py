"""What one running app holds: its database and its token verifier. No globals."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fastapi import FastAPI

from shared.identity.keys import MissingKey, load_public_key
from shared.identity.settings import IdentitySettings
from shared.identity.tokens import TokenVerifier
from shared.storage.database import Database
from shared.web.errors import ServiceUnavailable
from shared.web.service import ServiceSpec


@dataclass
class VerifierSource:
    """Loads the organiser's public key on first use, so a service may start before
    ``ketnoi org init`` has written it; until then authenticated requests get 503."""

    settings: IdentitySettings
    _verifier: TokenVerifier | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> TokenVerifier:
        verifier = self._verifier
        if verifier is not None:  # every request after the first: no lock
            return verifier
        with self._lock:
            if self._verifier is None:
                try:
                    key = load_public_key(self.settings.public_key_file)
                except MissingKey as error:
                    raise ServiceUnavailable(str(error), code="identity_not_configured") from None
                self._verifier = TokenVerifier(key, self.settings.issuer, self.settings.audience)
            return self._verifier


@dataclass(frozen=True)
class ServiceContext:
    spec: ServiceSpec
    database: Database
    verifiers: VerifierSource


def context_of(app: FastAPI) -> ServiceContext:
    context = getattr(app.state, "context", None)
    if not isinstance(context, ServiceContext):
        raise RuntimeError("the app was not built by shared.web.app.create_service_app")
    return context
