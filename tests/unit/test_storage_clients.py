"""OAuth 2 clients in the database: deleting one that is not there."""

from __future__ import annotations

import pytest

from storage import clients
from storage.errors import NotFound

pytestmark = pytest.mark.usefixtures("database")


def test_deleting_a_missing_client():
    with pytest.raises(NotFound):
        clients.delete_client("nope")
