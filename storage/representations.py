"""How models leave storage: one marshmallow schema per schema of the contract.

``SPEC_SCHEMAS`` maps each contract schema name to the marshmallow schema that produces it; a
contract test checks that their fields are the same, so the code cannot drift from the YAML.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class UserShortSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    first_name = fields.String()
    middle_name = fields.String()
    last_name = fields.String()


class UserSchema(UserShortSchema):
    email = fields.String()
    is_active = fields.Boolean()
    is_regular_user = fields.Boolean()
    is_admin = fields.Boolean()
    created = fields.DateTime()
    updated = fields.DateTime()


class TeamSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    created = fields.DateTime()
    updated = fields.DateTime()


class TeamMemberSchema(Schema):
    user = fields.Nested(UserShortSchema)
    is_leader = fields.Boolean()


SPEC_SCHEMAS: dict[str, Schema] = {
    "User": UserSchema(),
    "UserShort": UserShortSchema(),
    "Team": TeamSchema(),
    "TeamMember": TeamMemberSchema(),
}

user = SPEC_SCHEMAS["User"]
user_short = SPEC_SCHEMAS["UserShort"]
team = SPEC_SCHEMAS["Team"]
team_member = SPEC_SCHEMAS["TeamMember"]
