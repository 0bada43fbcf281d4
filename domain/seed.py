"""The demo data: ``apiserver seed``. Running it again changes nothing."""

from __future__ import annotations

import secrets

from sqlalchemy import select

import openapi
from auth.secrets import secret_digest
from domain import clients, users
from models import OAuth2Client, User
from storage import clients as stored_clients
from storage.db import settings, transaction

DOCUMENTATION_CLIENT_ID = "documentation"
# Published in the README on purpose, so that its curl examples work as printed.
DOCUMENTATION_CLIENT_SECRET = "KQ()SWK)SQK)QWSKQW(SKQ)S(QWSQW(SJ*HQ&HQW*SQ*^SSQWSGQSG"

DEMO_USERS = (
    # username, password, flags
    ("root", "q", {"is_admin": True}),
    ("user", "w", {}),
    ("internal", "q", {"is_internal": True, "is_regular_user": False}),
    # The owner of the documentation client: a service account nobody logs in as.
    ("documentation", None, {}),
)


def seed_demo_data() -> list[str]:
    """Create whatever demo data is missing; return a line for each thing created or updated."""
    report = []
    ids = {}
    for username, password, flags in DEMO_USERS:
        existing = _user_id(username)
        if existing is None:
            created = users.create_user(
                username=username,
                email=f"{username}@localhost",
                password=password or secrets.token_urlsafe(32),
                **flags,
            )
            existing = created["id"]
            report.append(f"created user {username!r}")
        ids[username] = existing
    report += _ensure_documentation_client(ids["documentation"])
    return report


def _user_id(username: str) -> int | None:
    with transaction() as session:
        return session.scalar(select(User.id).where(User.username == username))


def swagger_ui_redirect_uri() -> str:
    """Where Swagger UI's authorization code flow comes back to: its page under the issuer."""
    return f"{settings().issuer}/api/v1/ui/oauth2-redirect.html"


def _ensure_documentation_client(owner_id: int) -> list[str]:
    with transaction() as session:
        client = session.get(OAuth2Client, DOCUMENTATION_CLIENT_ID)
        if client is not None:
            wanted = {
                "client_secret_hash": secret_digest(DOCUMENTATION_CLIENT_SECRET),
                "client_type": "public",
                "default_scopes": list(openapi.registered_scopes()),
                "grant_types": list(stored_clients.GRANT_TYPES),
                "redirect_uris": [swagger_ui_redirect_uri()],
            }
            changed = [name for name, value in wanted.items() if getattr(client, name) != value]
            for name in changed:
                setattr(client, name, wanted[name])
            return [f"updated client 'documentation' ({', '.join(changed)})"] if changed else []
    clients.register_client(
        owner_id=owner_id,
        client_id=DOCUMENTATION_CLIENT_ID,
        client_secret=DOCUMENTATION_CLIENT_SECRET,
        client_type="public",
        grant_types=list(stored_clients.GRANT_TYPES),
        redirect_uris=[swagger_ui_redirect_uri()],
    )
    return ["created client 'documentation'"]
