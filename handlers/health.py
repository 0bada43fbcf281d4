"""Probes: ``get_liveness`` never touches the database, ``get_readiness`` does."""

from storage import db


def get_liveness():
    return {"status": "ok"}, 200


def get_readiness():
    db.ping()
    return {"status": "ok", "checks": {"database": "ok"}}, 200
