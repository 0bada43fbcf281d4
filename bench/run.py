"""The benchmark: seed a database, serve it with 2 workers, load it with wrk, print a table.

    python bench/run.py [--compare] [--scale 10000] [--database-url URL] [--duration 15]
                        [--connections 32] [--workloads W1,W2,W3,W4] [--soak 60]
                        [--rate-limits off|redis] [--rounds 5]

Workloads: W1 GET /api/v1/users/me with tokens spread over the seeded ones; W2 GET
/api/v1/teams/?limit=20&offset=... as an admin, offsets spread; W3 PATCH /api/v1/teams/{id}
(replace /title), ids spread; W4 POST /auth/oauth2/token (password grant). The server runs with
RATE_LIMITS=off. ``--soak S`` then drives W1 for S seconds and reports how much each worker's
RSS grew between the first and the last quarter of the run. ``--compare`` also serves W1, W2 and
W3 from the same database with ``reference_flask.py`` (gunicorn, sync and gthread workers; the
better of the two counts) and ``peer_fastapi.py`` (uvicorn), each in turns with a product server
of its own (``--rounds``), and prints product/other ratios.
``--rate-limits redis`` then serves W1 and W2 from two more servers, rate limits off and rate
limits on, counted in Redis (quotas no request reaches), taking turns (``--rounds``), and prints
the one against the other. Every run ends
with the targets it can judge, met or not. Results: tables on stdout and bench/results.json.
Not run by CI.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

BENCH_SECRET = "benchmark-secret-key-that-is-long-enough-1234567890"
COMPARED = ("W1", "W2", "W3")  # the workloads the comparison apps answer
# Rate limits on, with quotas that the benchmark never reaches: every request is counted and
# none is refused.
UNREACHED_QUOTAS = {
    "RATE_LIMITS": "on",
    "RATE_LIMIT_PER_TOKEN": "100000000/minute",
    "RATE_LIMIT_TOKEN_IP": "100000000/minute",
    "RATE_LIMIT_LOGIN_FAILURES": "100000000/minute",
    "RATE_LIMIT_SIGNUP_IP": "100000000/minute",
}


def seed(database_url: str, scale: int) -> dict:
    """Users, teams (each with its creator as leader) and live tokens, written in bulk."""
    import datetime as dt
    import secrets

    from sqlalchemy import insert

    import migrations
    from auth.passwords import hash_password
    from auth.secrets import token_digest
    from config import Settings
    from domain import seed as demo
    from models import OAuth2Token, Team, TeamMember, User
    from storage import db

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
-- Every title new: this run's own tag and the thread's number (wrk's threads count alike), so
-- that no patch repeats a title a team already has (a patch that changes nothing writes nothing).
threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  counter = counter + 1
  local id = ids[((counter * 2 + tid) % #ids) + 1]
  local title = "Title {RUN}-" .. tid .. "-" .. counter
  local body = '[{"op": "replace", "path": "/title", "value": "' .. title .. '"}]'
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
# Latency percentiles each wrk run reports beyond its p50 and p99: enough of its distribution
# for drive_in_turns to find the percentiles of several runs' requests taken together.
# wrk's percentile(100) is 0: the 100th is latency.max.
PERCENTILES = (1, 10, 25, 50, 75, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99)
LUA_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
  for _, p in ipairs({PERCENTILES}) do
    io.write(string.format("PERCENTILE %s %.3f\\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("PERCENTILE 100 %.3f\\n", latency.max / 1000))
end
""".replace("{PERCENTILES}", "{" + ", ".join(map(str, PERCENTILES)) + "}")


def lua_list(values) -> str:
    return (
        "{"
        + ",".join(f'"{value}"' if isinstance(value, str) else str(value) for value in values)
        + "}"
    )


