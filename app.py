"""The application factory: the contract, the handlers it routes to, and how errors look.

``create_app(settings)`` builds a Connexion ``AsyncApp`` from the bundled OpenAPI document;
uvicorn and gunicorn load it as a factory (``app:create_app``). ``main`` is the ``apiserver``
command line.
"""

from __future__ import annotations

import functools
import json
import logging
import typing as t

from connexion import AsyncApp
from connexion.lifecycle import ConnexionResponse
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from connexion.utils import get_function_from_name
from starlette.responses import RedirectResponse, Response

import openapi
from config import Settings
from handlers.problems import ERROR_HANDLERS
from handlers.validators import VALIDATOR_MAP
from storage import db

API_PREFIX = "/api/v1"
SPEC_PATH = f"{API_PREFIX}/openapi.json"
UI_PATH = f"{API_PREFIX}/ui"
JSON_TYPE = "application/json"


def with_json_content_type(function: t.Callable) -> t.Callable:
    """Give handler results an explicit content type.

    Connexion cannot choose between ``application/json`` and ``application/problem+json`` when an
    operation declares both (Connexion issue #1956), so bodies are marked JSON here, and a
    result without a body becomes an explicit empty response.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        if isinstance(result, (ConnexionResponse, Response)):
            return result
        if not isinstance(result, tuple):
            result = (result,)
        body, status, headers = (*result, None, None)[:3]
        headers = dict(headers or {})
        if body is None:
            return ConnexionResponse(status_code=status or 204, headers=headers)
        headers.setdefault("Content-Type", JSON_TYPE)
        return body, status or 200, headers

    return wrapper


def resolve_handler(operation_id: str) -> t.Callable:
    return with_json_content_type(get_function_from_name(operation_id))


def redirect_to_ui(request) -> RedirectResponse:
    return RedirectResponse(f"{UI_PATH}/", status_code=308)


@functools.cache
def bundle_json() -> bytes:
    return json.dumps(openapi.bundle(), separators=(",", ":")).encode("utf-8")


def serve_spec(request) -> Response:
    return Response(bundle_json(), media_type=JSON_TYPE)


def swagger_ui_options() -> SwaggerUIOptions:
    return SwaggerUIOptions(
        # ``serve_spec`` serves the bundle instead: it keeps the named components that Connexion's
        # fully dereferenced copy loses, and it costs nothing per request.
        serve_spec=False,
        spec_path=SPEC_PATH,
        swagger_ui_path=UI_PATH,
        swagger_ui_config={
            "persistAuthorization": True,
            "showExtensions": True,
            "displayRequestDuration": True,
        },
    )


def create_app(settings: Settings | None = None) -> AsyncApp:
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    # Connexion warns on every request to an operation with two body types; that is by design.
    logging.getLogger("connexion.operations").setLevel(logging.ERROR)
    db.configure(settings)

    app = AsyncApp(
        __name__,
        swagger_ui_options=swagger_ui_options(),
        strict_validation=True,
        validate_responses=settings.validate_responses,
        validator_map=VALIDATOR_MAP,
    )
    app.add_api(openapi.bundle(), resolver=Resolver(function_resolver=resolve_handler))
    for path in ("/", API_PREFIX, f"{API_PREFIX}/"):
        app.add_url_rule(path, f"redirect:{path}", redirect_to_ui, methods=["GET"])
    app.add_url_rule(SPEC_PATH, "openapi.json", serve_spec, methods=["GET"])
    app.add_url_rule(f"{API_PREFIX}/swagger.json", "swagger.json", serve_spec, methods=["GET"])
    for error_class, handler in ERROR_HANDLERS:
        app.add_error_handler(error_class, handler)
    return app
