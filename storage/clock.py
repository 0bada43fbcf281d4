"""The current time for everything that expires. Tests move it instead of sleeping."""

from __future__ import annotations

import datetime as dt

_offset = dt.timedelta(0)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + _offset


def advance(seconds: float) -> None:
    """Move the clock forward (tests only)."""
    global _offset
    _offset += dt.timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = dt.timedelta(0)