def workers_of(pid: int) -> list:
    """The worker processes under a server's main process (not multiprocessing's helpers)."""
    import psutil

    children = psutil.Process(pid).children(recursive=True)
    return [c for c in children if "resource_tracker" not in " ".join(c.cmdline())]


class MemorySampler(threading.Thread):
    """Samples each worker's resident set size every ``interval`` seconds while it runs."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: dict[int, list[float]] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        import psutil

        while not self.stopped.wait(self.interval):
            with contextlib.suppress(psutil.Error):
                for worker in workers_of(self.pid):
                    rss = worker.memory_info().rss / 2**20
                    self.samples.setdefault(worker.pid, []).append(rss)

    def __enter__(self) -> MemorySampler:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.join()

    def peak_mb(self) -> float:
        return round(max((max(s) for s in self.samples.values() if s), default=0.0), 1)

    def growth_percent(self) -> float:
        """The largest growth of one worker: mean RSS of the last quarter over the first."""
        growths = []
        for samples in self.samples.values():
            quarter = len(samples) // 4
            if quarter:
                first = statistics.mean(samples[:quarter])
                last = statistics.mean(samples[-quarter:])
                growths.append((last / first - 1) * 100)
        return round(max(growths, default=0.0), 1)


def run_wrk(base: str, script: str, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script.replace("{RUN}", secrets.token_hex(4)) + LUA_REPORT)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", handle.name, base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(handle.name)
    requests, seconds, p50, p99, errors = re.search(
        r"RESULT (\S+) (\S+) (\S+) (\S+) (\S+)", out
    ).groups()
    return {
        "requests_per_s": round(int(requests) / float(seconds), 1),
        "p50_ms": round(float(p50), 2),
        "p99_ms": round(float(p99), 2),
        "non_2xx": int(errors),
        "requests": int(requests),
        "percentiles": [
            (float(p), float(ms)) for p, ms in re.findall(r"PERCENTILE (\S+) (\S+)", out)
        ],
    }


def merged_percentile(runs: list[dict], p: float) -> float:
    """The ``p``-th latency percentile of several wrk runs' requests taken together, from each
    run's PERCENTILES (its distribution taken as linear between them)."""

    def share_at_most(ms: float) -> float:
        total = 0.0
        for run in runs:
            below = 0.0
            for (p0, v0), (p1, v1) in itertools.pairwise([(0.0, 0.0), *run["percentiles"]]):
                if ms >= v1:
                    below = p1
                elif ms > v0:
                    below = p0 + (p1 - p0) * (ms - v0) / (v1 - v0)
                    break
                else:
                    break
            total += run["requests"] * below
        return total / sum(run["requests"] for run in runs)

    runs = [run for run in runs if run["requests"] and run["percentiles"]]
    if not runs:
        return 0.0
    low, high = 0.0, max(run["percentiles"][-1][1] for run in runs)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if share_at_most(middle) < p else (low, middle)
    return round(high, 2)


def drive(base: str, pid: int, scripts: dict, names: list[str], args) -> dict:
    results = {}
    for name in names:
        time.sleep(1)
        if args.warmup:  # unmeasured: every server opens its connections and fills its caches
            run_wrk(base, scripts[name], args.warmup, args.connections)
        with MemorySampler(pid) as memory:
            results[name] = run_wrk(base, scripts[name], args.duration, args.connections)
        del results[name]["percentiles"]  # what drive_in_turns merges; its own p50, p99 here
        results[name]["peak_rss_mb_per_worker"] = memory.peak_mb()
        print(f"  {name}: {results[name]}", file=sys.stderr)
    return results


