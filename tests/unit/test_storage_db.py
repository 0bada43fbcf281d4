"""storage.db: it must be configured before use; a value the database refuses is invalid input;
and the SQLite write queue lets one writer per process at a time, never a stuck one."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import exc

from storage import db
from storage.errors import InvalidInput


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
