"""The rules of OAuth 2 client registration: the scopes a client may hold are the ones the
contract registers (every one by default), in the contract's order; redirect URIs are https
(or loopback http) without a fragment; the authorization code grant needs one."""

from __future__ import annotations

import openapi
from auth import redirect_uris as uris
from storage import clients
from storage.errors import Unprocessable


def registered_only(scopes: list[str]) -> list[str]:
    registered = openapi.registered_scopes()
    unknown = [scope for scope in scopes if scope not in registered]
    if unknown:
        raise Unprocessable(
            f"unknown scope(s): {', '.join(unknown)}",
            errors=[
                {"field": "default_scopes", "message": f"{scope!r} is not a registered scope"}
                for scope in unknown
            ],
        )
    # Keep the contract's order and drop duplicates.
    return [scope for scope in registered if scope in scopes]


def check_redirect_uris(redirect_uris: list[str], grant_types: list[str] | None) -> None:
    errors = [
        {"field": f"redirect_uris.{index}", "message": problem}
        for index, uri in enumerate(redirect_uris)
        if (problem := uris.problem(uri))
    ]
    if errors:
        raise Unprocessable("a redirect URI cannot be registered", errors=errors)
    if "authorization_code" in (grant_types or []) and not redirect_uris:
        raise Unprocessable(
            "the authorization_code grant needs at least one redirect URI",
            errors=[{"field": "redirect_uris", "message": "is required for authorization_code"}],
        )


def register_client(
    *,
    owner_id: int,
    default_scopes: list[str] | None = None,
    redirect_uris: list[str] | None = None,
    grant_types: list[str] | None = None,
    **fields,
) -> dict:
    """A new client of ``owner_id``; its secret is in the result this once."""
    scopes = list(openapi.registered_scopes()) if default_scopes is None else default_scopes
    check_redirect_uris(list(redirect_uris or []), grant_types)
    return clients.create_client(
        owner_id=owner_id,
        default_scopes=registered_only(scopes),
        redirect_uris=redirect_uris,
        grant_types=grant_types,
        **fields,
    )
