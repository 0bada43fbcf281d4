"""The ``apiserver`` command, as operators and scripts use it."""

from __future__ import annotations

import json
import urllib.request

import pytest

import cli
import openapi
from tests.servers import running_server, server_env


@pytest.fixture
def sqlite_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return tmp_path


def test_openapi_bundle_prints_what_the_server_serves(capsys):
    assert cli.main(["openapi", "bundle"]) == 0
    assert json.loads(capsys.readouterr().out) == openapi.bundle()


def test_openapi_bundle_as_yaml(capsys):
    import yaml

    assert cli.main(["openapi", "bundle", "--format", "yaml"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == openapi.bundle()


def test_seed_is_idempotent(sqlite_env, capsys):
    assert cli.main(["seed"]) == 0
    first = capsys.readouterr().out
    assert "created user 'root'" in first and "created client 'documentation'" in first

    assert cli.main(["seed"]) == 0
    assert capsys.readouterr().out.strip() == "demo data already present"


def test_db_commands(sqlite_env, capsys):
    assert cli.main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == "(empty database)"
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["db", "check"]) == 0
    assert cli.main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip().endswith(migrations_head())
    assert cli.main(["db", "downgrade", "base"]) == 0


def migrations_head() -> str:
    import migrations

    return migrations.head_revision()


def test_create_user_reads_the_password_from_stdin(sqlite_env, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", _FakeStdin("a long enough password\n"))

    assert cli.main(["create-user", "ops", "ops@example.com", "--admin"]) == 0
    assert json.loads(capsys.readouterr().out)["is_admin"] is True

    monkeypatch.setattr("sys.stdin", _FakeStdin("another password\n"))
    assert cli.main(["create-user", "ops", "ops2@example.com"]) == 2
    assert "already taken" in capsys.readouterr().err


def test_create_client_prints_the_secret_once(sqlite_env, capsys):
    cli.main(["seed"])
    capsys.readouterr()

    assert cli.main(["create-client", "user", "--scopes", "teams:read teams:write"]) == 0
    client = json.loads(capsys.readouterr().out)
    assert client["default_scopes"] == ["teams:read", "teams:write"]
    assert len(client["client_secret"]) >= 43

    assert cli.main(["create-client", "nobody"]) == 2
    assert cli.main(["create-client", "user", "--scopes", "root:everything"]) == 2


def test_create_client_for_the_code_grant_needs_a_redirect_uri(sqlite_env, capsys):
    cli.main(["seed"])
    capsys.readouterr()
    code_grant = [
        "create-client",
        "user",
        "--type",
        "public",
        "--grant-types",
        "authorization_code",
    ]

    assert cli.main(code_grant) == 2
    assert cli.main([*code_grant, "--redirect-uri", "http://app.example/cb"]) == 2  # http
    assert cli.main([*code_grant, "--redirect-uri", "http://127.0.0.1/cb"]) == 0
    client = json.loads(capsys.readouterr().out)
    assert client["grant_types"] == ["authorization_code"]
    assert client["redirect_uris"] == ["http://127.0.0.1/cb"]


def test_serve_refuses_production_without_a_real_secret(sqlite_env, monkeypatch, capsys):
    monkeypatch.setenv("ENVIRONMENT", "production")

    assert cli.main(["serve"]) == 2
    assert "SECRET_KEY" in capsys.readouterr().err


def test_serve_refuses_production_without_an_issuer(sqlite_env, monkeypatch, capsys):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.delenv("ISSUER", raising=False)

    assert cli.main(["serve"]) == 2
    assert "ISSUER" in capsys.readouterr().err


class _FakeStdin:
    def __init__(self, text):
        self._lines = iter(text.splitlines(keepends=True))

    def isatty(self):
        return False

    def readline(self):
        return next(self._lines, "")


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers.get("content-type"), response.read()


def test_serve_runs_from_any_directory_on_the_sqlite_default(tmp_path):
    """``apiserver serve`` migrates a new SQLite file in the working directory and serves."""
    with running_server(tmp_path, server_env()) as base:
        status, _, body = get(f"{base}/health/ready")
        assert (status, json.loads(body)) == (200, {"status": "ok", "checks": {"database": "ok"}})
        status, _, body = get(f"{base}/api/v1/openapi.json")
        assert status == 200 and json.loads(body) == openapi.bundle()
        status, _, body = get(f"{base}/api/v1/ui/")
        assert status == 200 and b"swagger" in body.lower()
        assert (tmp_path / "apiserver.db").exists()
    logs = "".join(path.read_text() for path in tmp_path.glob("server-*.log"))
    assert "Traceback" not in logs, logs


def test_serve_runs_uvicorn_for_one_worker_and_gunicorn_for_more(sqlite_env, monkeypatch):
    import os
    import sys as system

    import uvicorn

    calls = {}
    monkeypatch.setattr(
        uvicorn, "run", lambda target, **options: calls.setdefault("uvicorn", (target, options))
    )
    # exec would replace the test process with gunicorn: record the call instead.
    monkeypatch.setattr(os, "execve", lambda path, argv, env: calls.update(gunicorn=argv, env=env))

    assert cli.main(["serve", "--port", "5055", "--reload"]) == 0
    target, options = calls["uvicorn"]
    assert (target, options["factory"], options["port"], options["reload"]) == (
        "app:create_app",
        True,
        5055,
        True,
    )
    assert "*.yaml" in options["reload_includes"]

    assert cli.main(["serve", "--workers", "3", "--host", "0.0.0.0"]) == 0
    argv = calls["gunicorn"]
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:5000"
    assert "uvicorn_worker.UvicornWorker" in argv and argv[-1] == "app:create_app()"
    assert argv[:3] == [system.executable, "-m", "gunicorn"]
    assert calls["env"]["PROMETHEUS_MULTIPROC_DIR"]
    assert calls["env"]["DATABASE_URL"] == f"sqlite:///{sqlite_env / 'cli.db'}"


def test_several_workers_use_the_relative_sqlite_file_that_was_migrated(tmp_path):
    """gunicorn's workers start in the project directory, not in the caller's."""
    env = server_env("sqlite:///relative.db")
    with running_server(tmp_path, env, "--workers", "2") as base:
        request = urllib.request.Request(
            f"{base}/api/v1/users/",
            data=json.dumps(
                {"username": "worker", "email": "worker@example.com", "password": "long enough"}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 201
    assert (tmp_path / "relative.db").exists()


def test_db_check_fails_when_models_and_migrations_differ(sqlite_env, monkeypatch, capsys):
    from alembic.util.exc import AutogenerateDiffsDetected

    import migrations

    def differ(url):
        raise AutogenerateDiffsDetected("New upgrade operations detected: [add_column]", None, None)

    monkeypatch.setattr(migrations, "check", differ)
    assert cli.main(["db", "check"]) == 1
    assert "differ" in capsys.readouterr().err


def test_create_user_prompts_on_a_terminal(sqlite_env, monkeypatch, capsys):
    import getpass

    class Terminal:
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: "typed at the prompt")
    assert cli.main(["create-user", "typist", "typist@example.com"]) == 0
    assert json.loads(capsys.readouterr().out)["username"] == "typist"


def test_sdk_command(tmp_path, monkeypatch, capsys):
    from openapi import sdk

    monkeypatch.setattr(sdk, "generate_python", lambda output: output)
    assert cli.main(["sdk", "python", str(tmp_path)]) == 0
    assert "python SDK written" in capsys.readouterr().out

    def broken(output):
        raise sdk.SdkError("the generator failed")

    monkeypatch.setattr(sdk, "generate_typescript", broken)
    assert cli.main(["sdk", "typescript", str(tmp_path)]) == 1
    assert "generator failed" in capsys.readouterr().err


def test_metrics_add_up_every_worker(tmp_path):
    """/metrics of `serve --workers 2` counts the requests every worker answered, not only the
    requests of the worker that happens to answer the scrape."""
    import re

    with running_server(
        tmp_path, server_env(f"sqlite:///{tmp_path / 'm.db'}"), "--workers", "2"
    ) as base:
        for _ in range(40):  # a new connection each: gunicorn hands them to both workers
            with urllib.request.urlopen(f"{base}/health/live", timeout=10) as response:
                assert response.status == 200
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            text = response.read().decode()
    counted = re.search(
        r'apiserver_requests_total\{[^}]*operation_id="get_liveness"[^}]*\} (\S+)', text
    )
    assert counted is not None, text
    assert float(counted.group(1)) == 40
