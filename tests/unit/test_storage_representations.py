"""The fast row dumper gives exactly what marshmallow gives, for every schema of the contract."""

import datetime as dt

import pytest
from marshmallow import fields

from storage import representations

NOW = dt.datetime(2026, 11, 26, 9, 15, 30, 123456, tzinfo=dt.UTC)
VALUES = {
    "id": 7, "username": "ada", "email": "ada@example.com", "first_name": "Ada",
    "middle_name": "", "last_name": "Lovelace", "is_active": True, "is_regular_user": False,
    "is_admin": True, "created": NOW, "updated": NOW, "title": "Analytical Engines",
    "client_id": "documentation", "client_type": "public", "user_id": 7,
    "default_scopes": ["users:read"], "redirect_uris": [], "grant_types": ["password"],
    "client_secret": "s3cret", "is_leader": True, "user": {"id": 7, "username": "ada"},
    "scopes": ["users:read"], "owner": "ada",
}  # fmt: skip


# A field without a value above (one a new resource adds, say) gets one of its type.
VALUES_BY_TYPE = {
    fields.Integer: 7,
    fields.String: "text",
    fields.Boolean: True,
    fields.DateTime: NOW,
}


@pytest.mark.parametrize("name", sorted(representations.SPEC_SCHEMAS))
def test_rows_dumper_matches_marshmallow(name):
    schema = representations.SPEC_SCHEMAS[name]
    full = {
        key: VALUES[key] if key in VALUES else VALUES_BY_TYPE[type(field)]
        for key, field in schema.fields.items()
    }
    nulls = {key: None for key in schema.fields}
    rows = [full, nulls]
    assert representations.rows_dumper(schema)(rows) == schema.dump(rows, many=True)
