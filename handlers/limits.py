"""Abuse protection: rate limits (the limits library) and the request body size limit.

Counters live in memory by default and in Redis when REDIS_URL is set, so that every node and
worker shares them. RATE_LIMITS=off turns every rate limit off (local load tests, benchmarks).
If Redis cannot be reached, requests are let through and a warning is logged: an outage of the
limiter must not become an outage of the API.
"""

from __future__ import annotations

import logging
import math
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from config import RATE_FIELDS, Settings

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
    rates: dict = {}
    max_body_bytes = 1024 * 1024


_state = _State()


def configure(settings: Settings) -> None:
    _state.enabled = settings.rate_limits
    _state.max_body_bytes = settings.max_body_bytes
    _state.rates = {
        field.removeprefix("rate_limit_"): parse(getattr(settings, field)) for field in RATE_FIELDS
    }
    storage = (
        # A Redis that does not answer must cost a request one second at most (then fail open).
        storage_from_string(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
        if settings.redis_url
        else storage_from_string("memory://")
    )
    _state.limiter = SlidingWindowCounterRateLimiter(storage)


def _retry_after(kind: str, key: str) -> int:
    stats = _state.limiter.get_window_stats(_state.rates[kind], kind, key)
    return max(1, math.ceil(stats.reset_time - time.time()))


def hit(kind: str, key: str) -> None:
    """Count one event of ``kind`` for ``key``; raise RateLimited past the configured rate."""
    if not _state.enabled:
        return
    try:
        allowed = _state.limiter.hit(_state.rates[kind], kind, key)
    except Exception:  # the limiter's store (Redis) is down: fail open, loudly
        log.warning("rate limiter unavailable; letting the request through", exc_info=True)
        return
    if not allowed:
        raise RateLimited(kind, _retry_after(kind, key))


def check(kind: str, key: str) -> None:
    """Raise RateLimited if ``key`` has used up ``kind`` already, without counting."""
    if not _state.enabled:
        return
    try:
        allowed = _state.limiter.test(_state.rates[kind], kind, key)
    except Exception:
        log.warning("rate limiter unavailable; letting the request through", exc_info=True)
        return
    if not allowed:
        raise RateLimited(kind, _retry_after(kind, key))


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
