"""Fixtures shared by every test: databases, the app, its test client and users.

Tests run against SQLite always and, when ``TEST_DATABASE_URL`` is set, against PostgreSQL too:
every database-backed test runs once per database. The schema is built by the migrations,
never ``create_all()``. Each test runs inside a transaction that is rolled back afterwards
(SQLAlchemy's "join a session into an external transaction" recipe), so every test starts
from an empty database.

Under pytest-xdist (``make test`` runs ``-n auto``) each worker is its own process with its own
session fixtures: its own scratch databases (named after the worker), its own temporary
folder, its own range of ports (tests/servers.py). Redis is one shared server, so every test
that needs it runs on one worker (the ``xdist_group`` "redis", added below).

What a test needs from the machine beyond the virtualenv is declared at the top of its module
with the ``needs`` marker (``pytestmark = pytest.mark.needs("redis")``; ``tests=[...]`` when
only some of its tests do). Missing, the test is skipped with the reason, except under
``CI=true``, where it fails: CI runs everything (see ``skip_unless_ci``).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import shutil
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url

import migrations
from config import Settings, normalise_database_url
from storage import db

TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"
# The cheapest bcrypt cost, for every Settings.from_env() a test makes (fixtures pass 4 too).
os.environ.setdefault("BCRYPT_ROUNDS", "4")
# gw0, gw1, ... under pytest-xdist; "main" without it.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
REDIS = ("127.0.0.1", 6379)


def skip_unless_ci(reason: str) -> None:
    """Skip the running test because of ``reason``; under ``CI=true`` fail instead, since CI
    must run every test (.ci/run installs and starts what they need)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: nothing may be skipped)", pytrace=False)
    pytest.skip(reason)


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(*REDIS, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


# What ``pytest.mark.needs(...)`` can name: a check, and the reason given when it fails.
NEEDS = {
    "chromium": (
        lambda: shutil.which("/usr/bin/chromium"),
        "needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
    "java": (
        lambda: shutil.which("java"),
        "needs Java for openapi-generator (apt-get install default-jre-headless)",
    ),
    "npm": (
        lambda: shutil.which("npm"),
        "needs Node.js and npm (apt-get install nodejs npm)",
    ),
    "redis": (
        redis_answers,
        "needs Redis at 127.0.0.1:6379 (apt-get install redis-server; .ci/run starts it)",
    ),
    "postgresql": (
        lambda: os.environ.get("TEST_DATABASE_URL"),
        "needs PostgreSQL: set TEST_DATABASE_URL (postgresql://postgres@127.0.0.1:5432/test)",
    ),
}


@functools.cache
def missing(need: str) -> str | None:
    """Why ``need`` is not met on this machine, or None when it is."""
    check, reason = NEEDS[need]
    return None if check() else reason


def needs_of(item) -> set[str]:
    """What the ``needs`` markers on ``item`` (and its module) ask for this test."""
    needed = set()
    for mark in item.iter_markers("needs"):
        only = mark.kwargs.get("tests")
        if only is None or item.originalname in only:
            needed.update(mark.args)
    return needed


def code_names(code) -> set[str]:
    """The global and attribute names a function's code (nested functions included) uses."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if inspect.iscode(constant):
            names |= code_names(constant)
    return names


# Calling one of these starts a real `apiserver serve`: such tests are marked `server`.
SERVER_STARTERS = {"running_server", "serving"}


# The kinds of slow test, longest first (pytest.ini describes each marker).
SLOW_KINDS = ("fuzz", "docker", "sdk", "browser", "server", "migrations")


def run_order(item) -> tuple:
    """Slow tests first, the longest kinds first, so that pytest-xdist's workers end together
    instead of one finishing a long test while the other waits; then the rest, one backend
    after the other (each switch between backends rebuilds the app and its engine)."""
    kinds = [index for index, kind in enumerate(SLOW_KINDS) if item.get_closest_marker(kind)]
    callspec = getattr(item, "callspec", None)
    backend = callspec.params.get("database_url", "") if callspec else ""
    return (0, min(kinds), backend) if kinds else (1, backend)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    add_markers(items)  # before -m selects by them and xdist groups by them
    yield
    items.sort(key=run_order)  # after pytest has grouped them by parameter


def add_markers(items) -> None:
    for item in items:
        for mark in item.iter_markers("needs"):
            unknown = set(mark.args) - set(NEEDS)
            absent = [
                name for name in mark.kwargs.get("tests", ()) if not hasattr(item.module, name)
            ]
            if unknown:
                raise pytest.UsageError(
                    f"{item.module.__name__}: needs() knows {sorted(NEEDS)}, not {sorted(unknown)}"
                )
            if absent:
                raise pytest.UsageError(
                    f"{item.module.__name__}: needs(tests=...) names no test of the module: {absent}"
                )
        function = getattr(item, "function", None)
        if function and SERVER_STARTERS & code_names(inspect.unwrap(function).__code__):
            item.add_marker(pytest.mark.server)
        if "redis" in needs_of(item):
            item.add_marker(pytest.mark.xdist_group("redis"))


@pytest.hookimpl(tryfirst=True)  # before skipif marks, so that CI fails instead of skipping
def pytest_runtest_setup(item):
    for need in sorted(needs_of(item)):
        reason = missing(need)
        if reason:
            skip_unless_ci(reason)


def database_backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append("postgresql")
    elif os.environ.get("CI") == "true":
        raise pytest.UsageError(
            "CI=true requires TEST_DATABASE_URL: the PostgreSQL run is mandatory"
        )
    return backends


@contextlib.contextmanager
def scratch_postgresql_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of TEST_DATABASE_URL, dropped afterwards."""
    server_url = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"apiserver_test_{WORKER}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def scratch_database(backend: str, tmp_dir) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'test-{uuid.uuid4().hex[:8]}.db'}"
    else:
        with scratch_postgresql_database() as url:
            yield url


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """``migrated_databases(backend)``: one migrated scratch database per backend, made on first
    use and dropped when the session ends. Under pytest-xdist a worker may go back and forth
    between the backends' tests; each switch then only rebuilds the cheap fixtures below."""
    urls: dict[str, str] = {}
    with contextlib.ExitStack() as stack:

        def migrated(backend: str) -> str:
            if backend not in urls:
                scratch = scratch_database(backend, tmp_path_factory.mktemp("db"))
                urls[backend] = stack.enter_context(scratch)
                migrations.upgrade(urls[backend])
            return urls[backend]

        yield migrated


@pytest.fixture(scope="session", params=database_backends())
def database_url(request, migrated_databases) -> str:
    """A migrated database of each backend, shared by the whole session."""
    return migrated_databases(request.param)


@pytest.fixture(scope="session")
def settings(database_url) -> Settings:
    return Settings(
        environment="development",
        database_url=database_url,
        secret_key=TEST_SECRET,
        bcrypt_rounds=4,
        validate_responses=True,
        rate_limits=False,  # tests/http/test_abuse.py turns them on where it tests them
    )


def isolating_engine(settings: Settings) -> Engine:
    engine = db.make_engine(settings.database_url, settings)
    if engine.dialect.name == "sqlite":
        # pysqlite's own transaction handling breaks SAVEPOINTs; let SQLAlchemy emit BEGIN.
        @event.listens_for(engine, "connect")
        def _no_pysqlite_transactions(dbapi_connection, record):
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(connection):
            connection.exec_driver_sql("BEGIN")

    return engine


@pytest.fixture(scope="session")
def engine(settings) -> Iterator[Engine]:
    engine = isolating_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def configured_storage(settings) -> Settings:
    db.configure(settings)
    return settings


@pytest.fixture
def database(engine, configured_storage) -> Iterator[Connection]:
    """Storage bound to one connection whose transaction is rolled back after the test."""
    sessions_bind = db.SessionFactory.kw["bind"]
    with engine.connect() as connection:
        outer = connection.begin()
        db.SessionFactory.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield connection
        finally:
            outer.rollback()
            db.SessionFactory.kw.pop("join_transaction_mode", None)
            db.SessionFactory.configure(bind=sessions_bind)


@pytest.fixture(scope="session")
def application(configured_storage):
    from app import create_app

    return create_app(configured_storage)


@pytest.fixture
def client(application, database):
    with application.test_client() as test_client:
        yield test_client


@pytest.fixture
def frozen_clock():
    """Move time forward with ``frozen_clock.advance(seconds)``; reset after the test."""
    from storage import clock

    yield clock
    clock.reset()


@pytest.fixture
def demo_data(database):
    """The seed README's accounts and the documentation client."""
    from domain import seed

    seed.seed_demo_data()


@pytest.fixture
def statements(engine):
    """The SQL statements run while the block runs: ``with statements() as seen: ...``."""
    from sqlalchemy import event

    @contextlib.contextmanager
    def recording():
        seen: list[str] = []

        def record(conn, cursor, statement, *args):
            if (
                not statement.lstrip()
                .upper()
                .startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"))
            ):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return recording
