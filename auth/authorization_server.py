"""The OAuth 2 authorization server: oauthlib's endpoints, backed by storage.

oauthlib implements RFC 6749 (authorization code, password, client_credentials and
refresh_token grants), RFC 7636 (PKCE), RFC 7009 (revocation) and RFC 7662 (introspection);
``StorageValidator`` answers its questions (is this client genuine, is this password right,
which scopes may it have, is this code live) from storage. ``auth.authorization_code`` holds the
code grant's stricter rules and the authorization endpoint.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from types import SimpleNamespace
from urllib.parse import unquote, urlencode

from oauthlib.oauth2 import BearerToken, RequestValidator
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.endpoints import IntrospectEndpoint, RevocationEndpoint, TokenEndpoint
from oauthlib.oauth2.rfc6749.grant_types import (
    ClientCredentialsGrant,
    RefreshTokenGrant,
    ResourceOwnerPasswordCredentialsGrant,
)

from auth import redirect_uris
from auth.secrets import new_token, secret_matches
from domain import users
from storage import authorization_codes, clients, tokens
from storage.db import settings
from storage.errors import Conflict

# oauthlib refuses plain http; TLS is the deployment's job (a load balancer terminates it), and
# oauthlib uses the URI for nothing else, so the endpoints are given this one.
ENDPOINT_URI = "https://apiserver/auth/oauth2/{}"
REALM = 'Basic realm="apiserver"'
# What each RFC 6749 error means, for the errors oauthlib raises without a description.
DESCRIPTIONS = {
    "invalid_request": "The request is malformed: a parameter is missing, repeated or invalid.",
    "invalid_client": (
        "Client authentication failed: the client is unknown, its secret is wrong, or it must "
        "authenticate (HTTP Basic, or the client_id and client_secret parameters) and did not."
    ),
    "invalid_grant": "The grant is invalid, expired or revoked, or belongs to another client.",
    "unauthorized_client": "This client may not use this grant type.",
    "unsupported_grant_type": "This grant type is not supported.",
    "invalid_scope": "A requested scope is unknown, or not one this client may have.",
    "access_denied": "The user denied the request.",
    "unsupported_response_type": "The only response type this server supports is code.",
    "unsupported_token_type": "This kind of token cannot be revoked.",
    "server_error": "The server failed to handle this request.",
    "temporarily_unavailable": "The server cannot answer right now; try again shortly.",
}
PUBLIC_INTROSPECTION = (
    "Only confidential clients may introspect tokens: authenticate with the client's secret "
    "(HTTP Basic, or the client_id and client_secret parameters)."
)


class StorageValidator(RequestValidator):
    def __init__(self, *, confidential_only: bool = False) -> None:
        super().__init__()
        self.confidential_only = confidential_only

    # Client authentication (RFC 6749 §2.3) -------------------------------------------------

    @staticmethod
    def credentials(request) -> tuple[str | None, str | None]:
        """(client_id, client_secret) from HTTP Basic or from the parameters, not both."""
        cached = getattr(request, "_client_credentials", None)
        if cached is not None:
            return cached
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() == "basic":
            if request.client_secret is not None:
                raise errors.InvalidRequestError(
                    description="Authenticate the client one way: HTTP Basic or parameters.",
                    request=request,
                )
            try:
                decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise errors.InvalidClientError(request=request) from None
            client_id, _, secret = decoded.partition(":")
            found = (unquote(client_id) or None, unquote(secret) or None)
        else:
            found = (request.client_id or None, request.client_secret or None)
        request._client_credentials = found
        return found

    def _client(self, request, client_id: str | None) -> SimpleNamespace | None:
        """Look the client up once per request; oauthlib wants attributes, not keys."""
        found = clients.find_client(client_id) if client_id else None
        if found is None:
            return None
        request.client = SimpleNamespace(**found)
        request.client_id = found["client_id"]
        return request.client

    def client_authentication_required(self, request, *args, **kwargs) -> bool:
        client_id, secret = self.credentials(request)
        if secret is not None or self.confidential_only:
            return True  # a secret that is sent is always checked
        client = self._client(request, client_id)
        return (
            client is None
            or client.client_type == "confidential"
            or request.grant_type == "client_credentials"
        )

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        client_id, secret = self.credentials(request)
        client = self._client(request, client_id)
        if client is None or secret is None:
            return False
        if not secret_matches(secret, client.client_secret_hash):
            return False
        return not (self.confidential_only and client.client_type != "confidential")

    def authenticate_client_id(self, client_id, request, *args, **kwargs) -> bool:
        client_id, _ = self.credentials(request)
        client = self._client(request, client_id)
        return client is not None and client.client_type == "public"

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        return grant_type in client.grant_types

    # Resource owners and scopes ---------------------------------------------------------------

    def validate_user(self, username, password, client, request, *args, **kwargs) -> bool:
        request.user = users.authenticate(username, password)
        return request.user is not None

    def get_default_scopes(self, client_id, request, *args, **kwargs) -> list[str]:
        return list(request.client.default_scopes)

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        return set(scopes) <= set(client.default_scopes)

    # The authorization code grant (RFC 6749 §4.1, RFC 7636) ----------------------------------

    def validate_client_id(self, client_id, request, *args, **kwargs) -> bool:
        return self._client(request, client_id) is not None

    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs) -> bool:
        return redirect_uris.registered(redirect_uri, request.client.redirect_uris)

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs) -> str | None:
        """The client's redirect URI when it has registered exactly one (RFC 6749 §3.1.2.3)."""
        client = request.client or self._client(request, client_id)
        registered = client.redirect_uris if client else []
        return registered[0] if len(registered) == 1 else None

    def validate_response_type(
        self, client_id, response_type, client, request, *args, **kwargs
    ) -> bool:
        return "authorization_code" in client.grant_types

    def is_pkce_required(self, client_id, request) -> bool:
        return True  # every client, public or confidential (RFC 9700 §2.1.1)

    def save_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        authorization_codes.save(
            code=code["code"],
            client_id=request.client.client_id,
            user_id=request.user["id"],
            redirect_uri=request.redirect_uri,
            redirect_uri_given=not request.using_default_redirect_uri,
            scopes=list(request.scopes),
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
        )

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        """Redeem the code, here and now: oauthlib would invalidate it only after issuing the
        tokens, which lets concurrent redemptions all succeed (oauthlib#618)."""
        grant = authorization_codes.redeem(code, client.client_id)
        if grant is None:
            return False
        request._code_grant = grant
        request.user = {"id": grant["user_id"]}
        request.scopes = grant["scopes"]  # what was allowed, whatever the token request says
        return True

    def get_code_challenge(self, code, request) -> str:
        return request._code_grant["code_challenge"]

    def get_code_challenge_method(self, code, request) -> str:
        return request._code_grant["code_challenge_method"]

    def confirm_redirect_uri(
        self, client_id, code, redirect_uri, client, request, *args, **kwargs
    ) -> bool:
        """The token request repeats the authorize request's redirect_uri, if it had one (when
        it is left out, oauthlib passes the client's default here: oauthlib#445)."""
        grant = request._code_grant
        left_out = grant["redirect_uri_given"] and request.using_default_redirect_uri
        if left_out or redirect_uri != grant["redirect_uri"]:
            # RFC 6749 §5.2 calls this invalid_grant (oauthlib would say invalid_request).
            raise errors.InvalidGrantError(
                description="redirect_uri is not the one the code was issued for.",
                request=request,
            )
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        """Nothing left to do: ``validate_code`` redeemed it."""

    # Tokens -----------------------------------------------------------------------------------

    def save_bearer_token(self, token, request, *args, **kwargs) -> None:
        exchanged = getattr(request, "_refresh_token_row", None)
        code = getattr(request, "_code_grant", None)
        user_id = request.user["id"] if request.user else request.client.user_id
        family_id = exchanged["family_id"] if exchanged else code["family_id"] if code else None
        try:
            tokens.issue(
                access_token=token["access_token"],
                refresh_token=token.get("refresh_token"),
                client_id=request.client.client_id,
                user_id=user_id,
                scopes=list(request.scopes),
                rotates=exchanged["id"] if exchanged else None,
                family_id=family_id,
            )
        except Conflict as conflict:
            raise errors.InvalidGrantError(description=conflict.detail, request=request) from None

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        row = tokens.find_refresh_token(refresh_token)
        if row is None:
            return False
        if row["revoked"]:
            # A rotated (or revoked) refresh token came back: someone kept a copy. Revoke
            # everything issued from it.
            tokens.revoke_family(row["family_id"])
            return False
        if row["expired"] or row["client_id"] != client.client_id or not row["user_active"]:
            return False
        request._refresh_token_row = row
        request.user = {"id": row["user_id"]}
        return True

    def get_original_scopes(self, refresh_token, request, *args, **kwargs) -> list[str]:
        return request._refresh_token_row["scopes"]

    def rotate_refresh_token(self, request) -> bool:
        return True

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs) -> None:
        tokens.revoke(token, token_type_hint, request.client.client_id)

    def introspect_token(self, token, token_type_hint, request, *args, **kwargs) -> dict | None:
        return tokens.introspect(token, token_type_hint)


