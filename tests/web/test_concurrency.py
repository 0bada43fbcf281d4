"""A worker's reads take turns (web.concurrency): at most MAX_CONCURRENT_READS in its stack at
once, served first come first served; writes and the probes are not counted."""

from __future__ import annotations

import asyncio

import pytest

from web.concurrency import ReadConcurrencyCap


def in_flight_at_most(
    limit: int, requests: list[tuple[str, str]], loops: int = 1
) -> tuple[int, list[int]]:
    """Send ``requests`` (method, path) at once through one cap, on each of ``loops`` event
    loops in turn; the most that were inside at the same time, and the order in which they
    finished (by their index)."""
    inside, most, finished = 0, 0, []

    async def app(scope, receive, send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        finished.append(scope["index"])

    cap = ReadConcurrencyCap(app, limit)

    async def all_at_once() -> None:
        await asyncio.gather(
            *(
                cap({"type": "http", "method": method, "path": path, "index": index}, None, None)
                for index, (method, path) in enumerate(requests)
            )
        )

    for _ in range(loops):
        asyncio.run(all_at_once())
    return most, finished


def test_reads_take_turns_first_come_first_served():
    reads = [("GET", f"/api/v1/teams/{n}") for n in range(10)] + [("HEAD", "/api/v1/users/me")] * 2
    most, finished = in_flight_at_most(3, reads)
    assert most == 3
    assert finished == list(range(12))


@pytest.mark.parametrize(
    "requests",
    [
        [("POST", "/auth/oauth2/token")] * 6 + [("PATCH", "/api/v1/teams/1")] * 6,
        [("GET", "/health/ready")] * 6 + [("GET", "/health/live"), ("GET", "/metrics")] * 3,
    ],
    ids=["writes", "probes"],
)
def test_writes_and_probes_are_not_counted(requests):
    assert in_flight_at_most(3, requests)[0] == 12


def test_zero_means_no_cap():
    assert in_flight_at_most(0, [("GET", "/api/v1/teams/")] * 12)[0] == 12


def test_each_event_loop_has_its_own_turns():
    # asyncio's semaphores belong to one loop; a test client runs one per request.
    most, finished = in_flight_at_most(2, [("GET", "/a")] * 4, loops=3)
    assert most == 2
    assert finished == list(range(4)) * 3
