"""A worker's reads take turns: at most MAX_CONCURRENT_READS of them in its stack at once.

One event loop interleaves every request it has accepted. Reads (GET and HEAD) are the requests
whose whole work runs on the loop (web.resolver): Connexion's middleware, the token check and
the handler's queries, each a slice of CPU between two waits on the database. Forty of them in
flight take turns slice by slice, each holds a database connection, and a request finishes only
when the loop has come round to it often enough: on PostgreSQL with 2 workers and 32
connections, W1's p99 was 90-150 ms against a p50 of 17 ms, and PostgreSQL served 32 backends
at once on two cores. A few at a time finish in turn, first come first served, the others wait
here before any work (bench/README.md: W1 ~1,600 -> ~2,100 req/s, p99 ~90 -> ~23 ms).

Writes and password grants are not counted: they run in threads, may wait for bcrypt or a lock,
and must not hold up the reads. The health and metrics probes are not counted either: they
answer even when reads queue.
"""

from __future__ import annotations

import asyncio
import weakref

import openapi

READS = frozenset({"GET", "HEAD"})


def probe_paths() -> frozenset[str]:
    """The paths of the contract's ``health`` operations (liveness, readiness, metrics)."""
    return frozenset(
        path
        for _, path, operation in openapi.operations().values()
        if "health" in operation.get("tags", ())
    )


class ReadConcurrencyCap:
    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.probes = probe_paths()
        # One semaphore per event loop: asyncio's belong to the loop that first waits on them.
        self._turns: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    async def __call__(self, scope, receive, send) -> None:
        if (
            not self.limit
            or scope["type"] != "http"
            or scope["method"] not in READS
            or scope["path"] in self.probes
        ):
            return await self.app(scope, receive, send)
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = asyncio.Semaphore(self.limit)
        async with turns:
            await self.app(scope, receive, send)
