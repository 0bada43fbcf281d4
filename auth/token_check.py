"""Bearer token validation for Connexion, and the caller it yields to handlers and rules."""

from __future__ import annotations

import dataclasses

from connexion import context, request

from storage import db, tokens


async def token_info(token: str) -> dict | None:
    """Connexion's ``x-tokenInfoFunc``: the token's claims, or None to answer 401.

    It returns RFC 7662-shaped claims plus the user, from one indexed query, so that no handler
    needs a second query to know who is calling. Connexion calls it on the event loop, and the
    query runs right there, in a greenlet: on PostgreSQL through an async connection that lets
    the loop serve other requests while the query is on the network, on SQLite as a few dozen
    microseconds of work in this process. Either costs less than a hop to a thread
    (bench/README.md has the figures).
    """
    return await db.run_on_the_loop(tokens.access_token_info, token)


@dataclasses.dataclass(frozen=True)
class Caller:
    id: int
    user: dict
    scopes: frozenset[str]
    client_id: str
    is_internal: bool
    version: int  # of the user row: the ETag of /users/me

    @property
    def is_admin(self) -> bool:
        return bool(self.user["is_admin"])

    @property
    def is_regular_user(self) -> bool:
        return bool(self.user["is_regular_user"])

    @property
    def is_privileged(self) -> bool:
        """Administrators and internal service accounts: past every rule, see everything."""
        return self.is_admin or self.is_internal


def caller_from(info: dict) -> Caller:
    return Caller(
        id=int(info["sub"]),
        user=info["user"],
        scopes=frozenset(info["scope"].split()),
        client_id=info["client_id"],
        is_internal=bool(info["is_internal"]),
        version=int(info["version"]),
    )


def current_caller() -> Caller | None:
    """The authenticated caller of the request being handled, or None on a public operation.

    Built once per request and kept with the token's claims: the rate limit, the permission
    rule and the handler each ask for it."""
    info = context.context.get("token_info")
    if not info:
        return None
    caller = info.get(_CALLER)
    if caller is None:
        caller = info[_CALLER] = caller_from(info)
    return caller


_CALLER = "apiserver.caller"  # the claims' key for the Caller built from them


def client_address() -> str:
    """The caller's IP address (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    client = request.client
    return client.host if client else "unknown"
