"""The column types of models.base: aware timestamps, stored in UTC; lists of strings without
spaces, stored space-separated."""

from __future__ import annotations

import datetime as dt

import pytest

from models.base import StringList, UTCDateTime


def test_timestamps_must_be_aware_and_come_back_in_utc():
    column = UTCDateTime()
    assert column.process_bind_param(None, None) is None
    assert column.process_result_value(None, None) is None
    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(dt.datetime(2026, 1, 1), None)
    paris = dt.timezone(dt.timedelta(hours=1))
    stored = column.process_bind_param(dt.datetime(2026, 1, 1, 13, tzinfo=paris), None)
    assert stored == dt.datetime(2026, 1, 1, 12)
    assert column.process_result_value(stored, None).tzinfo == dt.UTC


def test_string_lists_refuse_items_with_spaces():
    column = StringList()
    assert column.process_bind_param(None, None) is None
    assert column.process_result_value(None, None) is None
    assert column.process_bind_param(["a", "b"], None) == "a b"
    for bad in (["a b"], [""]):
        with pytest.raises(ValueError):
            column.process_bind_param(bad, None)
