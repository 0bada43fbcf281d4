"""Discovery documents (RFC 8414, RFC 9728), and the PASSWORD_GRANT setting that they, the
token endpoint and Swagger UI follow."""

from __future__ import annotations

import dataclasses

import pytest

import openapi
from tests.helpers import assert_oauth_error, password_grant

pytestmark = pytest.mark.usefixtures("demo_data")
AS_METADATA = "/.well-known/oauth-authorization-server"
RS_METADATA = "/.well-known/oauth-protected-resource"
ISSUER = "http://127.0.0.1:5000"


@pytest.fixture
def password_grant_off(monkeypatch):
    from storage import db

    monkeypatch.setattr(db, "_settings", dataclasses.replace(db.settings(), password_grant=False))


def test_the_authorization_server_metadata(client):
    response = client.get(AS_METADATA)

    assert response.status_code == 200
    metadata = response.json()
    assert metadata["issuer"] == ISSUER
    assert metadata["authorization_endpoint"] == f"{ISSUER}/auth/oauth2/authorize"
    assert metadata["token_endpoint"] == f"{ISSUER}/auth/oauth2/token"
    assert metadata["revocation_endpoint"] == f"{ISSUER}/auth/oauth2/revoke"
    assert metadata["introspection_endpoint"] == f"{ISSUER}/auth/oauth2/introspect"
    assert metadata["scopes_supported"] == list(openapi.registered_scopes())
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "none" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert set(metadata["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "password",
        "refresh_token",
    }
    assert metadata["service_documentation"] == f"{ISSUER}/api/v1/ui/"


def test_every_advertised_endpoint_answers(client):
    metadata = client.get(AS_METADATA).json()
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        path = metadata[name].removeprefix(ISSUER)
        assert client.post(path, data={}).status_code != 404, name


def test_the_protected_resource_metadata(client):
    metadata = client.get(RS_METADATA).json()
    assert metadata["resource"] == f"{ISSUER}/api/v1"
    assert metadata["authorization_servers"] == [ISSUER]
    assert metadata["scopes_supported"] == list(openapi.registered_scopes())
    assert metadata["bearer_methods_supported"] == ["header"]


def test_the_issuer_is_the_setting(client, monkeypatch):
    from storage import db

    monkeypatch.setattr(
        db, "_settings", dataclasses.replace(db.settings(), issuer="https://auth.example")
    )
    assert client.get(AS_METADATA).json()["issuer"] == "https://auth.example"


@pytest.mark.usefixtures("password_grant_off")
def test_password_grant_off_is_unsupported_grant_type(client):
    assert_oauth_error(password_grant(client), 400, "unsupported_grant_type")


@pytest.mark.usefixtures("password_grant_off")
def test_password_grant_off_leaves_the_metadata_and_swagger_ui(client):
    assert "password" not in client.get(AS_METADATA).json()["grant_types_supported"]
    flows = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]["oauth2"]
    assert set(flows["flows"]) == {"authorizationCode", "clientCredentials"}


def test_swagger_ui_uses_the_code_flow_with_pkce_and_the_registered_redirect(client):
    page = client.get("/api/v1/ui/").text
    assert '"usePkceWithAuthorizationCodeGrant": true' in page
    config = client.get("/api/v1/ui/swagger-ui-config.json").json()
    assert config["oauth2RedirectUrl"] == f"{ISSUER}/api/v1/ui/oauth2-redirect.html"
    assert client.get("/api/v1/ui/oauth2-redirect.html").status_code == 200
    flows = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]["oauth2"]
    assert flows["flows"]["authorizationCode"]["authorizationUrl"] == "/auth/oauth2/authorize"

    from storage import clients

    documentation = clients.find_client("documentation")
    assert documentation["redirect_uris"] == [config["oauth2RedirectUrl"]]
    assert "authorization_code" in documentation["grant_types"]
