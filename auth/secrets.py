"""Random credentials, and the digests that are all the database ever holds of them."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from storage.db import settings

TOKEN_BYTES = 32


def new_token() -> str:
    """An access or refresh token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_client_secret() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """HMAC-SHA-256 of a token, keyed with SECRET_KEY.

    A database dump alone can neither use nor even confirm a token, and changing SECRET_KEY
    signs every session out at once.
    """
    key = settings().secret_key.encode("utf-8")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def secret_digest(secret: str) -> str:
    """SHA-256 of a client secret (not keyed: client secrets must survive a SECRET_KEY change)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: str, digest: str | None) -> bool:
    """Constant-time comparison of a presented client secret with the stored digest."""
    if digest is None:
        return False
    return hmac.compare_digest(secret_digest(secret), digest)