def drive_in_turns(servers: dict, scripts: dict, names: list[str], args) -> dict:
    """Each workload on every server in ``servers`` (name: (base URL, pid)) in turns: the
    measured time is cut into ``args.rounds`` rounds, and in each round every server gets its
    slice, in an order reversed every round. This machine's speed drifts by ±20 % within
    seconds, whoever runs; served one after the other, two servers' ratio carries that drift,
    served in turns it weighs on both alike. Per server and workload: req/s over all slices,
    the p50 and p99 of all their requests together (merged_percentile), every error."""
    results: dict = {server: {} for server in servers}
    seconds = max(1, round(args.duration / args.rounds))
    for name in names:
        time.sleep(1)
        for base, _ in servers.values():
            if args.warmup:
                run_wrk(base, scripts[name], args.warmup, args.connections)
        slices: dict = {server: [] for server in servers}
        peaks: dict = {server: 0.0 for server in servers}
        order = list(servers.items())
        for _ in range(args.rounds):
            order.reverse()  # whoever goes first in one round goes last in the next
            for server, (base, pid) in order:
                with MemorySampler(pid) as memory:
                    slices[server].append(run_wrk(base, scripts[name], seconds, args.connections))
                peaks[server] = max(peaks[server], memory.peak_mb())
        for server, parts in slices.items():
            results[server][name] = {
                "requests_per_s": round(statistics.mean(p["requests_per_s"] for p in parts), 1),
                "p50_ms": merged_percentile(parts, 50),
                "p99_ms": merged_percentile(parts, 99),
                "non_2xx": sum(p["non_2xx"] for p in parts),
                "peak_rss_mb_per_worker": peaks[server],
                "rounds": [p["requests_per_s"] for p in parts],
                "rounds_p99_ms": [p["p99_ms"] for p in parts],
            }
            print(f"  {server} {name}: {results[server][name]}", file=sys.stderr)
    return results


def bcrypt_bound(achieved: float, workers: int = 2) -> dict:
    """The most password grants ``workers`` processes can answer: one bcrypt verify at the
    production cost each, timed here on an idle machine (the load has stopped)."""
    import bcrypt

    hashed = bcrypt.hashpw(b"benchmark", bcrypt.gensalt(12))
    started = time.perf_counter()
    for _ in range(5):
        bcrypt.checkpw(b"benchmark", hashed)
    verify = (time.perf_counter() - started) / 5
    bound = workers / verify
    return {
        "verify_s": round(verify, 3),
        "bound_per_s": round(bound, 1),
        "fraction": round(achieved / bound, 2),
    }


def print_table(title: str, results: dict) -> None:
    columns = ("req/s", "p50 ms", "p99 ms", "non-2xx", "peak RSS MB")
    keys = ("requests_per_s", "p50_ms", "p99_ms", "non_2xx", "peak_rss_mb_per_worker")
    print(f"\n{title}\n{'workload':10}" + "".join(f"{c:>13}" for c in columns))
    for name, result in results.items():
        print(f"{name:10}" + "".join(f"{result[k]:>13}" for k in keys))


def ratios(product: dict, other: dict) -> dict:
    return {
        name: {
            "throughput": round(product[name]["requests_per_s"] / other[name]["requests_per_s"], 2),
            "p99": round(product[name]["p99_ms"] / other[name]["p99_ms"], 2),
        }
        for name in other
        if name in product
    }


