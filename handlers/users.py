"""Users: sign-up, the caller's own account, other accounts."""

import openapi
from auth.token_check import client_address, current_caller
from domain import users as rules
from storage import users
from web import rate_limits
from web.conditional import etag, expected_versions, representation
from web.pagination import page_headers


def list_users(offset=0, limit=20):
    page, total = users.list_users(offset, limit)
    return page, 200, page_headers(openapi.path_for("list_users"), offset, limit, total)


def create_user(body):
    rate_limits.hit("signup_ip", client_address())
    user = rules.create_user(**body)
    return (
        user,
        201,
        {"Location": openapi.path_for("get_user", user_id=user["id"]), "ETag": etag(1)},
    )


def get_current_user():
    # The token check already loaded the caller and its version: no second query.
    caller = current_caller()
    return representation(caller.user, caller.version)


def get_user(user_id):
    user, version = users.get_user(user_id)
    return representation(user, version)


def patch_user(user_id, body):
    caller = current_caller()
    user, version = rules.patch_user(
        user_id,
        body,
        caller_id=caller.id,
        caller_is_privileged=caller.is_privileged,
        expected_versions=expected_versions(),
    )
    return user, 200, {"ETag": etag(version)}
