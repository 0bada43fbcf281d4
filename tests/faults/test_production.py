"""Faults survived, against PostgreSQL and real `apiserver serve` processes.

Two nodes sharing one database and one Redis; the database going away and coming back; 50
concurrent writers; a worker killed mid-request; SIGTERM with a request in flight.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import scratch_postgresql_database
from tests.helpers import away_from_a_minute_boundary
from tests.servers import apiserver, running_server, server_env

pytestmark = [
    pytest.mark.needs("postgresql"),
    pytest.mark.needs("redis", tests=["test_two_nodes_share_tokens_revocations_and_rate_limits"]),
]
REDIS_URL = "redis://127.0.0.1:6379/14"


def call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    form: dict | None = None,
    body=None,
    headers=None,
):
    data, all_headers = None, dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    return (
        status,
        (json.loads(payload) if payload.startswith((b"{", b"[")) else payload),
        time.monotonic() - started,
    )


def sign_in(base: str, username="root", password="q") -> dict:
    status, body, _ = call(
        "POST", f"{base}/auth/oauth2/token",
        form={"grant_type": "password", "client_id": "documentation", "username": username, "password": password},
    )  # fmt: skip
    assert status == 200, body
    return body


@pytest.fixture
def database(tmp_path):
    with scratch_postgresql_database() as url:
        env = server_env(url, REDIS_URL=REDIS_URL, RATE_LIMITS="off")
        apiserver("seed", cwd=tmp_path, env=env)
        yield url, env


def test_two_nodes_share_tokens_revocations_and_rate_limits(database, tmp_path):
    from limits.storage import storage_from_string

    storage_from_string(REDIS_URL).reset()
    _, env = database
    env = {**env, "RATE_LIMITS": "on", "RATE_LIMIT_PER_TOKEN": "7/minute"}
    with running_server(tmp_path, env) as node_a, running_server(tmp_path, env) as node_b:
        away_from_a_minute_boundary()
        token = sign_in(node_a)
        assert call("GET", f"{node_b}/api/v1/users/me", token=token["access_token"])[0] == 200

        status, _, _ = call(
            "POST",
            f"{node_b}/auth/oauth2/revoke",
            form={"token": token["refresh_token"], "client_id": "documentation"},
        )
        assert status == 200
        assert call("GET", f"{node_a}/api/v1/users/me", token=token["access_token"])[0] == 401

        # The limit is per caller (user and client): root has made one call already.
        fresh = sign_in(node_b)["access_token"]
        statuses = [
            call("GET", f"{node}/api/v1/users/me", token=fresh)[0] for node in [node_a, node_b] * 3
        ]
        assert statuses == [200] * 6
        assert call("GET", f"{node_a}/api/v1/users/me", token=fresh)[0] == 429
        assert call("GET", f"{node_b}/api/v1/users/me", token=fresh)[0] == 429


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (refusing connections) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.listener: socket.socket | None = None
        self.links: list[socket.socket] = []

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.links += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)
        source.close()
        sink.close()

    def cut(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # stop listening now; close alone would not
        self.listener.close()
        for link in self.links:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
                link.close()
        self.links = []


def test_database_down_is_503_within_a_second_and_recovery_needs_no_restart(database, tmp_path):
    url, env = database
    target = urllib.parse.urlsplit(url.replace("postgresql+psycopg", "postgresql"))
    proxy = Proxy((target.hostname, target.port or 5432))
    proxy.start()
    proxied = url.replace(f"{target.hostname}:{target.port or 5432}", f"127.0.0.1:{proxy.port}")
    with running_server(tmp_path, {**env, "DATABASE_URL": proxied}) as base:
        token = sign_in(base)["access_token"]
        assert call("GET", f"{base}/api/v1/users/me", token=token)[0] == 200

        proxy.cut()
        for path in ("/health/ready", "/api/v1/users/me", "/api/v1/teams/"):
            status, body, seconds = call("GET", f"{base}{path}", token=token)
            assert status == 503, (path, body)
            assert body["status"] == 503 and seconds < 1.0, (path, seconds)
        assert call("GET", f"{base}/health/live")[0] == 200

        proxy.start()  # the database is back, on the same address
        deadline = time.monotonic() + 10
        while call("GET", f"{base}/health/ready")[0] != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert call("GET", f"{base}/api/v1/users/me", token=token)[0] == 200


def test_fifty_concurrent_writers(database, tmp_path):
    _, env = database
    with running_server(tmp_path, env, "--workers", "2") as base:

        def signup(n):
            body = {"username": "same", "email": f"same{n}@example.com", "password": "long enough"}
            return call("POST", f"{base}/api/v1/users/", body=body)[0]

        with ThreadPoolExecutor(50) as pool:
            assert sorted(pool.map(signup, range(50))) == [201] + [409] * 49

        refresh_token = sign_in(base)["refresh_token"]

        def refresh(_):
            form = {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": "documentation",
            }
            return call("POST", f"{base}/auth/oauth2/token", form=form)[0]

        with ThreadPoolExecutor(50) as pool:
            assert sorted(pool.map(refresh, range(50))) == [200] + [400] * 49

        token = sign_in(base)["access_token"]
        team = call("POST", f"{base}/api/v1/teams/", token=token, body={"title": "Contested"})[1]

        def rename(n):
            patch = [{"op": "replace", "path": "/title", "value": f"Writer {n}"}]
            headers = {"If-Match": '"1"', "Content-Type": "application/json-patch+json"}
            status, body, _ = call(
                "PATCH",
                f"{base}/api/v1/teams/{team['id']}",
                token=token,
                body=patch,
                headers=headers,
            )
            return status, body

        with ThreadPoolExecutor(50) as pool:
            results = list(pool.map(rename, range(50)))
        winners = [body for status, body in results if status == 200]
        assert sorted(status for status, _ in results) == [200] + [412] * 49
        final = call("GET", f"{base}/api/v1/teams/{team['id']}", token=token)[1]
        assert final["title"] == winners[0]["title"]


def test_a_killed_worker_loses_no_data_and_the_others_keep_serving(database, tmp_path):
    url, env = database
    with running_server(tmp_path, env, "--workers", "2") as base:
        token = sign_in(base)["access_token"]
        master = int(
            subprocess.run(
                [
                    "pgrep",
                    "-f",
                    f"gunicorn .*--bind 127.0.0.1:{base.rsplit(':', 1)[1]}",
                ],  # the master
                capture_output=True,
                text=True,
            ).stdout.split()[0]
        )
        workers = subprocess.run(
            ["pgrep", "-P", str(master)], capture_output=True, text=True
        ).stdout.split()
        assert len(workers) == 2

        def create(n):
            try:
                return call(
                    "POST", f"{base}/api/v1/teams/", token=token, body={"title": f"Team {n}"}
                )[0]
            except (OSError, http.client.HTTPException):
                return 0  # this one was in the worker that died (reset, or cut mid-answer)

        with ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(create, n) for n in range(60)]
            time.sleep(0.2)
            os.kill(int(workers[0]), signal.SIGKILL)
            statuses = [future.result() for future in futures]

        assert statuses.count(201) >= 30
        assert [call("GET", f"{base}/health/ready")[0] for _ in range(10)] == [200] * 10
    engine = create_engine(url)
    with engine.connect() as connection:
        orphans = connection.execute(
            text(
                "SELECT count(*) FROM teams t WHERE (SELECT count(*) FROM team_members m "
                "WHERE m.team_id = t.id AND m.is_leader) != 1"
            )
        ).scalar()
    engine.dispose()
    assert orphans == 0  # every team was written whole, with its leader, or not at all


def test_sigterm_lets_the_request_in_flight_finish(database, tmp_path):
    _, env = database
    slow = {**env, "BCRYPT_ROUNDS": "15"}  # about two seconds per password hash
    with running_server(tmp_path, slow) as base:
        server_pid = int(
            subprocess.run(
                ["pgrep", "-f", f"serve --port {base.rsplit(':', 1)[1]}"],
                capture_output=True,
                text=True,
            ).stdout.split()[0]
        )
        with ThreadPoolExecutor(1) as pool:
            body = {
                "username": "patient",
                "email": "patient@example.com",
                "password": "long enough",
            }
            pending = pool.submit(call, "POST", f"{base}/api/v1/users/", body=body)
            time.sleep(0.5)
            os.kill(server_pid, signal.SIGTERM)
            status, created, _ = pending.result()
        assert status == 201 and created["username"] == "patient"
