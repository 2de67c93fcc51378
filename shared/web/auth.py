"""Bearer-token authentication and role checks, as dependencies.

Routes ask for a role with a typed alias, e.g.::

    CooperativeMember = Annotated[Caller, Depends(require_role(Role.COOPERATIVE))]

Whether the caller may touch a given object is decided where the object is loaded (the
service's repository), with :meth:`Caller.may_read` and :meth:`Caller.owns`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.identity.model import Caller, Role
from shared.identity.tokens import InvalidToken
from shared.web.context import context_of
from shared.web.errors import Forbidden, Unauthenticated

_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="A token from `ketnoi org create` (Ed25519-signed JWT naming your organisation)",
)


# The dependencies here are ``async``: FastAPI runs a sync dependency on its thread pool, a
# trip that costs more than the work (a verified token is answered from the verifier's memory).

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _verified(credentials: HTTPAuthorizationCredentials | None, request: Request) -> Caller:
    if credentials is None:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    verifier = context_of(request.app).verifiers.get()  # not ContextDep: see dependencies
    try:
        return verifier.verify(credentials.credentials)
    except InvalidToken as error:
        raise Unauthenticated(f"the token does not verify: {error}", code="invalid_token") from None


async def current_caller(credentials: Credentials, request: Request) -> Caller:
    return _verified(credentials, request)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def require_role(*roles: Role) -> Callable[..., Awaitable[Caller]]:
    allowed = " or ".join(role.value for role in roles)

    # It verifies the token itself rather than through ``CurrentCaller``: one step fewer in
    # FastAPI's walk of the dependencies (see shared.web.dependencies). A route that also
    # takes ``CurrentCaller`` (a write does) has the token answered from the verifier's memory.
    async def dependency(credentials: Credentials, request: Request) -> Caller:
        caller = _verified(credentials, request)
        if caller.role not in roles:
            raise Forbidden(f"this needs the role {allowed}; your token's role is {caller.role}")
        return caller

    return dependency


Organiser = Annotated[Caller, Depends(require_role(Role.ORGANISER))]
"""Sở Công Thương, Liên minh HTX: read everything, import spreadsheets."""
