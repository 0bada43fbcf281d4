"""Cross-site request forgery protection for the sign-in pages' forms.

Two checks, both needed: the form's hidden ``csrf_token`` must be the HMAC (keyed with
SECRET_KEY) of the random value in the browser's CSRF cookie, which another site can neither
read nor set; and a browser's ``Origin``, when it sends one, must be this site's. The pages are
served with ``Referrer-Policy: same-origin`` so that browsers send the real origin on their
POSTs (Chromium sends ``Origin: null`` under ``no-referrer``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from storage.db import settings

COOKIE = "apiserver_csrf"


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def token_for(cookie_value: str) -> str:
    key = settings().secret_key.encode("utf-8")
    message = f"csrf:{cookie_value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(origin: str | None, own_base_url: str) -> bool:
    """No ``Origin`` (not a browser, or an old one): the token decides. ``null`` or another
    site's: refused. This site is the issuer's origin, or the one the request was sent to."""
    if origin is None:
        return True
    return origin.lower() in {_origin(settings().issuer), _origin(own_base_url)}


def passes(form_token: str | None, cookie_value: str | None, origin: str | None, base: str) -> bool:
    if not form_token or not cookie_value or not same_origin(origin, base):
        return False
    return hmac.compare_digest(form_token, token_for(cookie_value))
