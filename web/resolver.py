"""How the contract's operations become handlers: each operationId's function, guarded by the
permission rule the contract names (``x-permission``), counted against the caller's rate limit,
given a JSON content type, and run where the scheduling policy below says.

Where handlers run is declared here, not inferred: ``EVENT_LOOP_OPERATIONS`` lists the only
operations whose handlers may run on the event loop; every other handler runs in Connexion's
thread pool. tests/web/test_resolver.py proves that none of the listed ones can reach bcrypt or
the network.
"""

from __future__ import annotations

import functools
import typing as t

from connexion.lifecycle import ConnexionResponse
from connexion.utils import get_function_from_name
from starlette.responses import Response

import openapi
from auth import permissions
from auth.token_check import current_caller
from storage import db
from web import rate_limits

JSON_TYPE = "application/json"

# Bearer-protected reads, run on the event loop in a greenlet (storage.db.run_on_the_loop): their
# queries go through the loop's own pool, an async connection on PostgreSQL (the loop serves
# other requests while one waits) and a few dozen microseconds of in-process work on SQLite
# (readers never wait in WAL mode); a rate limit counted in Redis waits the same way
# (web.rate_limits). Any of that costs less than the hop to a thread. Never a write (it may wait
# for SQLite's lock, and its transaction is better kept off the loop), nothing that checks a
# password (bcrypt refuses to run on the loop), nothing that calls another service.
EVENT_LOOP_OPERATIONS = frozenset(
    {
        "list_users",
        "get_current_user",
        "get_user",
        "list_teams",
        "get_team",
        "list_team_members",
        "list_oauth2_clients",
    }
)


def with_json_content_type(function: t.Callable) -> t.Callable:
    """Give handler results an explicit content type.

    Connexion cannot choose between ``application/json`` and ``application/problem+json`` when an
    operation declares both (Connexion issue #1956), so bodies are marked JSON here, and a
    result without a body becomes an explicit empty response.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        if isinstance(result, (ConnexionResponse, Response)):
            return result
        if not isinstance(result, tuple):
            result = (result,)
        body, status, headers = (*result, None, None)[:3]
        headers = dict(headers or {})
        if body is None:
            return ConnexionResponse(status_code=status or 204, headers=headers)
        headers.setdefault("Content-Type", JSON_TYPE)
        return body, status or 200, headers

    return wrapper


def limited_per_caller(function: t.Callable) -> t.Callable:
    """Count every authenticated call against the caller's per-token rate limit."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        caller = current_caller()
        if caller is not None:
            rate_limits.hit("per_token", f"{caller.id}:{caller.client_id}")
        return function(*args, **kwargs)

    return wrapper


def on_the_event_loop(function: t.Callable) -> t.Callable:
    """Make a sync handler a coroutine function, so that Connexion runs it on the event loop
    (in a greenlet) instead of handing it to a worker thread."""

    @functools.wraps(function)
    async def wrapper(*args, **kwargs):
        return await db.run_on_the_loop(function, *args, **kwargs)

    return wrapper


def runs_on_the_event_loop(operation_id: str) -> bool:
    return operation_id in EVENT_LOOP_OPERATIONS


def resolve_handler(function_name: str) -> t.Callable:
    """The handler for an operation, guarded by its permission rule and rate limit, with a
    JSON default."""
    function = get_function_from_name(function_name)
    method, _, operation = openapi.operations()[function.__name__]
    rule = operation.get("x-permission")
    guarded = permissions.enforcing(rule, method, function)
    handler = with_json_content_type(limited_per_caller(guarded))
    return on_the_event_loop(handler) if runs_on_the_event_loop(function.__name__) else handler
