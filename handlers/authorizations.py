"""The applications a user allowed: list them, withdraw one."""

from auth.token_check import current_caller
from storage import consents


def list_authorizations():
    return consents.list_consents(current_caller().id)


def revoke_authorization(client_id):
    consents.forget(current_caller().id, client_id)
    return None, 204
