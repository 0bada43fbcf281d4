"""People for HTTP tests: an admin, regular users, an internal service account, a read-only one."""

from __future__ import annotations

import pytest

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
