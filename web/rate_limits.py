"""Abuse protection: rate limits (the limits library) and the request body size limit.

Counters live in memory by default and in Redis when REDIS_URL is set, so that every node and
worker shares them. RATE_LIMITS=off turns every rate limit off (local load tests, benchmarks).
If Redis cannot be reached, requests are let through and a warning is logged: an outage of the
limiter must not become an outage of the API. Responses to counted requests carry the IETF
RateLimit-Policy and RateLimit headers (RateLimitHeaders).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import hashlib
import logging
import math
import pathlib
import time
import typing as t
import weakref

import hiredis
import redis
import redis.asyncio
from limits import RateLimitItem, WindowStats, parse
from limits.storage import RedisStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from config import RATE_FIELDS, Settings
from storage import db

log = logging.getLogger("apiserver.limits")


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(what)
        self.what = what
        self.retry_after = retry_after


class PayloadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


class _State:
    enabled = False
    limiter: SlidingWindowCounterRateLimiter | None = None
    redis_url = ""
    # With Redis, counting is SLIDING_WINDOW_HIT, run by a synchronous client in threads and by
    # an asyncio client on each event loop (an asyncio Redis connection belongs to the loop that
    # opened it). The loop counters that a new configuration replaced are kept until their loop
    # ends: each loop closes its own connections (close_loop_connections).
    hit_script: redis.commands.core.Script | None = None
    loop_counters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    replaced_counters: list[tuple[asyncio.AbstractEventLoop, _LoopCounter]] = []
    rates: dict = {}
    max_body_bytes = 1024 * 1024


_state = _State()


def configure(settings: Settings) -> None:
    _state.enabled = settings.rate_limits
    _state.max_body_bytes = settings.max_body_bytes
    _state.rates = {
        field.removeprefix("rate_limit_"): parse(getattr(settings, field)) for field in RATE_FIELDS
    }
    _state.redis_url = settings.redis_url
    _state.replaced_counters += list(_state.loop_counters.items())
    _state.loop_counters = weakref.WeakKeyDictionary()
    _state.hit_script = None
    if settings.redis_url:
        storage = storage_from_string(settings.redis_url, **REDIS_TIMEOUTS)
        # On the limiter's own client (its ``storage``): one connection pool per process.
        _state.hit_script = storage.storage.register_script(SLIDING_WINDOW_HIT)
    else:
        storage = storage_from_string("memory://")
    _state.limiter = SlidingWindowCounterRateLimiter(storage)


# A Redis that does not answer must cost a request one second at most (then fail open).
REDIS_TIMEOUTS = {"socket_timeout": 1, "socket_connect_timeout": 1}

SLIDING_WINDOW_HIT = (pathlib.Path(__file__).parent / "sliding_window_hit.lua").read_text()
SLIDING_WINDOW_HIT_SHA = hashlib.sha1(SLIDING_WINDOW_HIT.encode()).hexdigest()  # EVALSHA's name


class _LoopCounter:
    """SLIDING_WINDOW_HIT for one event loop, on Redis connections of its own.

    A count takes an idle connection (or opens one), sends ``EVALSHA`` (packed by hiredis, in
    C), reads the reply and puts the connection back. redis-py's own layers around that
    exchange cost more than the exchange: on the loop, 16 counts at a time, its ``Script`` took
    64-73 µs of CPU per count, its connection pool's checkout and return alone 23 of the 48 left
    without ``Script``; this list of idle connections, 25 µs in all (bench/README.md). So the
    pool only makes the connections, with every connection option of ``redis_url`` (TLS,
    ``health_check_interval``), and its ``max_connections`` caps how many are open.

    - A connection goes back only in step with Redis: redis-py's send and read close it on any
      failure, a cancellation included.
    - Idle connections that Redis closed (a restart) fail on their next use: the idle ones are
      all dropped then, and the count is tried once more, on a new connection. (Had Redis run
      the script before the connection failed, the count is counted twice: a restart that
      keeps its counters and loses a reply, rare and on the safe side.)
    - A Redis that lost its scripts (restarted, flushed) gets SLIDING_WINDOW_HIT again, once.
    - No socket_timeout: redis-py's asyncio client wraps every send under one in a task of its
      own (asyncio.wait_for). ``_within_the_deadline`` bounds the whole count, with one timer.
    """

    def __init__(self, redis_url: str) -> None:
        self.factory = redis.asyncio.ConnectionPool.from_url(
            redis_url, socket_connect_timeout=REDIS_TIMEOUTS["socket_connect_timeout"]
        )
        self.idle: list[redis.asyncio.Connection] = []
        self.opened: set[redis.asyncio.Connection] = set()

    async def __call__(self, keys: list[str], args: list) -> list:
        count = ("EVALSHA", SLIDING_WINDOW_HIT_SHA, len(keys), *keys, *args)
        reconnected = reloaded = False
        while True:
            try:
                return await self._exchange(count)
            except redis.exceptions.NoScriptError:
                if reloaded:
                    raise
                reloaded = True
                await self._exchange(("SCRIPT", "LOAD", SLIDING_WINDOW_HIT))
            except redis.exceptions.ConnectionError:
                if reconnected:
                    raise
                reconnected = True
                await self._drop_idle()

    async def _exchange(self, command: tuple) -> t.Any:
        connection = self._take()
        try:
            # check_health: a PING first when redis_url's health_check_interval is due.
            await connection.send_packed_command(hiredis.pack_command(command), True)
            return await connection.read_response()
        finally:
            if connection.is_connected and connection in self.opened:
                self.idle.append(connection)
            else:  # broken, or disconnect() closed the others meanwhile
                self.opened.discard(connection)
                await connection.disconnect(nowait=True)

    def _take(self) -> redis.asyncio.Connection:
        if self.idle:
            return self.idle.pop()
        if len(self.opened) >= self.factory.max_connections:
            raise redis.exceptions.ConnectionError("Too many connections")  # as redis-py says
        connection = self.factory.make_connection()
        self.opened.add(connection)
        return connection

    async def _drop_idle(self) -> None:
        idle, self.idle = self.idle, []
        await self._close(idle)

    async def disconnect(self) -> None:
        """Close every connection, idle or busy (a busy one fails its exchange)."""
        self.idle = []
        await self._close(list(self.opened))

    async def _close(self, connections: list) -> None:
        for connection in connections:
            self.opened.discard(connection)
            await connection.disconnect(nowait=True)


def _loop_counter() -> _LoopCounter:
    """The running loop's counter (an asyncio Redis connection belongs to the loop that
    opened it)."""
    loop = asyncio.get_running_loop()
    if loop not in _state.loop_counters:
        _state.loop_counters[loop] = _LoopCounter(_state.redis_url)
    return _state.loop_counters[loop]


async def close_loop_connections() -> None:
    """Close the running loop's Redis connections (at the end of the app's lifespan)."""
    loop = asyncio.get_running_loop()
    counters = [counter for owner, counter in _state.replaced_counters if owner is loop]
    _state.replaced_counters = [
        (owner, counter) for owner, counter in _state.replaced_counters if owner is not loop
    ]
    if loop in _state.loop_counters:
        counters.append(_state.loop_counters.pop(loop))
    for counter in counters:
        await counter.disconnect()


def _counted(item: RateLimitItem, kind: str, key: str) -> tuple[bool, WindowStats]:
    """Count one event; whether it was allowed, and the window after it.

    With Redis, one round trip (SLIDING_WINDOW_HIT). Handlers that run on the event loop
    (web.resolver) wait for it there, suspended like their queries; in threads, the synchronous
    client waits. The in-memory store is one synchronous limiter for both: it never waits, and
    one store keeps one count.
    """
    if not _state.redis_url:
        allowed = _state.limiter.hit(item, kind, key)
        return allowed, _state.limiter.get_window_stats(item, kind, key)
    keys, args = _window_keys(item, kind, key), [item.amount, item.get_expiry(), 1]
    if db.on_the_event_loop():
        result = db.wait_for(_within_the_deadline(_loop_counter()(keys, args)))
    else:
        result = _state.hit_script(keys=keys, args=args)
    allowed, previous, previous_ttl, current, current_ttl = (int(value) for value in result)
    return bool(allowed), _window_stats(item, previous, previous_ttl, current, current_ttl)


async def _within_the_deadline(awaitable):
    """The loop's Redis call, given up after REDIS_TIMEOUTS' socket_timeout (the cancelled
    command's connection is closed by redis-py, never reused half-read)."""
    async with asyncio.timeout(REDIS_TIMEOUTS["socket_timeout"]):
        return await awaitable


def _window_keys(item: RateLimitItem, kind: str, key: str) -> list[str]:
    """The previous and current windows' keys, as limits' Redis storage names them (its
    sliding window counter's documented layout: ``{key}`` and ``{key}/-1``, under LIMITS:)."""
    current = f"{RedisStorage.PREFIX}:{{{item.key_for(kind, key)}}}"
    return [f"{current}/-1", current]


def _window_stats(
    item: RateLimitItem, previous: int, previous_ttl: int, current: int, current_ttl: int
) -> WindowStats:
    """What limits' get_window_stats makes of the same window (counts, TTLs in ms): the quota
    left after the weighted count, and when the next unit of it comes back."""
    window = item.get_expiry()
    previous_left, current_left = previous_ttl / 1000, current_ttl / 1000
    remaining = max(0, item.amount - math.floor(previous * previous_left / window + current))
    now = time.time()
    if not (previous or current):
        return WindowStats(now, remaining)
    previous_reset = previous_left % (window / previous) if previous else math.inf
    current_reset = current_left % window if current else math.inf
    return WindowStats(now + min(previous_reset, current_reset), remaining)


@dataclasses.dataclass(frozen=True)
class Reading:
    """Where one limit stood for the caller once this request was counted."""

    kind: str  # the policy's name: per_token, token_ip, signup_ip, login_failures
    quota: int
    window: int  # seconds
    remaining: int
    reset: int  # seconds until quota comes back (at least 1 when none remains)


# The readings of the current request, by kind. RateLimitHeaders creates the dict on the event
# loop; hit() and check() fill it in the handler, on the loop or in a worker thread (Starlette's
# run_in_threadpool runs the handler in a copy of the context: the same dict).
_readings: contextvars.ContextVar[dict[str, Reading] | None] = contextvars.ContextVar(
    "rate_limit_readings", default=None
)


def _record(kind: str, stats, allowed: bool) -> Reading:
    item = _state.rates[kind]
    window = item.get_expiry()
    # Refused means none left, even if the window moved on between the two reads of hit().
    remaining = stats.remaining if allowed else 0
    reset = math.ceil(stats.reset_time - time.time())
    if reset <= 0 and remaining < item.amount:
        # Something was counted, so the quota is not back yet: limits takes the reset as the
        # key's TTL modulo the window, which is 0 in the millisecond after Redis creates the key
        # (TTL exactly two windows). That moment is a whole window away from the reset.
        reset = window
    reading = Reading(kind, item.amount, window, remaining, max(0 if remaining else 1, reset))
    readings = _readings.get()
    if readings is not None:
        readings[kind] = reading
    return reading


# Storage round trips (with Redis each is one network round trip running one Lua script; in
# memory none):
# - hit(): one, allowed or refused: SLIDING_WINDOW_HIT counts and reads the window (the headers,
#   Retry-After). limits 5.8 takes two for that: its hit() answers only allowed or not.
# - check(): one. get_window_stats() alone decides, as limiter.test() would (test's "weighted
#   count < quota" is "remaining >= 1"), so the verdict and the numbers come in one trip.


def hit(kind: str, key: str) -> None:
    """Count one event of ``kind`` for ``key``; raise RateLimited past the configured rate."""
    if not _state.enabled:
        return
    item = _state.rates[kind]
    try:
        allowed, stats = _counted(item, kind, key)
    except Exception:  # the limiter's store (Redis) is down: fail open, loudly
        log.warning("rate limiter unavailable; letting the request through", exc_info=True)
        return
    reading = _record(kind, stats, allowed)
    if not allowed:
        raise RateLimited(kind, reading.reset)


def check(kind: str, key: str) -> None:
    """Raise RateLimited if ``key`` has used up ``kind`` already, without counting."""
    if not _state.enabled:
        return
    try:
        stats = _state.limiter.get_window_stats(_state.rates[kind], kind, key)
    except Exception:
        log.warning("rate limiter unavailable; letting the request through", exc_info=True)
        return
    reading = _record(kind, stats, stats.remaining > 0)
    if not reading.remaining:
        raise RateLimited(kind, reading.reset)


def rate_limit_headers(readings: dict[str, Reading]) -> list[tuple[bytes, bytes]]:
    """``RateLimit-Policy`` and ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers, structured
    fields) for the limit with the least remaining quota, the one the caller will meet first;
    both headers name that one policy. Ties: the one that resets last."""
    least = min(readings.values(), key=lambda reading: (reading.remaining, -reading.reset))
    name = f'"{least.kind}"'
    return [
        (b"ratelimit-policy", f"{name};q={least.quota};w={least.window}".encode()),
        (b"ratelimit", f"{name};r={least.remaining};t={least.reset}".encode()),
    ]


class RateLimitHeaders:
    """Add the RateLimit headers to every response of a request that a rate limit counted, 2xx
    and 4xx alike (429 included). Outside Connexion's exception middleware, so that it sees the
    responses made from errors too. Nothing when rate limits are off or their store is down."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not _state.enabled:
            return await self.app(scope, receive, send)
        readings: dict[str, Reading] = {}
        token = _readings.set(readings)

        async def send_with_headers(message):
            if message["type"] == "http.response.start" and readings:
                message["headers"] = [*message.get("headers", []), *rate_limit_headers(readings)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            _readings.reset(token)


class BodySizeLimit:
    """Refuse request bodies over MAX_BODY_BYTES with 413, by Content-Length or as they stream.

    A chunked body (Transfer-Encoding: chunked, no Content-Length) is read here in full first:
    Connexion 3.3 takes a request without Content-Length for one without a body (400 "RequestBody
    is required", spec-first/connexion#2020), so the app is handed the body with its true
    Content-Length. Never more than MAX_BODY_BYTES is buffered.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = _state.max_body_bytes
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length")
        if length is not None:
            if length.isdigit() and int(length) > limit:
                raise PayloadTooLarge(limit)
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            return await self._read_chunked_body(scope, receive, send, limit)
        seen = 0

        async def counting_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)

    async def _read_chunked_body(self, scope, receive, send, limit: int) -> None:
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # http.disconnect: the client is gone, nobody is left to answer
            chunk = message.get("body", b"")
            if len(body) + len(chunk) > limit:
                raise PayloadTooLarge(limit)
            body += chunk
            if not message.get("more_body", False):
                break
        headers = [
            (name, value) for name, value in scope["headers"] if name != b"transfer-encoding"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        replayed = False

        async def replaying_receive():
            nonlocal replayed
            if replayed:
                return await receive()  # http.disconnect, when the client goes away
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app({**scope, "headers": headers}, replaying_receive, send)
