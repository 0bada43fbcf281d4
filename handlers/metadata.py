"""Discovery: RFC 8414 authorization server metadata and RFC 9728 protected resource metadata."""

from __future__ import annotations

import openapi
from auth import authorization_server
from storage.db import settings

CLIENT_AUTHENTICATION = ["client_secret_basic", "client_secret_post"]


def get_authorization_server_metadata():
    issuer = settings().issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + openapi.path_for("authorize"),
        "token_endpoint": issuer + openapi.path_for("issue_token"),
        "revocation_endpoint": issuer + openapi.path_for("revoke_token"),
        "introspection_endpoint": issuer + openapi.path_for("introspect_token"),
        "scopes_supported": list(openapi.registered_scopes()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": authorization_server.grant_types(),
        # "none": public clients send their client_id alone (and PKCE protects their codes).
        "token_endpoint_auth_methods_supported": [*CLIENT_AUTHENTICATION, "none"],
        "revocation_endpoint_auth_methods_supported": [*CLIENT_AUTHENTICATION, "none"],
        "introspection_endpoint_auth_methods_supported": CLIENT_AUTHENTICATION,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "service_documentation": f"{issuer}/api/v1/ui/",
    }


def get_protected_resource_metadata():
    issuer = settings().issuer
    return {
        "resource": f"{issuer}/api/v1",
        "authorization_servers": [issuer],
        "scopes_supported": list(openapi.registered_scopes()),
        "bearer_methods_supported": ["header"],
        "resource_documentation": f"{issuer}/api/v1/ui/",
    }
