"""Consents: remembered per user and client, widened by later consents, forgotten on request."""

import pytest
from sqlalchemy.exc import IntegrityError

from storage import consents
from tests.browser import register_app
from tests.factories import make_user


@pytest.fixture
def user_and_client(demo_data):
    return make_user(username="ada"), register_app()


def test_a_consent_grows_with_later_ones(user_and_client):
    user, client = user_and_client
    consents.remember(user["id"], client["client_id"], ["users:read"])
    consents.remember(user["id"], client["client_id"], ["teams:read", "users:read"])

    assert consents.covers(user["id"], client["client_id"], ["users:read", "teams:read"])
    assert not consents.covers(user["id"], client["client_id"], ["teams:write"])
    (listed,) = consents.list_consents(user["id"])
    assert listed["scopes"] == ["users:read", "teams:read"]


def test_losing_the_race_to_a_concurrent_first_consent_adds_to_it(user_and_client, monkeypatch):
    user, client = user_and_client
    real = consents._remember
    calls = []

    def concurrent_first(user_id, client_id, scopes):
        calls.append(scopes)
        if len(calls) == 1:  # another request inserts first; ours then fails on the key
            real(user_id, client_id, ["teams:read"])
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        real(user_id, client_id, scopes)

    monkeypatch.setattr(consents, "_remember", concurrent_first)
    consents.remember(user["id"], client["client_id"], ["users:read"])

    assert consents.list_consents(user["id"])[0]["scopes"] == ["teams:read", "users:read"]
