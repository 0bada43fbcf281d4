"""ETags from row versions, and the If-Match / If-None-Match preconditions (RFC 9110 §13)."""

from __future__ import annotations

import re

from connexion import request
from connexion.lifecycle import ConnexionResponse


def etag(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


# One of our strong ETags. ASCII digits only (str.isdigit also takes "²", which int() refuses),
# and no more than a version holds (32-bit in the database): any other tag names no version.
_VERSION_TAG = re.compile(r'"([0-9]{1,10})"')
MAX_VERSION = 2**31 - 1


def expected_versions() -> set[int] | None:
    """The versions If-Match accepts, or None when there is no precondition (or ``*``).

    If-Match compares strongly: weak tags (``W/"3"``) and tags that are not ours match nothing.
    """
    header = request.headers.get("if-match")
    if header is None:
        return None
    tags = _tags(header)
    if "*" in tags:
        return None
    versions = set()
    for tag in tags:
        match = _VERSION_TAG.fullmatch(tag)
        if match and (version := int(match[1])) <= MAX_VERSION:
            versions.add(version)
    return versions


def not_modified(version: int) -> bool:
    """True if If-None-Match names the current version (weak comparison) or is ``*``."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    current = etag(version)
    return any(tag in ("*", current, f"W/{current}") for tag in _tags(header))


def representation(body: dict, version: int):
    """A GET answer with its ETag, or 304 when If-None-Match already has this version."""
    if not_modified(version):
        return ConnexionResponse(status_code=304, headers={"ETag": etag(version)})
    return body, 200, {"ETag": etag(version)}
