"""Which redirect URIs a client may register, and when a requested one matches (RFC 9700 §2.1:
exactly, except the port of a loopback http URI)."""

import pytest

from auth import redirect_uris


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("https://app.example/cb", None),
        ("https://app.example:8443/cb?tenant=1", None),
        ("http://127.0.0.1/cb", None),
        ("http://[::1]:8080/cb", None),
        ("http://localhost:3000/cb", None),
        ("http://app.example/cb", "must be https"),
        ("http://127.0.0.1.evil.example/cb", "must be https"),
        ("https://app.example/cb#top", "fragment"),
        ("https://user:pass@app.example/cb", "credentials"),
        ("app.example/cb", "absolute"),
        ("ftp://app.example/cb", "absolute"),
        ("https:///cb", "absolute"),
    ],
)
def test_what_may_be_registered(uri, problem):
    found = redirect_uris.problem(uri)
    assert (found is None) if problem is None else (problem in found), found


@pytest.mark.parametrize(
    ("requested", "registered", "matches"),
    [
        ("https://app.example/cb", "https://app.example/cb", True),
        ("https://app.example/cb/", "https://app.example/cb", False),
        ("https://app.example:443/cb", "https://app.example/cb", False),
        ("https://APP.example/cb", "https://app.example/cb", False),  # string comparison
        ("http://127.0.0.1:49152/cb", "http://127.0.0.1/cb", True),
        ("http://127.0.0.1:49152/cb", "http://127.0.0.1:8000/cb", True),
        ("http://[::1]:49152/cb", "http://[::1]/cb", True),
        ("http://localhost:1/cb", "http://localhost/cb", True),
        ("http://127.0.0.1:49152/other", "http://127.0.0.1/cb", False),
        ("http://localhost/cb", "http://127.0.0.1/cb", False),
        ("https://127.0.0.1:8443/cb", "https://127.0.0.1/cb", False),  # loopback means http
    ],
)
def test_matching(requested, registered, matches):
    assert redirect_uris.matches(requested, registered) is matches
