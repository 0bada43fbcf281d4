"""JSON Patch: a patch may write fields, never replace the whole document."""

from __future__ import annotations

import pytest

from domain import patching
from storage.errors import Unprocessable


def test_a_patch_that_replaces_the_whole_document_is_unprocessable():
    with pytest.raises(Unprocessable):
        patching.apply(
            {"title": "x"},
            [{"op": "replace", "path": "", "value": [1]}],
            operation_schema="TeamPatchOperation",
        )
