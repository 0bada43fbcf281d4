"""Fixtures shared by every test: databases, the app, its test client and users.

Tests run against SQLite always and, when ``TEST_DATABASE_URL`` is set, against PostgreSQL too:
every database-backed test runs once per database. The schema is built by the migrations,
never ``create_all()``. Each test runs inside a transaction that is rolled back afterwards
(SQLAlchemy's "join a session into an external transaction" recipe), so every test starts
from an empty database.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url

import migrations
from config import Settings, normalise_database_url
from storage import db

TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"


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
    name = f"apiserver_test_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(scope="session", params=database_backends())
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A migrated database of each backend, shared by the whole session."""
    with scratch_database(request.param, tmp_path_factory.mktemp("db")) as url:
        migrations.upgrade(url)
        yield url


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
    with engine.connect() as connection:
        outer = connection.begin()
        db.SessionFactory.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield connection
        finally:
            outer.rollback()
            db.SessionFactory.kw.pop("join_transaction_mode", None)
            db.SessionFactory.configure(bind=db.engine())


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
