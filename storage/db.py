"""The engine, the session factory and the one way storage code opens a transaction."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import select
import threading
import typing as t
import weakref
from collections.abc import Awaitable, Iterator

from psycopg import pq
from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Table,
    Update,
    bindparam,
    create_engine,
    event,
    exc,
    or_,
    text,
    update,
)
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.util import await_, greenlet_spawn

from config import Settings
from storage import clock
from storage.errors import InvalidInput, Unavailable

log = logging.getLogger("apiserver.db")

# Errors that mean "the database cannot be reached right now", not "this request is wrong".
_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)

# Bound by ``configure``; tests rebind it to a connection that is rolled back after each test.
SessionFactory = sessionmaker(expire_on_commit=False)

# The threads' engine. On PostgreSQL its connections wait in the pool in autocommit: the threads'
# reads (``reading``) and one-statement writes (``one_statement``) use them as they are, each
# statement one round trip (not BEGIN, the statement and COMMIT or ROLLBACK: three).
_engine: Engine | None = None
# What ``transaction`` opens sessions on: on PostgreSQL the same pool, each connection switched
# out of autocommit for the block and back when the pool takes it again (which costs CPU, about
# 45 us, and no round trip: psycopg switches on the client). SQLite: the engine itself.
_transaction_engine: Engine | None = None
# The event loop's connections, in pools of their own. Code on the loop runs inside a greenlet
# (``run_on_the_loop``, SQLAlchemy's asyncio bridge). On PostgreSQL a pool holds psycopg's async
# connections, so a query suspends its greenlet and the loop serves other requests while it
# waits on the network, with no thread hop; such a pool and its connections belong to one loop
# (a server has one per worker; a test client may run one per request, in threads), so each
# loop gets its own (``LoopPool``). On SQLite a query never waits on a network, and one shared
# pool that never makes the loop wait serves every loop (threads blocked on the write queue may
# hold every connection of the main pool); one loop reads one query at a time, so in practice
# that is one connection per worker.
_sqlite_loop_engine: Engine | None = None
_loop_pools: dict[asyncio.AbstractEventLoop, LoopPool] = {}
_loop_pools_lock = threading.Lock()
# Told +1 / -1 as connections leave and return to the pool (the metrics gauge listens).
POOL_OBSERVERS: list = []
_settings: Settings | None = None


def make_engine(
    database_url: str,
    settings: Settings | None = None,
    *,
    for_the_loop: bool = False,
    autocommit: bool = False,
) -> Engine:
    """The engine for threads or, ``for_the_loop``, for code the event loop runs in greenlets;
    on PostgreSQL, ``autocommit`` keeps the threads' connections in autocommit."""
    settings = settings or Settings()
    pooling = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    if database_url.startswith("sqlite"):
        if for_the_loop:
            pooling = {"pool_size": 1, "max_overflow": -1}  # -1: open another rather than wait
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 15}, **pooling
        )
        event.listen(engine, "connect", _configure_sqlite)
        _queue_sqlite_writers(engine)
        _watch_pool(engine)
        return engine
    options = {**pooling, "connect_args": {"connect_timeout": 5}}
    if for_the_loop:
        # The loop only reads (web.resolver): each statement on its own, so no BEGIN and no
        # ROLLBACK round trips around it, and the server itself refuses a write there.
        options["isolation_level"] = "AUTOCOMMIT"
        options["connect_args"]["options"] = "-c default_transaction_read_only=on"
        engine = create_async_engine(database_url, **options).sync_engine
    else:
        if autocommit:
            options["isolation_level"] = "AUTOCOMMIT"
        engine = create_engine(database_url, **options)
    event.listen(engine, "checkout", _refuse_connections_the_server_closed)
    _watch_pool(engine)
    return engine


class LoopPool:
    """One event loop's engine on PostgreSQL, and every connection it opened (weakly held)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.opened: weakref.WeakSet = weakref.WeakSet()
        event.listen(engine, "connect", lambda _, record: self.opened.add(record.driver_connection))

    def close_now(self) -> None:
        """Close its connections without a loop (theirs may be gone): libpq's own close."""
        for connection in list(self.opened):
            connection.pgconn.finish()
        self.engine.dispose(close=False)


def _loop_engine() -> Engine:
    """The running loop's engine, made on the loop's first query."""
    if _sqlite_loop_engine is not None:
        return _sqlite_loop_engine
    loop = asyncio.get_running_loop()
    pool = _loop_pools.get(loop)
    if pool is None:
        with _loop_pools_lock:  # loops of other threads come and go too
            for ended in [other for other in _loop_pools if other.is_closed()]:
                _loop_pools.pop(ended).close_now()
            engine = make_engine(settings().database_url, settings(), for_the_loop=True)
            pool = _loop_pools[loop] = LoopPool(engine)
    return pool.engine


