"""What the server does when something breaks underneath it."""

from __future__ import annotations

import pytest

from auth import permissions


def test_an_unknown_rule_name_stops_the_server_from_starting():
    with pytest.raises(LookupError, match="not a known rule"):
        permissions.enforcing("no-such-rule", "GET", lambda: None)
