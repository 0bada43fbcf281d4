"""Object-level permission rules, named in the contract by each operation's ``x-permission``.

Connexion checks the token and its scopes; this module checks the rule the operation names,
after the request is validated and before its handler runs. A rule receives the caller and the
operation's path parameters, and raises ``NotFound`` (404) or ``PermissionDenied`` (403).
Internal service accounts pass every rule.
"""

from __future__ import annotations

import functools
import typing as t

from handlers.security import Caller, current_caller
from storage import clients
from storage.errors import PermissionDenied

Rule = t.Callable[[Caller, dict], None]
RULES: dict[str, Rule] = {}


def rule(name: str) -> t.Callable[[Rule], Rule]:
    def register(check: Rule) -> Rule:
        RULES[name] = check
        return check

    return register


@rule("active-user")
def active_user(caller: Caller, params: dict) -> None:
    """Any active user; the token check has already refused inactive ones."""


@rule("admin")
def admin(caller: Caller, params: dict) -> None:
    if not caller.is_admin:
        raise PermissionDenied("only administrators may do this")


@rule("client-owner")
def client_owner(caller: Caller, params: dict) -> None:
    owner = clients.client_owner(params["client_id"])  # NotFound first
    if owner != caller.id and not caller.is_admin:
        raise PermissionDenied("only the client's owner may do this")


def check(rule_name: str, params: dict) -> None:
    caller = current_caller()
    if caller is None:
        raise PermissionDenied("this operation needs an authenticated caller")
    if caller.is_internal:
        return
    RULES[rule_name](caller, params)


def enforcing(rule_name: str | None, function: t.Callable) -> t.Callable:
    """Wrap a handler so that the named rule is checked before it runs."""
    if rule_name is None:
        return function
    if rule_name not in RULES:
        raise LookupError(f"x-permission {rule_name!r} of {function.__name__} is not a known rule")

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        check(rule_name, kwargs)
        return function(*args, **kwargs)

    return guarded
