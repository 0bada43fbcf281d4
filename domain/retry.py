"""The optimistic retry of a versioned update: read, decide, write only if the row is still at
the version read. A lost race means deciding again on the new state, a few times at most."""

from __future__ import annotations

import typing as t

from storage.errors import Conflict

ATTEMPTS = 3

T = t.TypeVar("T")


def until_written(attempt: t.Callable[[], T | None], *, what: str) -> T:
    """Run ``attempt`` until it writes (returns a result); None means the row changed between
    its read and its write. 409 when it keeps changing."""
    for _ in range(ATTEMPTS):
        result = attempt()
        if result is not None:
            return result
    raise Conflict(f"{what} kept changing while this patch was applied; try again")
