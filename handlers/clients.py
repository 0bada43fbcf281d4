"""Your OAuth 2 clients: list, register, delete."""

from auth.token_check import current_caller
from domain import clients as registration
from storage import clients
from web.pagination import page_headers

COLLECTION = "/api/v1/auth/oauth2_clients/"


def list_oauth2_clients(offset=0, limit=20):
    page, total = clients.list_clients(current_caller().id, offset, limit)
    return page, 200, page_headers(COLLECTION, offset, limit, total)


def create_oauth2_client(body):
    client = registration.register_client(owner_id=current_caller().id, **body)
    headers = {"Location": f"{COLLECTION}{client['client_id']}", "Cache-Control": "no-store"}
    return client, 201, headers


def delete_oauth2_client(client_id):
    clients.delete_client(client_id)
    return None, 204
