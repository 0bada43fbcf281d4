"""Test data, made through storage like everything else."""

from __future__ import annotations

import itertools

from domain import users as user_rules

_sequence = itertools.count(1)
DEFAULT_PASSWORD = "correct horse battery"


def make_user(**overrides) -> dict:
    number = next(_sequence)
    fields = {
        "username": f"user{number}",
        "email": f"user{number}@example.com",
        "password": DEFAULT_PASSWORD,
    }
    fields.update(overrides)
    return user_rules.create_user(**fields)
