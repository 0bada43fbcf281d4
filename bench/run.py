"""The benchmark: seed a database, serve it with 2 workers, load it with wrk, print a table.

    python bench/run.py [--scale 10000] [--database-url URL] [--duration 15] [--connections 32]

Workloads (issue 7): W1 GET /api/v1/users/me with tokens spread over the seeded ones; W2 GET
/api/v1/teams/?limit=20&offset=... as an admin, offsets spread; W3 PATCH /api/v1/teams/{id}
(replace /title), ids spread; W4 POST /auth/oauth2/token (password grant). The server runs with
RATE_LIMITS=off. Results: a table on stdout and bench/results.json. Not run by CI.

Still to come (see bench/README.md): the hand-written Flask and FastAPI comparison apps
(--compare), peak RSS per worker, and the memory-growth run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

BENCH_SECRET = "benchmark-secret-key-that-is-long-enough-1234567890"


def seed(database_url: str, scale: int) -> dict:
    """Users, teams (each with its creator as leader) and live tokens, written in bulk."""
    import datetime as dt
    import secrets

    from sqlalchemy import insert

    import migrations
    from config import Settings
    from models import OAuth2Token, Team, TeamMember, User
    from storage import db
    from storage import seed as demo
    from storage.passwords import hash_password
    from storage.secrets import token_digest

    migrations.upgrade(database_url)
    settings = Settings(
        environment="development",
        database_url=database_url,
        secret_key=BENCH_SECRET,
        bcrypt_rounds=12,  # the demo accounts (root signs in for W4) get the production cost
    )
    db.configure(settings)
    demo.seed_demo_data()
    now = dt.datetime.now(dt.UTC)
    password = hash_password("benchmark", 4)
    tokens = []
    with db.transaction() as session:
        first = session.query(User).count() + 1
        session.execute(insert(User), [
            {"username": f"bench{n}", "email": f"bench{n}@example.com", "password_hash": password,
             "created": now, "updated": now} for n in range(scale)
        ])  # fmt: skip
        ids = [row[0] for row in session.query(User.id).filter(User.username.like("bench%")).all()]
        session.execute(
            insert(Team),
            [{"title": f"Team {n}", "created": now, "updated": now} for n in range(scale)],
        )
        team_ids = [row[0] for row in session.query(Team.id).order_by(Team.id).all()]
        session.execute(insert(TeamMember), [
            {"team_id": team_id, "user_id": user_id, "is_leader": True} for team_id, user_id in zip(team_ids, ids, strict=False)
        ])  # fmt: skip
        rows = []
        for user_id in ids:
            token = secrets.token_urlsafe(32)
            tokens.append(token)
            rows.append({
                "access_token_hash": token_digest(token), "client_id": "documentation", "user_id": user_id,
                "scope": "users:read teams:read teams:write", "issued_at": now,
                "access_expires_at": now + dt.timedelta(days=1), "family_id": secrets.token_hex(16),
            })  # fmt: skip
        session.execute(insert(OAuth2Token), rows)
        admin = session.query(User.id).filter(User.username == "root").scalar()
        admin_token = secrets.token_urlsafe(32)
        session.execute(insert(OAuth2Token), [{
            "access_token_hash": token_digest(admin_token), "client_id": "documentation", "user_id": admin,
            "scope": "users:read teams:read teams:write", "issued_at": now,
            "access_expires_at": now + dt.timedelta(days=1), "family_id": secrets.token_hex(16),
        }])  # fmt: skip
    db.engine().dispose()
    return {"tokens": tokens, "admin_token": admin_token, "team_ids": team_ids, "first_user": first}


LUA = {
    "W1": """
tokens = {TOKENS}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/users/me", {["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]})
end
""",
    "W2": """
counter = 0
request = function()
  counter = counter + 1
  local offset = (counter * 7919) % {SCALE}
  return wrk.format("GET", "/api/v1/teams/?limit=20&offset=" .. offset, {["Authorization"] = "Bearer {ADMIN}"})
end
""",
    "W3": """
ids = {IDS}
counter = 0
request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = '[{"op": "replace", "path": "/title", "value": "Title ' .. counter .. '"}]'
  return wrk.format("PATCH", "/api/v1/teams/" .. id,
    {["Authorization"] = "Bearer {ADMIN}", ["Content-Type"] = "application/json-patch+json"}, body)
end
""",
    "W4": """
request = function()
  return wrk.format("POST", "/auth/oauth2/token", {["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=password&client_id=documentation&username=root&password=q")
end
""",
}
LUA_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
"""


def lua_list(values) -> str:
    return (
        "{"
        + ",".join(f'"{value}"' if isinstance(value, str) else str(value) for value in values)
        + "}"
    )


def run_wrk(base: str, script: str, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + LUA_REPORT)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", handle.name, base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    requests, seconds, p50, p99, errors = re.search(
        r"RESULT (\S+) (\S+) (\S+) (\S+) (\S+)", out
    ).groups()
    return {
        "requests_per_s": round(int(requests) / float(seconds), 1),
        "p50_ms": float(p50),
        "p99_ms": float(p99),
        "non_2xx": int(errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/run.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2

    from tests.servers import running_server, server_env

    workdir = Path(tempfile.mkdtemp(prefix="apiserver-bench-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    print(f"seeding {args.scale} users, teams and tokens into {database_url} ...", file=sys.stderr)
    data = seed(database_url, args.scale)
    env = server_env(database_url, RATE_LIMITS="off", SECRET_KEY=BENCH_SECRET, LOG_LEVEL="WARNING")
    env["BCRYPT_ROUNDS"] = "12"
    results = {}
    with running_server(workdir, env, "--workers", "2") as base:
        scripts = {
            "W1": LUA["W1"].replace("{TOKENS}", lua_list(data["tokens"][:2000])),
            "W2": LUA["W2"]
            .replace("{SCALE}", str(args.scale))
            .replace("{ADMIN}", data["admin_token"]),
            "W3": LUA["W3"]
            .replace("{IDS}", lua_list(data["team_ids"][:2000]))
            .replace("{ADMIN}", data["admin_token"]),
            "W4": LUA["W4"],
        }
        for name in args.workloads.split(","):
            time.sleep(1)
            results[name] = run_wrk(base, scripts[name], args.duration, args.connections)
            print(f"{name}: {results[name]}", file=sys.stderr)
    print(f"{'workload':10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, result in results.items():
        print(
            f"{name:10}{result['requests_per_s']:>10}{result['p50_ms']:>10}{result['p99_ms']:>10}{result['non_2xx']:>10}"
        )
    output = PROJECT / "bench" / "results.json"
    output.write_text(
        json.dumps(
            {"scale": args.scale, "database": database_url.split(":")[0], **results}, indent=2
        )
    )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