def _refuse_connections_the_server_closed(dbapi_connection, connection_record, proxy) -> None:
    """Instead of a round trip before every use (``pool_pre_ping``), look at the socket.

    An idle connection has nothing to read. When the server closes one (a restart, a terminated
    backend, a proxy that went away), its socket turns readable: the server's last message or
    the end of the stream. That costs one poll() here instead of a network round trip, and the
    pool replaces the connection before a request uses it (DisconnectionError: the pool
    connects anew, or raises OperationalError if it cannot: 503).
    """
    pgconn = connection_record.driver_connection.pgconn
    if pgconn.status != pq.ConnStatus.OK:
        raise exc.DisconnectionError("the connection is broken")
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise exc.DisconnectionError("the server closed the connection")


def _watch_pool(engine: Engine) -> None:
    def tell(change: int) -> None:
        for observer in POOL_OBSERVERS:
            observer(change)

    event.listen(engine, "checkout", lambda *args: tell(+1))
    event.listen(engine, "checkin", lambda *args: tell(-1))


DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# How long a writer waits for this process's queue before it goes on anyway and leaves the
# waiting to SQLite's busy handler (as long as the engine's busy timeout).
WRITE_QUEUE_TIMEOUT = 15


def _queue_sqlite_writers(engine: Engine) -> None:
    """Let one connection of this process at a time hold SQLite's write lock.

    SQLite has one writer. Threads that meet a held lock sleep in its busy handler for 1, 2,
    5, 10... ms at a time, so a dozen concurrent writers in one worker turned a 1 ms write into a
    p99 of a second. Here they queue on a mutex instead, taken at a connection's first write
    (where SQLite takes its lock) and released when the connection goes back to the pool, after
    its COMMIT or ROLLBACK, or when it is invalidated or closed. Writers of other processes still
    meet the busy handler.
    """
    lock = threading.Lock()
    holders: set[int] = set()  # id() of the DBAPI connections that hold the lock

    def before_write(connection, cursor, statement, parameters, context, executemany) -> None:
        key = id(cursor.connection)
        if key in holders or not statement.lstrip()[:7].upper().startswith(DML):
            return
        if lock.acquire(timeout=WRITE_QUEUE_TIMEOUT):
            holders.add(key)
        else:
            log.warning("SQLite write queue: waited %s s; writing anyway", WRITE_QUEUE_TIMEOUT)

    def release(dbapi_connection, *args) -> None:
        key = id(dbapi_connection)
        if dbapi_connection is not None and key in holders:
            holders.discard(key)
            lock.release()

    event.listen(engine, "before_cursor_execute", before_write)
    for moment in ("checkin", "invalidate", "close", "close_detached"):
        event.listen(engine.pool, moment, release)


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
    global _engine, _transaction_engine, _sqlite_loop_engine, _settings
    for engine_in_use in (_engine, _sqlite_loop_engine):
        if engine_in_use is not None:
            engine_in_use.dispose()
    with _loop_pools_lock:
        while _loop_pools:
            _loop_pools.popitem()[1].close_now()
    _settings = settings
    _engine = make_engine(settings.database_url, settings, autocommit=True)
    _transaction_engine, _sqlite_loop_engine = _engine, None
    if _engine.dialect.name == "sqlite":
        _sqlite_loop_engine = make_engine(settings.database_url, settings, for_the_loop=True)
    else:
        # PostgreSQL's default, named (SQLAlchemy switches to a level by name); it also holds
        # where a server sets another default_transaction_isolation.
        _transaction_engine = _engine.execution_options(isolation_level="READ COMMITTED")
    SessionFactory.configure(bind=_transaction_engine)
    return _engine


def settings() -> Settings:
    """The settings storage was configured with (bcrypt cost, token lifetimes...)."""
    if _settings is None:
        raise RuntimeError("storage.db.configure(settings) has not been called")
    return _settings


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


def on_the_event_loop() -> bool:
    """True in the thread that runs an event loop (where nothing may block), greenlets run by
    ``run_on_the_loop`` included."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


T = t.TypeVar("T")


async def run_on_the_loop(function: t.Callable[..., T], *args, **kwargs) -> T:
    """Run blocking-style ``function`` on the event loop, in a greenlet: its queries (and its
    ``wait_for`` calls) suspend it instead of blocking the loop. Nothing in it may block
    otherwise: no bcrypt (``auth.passwords`` refuses), no writes on SQLite."""
    return await greenlet_spawn(function, *args, **kwargs)


async def close_loop_connections() -> None:
    """Close the running loop's connections, on that loop (when the app stops)."""
    with _loop_pools_lock:
        pool = _loop_pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await run_on_the_loop(pool.engine.dispose)


