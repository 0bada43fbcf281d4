"""Connexion's ``AsyncApp``, minus two pieces of per-request work that never change.

Connexion 3.3's ``AsyncOperation.fn`` is a property: every request builds a new decorator chain
around the handler (parameter and response decorators, ``inspect.signature`` of the handler) and
a new URI parser from the operation's parameters. Its OAuth 2 security handler inspects the
token-info function's signature on every request too. None of that depends on the request, so
``App`` does it once; requests are read and tokens checked exactly as Connexion does.
bench/README.md records what this saved.
"""

from __future__ import annotations

import functools
import typing as t

from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import receive as current_receive
from connexion.context import scope as current_scope
from connexion.decorators import StarletteDecorator
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.security import NO_VALUE, BasicSecurityHandler, OAuthSecurityHandler


class DecoratedOnceOperation(AsyncOperation):
    def __init__(self, fn: t.Callable, *args, **kwargs) -> None:
        super().__init__(fn, *args, **kwargs)
        self._decorator = StarletteDecorator(
            pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )
        self._handler = self._decorator.decorate(fn)
        self._uri_parser = None

    async def __call__(self, scope, receive, send) -> None:
        if self._uri_parser is None:  # needs the operation, which only a request brings
            self._uri_parser = self._decorator.uri_parser
        request = StarletteFramework.get_request(
            uri_parser=self._uri_parser, scope=current_scope, receive=current_receive
        )
        response = await self._handler(request)
        return await response(scope, receive, send)


class DecoratedOnceApi(AsyncApi):
    def make_operation(self, operation) -> AsyncOperation:
        return DecoratedOnceOperation(
            operation.function,
            jsonifier=self.jsonifier,
            operation_id=operation.operation_id,
            pythonic_params=self.pythonic_params,
        )


class OAuthSecurity(OAuthSecurityHandler):
    @staticmethod
    @functools.cache
    def _accepts_kwarg(func: t.Callable, keyword: str) -> bool:
        return OAuthSecurityHandler._accepts_kwarg(func, keyword)


class ClientAuthenticationInTheHandler(BasicSecurityHandler):
    """The ``clientBasic`` scheme documents OAuth 2 client authentication on the token,
    revocation and introspection endpoints. oauthlib checks it in the handler, where it also
    accepts the form-parameter alternative (which OpenAPI 3.0 cannot declare) and answers in
    RFC 6749's format; here it is left to the operation's anonymous alternative (``{}``)."""

    def get_fn(self, security_scheme, required_scopes):
        return lambda request: NO_VALUE


class App(AsyncApp):
    def __init__(self, *args, **kwargs) -> None:
        security_map = {"oauth2": OAuthSecurity, "basic": ClientAuthenticationInTheHandler}
        super().__init__(*args, security_map=security_map, **kwargs)
        # The APIs are added later (add_api): from then on they make DecoratedOnceOperations.
        self._middleware_app.api_cls = DecoratedOnceApi
