"""The contract's paths as patterns, for the few things that happen before Connexion routes:
OPTIONS answers and trailing-slash redirects."""

from __future__ import annotations

import re
import typing as t

from starlette.responses import RedirectResponse

import openapi


class Route(t.NamedTuple):
    pattern: re.Pattern
    methods: dict[str, dict]  # METHOD -> operation
    parameters: dict[str, dict]  # path parameter name -> its schema


def compile_routes() -> list[Route]:
    routes = []
    for path, item in openapi.bundle()["paths"].items():
        regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
        methods = {
            method.upper(): operation
            for method, operation in item.items()
            if method in openapi.HTTP_METHODS
        }
        parameters = {
            param["name"]: param["schema"]
            for operation in methods.values()
            for param in _resolved(operation.get("parameters", []))
            if param["in"] == "path"
        }
        routes.append(Route(re.compile(f"^{regex}$"), methods, parameters))
    return routes


def _resolved(parameters: list[dict]) -> list[dict]:
    components = openapi.bundle()["components"]["parameters"]
    return [components[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p for p in parameters]


def match_route(routes: list[Route], path: str) -> tuple[Route, re.Match] | None:
    for route in routes:
        match = route.pattern.match(path)
        if match:
            return route, match
    return None


class TrailingSlashRedirect:
    """``/api/v1/teams`` -> 308 ``/api/v1/teams/`` (and ``/users/me/`` -> ``/users/me``).

    Starlette would answer 307 with an absolute URL; 308 says the move is permanent, keeps the
    method and body, and a relative Location works behind any proxy.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.routes = compile_routes()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if match_route(self.routes, path) is None:
                other = path[:-1] if path.endswith("/") else f"{path}/"
                if other and match_route(self.routes, other) is not None:
                    query = scope.get("query_string", b"").decode("latin-1")
                    location = f"{other}?{query}" if query else other
                    return await RedirectResponse(location, status_code=308)(scope, receive, send)
        await self.app(scope, receive, send)
