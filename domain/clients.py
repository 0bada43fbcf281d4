"""The rules of OAuth 2 client registration: the scopes a client may hold are the ones the
contract registers (every one by default), in the contract's order."""

from __future__ import annotations

import openapi
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


def register_client(*, owner_id: int, default_scopes: list[str] | None = None, **fields) -> dict:
    """A new client of ``owner_id``; its secret is in the result this once."""
    scopes = list(openapi.registered_scopes()) if default_scopes is None else default_scopes
    return clients.create_client(
        owner_id=owner_id, default_scopes=registered_only(scopes), **fields
    )
