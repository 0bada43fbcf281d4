"""The served contract, Swagger UI, redirects and the health probes."""

import json

import pytest

import openapi
from storage import db
from tests.helpers import assert_problem


def test_openapi_json_serves_the_bundle(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(openapi.bundle_text("json"))


def test_swagger_json_is_the_same_document_for_users_of_the_old_server(client):
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


def test_liveness(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_the_database(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readiness_is_503_problem_when_the_database_is_unreachable(client, tmp_path):
    unreachable = db.make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    db.SessionFactory.configure(bind=unreachable)

    response = client.get("/health/ready")

    assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"
