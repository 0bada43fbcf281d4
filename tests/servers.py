"""A real ``apiserver serve`` process for end-to-end tests, on a free port of this machine."""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
APISERVER = [sys.executable, "-c", "import cli, sys; sys.exit(cli.main())"]


# Each pytest-xdist worker takes ports from its own block, below Linux's ephemeral range
# (32768-60999), so that two workers never pick the same port between checking that it is free
# and the server binding it. A random start within the block keeps two runs apart too.
PORT_BLOCK = 1000
WORKER_INDEX = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_ports = iter(
    random.sample(range(PORT_BLOCK), PORT_BLOCK)
    if WORKER_INDEX < 12
    else []  # more workers than blocks: let the kernel choose
)


def free_port() -> int:
    """A port nobody listens on, from this worker's block."""
    for offset in _ports:
        port = 20000 + WORKER_INDEX * PORT_BLOCK + offset
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def server_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(ENVIRONMENT="development", BCRYPT_ROUNDS="4", PYTHONPATH=str(PROJECT), **extra)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def apiserver(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*APISERVER, *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )


@contextlib.contextmanager
def serving(
    command: list[str], cwd: Path, env: dict[str, str], name: str = "server", port: int = 0
) -> Iterator[tuple[str, int]]:
    """Run a server ``command`` in ``cwd`` (``{port}`` in it becomes ``port``, by default a free
    one) until ``/health/ready`` answers; yield its base URL and process id; stop it afterwards.
    Its output goes to ``cwd/NAME-PORT.log``."""
    port = port or free_port()
    log = (cwd / f"{name}-{port}.log").open("w")
    process = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in command],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health/ready")
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextlib.contextmanager
def running_server(cwd: Path, env: dict[str, str], *args: str, port: int = 0) -> Iterator[str]:
    """``apiserver serve`` in ``cwd``; yields its base URL; stops it afterwards."""
    command = [*APISERVER, "serve", "--port", "{port}", *args]
    with serving(command, cwd, env, port=port) as (base, _pid):
        yield base
