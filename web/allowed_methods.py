"""``OPTIONS`` on any resource: 204 with ``Allow`` listing the methods this caller may use.

Computed from the contract: each method's security requirements against the caller's token, then
the method's ``x-permission`` rule, exactly as a real call would check them. Anonymous callers
get the methods that need no token. A CORS preflight (``Access-Control-Request-Method``) that the
CORS layer did not answer gets every method of the path, without authentication.
"""

from __future__ import annotations

import asyncio
import re
import typing as t

from jsonschema import Draft4Validator
from starlette.datastructures import Headers
from starlette.responses import Response

import openapi
from auth import permissions
from auth.token_check import Caller, caller_from
from storage import tokens
from storage.errors import NotFound, PermissionDenied, Unauthenticated
from web.routes import Route, compile_routes, match_route


def _path_params(route: Route, match: re.Match) -> dict:
    params = {}
    for name, raw in match.groupdict().items():
        schema = route.parameters.get(name, {"type": "string"})
        value: t.Any = raw
        if schema.get("type") == "integer":
            try:
                value = int(raw)
            except ValueError:
                raise NotFound(f"no resource at this {name}") from None
        if not Draft4Validator(schema).is_valid(value):
            raise NotFound(f"no resource at this {name}")
        params[name] = value
    return params


def _satisfies(operation: dict, caller: Caller | None) -> bool:
    requirements = operation.get("security", openapi.bundle().get("security", []))
    if requirements == [] or {} in requirements:
        return True
    if caller is None:
        return False
    return any(set(requirement.get("oauth2", [])) <= caller.scopes for requirement in requirements)


def allowed_methods(route: Route, params: dict, caller: Caller | None) -> list[str]:
    allowed = []
    for method, operation in route.methods.items():
        if not _satisfies(operation, caller):
            continue
        rule = operation.get("x-permission")
        if rule is not None:
            try:
                permissions.check(rule, method, params, caller)
            except (PermissionDenied, Unauthenticated):
                continue
        allowed.append(method)
    return [*allowed, "OPTIONS"]


def _caller(authorization: str | None) -> Caller | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    info = tokens.access_token_info(token.strip()) if scheme.lower() == "bearer" else None
    if info is None:
        raise Unauthenticated("the bearer token is not valid")
    return caller_from(info)


class AllowedMethodsMiddleware:
    def __init__(self, app) -> None:
        self.app = app
        self.routes = compile_routes()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            return await self.app(scope, receive, send)
        found = match_route(self.routes, scope["path"])
        if found is None:
            return await self.app(scope, receive, send)
        route, match = found
        headers = Headers(scope=scope)
        if "access-control-request-method" in headers:
            methods = [*route.methods, "OPTIONS"]
        else:
            methods = await asyncio.to_thread(
                self._allowed, route, match, headers.get("authorization")
            )
        response = Response(status_code=204, headers={"Allow": ", ".join(methods)})
        await response(scope, receive, send)

    @staticmethod
    def _allowed(route: Route, match: re.Match, authorization: str | None) -> list[str]:
        return allowed_methods(route, _path_params(route, match), _caller(authorization))
