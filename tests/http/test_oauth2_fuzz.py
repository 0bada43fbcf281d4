"""Whatever reaches the OAuth 2 endpoints, the answer is an RFC 6749 error or a token, never 500."""

from __future__ import annotations

import random

import pytest

from handlers.oauth2 import TOKEN_PARAMETERS as NAMES

pytestmark = pytest.mark.usefixtures("demo_data")

VALUES = [
    "",
    " ",
    "password",
    "refresh_token",
    "client_credentials",
    "documentation",
    "root",
    "q",
    "\x00",
    "é" * 40,
    "😀" * 10,
    "%00%ff",
    "a" * 199,
    "users:read\tteams:read",
    "users:read  ",
    "\r\n",
    "' OR 1=1 --",
]
ENDPOINTS = ["/auth/oauth2/token", "/auth/oauth2/revoke", "/auth/oauth2/introspect"]


def random_request(rng: random.Random) -> tuple[str, dict]:
    endpoint = rng.choice(ENDPOINTS)
    names = (
        NAMES
        if endpoint.endswith("token")
        else ["token", "token_type_hint", "client_id", "client_secret"]
    )
    params = {name: rng.choice(VALUES) for name in rng.sample(names, rng.randint(0, len(names)))}
    style = rng.choice(
        ["form", "multipart", "query"] if endpoint.endswith("token") else ["form", "multipart"]
    )
    kwargs: dict = {}
    if style == "form":
        kwargs["data"] = params
    elif style == "multipart":
        kwargs["files"] = {name: (None, value) for name, value in params.items()} or {
            "x": (None, "")
        }
    else:
        kwargs["params"] = params
    if rng.random() < 0.3:
        kwargs["headers"] = {
            "Authorization": rng.choice(
                ["Basic ZG9jdW1lbnRhdGlvbjo=", "Basic", "Basic Og==", "Bearer x"]
            )
        }
    return endpoint, kwargs


@pytest.mark.parametrize("seed", range(4))
def test_no_input_makes_the_oauth2_endpoints_fail(client, seed):
    rng = random.Random(seed)
    for _ in range(50):
        endpoint, kwargs = random_request(rng)
        response = client.post(endpoint, **kwargs)
        assert response.status_code < 500, (endpoint, kwargs, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/json", (endpoint, kwargs)
            assert "error" in response.json()
