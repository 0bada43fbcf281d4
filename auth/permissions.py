"""Object-level permission rules, named in the contract by each operation's ``x-permission``.

Connexion checks the token and its scopes; this module then checks the rule the operation names,
after the request is validated and before its handler runs. A rule receives the caller (None
for an anonymous call to an operation whose token is optional) and the path parameters, and
raises ``NotFound`` (404, looked at first, for every caller), ``PermissionDenied`` (403) or
``Unauthenticated`` (401). Two things hold for every rule: internal service accounts pass once
the object exists, and accounts that are not regular users (read-only) may read but never write.
``check`` refuses read-only writers only after the rule has passed, so that a missing object is
404 for them as for everyone else.
"""

from __future__ import annotations

import dataclasses
import functools
import typing as t

from auth.token_check import Caller, current_caller
from storage import clients, teams, users
from storage.db import settings
from storage.errors import PermissionDenied, Unauthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclasses.dataclass(frozen=True)
class Rule:
    name: str
    check: t.Callable[[Caller | None, dict], None]
    anonymous: bool  # may an anonymous caller reach it (the operation's token is optional)?


RULES: dict[str, Rule] = {}


def rule(name: str, *, anonymous: bool = False):
    def register(check):
        RULES[name] = Rule(name, check, anonymous)
        return check

    return register


@rule("active-user")
def active_user(caller: Caller, params: dict) -> None:
    """Any active user: the token check has already refused inactive ones."""


@rule("admin")
def admin(caller: Caller, params: dict) -> None:
    if not caller.is_privileged:
        raise PermissionDenied("only administrators may do this")


@rule("signup", anonymous=True)
def signup(caller: Caller | None, params: dict) -> None:
    """Anyone with SIGNUP=open; only administrators with SIGNUP=admin."""
    if settings().signup == "open":
        return
    if caller is None:
        raise Unauthenticated("sign-up is closed: an administrator must create your account")
    if not caller.is_privileged:
        raise PermissionDenied("only administrators may create users")


@rule("self-or-admin")
def self_or_admin(caller: Caller, params: dict) -> None:
    users.require_user(params["user_id"])
    if params["user_id"] != caller.id and not caller.is_privileged:
        raise PermissionDenied("only the user themself or an administrator may do this")


def _team_role(caller: Caller, params: dict) -> bool | None:
    """The caller's role in the team (None: not a member). NotFound if the team does not exist,
    or, on a member's path (``user_id``), if that user is not a member of it."""
    return teams.membership(params["team_id"], caller.id, member_id=params.get("user_id"))


@rule("team-member")
def team_member(caller: Caller, params: dict) -> None:
    role = _team_role(caller, params)
    if role is None and not caller.is_privileged:
        raise PermissionDenied("only the team's members and administrators may do this")


@rule("team-leader")
def team_leader(caller: Caller, params: dict) -> None:
    role = _team_role(caller, params)
    if not role and not caller.is_privileged:
        raise PermissionDenied("only the team's leaders and administrators may do this")


@rule("team-leader-or-self")
def team_leader_or_self(caller: Caller, params: dict) -> None:
    role = _team_role(caller, params)
    if not role and not caller.is_privileged and params["user_id"] != caller.id:
        raise PermissionDenied(
            "only the team's leaders, administrators or the member themself may do this"
        )


def owner_rule(name: str, noun: str, owner_of: t.Callable[[t.Any], int], parameter: str) -> None:
    """Register the rule ``name`` of an owned object: its owner and administrators pass.
    ``owner_of`` gives the owner's id of the object the path parameter ``parameter`` names, or
    raises NotFound."""

    def owner(caller: Caller, params: dict) -> None:
        if owner_of(params[parameter]) != caller.id and not caller.is_privileged:
            raise PermissionDenied(f"only the {noun}'s owner may do this")

    owner.__name__ = name.replace("-", "_")
    rule(name)(owner)


owner_rule("client-owner", "client", clients.client_owner, "client_id")


@rule("own-authorization")
def own_authorization(caller: Caller, params: dict) -> None:
    """Any active user, about what they allowed a client: the client must exist."""
    clients.client_owner(params["client_id"])


def check(rule_name: str, method: str, params: dict, caller: Caller | None) -> None:
    """Raise unless ``caller`` (None: anonymous) may call the operation."""
    named = RULES[rule_name]
    if caller is None:
        if not named.anonymous:
            raise Unauthenticated("this operation needs a bearer token")
        named.check(None, params)
        return
    # The rule first: it looks the object up (404 for every caller) and may refuse (403).
    named.check(caller, params)
    # Then read-only accounts never write, except where anonymous callers may (signing up).
    writes = method.upper() not in SAFE_METHODS
    if writes and not caller.is_regular_user and not caller.is_internal and not named.anonymous:
        raise PermissionDenied("this account is read-only")


def enforcing(rule_name: str | None, method: str, function: t.Callable) -> t.Callable:
    """Wrap a handler so that the named rule is checked before it runs."""
    if rule_name is None:
        return function
    if rule_name not in RULES:
        raise LookupError(f"x-permission {rule_name!r} of {function.__name__} is not a known rule")

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        check(rule_name, method, kwargs, current_caller())
        return function(*args, **kwargs)

    return guarded
