"""The Prometheus metrics the server keeps: requests by operation and status, latency, token
grants by type, database connections in use (``GET /metrics`` exposes them).

With several worker processes (``apiserver serve --workers N``) prometheus-client runs in
multiprocess mode: each worker writes its samples to PROMETHEUS_MULTIPROC_DIR and a scrape
adds them up, whichever worker answers it.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "apiserver_requests_total", "HTTP requests answered.", ["operation_id", "method", "status"]
)
LATENCY = Histogram(
    "apiserver_request_duration_seconds",
    "Time to answer a request.",
    ["operation_id"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
TOKEN_GRANTS = Counter(
    "apiserver_token_grants_total", "Token endpoint answers.", ["grant_type", "outcome"]
)
DB_CONNECTIONS_IN_USE = Gauge(
    "apiserver_db_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)


def observe_request(operation_id: str | None, method: str, status: int, seconds: float) -> None:
    operation = operation_id or "none"
    REQUESTS.labels(operation, method, str(status)).inc()
    LATENCY.labels(operation).observe(seconds)


def observe_grant(grant_type: str | None, status: int) -> None:
    known = (
        grant_type if grant_type in ("password", "client_credentials", "refresh_token") else "other"
    )
    TOKEN_GRANTS.labels(known, "issued" if status == 200 else "refused").inc()


def observe_pool(change: int) -> None:
    DB_CONNECTIONS_IN_USE.inc(change)


def exposition() -> bytes:
    # Not via config.py: prometheus-client takes its mode from os.environ at import; match that.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()
