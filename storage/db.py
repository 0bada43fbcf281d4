"""The engine, the session factory and the one way storage code opens a transaction."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from sqlalchemy import Connection, Engine, create_engine, event, exc, text, update
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from storage import clock
from storage.errors import InvalidInput, Unavailable

log = logging.getLogger("apiserver.db")

# Errors that mean "the database cannot be reached right now", not "this request is wrong".
_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)

# Bound by ``configure``; tests rebind it to a connection that is rolled back after each test.
SessionFactory = sessionmaker(expire_on_commit=False)

_engine: Engine | None = None
# Told +1 / -1 as connections leave and return to the pool (the metrics gauge listens).
POOL_OBSERVERS: list = []
_settings: Settings | None = None


def make_engine(database_url: str, settings: Settings | None = None) -> Engine:
    settings = settings or Settings()
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            connect_args={"check_same_thread": False, "timeout": 15},
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        event.listen(engine, "connect", _configure_sqlite)
        _queue_sqlite_writers(engine)
        _watch_pool(engine)
        return engine
    engine = create_engine(
        database_url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        connect_args={"connect_timeout": 5},
    )
    _watch_pool(engine)
    return engine


def _watch_pool(engine: Engine) -> None:
    def tell(change: int) -> None:
        for observer in POOL_OBSERVERS:
            observer(change)

    event.listen(engine, "checkout", lambda *args: tell(+1))
    event.listen(engine, "checkin", lambda *args: tell(-1))


DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _queue_sqlite_writers(engine: Engine) -> None:
    """Let one thread of this process at a time hold SQLite's write lock.

    SQLite has one writer. Threads that meet a held lock sleep in its busy handler for 1, 2,
    5, 10... ms at a time, so a dozen concurrent writers in one worker turned a 1 ms write into a
    p99 of a second. Here they queue on a mutex instead, taken at a transaction's first write
    (where SQLite takes its lock) and released when it ends; only writers of other processes
    still meet the busy handler.
    """
    lock = threading.Lock()

    def before_write(connection, cursor, statement, parameters, context, executemany) -> None:
        if not connection.info.get("writing") and statement.lstrip()[:7].upper().startswith(DML):
            lock.acquire()
            connection.info["writing"] = True

    def after_transaction(connection, *args) -> None:
        if connection.info.pop("writing", False):
            lock.release()

    def after_reset(dbapi_connection, record, reset_state) -> None:
        if record.info.pop("writing", False):  # a connection returned mid-transaction
            lock.release()

    event.listen(engine, "before_cursor_execute", before_write)
    event.listen(engine, "commit", after_transaction)
    event.listen(engine, "rollback", after_transaction)
    event.listen(engine.pool, "reset", after_reset)


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 16 MiB of page cache per connection (SQLite's default is 2 MiB): deep list pages skip
    # through many index pages, which then come from memory, not from a read() each.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.close()


def configure(settings: Settings) -> Engine:
    """Create the engine for ``settings.database_url`` and bind the session factory to it."""
    global _engine, _settings
    if _engine is not None:
        _engine.dispose()
    _settings = settings
    _engine = make_engine(settings.database_url, settings)
    SessionFactory.configure(bind=_engine)
    return _engine


def settings() -> Settings:
    """The settings storage was configured with (bcrypt cost, token lifetimes...)."""
    if _settings is None:
        raise RuntimeError("storage.db.configure(settings) has not been called")
    return _settings


def is_embedded() -> bool:
    """True for SQLite: queries run inside this process and never wait on a network."""
    return engine().dialect.name == "sqlite"


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("storage.db.configure(settings) has not been called")
    return _engine


@contextlib.contextmanager
def _database_errors() -> Iterator[None]:
    """Database failures as domain errors: unreachable -> Unavailable, bad value -> InvalidInput."""
    try:
        yield
    except _UNAVAILABLE as error:
        log.warning("database unavailable: %s", error.orig if hasattr(error, "orig") else error)
        raise Unavailable("the database is unavailable; try again shortly") from error
    except exc.DataError as error:
        raise InvalidInput("a value is not valid for the database") from error


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back if it raises."""
    with _database_errors(), SessionFactory.begin() as session:
        yield session


@contextlib.contextmanager
def reading() -> Iterator[Connection]:
    """A connection for read-only Core queries: no ORM session to build, nothing to commit.

    The hot read paths (the token check of every request, list pages) use it; anything that
    writes uses ``transaction``.
    """
    bind = SessionFactory.kw["bind"]
    with _database_errors():
        if isinstance(bind, Connection):  # tests: the connection every session of a test shares
            yield bind
            return
        with bind.connect() as connection:
            yield connection


def update_versioned(session: Session, model, row_id: int, version: int, values: dict) -> bool:
    """``UPDATE ... WHERE id = :id AND version = :version``, bumping the version and ``updated``.

    False when the row has moved on since ``version`` was read: the check is in the UPDATE
    itself, so of concurrent writers exactly one wins each version.
    """
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.version == version)
        .values(**values, version=version + 1, updated=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def ping() -> None:
    """Raise ``Unavailable`` if the database cannot answer a trivial query."""
    with transaction() as session:
        session.execute(text("SELECT 1"))
