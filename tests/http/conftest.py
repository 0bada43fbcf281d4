"""People for HTTP tests (an admin, regular users, an internal service account, a read-only one),
and an application whose transactions really commit, for concurrent writers."""

from __future__ import annotations

import dataclasses

import pytest

import migrations
from domain import seed
from storage import db
from tests.conftest import scratch_database
from tests.factories import DEFAULT_PASSWORD, make_user


@pytest.fixture
def people(demo_data):
    """Accounts by role; every one has the password ``DEFAULT_PASSWORD``."""
    return {
        "admin": make_user(username="boss", is_admin=True),
        "alice": make_user(username="alice"),
        "bob": make_user(username="bob"),
        "carol": make_user(username="carol"),
        "internal": make_user(username="robot", is_internal=True, is_regular_user=False),
        "readonly": make_user(username="viewer", is_regular_user=False),
    }


@pytest.fixture
def password():
    return DEFAULT_PASSWORD


@pytest.fixture
def live_app(settings, configured_storage, tmp_path):
    """An app on its own scratch database, where transactions really commit."""
    from app import create_app

    backend = "postgresql" if settings.database_url.startswith("postgresql") else "sqlite"
    with scratch_database(backend, tmp_path) as url:
        migrations.upgrade(url)
        app = create_app(dataclasses.replace(settings, database_url=url))
        try:
            seed.seed_demo_data()
            yield app
        finally:
            db.configure(configured_storage)
