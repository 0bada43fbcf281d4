"""When the consent page may be skipped, and what allowing a client leaves behind.

A user who allowed a confidential client some scopes is not asked again for the same or fewer,
unless the client asks with ``prompt=consent``. Public clients are asked every time: anyone can
claim to be one, so only the person can vouch for it (RFC 6749 §10.2).
"""

from __future__ import annotations

from auth import authorization_code
from auth.authorization_code import Redirect, Reviewed
from storage import consents


def remembered(reviewed: Reviewed, user: dict) -> bool:
    return (
        reviewed.client.client_type == "confidential"
        and reviewed.params.get("prompt") != "consent"
        and consents.covers(user["id"], reviewed.client.client_id, reviewed.scopes)
    )


def allow(reviewed: Reviewed, user: dict) -> Redirect:
    """The user allowed the client: remember it, and send the browser back with a code."""
    consents.remember(user["id"], reviewed.client.client_id, reviewed.scopes)
    return authorization_code.allow(reviewed, user)