def normalise_scope(request) -> None:
    """Drop empty and repeated items from ``scope`` ("a  b" from some clients means "a b")."""
    if request.scope is not None:
        items = list(dict.fromkeys(request.scope.split()))
        request.scope = " ".join(items) or None
        request.scopes = items or None


def owner_must_be_active(request) -> None:
    if not request.client.owner_active:
        raise errors.InvalidGrantError(
            description="The client's owner account is inactive.", request=request
        )


def endpoints() -> tuple[TokenEndpoint, RevocationEndpoint, IntrospectEndpoint]:
    """The endpoints for the configured settings (built once per set of settings)."""
    return _endpoints(settings())


@functools.cache
def _endpoints(config) -> tuple[TokenEndpoint, RevocationEndpoint, IntrospectEndpoint]:
    from auth.authorization_code import code_grant

    validator = StorageValidator()
    bearer = bearer_tokens(validator, config)
    grants = {
        "authorization_code": code_grant(validator, config.issuer),
        "client_credentials": ClientCredentialsGrant(
            validator, pre_token=[normalise_scope], post_token=[owner_must_be_active]
        ),
        "refresh_token": RefreshTokenGrant(validator, pre_token=[normalise_scope]),
    }
    if config.password_grant:
        grants["password"] = ResourceOwnerPasswordCredentialsGrant(
            validator, pre_token=[normalise_scope]
        )
    token = TokenEndpoint("authorization_code", bearer, grants)
    revocation = RevocationEndpoint(validator)
    introspection = IntrospectEndpoint(StorageValidator(confidential_only=True))
    return token, revocation, introspection


