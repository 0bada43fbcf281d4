"""Tokens in the database: a refresh token is exchanged once at most."""

from __future__ import annotations

import pytest

from storage import tokens
from storage.errors import Conflict
from tests.factories import make_user


@pytest.mark.usefixtures("demo_data")
def test_a_refresh_token_can_be_exchanged_only_once():
    user = make_user()
    tokens.issue(
        access_token="a1",
        refresh_token="r1",
        client_id="documentation",
        user_id=user["id"],
        scopes=["users:read"],
    )
    row = tokens.find_refresh_token("r1")
    tokens.issue(
        access_token="a2",
        refresh_token="r2",
        client_id="documentation",
        user_id=user["id"],
        scopes=["users:read"],
        rotates=row["id"],
    )

    with pytest.raises(Conflict):
        tokens.issue(
            access_token="a3",
            refresh_token="r3",
            client_id="documentation",
            user_id=user["id"],
            scopes=["users:read"],
            rotates=row["id"],
        )
    assert tokens.find_refresh_token("never issued") is None
