"""The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636), stricter than oauthlib's.

oauthlib's ``AuthorizationCodeGrant`` accepts ``plain`` challenges (and takes a missing method
for ``plain``), checks neither the challenge's nor the verifier's format, and matches
``response_type`` as a substring (``codex`` passes). ``CodeGrant`` and its validators close
each of those; every code response and every error sent back to the client carries ``iss``
(RFC 9207).

The authorization endpoint is three questions the sign-in handlers ask: ``review`` (is this a
request to show a page for, or one to send straight back with an error?), ``allow`` and
``deny``. Errors a client must not be redirected for (an unknown client, a redirect URI it has
not registered) raise ``NotForTheClient``, which becomes a page.
"""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace
from urllib.parse import urlencode

from oauthlib.common import Request as OAuthRequest
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256

from auth import authorization_server
from auth.secrets import new_token
from storage.db import settings
from storage.errors import InvalidInput

# RFC 7636 §4.1, §4.2: 43 to 128 unreserved characters.
PKCE_VALUE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
AUTHORIZE_URI = "https://apiserver/auth/oauth2/authorize"
# The authorization request's parameters: what the consent form carries back.
PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "prompt",
)


class CodeGrant(AuthorizationCodeGrant):
    _code_challenge_methods = {"S256": code_challenge_method_s256}  # never plain

    def create_authorization_code(self, request) -> dict:
        grant = {"code": new_token()}  # 32 random bytes, as every token here
        if request.state:
            grant["state"] = request.state
        return grant


def exactly_code(request) -> dict:
    """``response_type`` is ``code``, nothing more (oauthlib takes any string holding it)."""
    if request.response_type is None:
        raise errors.MissingResponseTypeError(request=request)
    if request.response_type != "code":
        raise errors.UnsupportedResponseTypeError(request=request)
    return {}


def s256_challenge(request) -> dict:
    """A well-formed S256 challenge: oauthlib takes a missing method for ``plain``."""
    if request.code_challenge is None:
        raise errors.MissingCodeChallengeError(request=request)
    if request.code_challenge_method != "S256":
        raise errors.UnsupportedCodeChallengeMethodError(
            description="code_challenge_method must be S256.", request=request
        )
    if not PKCE_VALUE.match(request.code_challenge):
        raise errors.InvalidRequestError(
            description="code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.",
            request=request,
        )
    return {}


def normalised_scope(request) -> dict:
    authorization_server.normalise_scope(request)
    return {}


def well_formed_verifier(request) -> None:
    """Checked before the code is redeemed, so that a malformed request does not use it up."""
    if request.code_verifier is None:
        raise errors.MissingCodeVerifierError(request=request)
    if not PKCE_VALUE.match(request.code_verifier):
        raise errors.InvalidRequestError(
            description="code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~.",
            request=request,
        )


def code_grant(validator, issuer: str) -> CodeGrant:
    grant = CodeGrant(
        validator,
        pre_auth=[normalised_scope, exactly_code, s256_challenge],
        pre_token=[well_formed_verifier],
    )
    grant.register_code_modifier(lambda code, token_handler, request: {**code, "iss": issuer})
    return grant


# The authorization endpoint --------------------------------------------------------------------


class NotForTheClient(InvalidInput):
    """An error to show the person (a 400 page), never to redirect: the client or redirect URI
    is unknown."""


@dataclasses.dataclass(frozen=True)
class Redirect:
    location: str


@dataclasses.dataclass(frozen=True)
class Reviewed:
    """An authorization request that passed every check: what the consent page shows."""

    client: SimpleNamespace
    scopes: list[str]
    params: dict[str, str]  # its parameters, for the consent form's hidden fields


def _grant() -> CodeGrant:
    return authorization_server.endpoints()[0].grant_types["authorization_code"]


def _oauth_request(params: dict[str, str] | str) -> OAuthRequest:
    query = params if isinstance(params, str) else urlencode(params)
    return OAuthRequest(f"{AUTHORIZE_URI}?{query}" if query else AUTHORIZE_URI, "GET")


def _error_redirect(error: errors.OAuth2Error, request: OAuthRequest) -> Redirect:
    """RFC 6749 §4.1.2.1 with RFC 9207's ``iss``: oauthlib's own error redirects lack it."""
    if not error.description:
        error.description = authorization_server.DESCRIPTIONS.get(error.error)
    params = [*error.twotuples, ("iss", settings().issuer)]
    return Redirect(add_params_to_uri(request.redirect_uri, params))


def _validated(request: OAuthRequest) -> list[str]:
    try:
        scopes, _info = _grant().validate_authorization_request(request)
    except errors.FatalClientError as error:
        raise NotForTheClient(_fatal_description(error)) from None
    return scopes


def _fatal_description(error: errors.FatalClientError) -> str:
    if isinstance(error, errors.InvalidClientIdError | errors.MissingClientIdError):
        return "The application is unknown: its client_id is missing or not registered here."
    if isinstance(error, errors.MissingRedirectURIError):
        return "The application did not say where to send you back (redirect_uri)."
    if isinstance(error, errors.InvalidRedirectURIError | errors.MismatchingRedirectURIError):
        return "The application's redirect_uri is not one it has registered here."
    return "The request is malformed: a parameter is repeated or cannot be read."


def review(query: dict[str, str] | str) -> Reviewed | Redirect:
    """Check an authorization request (the raw query string, or the consent form's fields).
    Raises NotForTheClient; answers a Redirect with the error the client should hear."""
    request = _oauth_request(query)
    try:
        scopes = _validated(request)
    except errors.OAuth2Error as error:
        return _error_redirect(error, request)
    params = {name: getattr(request, name) for name in PARAMETERS if getattr(request, name)}
    if request.using_default_redirect_uri:
        del params["redirect_uri"]  # the token request must not need it either
    params["scope"] = " ".join(scopes)
    return Reviewed(client=request.client, scopes=list(scopes), params=params)


def allow(reviewed: Reviewed, user: dict) -> Redirect:
    """Issue a code for ``user`` and send the browser back to the client with it."""
    request = _oauth_request(reviewed.params)
    request.user = user
    headers, _body, _status = _grant().create_authorization_response(request, None)
    return Redirect(headers["Location"])


def deny(reviewed: Reviewed) -> Redirect:
    request = _oauth_request(reviewed.params)
    _validated(request)
    return _error_redirect(errors.AccessDeniedError(request=request), request)