def bearer_tokens(validator: RequestValidator, config) -> BearerToken:
    return BearerToken(
        validator,
        token_generator=lambda request: new_token(),
        refresh_token_generator=lambda request: new_token(),
        expires_in=config.access_token_ttl,
    )


def grant_types() -> list[str]:
    """The grants this server has enabled, in a stable order."""
    return sorted(endpoints()[0].grant_types)


Response = tuple[dict, str, int]


def _described(body: str, default: str | None = None) -> str:
    """``body`` with an ``error_description`` when it is an error that came without one."""
    try:
        document = json.loads(body) if body else None
    except ValueError:
        return body
    if (
        not isinstance(document, dict)
        or "error" not in document
        or document.get("error_description")
    ):
        return body
    document["error_description"] = default or DESCRIPTIONS.get(
        document["error"], "The request failed."
    )
    return json.dumps(document)


def answer_headers(status: int, headers: dict | None = None) -> dict:
    """The headers of every answer of these endpoints (RFC 6749 §5.1, §5.2): JSON, never
    cached, and the Basic challenge on 401."""
    headers = {key: value for key, value in (headers or {}).items() if key != "WWW-Authenticate"}
    if status == 401:
        headers["WWW-Authenticate"] = REALM
    headers.setdefault("Content-Type", "application/json")
    headers.setdefault("Cache-Control", "no-store")
    headers.setdefault("Pragma", "no-cache")
    return headers


def _finish(headers: dict, body: str, status: int, invalid_client: str | None = None) -> Response:
    if status >= 400:
        body = _described(body, invalid_client if status == 401 else None)
    return answer_headers(status, headers), body, status


def _error(error: errors.OAuth2Error) -> Response:
    return _finish(dict(error.headers), error.json, error.status_code)


def _call(
    endpoint_method, name: str, params: dict, headers: dict, invalid_client: str | None = None
) -> Response:
    try:
        return _finish(
            *endpoint_method(ENDPOINT_URI.format(name), "POST", urlencode(params), headers),
            invalid_client=invalid_client,
        )
    except errors.OAuth2Error as error:
        return _error(error)


def invalid_request(description: str) -> Response:
    return _error(errors.InvalidRequestError(description=description))


def token_response(params: dict, headers: dict) -> Response:
    endpoint = endpoints()[0]
    grant_type = params.get("grant_type")
    if not grant_type:
        return invalid_request("Request is missing grant_type parameter.")
    if grant_type not in endpoint.grant_types:
        return _error(
            errors.UnsupportedGrantTypeError(
                description=f"Supported grant types: {', '.join(endpoint.grant_types)}."
            )
        )
    return _call(endpoint.create_token_response, "token", params, headers)


def revocation_response(params: dict, headers: dict) -> Response:
    return _call(endpoints()[1].create_revocation_response, "revoke", params, headers)


def introspection_response(params: dict, headers: dict) -> Response:
    return _call(
        endpoints()[2].create_introspect_response,
        "introspect",
        params,
        headers,
        invalid_client=PUBLIC_INTROSPECTION,
    )
