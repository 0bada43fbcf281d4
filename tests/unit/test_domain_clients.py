"""Registering an OAuth 2 client: an unknown grant type, a missing owner and a taken client id
are refused."""

from __future__ import annotations

import pytest

from domain import clients as client_rules
from storage.errors import Conflict, NotFound, Unprocessable
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("database")


def test_registration_errors():
    owner = make_user()
    with pytest.raises(Unprocessable):
        client_rules.register_client(owner_id=owner["id"], grant_types=["implicit"])
    with pytest.raises(NotFound):
        client_rules.register_client(owner_id=999_999)
    client_rules.register_client(owner_id=owner["id"], client_id="mine")
    with pytest.raises(Conflict):
        client_rules.register_client(owner_id=owner["id"], client_id="mine")
