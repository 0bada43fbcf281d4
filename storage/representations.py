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


class OAuth2ClientSchema(Schema):
    client_id = fields.String()
    client_type = fields.String()
    user_id = fields.Integer()
    default_scopes = fields.List(fields.String())
    redirect_uris = fields.List(fields.String())
    grant_types = fields.List(fields.String())


class OAuth2ClientCreatedSchema(OAuth2ClientSchema):
    # Not a column: the plain secret exists only in the registration's response.
    client_secret = fields.String()


SPEC_SCHEMAS: dict[str, Schema] = {
    "User": UserSchema(),
    "UserShort": UserShortSchema(),
    "Team": TeamSchema(),
    "TeamMember": TeamMemberSchema(),
    "OAuth2Client": OAuth2ClientSchema(),
    "OAuth2ClientCreated": OAuth2ClientCreatedSchema(),
}

user = SPEC_SCHEMAS["User"]
team = SPEC_SCHEMAS["Team"]
team_member = SPEC_SCHEMAS["TeamMember"]
oauth2_client = SPEC_SCHEMAS["OAuth2Client"]
oauth2_client_created = SPEC_SCHEMAS["OAuth2ClientCreated"]
