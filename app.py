"""The application factory: the contract, the handlers it routes to, and the middlewares.

``create_app(settings)`` builds a Connexion ``AsyncApp`` from the bundled OpenAPI document;
uvicorn and gunicorn load it as a factory (``app:create_app``). The ``apiserver`` command line
is ``cli.py``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import json
import logging
import warnings

# Connexion imports Starlette's test client at import time, which warns about httpx on every start.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette.testclient`")

from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.responses import RedirectResponse, Response

import openapi
from config import Settings
from domain import seed
from storage import db
from web import metrics, rate_limits
from web.allowed_methods import AllowedMethodsMiddleware
from web.concurrency import ReadConcurrencyCap
from web.connexion_app import App
from web.cors import CORSExceptPages
from web.problems import ERROR_HANDLERS
from web.rate_limits import BodySizeLimit
from web.request_log import RequestFacts, RequestLog, configure_logging
from web.resolver import JSON_TYPE, resolve_handler
from web.routes import TrailingSlashRedirect
from web.validators import VALIDATOR_MAP

API_PREFIX = "/api/v1"
SPEC_PATH = f"{API_PREFIX}/openapi.json"
UI_PATH = f"{API_PREFIX}/ui"


def redirect_to_ui(request) -> RedirectResponse:
    return RedirectResponse(f"{UI_PATH}/", status_code=308)


@functools.cache
def bundle_json(password_grant: bool = True) -> bytes:
    """The served contract; without the password flow when PASSWORD_GRANT is off, so that
    Swagger UI does not offer it."""
    document = openapi.bundle()
    if not password_grant:
        document = copy.deepcopy(document)
        del document["components"]["securitySchemes"]["oauth2"]["flows"]["password"]
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def serve_spec(request) -> Response:
    return Response(bundle_json(db.settings().password_grant), media_type=JSON_TYPE)


def swagger_ui_options(settings: Settings) -> SwaggerUIOptions:
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
            # The URI registered for the documentation client: exact matching leaves no room
            # for 127.0.0.1 versus localhost, so it comes from ISSUER, not from the browser.
            "oauth2RedirectUrl": f"{settings.issuer}{UI_PATH}/oauth2-redirect.html",
        },
        # "Authorize" signs in with the authorization code flow and PKCE (or the password
        # flow, while PASSWORD_GRANT is on) as the public documentation client.
        swagger_ui_template_arguments={
            "initOAuth": {
                "clientId": seed.DOCUMENTATION_CLIENT_ID,
                "scopeSeparator": " ",
                "usePkceWithAuthorizationCodeGrant": True,
            }
        },
    )


@contextlib.asynccontextmanager
async def lifespan(app):
    """When a worker starts: take what it built out of the collector's sight. When its event
    loop ends: close the connections that belong to it."""
    freeze_what_lives_forever()
    yield
    await rate_limits.close_loop_connections()
    await db.close_loop_connections()


@functools.cache  # once per process: what a later app builds in tests is collected as usual
def freeze_what_lives_forever() -> None:
    """The contract, its validators, the routes, the modules: hundreds of thousands of objects
    that live as long as the worker. Frozen (gc.freeze), the collector no longer walks them: with
    one worker on PostgreSQL, W1's p99 fell from 94-98 ms to 31-36 ms (bench/README.md)."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> App:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    # Connexion warns on every request to an operation with two body types; that is by design.
    logging.getLogger("connexion.operations").setLevel(logging.ERROR)
    db.configure(settings)
    rate_limits.configure(settings)
    if metrics.observe_pool not in db.POOL_OBSERVERS:
        db.POOL_OBSERVERS.append(metrics.observe_pool)

    app = App(
        __name__,
        lifespan=lifespan,
        swagger_ui_options=swagger_ui_options(settings),
        strict_validation=True,
        validate_responses=settings.validate_responses,
        validator_map=VALIDATOR_MAP,
    )
    app.add_api(openapi.bundle(), resolver=Resolver(function_resolver=resolve_handler))
    for path in ("/", API_PREFIX, f"{API_PREFIX}/"):
        app.add_url_rule(path, f"redirect:{path}", redirect_to_ui, methods=["GET"])
    app.add_url_rule(SPEC_PATH, "openapi.json", serve_spec, methods=["GET"])
    app.add_url_rule(f"{API_PREFIX}/swagger.json", "swagger.json", serve_spec, methods=["GET"])
    # Outermost first: the access log and headers see every response, errors included.
    app.add_middleware(RequestLog, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(
        ReadConcurrencyCap,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        limit=settings.max_concurrent_reads,
    )
    app.add_middleware(BodySizeLimit, position=MiddlewarePosition.BEFORE_SWAGGER)
    app.add_middleware(RequestFacts, position=MiddlewarePosition.BEFORE_VALIDATION)
    app.add_middleware(TrailingSlashRedirect, position=MiddlewarePosition.BEFORE_ROUTING)
    app.add_middleware(AllowedMethodsMiddleware, position=MiddlewarePosition.BEFORE_ROUTING)
    app.add_middleware(
        CORSExceptPages,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
        expose_headers=[
            "ETag",
            "Link",
            "Location",
            "X-Total-Count",
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
        ],
        max_age=600,
    )
    # Inside CORS (which exposes its headers), outside the exception middleware (429s, 4xx).
    app.add_middleware(rate_limits.RateLimitHeaders, position=MiddlewarePosition.BEFORE_EXCEPTION)
    for error_class, handler in ERROR_HANDLERS:
        app.add_error_handler(error_class, handler)
    return app
