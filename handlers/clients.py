"""Your OAuth 2 clients: list, register, delete."""

import openapi
from auth.token_check import current_caller
from domain import clients as rules
from storage import clients
from web.pagination import page_headers


def list_oauth2_clients(offset=0, limit=20):
    page, total = clients.list_clients(current_caller().id, offset, limit)
    return page, 200, page_headers(openapi.path_for("list_oauth2_clients"), offset, limit, total)


def create_oauth2_client(body):
    client = rules.register_client(owner_id=current_caller().id, **body)
    location = openapi.path_for("delete_oauth2_client", client_id=client["client_id"])
    headers = {"Location": location, "Cache-Control": "no-store"}
    return client, 201, headers


def delete_oauth2_client(client_id):
    clients.delete_client(client_id)
    return None, 204
