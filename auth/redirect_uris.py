"""Redirect URIs: which ones a client may register, and when a requested one matches.

RFC 9700 §2.1: matching is exact string comparison, except that the port of a loopback
``http`` URI may differ (RFC 8252 §7.3: a native app listens on whatever port is free). Only
loopback URIs may be ``http``; none may have a fragment (RFC 6749 §3.1.2).
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "localhost"})


def _host_and_port(netloc: str) -> tuple[str, str]:
    if netloc.startswith("["):
        host, _, rest = netloc.partition("]")
        return host + "]", rest.removeprefix(":")
    host, _, port = netloc.partition(":")
    return host, port


def is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and _host_and_port(parts.netloc)[0] in LOOPBACK_HOSTS


def problem(uri: str) -> str | None:
    """Why ``uri`` cannot be registered, or None if it can."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http or https URI"
    if "#" in uri:
        return "must not have a fragment"
    if "@" in parts.netloc:
        return "must not carry credentials"
    if parts.scheme == "http" and not is_loopback(uri):
        return "must be https, except on a loopback host (127.0.0.1, [::1], localhost)"
    return None


def _without_port(uri: str) -> str:
    parts = urlsplit(uri)
    host, _port = _host_and_port(parts.netloc)
    return parts._replace(netloc=host).geturl()


def matches(requested: str, registered: str) -> bool:
    if requested == registered:
        return True
    return (
        is_loopback(registered)
        and is_loopback(requested)
        and _without_port(requested) == _without_port(registered)
    )


def registered(requested: str, uris: list[str]) -> bool:
    return any(matches(requested, uri) for uri in uris)
