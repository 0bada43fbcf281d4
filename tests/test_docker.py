"""What can be checked of the Docker setup without a Docker engine."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.servers import free_port, server_env, wait_for

# pip builds the project in its folder (build/): one build at a time, with test_packaging.py.
pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("project-build")]

PROJECT = Path(__file__).resolve().parents[1]
DOCKERFILE = (PROJECT / "Dockerfile").read_text()


def settings_names() -> set[str]:
    lines = (PROJECT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z_]+=", line)}


def test_every_path_the_dockerfile_copies_exists():
    sources = []
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY") and "--from=" not in line:
            sources += line.split()[1:-1]
    assert sources
    for source in sources:
        assert (PROJECT / source).exists(), source
    ignored = (PROJECT / ".dockerignore").read_text().split()
    assert not set(sources) & set(ignored)


def test_the_image_is_multi_stage_non_root_and_health_checked():
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) >= 2
    user = re.search(r"^USER (\S+)", DOCKERFILE, re.M).group(1)
    assert user not in ("root", "0")
    assert "HEALTHCHECK" in DOCKERFILE and "/health/ready" in DOCKERFILE
    command = re.search(r"^CMD (.*)$", DOCKERFILE, re.M).group(1)
    assert (
        "apiserver db upgrade" in command
        and "apiserver serve" in command
        and "--workers" in command
    )


def test_compose_runs_app_postgres_and_redis_with_real_settings():
    compose = yaml.safe_load((PROJECT / "docker-compose.yml").read_text())
    assert {"app", "db", "redis"} <= set(compose["services"])
    environment = compose["services"]["app"]["environment"]
    assert set(environment) - {"WORKERS"} <= settings_names()
    assert (
        environment["DATABASE_URL"].startswith("postgresql://")
        and "@db:5432/" in environment["DATABASE_URL"]
    )
    assert environment["REDIS_URL"].startswith("redis://redis:")
    assert "SECRET_KEY" in environment and environment["ENVIRONMENT"] == "production"


def test_the_image_command_works_in_a_fresh_virtualenv(tmp_path):
    """What the image runs, in a virtualenv made like the image's (plain `pip install .`)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(PROJECT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    command = (
        re.search(r'^CMD \["sh", "-c", "(.*)"\]$', DOCKERFILE, re.M).group(1).replace('\\"', '"')
    )
    env = server_env(f"sqlite:///{tmp_path / 'image.db'}", WORKERS="2", SECRET_KEY="s" * 40)
    env["ENVIRONMENT"] = "production"  # as in the image: a real secret is required
    env.pop("PYTHONPATH")
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    port = str(free_port())
    env["PORT"] = port
    env["ISSUER"] = f"http://127.0.0.1:{port}"  # production requires one
    server = subprocess.Popen(
        ["sh", "-c", command],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health/ready", timeout=60)
    finally:
        server.terminate()
        server.wait(timeout=30)
