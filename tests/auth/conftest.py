"""The people of tests/http/conftest.py, for tests that call the API through the app."""

from tests.http.conftest import password, people  # noqa: F401
