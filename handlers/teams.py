"""Teams and their members."""

import openapi
from auth.token_check import current_caller
from domain import teams as rules
from storage import teams
from web.conditional import etag, expected_versions, representation
from web.pagination import page_headers


def list_teams(offset=0, limit=20):
    caller = current_caller()
    sees_all = caller.is_privileged
    page, total = teams.list_teams(offset, limit, member_id=None if sees_all else caller.id)
    return page, 200, page_headers(openapi.path_for("list_teams"), offset, limit, total)


def create_team(body):
    team, version = teams.create_team(body["title"], leader_id=current_caller().id)
    return (
        team,
        201,
        {"Location": openapi.path_for("get_team", team_id=team["id"]), "ETag": etag(version)},
    )


def get_team(team_id):
    team, version = teams.get_team(team_id)
    return representation(team, version)


def patch_team(team_id, body):
    team, version = rules.patch_team(team_id, body, expected_versions())
    return team, 200, {"ETag": etag(version)}


def delete_team(team_id):
    teams.delete_team(team_id, expected_versions())
    return None, 204


def list_team_members(team_id, offset=0, limit=20):
    page, total = teams.list_members(team_id, offset, limit)
    members = openapi.path_for("list_team_members", team_id=team_id)
    return page, 200, page_headers(members, offset, limit, total)


def add_team_member(team_id, body):
    member, version = teams.add_member(team_id, body["user_id"], bool(body.get("is_leader", False)))
    location = openapi.path_for("patch_team_member", team_id=team_id, user_id=body["user_id"])
    return member, 201, {"Location": location, "ETag": etag(version)}


def patch_team_member(team_id, user_id, body):
    member, version = rules.patch_member(team_id, user_id, body, expected_versions())
    return member, 200, {"ETag": etag(version)}


def remove_team_member(team_id, user_id):
    teams.remove_member(team_id, user_id, expected_versions())
    return None, 204
