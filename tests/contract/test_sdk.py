"""Generated SDKs against a real running server: only the generated client talks HTTP here."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import time

import pytest

from openapi import sdk
from tests.conftest import database_backends, scratch_database
from tests.servers import apiserver, running_server, server_env

pytestmark = [
    pytest.mark.sdk,
    # openapi-generator runs on Java; tsc comes from npm.
    pytest.mark.needs("java", "npm", tests=["test_the_typescript_sdk_compiles"]),
]


@pytest.fixture(params=database_backends())
def live_server(request, tmp_path):
    """``apiserver seed`` then ``apiserver serve`` on a fresh database of each backend."""
    with scratch_database(request.param, tmp_path) as url:
        env = server_env(url)
        apiserver("seed", cwd=tmp_path, env=env)
        with running_server(tmp_path, env) as base:
            yield base


@pytest.fixture
def python_sdk(tmp_path):
    output = sdk.generate_python(tmp_path / "python-sdk")
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module(sdk.PYTHON_PACKAGE)
    finally:
        sys.path.remove(str(output))
        for name in [name for name in sys.modules if name.split(".")[0] == sdk.PYTHON_PACKAGE]:
            del sys.modules[name]


def test_every_generated_python_module_imports(python_sdk):
    import pkgutil

    modules = list(pkgutil.walk_packages(python_sdk.__path__, f"{python_sdk.__name__}."))
    assert len(modules) > 40
    for module in modules:
        importlib.import_module(module.name)
    # Operation functions are named after the contract's operationIds.
    for name in ("list_teams", "create_team", "patch_team", "issue_token", "get_current_user"):
        assert any(module.name.endswith(f".{name}") for module in modules), name


def test_the_python_sdk_drives_the_whole_flow(python_sdk, live_server):
    client_module = importlib.import_module(f"{python_sdk.__name__}.client")
    api = importlib.import_module(f"{python_sdk.__name__}.api")
    models = importlib.import_module(f"{python_sdk.__name__}.models")
    for group in ("oauth2", "users", "teams"):
        importlib.import_module(f"{api.__name__}.{group}")
    from importlib import import_module

    def operation(group: str, name: str):
        return import_module(f"{api.__name__}.{group}.{name}")

    # Sign in with the password grant through the SDK's own token operation.
    with client_module.Client(base_url=live_server) as anonymous:
        token = operation("oauth2", "issue_token").sync(
            client=anonymous,
            body=models.TokenRequest(
                grant_type="password", client_id="documentation", username="root", password="q"
            ),
        )
    assert isinstance(token, models.TokenResponse), token
    with client_module.AuthenticatedClient(
        base_url=live_server, token=token.access_token
    ) as client:
        run_the_flow(operation, models, client)


def run_the_flow(operation, models, client) -> None:

    me = operation("users", "get_current_user").sync(client=client)
    assert me.username == "root" and me.is_admin

    team = operation("teams", "create_team").sync(
        client=client, body=models.TeamCreate(title="SDK team")
    )
    assert isinstance(team, models.Team) and team.title == "SDK team"

    users = operation("users", "list_users").sync(client=client, limit=100)
    regular = next(user for user in users if user.username == "user")
    member = operation("teams", "add_team_member").sync(
        team_id=team.id, client=client, body=models.TeamMemberCreate(user_id=regular.id)
    )
    assert member.user.username == "user" and member.is_leader is False

    # The contract's TeamPatch gives the SDK a typed operation: its ops and paths are enums.
    replace = models.TeamPatchOperationType0(
        op=models.TeamPatchOperationType0Op("replace"),
        path=models.TeamPatchOperationType0Path("/title"),
        value="Renamed by the SDK",
    )
    patched = operation("teams", "patch_team").sync(team_id=team.id, client=client, body=[replace])
    assert patched.title == "Renamed by the SDK"

    for title in ("Second", "Third"):
        operation("teams", "create_team").sync(client=client, body=models.TeamCreate(title=title))
    page = operation("teams", "list_teams").sync_detailed(client=client, offset=1, limit=1)
    assert page.status_code == 200
    assert [item.title for item in page.parsed] == ["Second"]
    assert page.headers["X-Total-Count"] == "3"
    assert 'rel="next"' in page.headers["Link"]

    deleted = operation("teams", "delete_team").sync_detailed(team_id=team.id, client=client)
    assert deleted.status_code == 204
    gone = operation("teams", "get_team").sync_detailed(team_id=team.id, client=client)
    assert gone.status_code == 404


def install_typescript(tools) -> None:
    """``npm install typescript@5`` into ``tools``; a registry hiccup gets two more tries."""
    for attempt in range(3):
        installed = subprocess.run(
            ["npm", "install", "--prefix", str(tools), "--no-audit", "--no-fund", "typescript@5"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if installed.returncode == 0:
            return
        time.sleep(2 + 5 * attempt)
    raise AssertionError(f"npm install typescript@5 failed:\n{installed.stdout}{installed.stderr}")


@pytest.mark.skipif(shutil.which("npm") is None, reason="Node.js is not installed")
def test_the_typescript_sdk_compiles(tmp_path):
    output = sdk.generate_typescript(tmp_path / "typescript-sdk")
    assert (output / "src" / "apis" / "TeamsApi.ts").exists()
    tools = tmp_path / "tools"
    install_typescript(tools)
    compiled = subprocess.run(
        [
            str(tools / "node_modules" / ".bin" / "tsc"),
            "-p",
            str(output / "tsconfig.json"),
            "--noEmit",
            "--lib",
            "es2017,dom",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