def settle(database_url: str) -> None:
    """Between two servers on PostgreSQL: VACUUM ANALYZE, so that the W3 updates of the one
    before leave no dead rows for the next one's reads to step over."""
    if not database_url.startswith("postgresql"):
        return
    from sqlalchemy import create_engine, text

    from config import normalise_database_url

    engine = create_engine(normalise_database_url(database_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def flush_redis(redis_url: str) -> None:
    from limits.storage import storage_from_string

    storage_from_string(redis_url).reset()


def prepare(database_url: str, scale: int) -> tuple[dict, dict]:
    """Seed the database; return the wrk scripts of every workload and the server's environment."""
    from tests.servers import server_env

    print(f"seeding {scale} users, teams and tokens into {database_url} ...", file=sys.stderr)
    data = seed(database_url, scale)
    env = server_env(database_url, RATE_LIMITS="off", SECRET_KEY=BENCH_SECRET, LOG_LEVEL="WARNING")
    env["BCRYPT_ROUNDS"] = "12"
    scripts = {
        "W1": LUA["W1"].replace("{TOKENS}", lua_list(data["tokens"][:2000])),
        "W2": LUA["W2"].replace("{SCALE}", str(scale)).replace("{ADMIN}", data["admin_token"]),
        "W3": LUA["W3"]
        .replace("{IDS}", lua_list(data["team_ids"][:2000]))
        .replace("{ADMIN}", data["admin_token"]),
        "W4": LUA["W4"],
    }
    return scripts, env


def scale_check(args, workdir: Path, serve: list[str]) -> int:
    """W2 on 1,000 and on 100,000 teams: how much a page's latency grows with the table."""
    from tests.servers import serving

    report = {}
    for scale in (1_000, 100_000):
        scripts, env = prepare(f"sqlite:///{workdir / f'scale-{scale}.db'}", scale)
        with serving(serve, workdir, env, f"scale-{scale}") as (base, pid):
            report[f"scale_{scale}"] = drive(base, pid, scripts, ["W2"], args)["W2"]
    small, large = report["scale_1000"], report["scale_100000"]
    report["p50_ratio"] = round(large["p50_ms"] / small["p50_ms"], 2)
    print_table("W2 by table size", {"1,000": small, "100,000": large})
    print(f"p50 at 100,000 / p50 at 1,000 = {report['p50_ratio']}x")
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


AUTOGROUP_WARNING = (
    "warning: kernel.sched_autogroup_enabled=1. Linux shares the CPUs between sessions first, "
    "and PostgreSQL's backends (a session of their own) then waited up to 0.24 s for a CPU "
    "behind the servers and wrk; figures swing and stall (bench/README.md). "
    "`sysctl kernel.sched_autogroup_enabled=0` gives every process the same share."
)


def sched_autogroup() -> str | None:
    """Linux's autogroup scheduling setting ("1": on), None where there is none."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip()
    except OSError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--duration", type=int, default=15, help="seconds per workload")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument(
        "--soak", type=int, default=60, help="seconds of W1 for memory growth; 0: skip"
    )
    parser.add_argument(
        "--compare", action="store_true", help="also run the Flask and FastAPI apps"
    )
    parser.add_argument(
        "--scale-check",
        action="store_true",
        help="W2 only, at --scale 1000 and 100000 (fresh SQLite files): the p50 ratio",
    )
    parser.add_argument(
        "--rate-limits",
        choices=("off", "redis"),
        default="off",
        help="redis: also serve W1 and W2 with rate limits counted in Redis (--redis-url)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="--compare, --rate-limits redis: turns per workload of the servers compared (the"
        " measured --duration split between them)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="seconds of each workload before it is measured, unmeasured; 0: none",
    )
    parser.add_argument("--output", default=str(PROJECT / "bench" / "results.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench/run.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    try:
        import psutil  # noqa: F401
    except ImportError:
        print("bench/run.py needs the bench extra: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    from tests.servers import APISERVER, serving

    workdir = Path(tempfile.mkdtemp(prefix="apiserver-bench-"))
    serve = [*APISERVER, "serve", "--port", "{port}", "--workers", "2"]
    if args.scale_check:
        return scale_check(args, workdir, serve)
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    scripts, env = prepare(database_url, args.scale)
    workloads = args.workloads.split(",")
    report: dict = {"scale": args.scale, "database": database_url.split(":")[0]}
    report["sched_autogroup_enabled"] = autogroup = sched_autogroup()
    if autogroup == "1":
        print(AUTOGROUP_WARNING, file=sys.stderr)

    compared = [name for name in workloads if name in COMPARED] if args.compare else []
    if compared:
        # First, on the freshly seeded database that the product's W1 and W2 then read too
        # (its W3 writes come after them).
        gunicorn = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", "127.0.0.1:{port}",
                    "--chdir", str(PROJECT / "bench")]  # fmt: skip
        others = {
            "reference_flask_sync": [*gunicorn, "reference_flask:app"],
            "reference_flask_gthread": [*gunicorn, "--threads", "8", "reference_flask:app"],
            "peer_fastapi": [
                sys.executable,
                "-m",
                "uvicorn",
                "--workers",
                "2",
                "--port",
                "{port}",
                "--no-access-log",
                "--app-dir",
                str(PROJECT / "bench"),
                "peer_fastapi:app",
            ],
        }
        # Each app in turns with a product server of its own (drive_in_turns): the ratios are
        # these pairs'. Their tables: the app's, then the product's beside it.
        for name, command in others.items():
            print(f"{name}: {' '.join(command[1:])}, in turns with the product", file=sys.stderr)
            settle(database_url)
            with (
                serving(command, workdir, env, name) as other,
                serving(serve, workdir, env, f"product-{name}") as product,
            ):
                turns = drive_in_turns({name: other, "product": product}, scripts, compared, args)
            report[name], report[f"product_beside_{name}"] = turns[name], turns["product"]
            print_table(name, report[name])
            print_table(f"product, in turns with {name}", turns["product"])
    print("product: apiserver serve --workers 2", file=sys.stderr)
    settle(database_url)
    with serving(serve, workdir, env, "product") as (base, pid):
        report["product"] = drive(base, pid, scripts, workloads, args)
        if args.soak:
            with MemorySampler(pid, interval=1.0) as memory:
                soak = run_wrk(base, scripts["W1"], args.soak, args.connections)
            del soak["percentiles"]
            soak.update(
                seconds=args.soak,
                peak_rss_mb_per_worker=memory.peak_mb(),
                rss_growth_percent=memory.growth_percent(),
            )
            report["product_soak_W1"] = soak
            print(f"  soak: {soak}", file=sys.stderr)
    print_table("product (apiserver, 2 workers)", report["product"])
    limited = [name for name in workloads if name in ("W1", "W2")]
    if args.rate_limits == "redis" and limited:
        print(
            f"product with rate limits off and counted in {args.redis_url}, in turns",
            file=sys.stderr,
        )
        flush_redis(args.redis_url)
        settle(database_url)
        redis_env = {**env, **UNREACHED_QUOTAS, "REDIS_URL": args.redis_url}
        with (
            serving(serve, workdir, env, "product-off") as off,
            serving(serve, workdir, redis_env, "product-redis") as redis,
        ):
            turns = drive_in_turns({"off": off, "redis": redis}, scripts, limited, args)
        report["product_rate_limits_off"] = turns["off"]
        report["product_rate_limits_redis"] = turns["redis"]
        print_table("product, rate limits off (in turns with Redis)", turns["off"])
        print_table("product, rate limits counted in Redis", turns["redis"])
    if "W4" in report["product"]:
        report["W4_bcrypt_bound"] = bound = bcrypt_bound(report["product"]["W4"]["requests_per_s"])
        print(
            f"W4: one bcrypt verify at cost 12 takes {bound['verify_s']} s, so 2 workers can"
            f" answer at most {bound['bound_per_s']} req/s; W4 reached {bound['fraction']:.0%}"
        )
    if args.soak:
        soak = report["product_soak_W1"]
        print(
            f"soak: W1 for {args.soak} s, {soak['requests_per_s']} req/s, {soak['non_2xx']} non-2xx,"
            f" peak RSS {soak['peak_rss_mb_per_worker']} MB per worker,"
            f" growth first->last quarter {soak['rss_growth_percent']} %"
        )

    if compared:
        pairs = {
            other: ratios(report[f"product_beside_{other}"], report[other])
            for other in ("reference_flask_sync", "reference_flask_gthread", "peer_fastapi")
        }
        # Against the better reference configuration: the pair where the product's lead is least.
        report["ratios"] = {
            "product/reference_flask": {
                workload: min(
                    pairs["reference_flask_sync"][workload],
                    pairs["reference_flask_gthread"][workload],
                    key=lambda ratio: ratio["throughput"],
                )
                for workload in compared
            },
            "product/peer_fastapi": pairs["peer_fastapi"],
        }
        print("\nratios (req/s: higher is better for the product; p99: lower is better)")
        for pair, by_workload in report["ratios"].items():
            for workload, ratio in by_workload.items():
                print(
                    f"{pair:28}{workload:4} req/s {ratio['throughput']:>5}x   p99 {ratio['p99']:>5}x"
                )

    report["targets"] = targets(report)
    print("\ntargets")
    for target in report["targets"]:
        print(
            f"  {'met    ' if target['met'] else 'NOT MET'}  {target['what']}: {target['figure']}"
        )
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {args.output}", file=sys.stderr)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


# Throughput floors, product / other app: issue 13's on PostgreSQL, issue 6's on SQLite.
FLOORS = {
    "postgresql": {
        ("reference_flask", "W1"): 1.2,
        ("reference_flask", "W2"): 1.2,
        ("reference_flask", "W3"): 1.0,
        ("peer_fastapi", "W1"): 1.2,
        ("peer_fastapi", "W2"): 1.2,
    },
    "sqlite": {
        ("reference_flask", "W1"): 1.0,
        ("reference_flask", "W2"): 1.0,
        ("peer_fastapi", "W1"): 0.9,
        ("peer_fastapi", "W2"): 0.9,
    },
}
P99_CEILINGS = {"postgresql": 1.0, "sqlite": 1.5}  # product p99 / the reference's


def targets(report: dict) -> list[dict]:
    """The targets a run can judge (issue 13 on PostgreSQL, issue 6 on SQLite), met or not."""
    product, checks = report["product"], []

    def judge(what: str, figure: float, met: bool, unit: str = "x") -> None:
        checks.append({"what": what, "figure": f"{figure}{unit}", "met": bool(met)})

    floors = FLOORS["postgresql" if report["database"].startswith("postgresql") else "sqlite"]
    for (other, workload), floor in floors.items():
        ratio = report.get("ratios", {}).get(f"product/{other}", {}).get(workload)
        if ratio is None:
            continue
        judge(
            f"{workload} req/s >= {floor}x {other}",
            ratio["throughput"],
            ratio["throughput"] >= floor,
        )
        if other == "reference_flask" and workload != "W3":
            ceiling = P99_CEILINGS[report["database"].split("+")[0]]
            judge(f"{workload} p99 <= {ceiling}x {other}'s", ratio["p99"], ratio["p99"] <= ceiling)
    for workload, limited in report.get("product_rate_limits_redis", {}).items():
        off = report["product_rate_limits_off"][workload]["requests_per_s"]
        ratio = round(limited["requests_per_s"] / off, 2)
        judge(f"{workload} with rate limits in Redis >= 0.9x without", ratio, ratio >= 0.9)
    runs = dict(product)
    for workload, limited in report.get("product_rate_limits_redis", {}).items():
        runs[f"{workload} (Redis)"] = limited
        runs[f"{workload} (off, in turns)"] = report["product_rate_limits_off"][workload]
    if "product_soak_W1" in report:
        soak = report["product_soak_W1"]
        judge(
            "soak: RSS growth <= 10 %",
            soak["rss_growth_percent"],
            soak["rss_growth_percent"] <= 10,
            " %",
        )
        runs["soak"] = soak
    peak = max(result["peak_rss_mb_per_worker"] for result in runs.values())
    judge("peak RSS <= 150 MB per worker", peak, peak <= 150, " MB")
    failed = sum(result["non_2xx"] for result in runs.values())
    judge("non-2xx, socket errors and timeouts", failed, failed == 0, "")
    return checks


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
