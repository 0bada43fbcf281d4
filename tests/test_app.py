"""What the application factory serves besides the API: the contract (also as swagger.json),
Swagger UI, and redirects to it from the entry points."""

import json

import pytest

import openapi


def test_openapi_json_serves_the_bundle(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(openapi.bundle_text("json"))


def test_swagger_json_is_the_same_document(client):
    """Clients written for the Flask-RESTplus server this one replaces fetch swagger.json."""
    assert client.get("/api/v1/swagger.json").json() == client.get("/api/v1/openapi.json").json()


def test_swagger_ui_loads_the_served_contract(client):
    response = client.get("/api/v1/ui/")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "/api/v1/openapi.json" in response.text


@pytest.mark.parametrize("path", ["/", "/api/v1", "/api/v1/"])
def test_entry_points_redirect_to_swagger_ui(client, path):
    response = client.get(path, follow_redirects=False)

    assert response.status_code == 308
    assert response.headers["location"] == "/api/v1/ui/"