def wait_for(awaitable: Awaitable[T]) -> T:
    """From code that ``run_on_the_loop`` runs: suspend until ``awaitable`` is done."""
    return await_(awaitable)


def _bind(*, autocommit: bool = False) -> Engine | Connection:
    """What this thread works through: the configured engine (tests: one connection), or on the
    event loop, the loop's own pool; ``autocommit``, the threads' autocommit view of the engine."""
    bind = SessionFactory.kw["bind"]
    if isinstance(bind, Engine) and on_the_event_loop():
        return _loop_engine()
    if autocommit and bind is _transaction_engine:
        return _engine
    return bind


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back if it raises."""
    with _database_errors(), SessionFactory(bind=_bind()) as session, session.begin():
        yield session


@contextlib.contextmanager
def reading() -> Iterator[Connection]:
    """A connection for read-only Core queries: no ORM session to build, nothing to commit.

    The hot read paths (the token check of every request, list pages, permission rules, the read
    before a patch) use it; anything that writes uses ``transaction``. Each statement stands on
    its own (autocommit on PostgreSQL): a read that needs several statements to agree with each
    other belongs in a ``transaction``.
    """
    bind = _bind(autocommit=True)
    with _database_errors():
        if isinstance(bind, Connection):  # tests: the connection every session of a test shares
            yield bind
            return
        with bind.connect() as connection:
            yield connection


@contextlib.contextmanager
def one_statement() -> Iterator[Connection]:
    """A connection for a write that is a whole transaction in one statement, such as
    ``update_versioned``'s: on PostgreSQL in autocommit, so the statement is its own
    transaction and costs one round trip instead of three (BEGIN, the statement, COMMIT).
    Commits when the block ends, rolls back if it raises. One statement only: two would be two
    transactions; anything more uses ``transaction``. Never on the event loop (its connections
    refuse writes).
    """
    bind = _bind(autocommit=True)
    with _database_errors():
        if isinstance(bind, Connection):  # tests: a savepoint, as transaction() makes there
            with bind.begin_nested():
                yield bind
            return
        with bind.connect() as connection:
            yield connection
            connection.commit()  # SQLite's transaction; on PostgreSQL there is none to end


def update_versioned(
    connection: Connection | Session, model, row_id: int, version: int, values: dict
) -> Row | None:
    """``UPDATE ... WHERE id = :id AND version = :version``, bumping the version and ``updated``;
    the row as written (RETURNING: no second query).

    None when the row has moved on since ``version`` was read: the check is in the UPDATE
    itself, so of concurrent writers exactly one wins each version.
    """
    statement = _versioned_update(model.__table__, frozenset(values))
    parameters = _new(values) | {"row_id": row_id, "row_version": version}
    return connection.execute(statement, parameters).first()


def overwrite_versioned(
    connection: Connection, model, row_id: int, values: dict, expected_versions: set[int] | None
) -> Row | None:
    """``UPDATE ... WHERE id = :id AND (a value differs)``, at one of ``expected_versions`` when
    given (If-Match), bumping the version and ``updated``; the row as written. None when no row
    was written: no such row, another version, or nothing to change."""
    statement = _versioned_overwrite(
        model.__table__, frozenset(values), expected_versions is not None
    )
    parameters = _new(values) | {"row_id": row_id}
    if expected_versions is not None:
        parameters["expected"] = sorted(expected_versions)
    return connection.execute(statement, parameters).first()


# The two versioned statements are built once per table and set of columns: building one per
# call (and its cache key) cost about 250 us of CPU, more than sending it.
@functools.lru_cache(maxsize=256)
def _versioned_update(table: Table, columns: frozenset[str]) -> Update:
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("row_version"))
        .values(_set_new(table, columns))
        .returning(*table.columns)
    )


@functools.lru_cache(maxsize=256)
def _versioned_overwrite(table: Table, columns: frozenset[str], if_match: bool) -> Update:
    differs = (table.c[name].is_distinct_from(bindparam(f"new_{name}")) for name in columns)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), or_(*differs))
        .values(_set_new(table, columns))
        .returning(*table.columns)
    )
    if if_match:
        statement = statement.where(table.c.version.in_(bindparam("expected", expanding=True)))
    return statement


def _set_new(table: Table, columns: frozenset[str]) -> dict:
    """The SET of a versioned statement: each column to its ``new_`` value, the next version."""
    return {name: bindparam(f"new_{name}") for name in sorted(columns)} | {
        "version": table.c.version + 1,
        "updated": bindparam("new_updated"),
    }


def _new(values: dict) -> dict:
    return {f"new_{column}": value for column, value in values.items()} | {
        "new_updated": clock.now()
    }


def ping() -> None:
    """Raise ``Unavailable`` if the database cannot answer a trivial query."""
    with transaction() as session:
        session.execute(text("SELECT 1"))
