"""storage.db: it must be configured before use; a value the database refuses is invalid input;
the SQLite write queue lets one writer per process at a time, never a stuck one; on PostgreSQL
a connection the server closed is replaced before anyone uses it, on threads and on the event
loop, and the loop's queries wait without blocking it."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool

from config import Settings, normalise_database_url
from storage import db
from storage.errors import InvalidInput
from tests.conftest import scratch_postgresql_database


def test_storage_must_be_configured_first(monkeypatch):
    monkeypatch.setattr(db, "_engine", None)
    monkeypatch.setattr(db, "_settings", None)
    with pytest.raises(RuntimeError):
        db.engine()
    with pytest.raises(RuntimeError):
        db.settings()


def test_a_value_the_database_refuses_is_invalid_input(database):
    with pytest.raises(InvalidInput), db.transaction():
        raise exc.DataError("INSERT ...", {}, Exception("value too long"))


# The SQLite write queue ------------------------------------------------------------------------


def make(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    return engine


def write(engine, value: int) -> float:
    started = time.monotonic()
    with engine.begin() as connection:
        connection.exec_driver_sql(f"INSERT INTO t VALUES ({value})")
    return time.monotonic() - started


def test_a_broken_connection_gives_its_place_back(tmp_path):
    engine = make(tmp_path)
    broken = engine.connect()
    broken.exec_driver_sql("INSERT INTO t VALUES (1)")  # takes the queue's lock
    broken.invalidate()
    broken.close()

    assert write(engine, 2) < 1  # a leaked lock would make it wait WRITE_QUEUE_TIMEOUT


def test_a_rolled_back_writer_gives_its_place_back(tmp_path):
    engine = make(tmp_path)
    with engine.connect() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        connection.rollback()

    assert write(engine, 2) < 1


def test_concurrent_writers_take_turns_without_errors(tmp_path):
    engine = make(tmp_path)
    errors = []

    def writer(first: int) -> None:
        try:
            for value in range(first, first + 20):
                write(engine, value)
        except Exception as error:  # pragma: no cover - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n * 100,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 160


# PostgreSQL: no pre-ping, and still no dead connection handed out ------------------------------


@pytest.fixture
def postgresql_engine():
    """storage.db configured on a scratch PostgreSQL database: its (threads') engine."""
    with scratch_postgresql_database() as url:
        previous = db._settings
        db.configure(Settings(environment="development", database_url=url, secret_key="x" * 32))
        try:
            yield db.engine()
        finally:
            asyncio.run(db.close_loop_connections())
            db.engine().dispose()
            if previous is not None:
                db.configure(previous)


def backend_pid(connection) -> int:
    return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def terminate(pid: int) -> None:
    """End a server process from outside the pool, as a restart or an administrator would."""
    outside = create_engine(normalise_database_url(db.settings().database_url), poolclass=NullPool)
    with outside.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    time.sleep(0.2)  # the server's message and the end of the stream reach the socket


@pytest.mark.needs("postgresql")
def test_a_connection_the_server_closed_is_replaced_at_checkout(postgresql_engine):
    assert not postgresql_engine.pool._pre_ping
    with db.reading() as connection:
        first = backend_pid(connection)
    terminate(first)

    with db.reading() as connection:  # the same pooled connection, were it not replaced
        assert backend_pid(connection) != first


@pytest.mark.needs("postgresql")
def test_the_event_loop_reads_through_async_connections_and_replaces_closed_ones(
    postgresql_engine,
):
    def read_pid() -> int:
        with db.reading() as connection:
            assert connection.dialect.is_async and connection.engine is not postgresql_engine
            return backend_pid(connection)

    async def twice_with_a_termination_between() -> tuple[int, int, float]:
        first = await db.run_on_the_loop(read_pid)
        await asyncio.to_thread(terminate, first)
        # Ten sleeping queries at once finish in about the time of one: none blocks the loop.
        started = time.monotonic()
        await asyncio.gather(*(db.run_on_the_loop(sleep_a_little) for _ in range(10)))
        return first, await db.run_on_the_loop(read_pid), time.monotonic() - started

    def sleep_a_little() -> None:
        with db.reading() as connection:
            connection.execute(text("SELECT pg_sleep(0.2)"))

    first, second, seconds = asyncio.run(twice_with_a_termination_between())
    assert second != first
    assert seconds < 1.0, seconds


@pytest.mark.needs("postgresql")
def test_the_event_loop_reads_each_statement_on_its_own_and_cannot_write(postgresql_engine):
    def write() -> None:
        with db.reading() as connection:
            assert connection.connection.driver_connection.autocommit  # no BEGIN, no ROLLBACK
            connection.execute(text("CREATE TABLE written_on_the_loop (n integer)"))

    with pytest.raises(exc.InternalError, match="read-only transaction"):
        asyncio.run(db.run_on_the_loop(write))


@pytest.mark.needs("postgresql")
def test_reads_in_threads_are_a_statement_each_and_leave_transactions_whole(postgresql_engine):
    with db.reading() as connection:
        assert connection.connection.driver_connection.autocommit  # no BEGIN, no ROLLBACK
        reader = backend_pid(connection)
    with db.transaction() as session:
        connection = session.connection()
        assert backend_pid(connection) == reader  # the same pooled connection...
        assert not connection.connection.driver_connection.autocommit  # ...in a transaction
    with db.reading() as connection:
        assert backend_pid(connection) == reader  # and back in autocommit after it
        assert connection.connection.driver_connection.autocommit


@pytest.fixture
def sqlite_engine(tmp_path):
    """Storage configured with a SQLite file of its own (not the tests' shared connection)."""
    previous = db._settings
    url = f"sqlite:///{tmp_path / 'own.db'}"
    db.configure(Settings(environment="development", database_url=url, secret_key="x" * 32))
    try:
        yield db.engine()
    finally:
        db.engine().dispose()
        if previous is not None:
            db.configure(previous)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.needs("postgresql"))]
)
def own_engine(request):
    return request.getfixturevalue(f"{request.param}_engine")


def test_a_one_statement_write_is_committed_and_a_failed_one_leaves_nothing(own_engine):
    with own_engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counted (n INTEGER CHECK (n < 10))")
        connection.exec_driver_sql("INSERT INTO counted VALUES (1)")

    with db.one_statement() as connection:
        if connection.dialect.name == "postgresql":
            # The statement is its own transaction: no BEGIN, no COMMIT round trip.
            assert connection.connection.driver_connection.autocommit
        connection.execute(text("UPDATE counted SET n = n + 1"))
    with pytest.raises(exc.IntegrityError), db.one_statement() as connection:
        connection.execute(text("UPDATE counted SET n = n + 100"))

    with create_engine(own_engine.url, poolclass=NullPool).connect() as outside:
        assert outside.exec_driver_sql("SELECT n FROM counted").scalar() == 2
