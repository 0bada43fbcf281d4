"""Connexion's request validators, reporting every invalid field in the problem's ``errors``.

Connexion stops at the first error and echoes the offending value (a password, say) in
``detail``. These subclasses collect all errors, name each field, never repeat the value,
turn undecodable bodies (invalid UTF-8) into a 400 instead of a 500, and tell a JSON document
sent as a form what Content-Type it needs. Every rule checked here is the contract's: NUL
characters, for one, are refused by the pattern every text input declares.
"""

from __future__ import annotations

import json
import typing as t

from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from connexion.validators.parameter import is_null, is_nullable
from jsonschema import Draft4Validator
from jsonschema.validators import extend
from starlette.formparsers import MultiPartException

from openapi import describe, field_errors


class InvalidRequest(BadRequestProblem):
    """A 400 whose problem document lists the invalid fields in ``errors``."""

    def __init__(self, detail: str, errors: list[dict] | None = None) -> None:
        super().__init__(detail=detail)
        self.ext = {"errors": errors} if errors else None


def invalid_fields(what: str, errors: list[dict]) -> InvalidRequest:
    summary = "; ".join(f"{error['field']} {error['message']}" for error in errors[:5])
    if len(errors) > 5:
        summary += f"; and {len(errors) - 5} more"
    return InvalidRequest(f"Invalid {what}: {summary}.", errors)


def validate_document(validator: Draft4Validator, document: t.Any, prefix: str = "") -> None:
    errors = [
        item
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
        for item in field_errors(error, prefix)
    ]
    if errors:
        raise invalid_fields("request body", errors)


def _one_of_by_path(validator, one_of: list, instance: t.Any, schema: dict):
    """jsonschema's ``oneOf``, tried first on the one branch that can hold.

    The contract's JSON Patch operations are a ``oneOf`` of objects told apart by their
    ``path`` enum. A branch whose ``path`` enum leaves out the operation's path cannot match, so
    when one branch is left and the operation is valid under it, it is valid under exactly one:
    the verdict ``oneOf`` would reach, without validating the others (a W3 body, in a loop:
    110 → 52 µs).
    Anything else (no path, several branches left, an invalid operation) goes through the
    ``oneOf`` itself, so every error reads as it always did.
    """
    path = instance.get("path") if isinstance(instance, dict) else None
    if isinstance(path, str):
        left = [branch for branch in one_of if path in _path_enum(branch, path)]
        if len(left) == 1 and next(validator.descend(instance, left[0]), None) is None:
            return
    yield from _ONE_OF(validator, one_of, instance, schema)


def _path_enum(branch: t.Any, path: str) -> list:
    """The paths ``branch`` admits: its ``path`` enum, or ``[path]`` when it names none (or
    is a ``$ref``, beside which draft 4 reads nothing)."""
    try:
        enum = branch["properties"]["path"]["enum"]
    except (KeyError, TypeError):
        return [path]
    return enum if isinstance(enum, list) and "$ref" not in branch else [path]


# Connexion's request validator (nullable, readOnly), with ``oneOf`` by path.
_ONE_OF = Draft4RequestValidator.VALIDATORS["oneOf"]
BodyValidator = extend(Draft4RequestValidator, {"oneOf": _one_of_by_path})

# Parameter and body schemas live as long as the app (Connexion hands the body validator the
# same schema dict on every request): one validator each, not one per request. Each entry keeps
# its schema alive, so no other object can take its id.
_VALIDATORS: dict[tuple[int, type], tuple[dict, Draft4Validator]] = {}


def _validator_for(schema: dict, kind: type = Draft4Validator) -> Draft4Validator:
    key = (id(schema), kind)
    if key not in _VALIDATORS:
        _VALIDATORS[key] = (schema, kind(schema, format_checker=Draft4Validator.FORMAT_CHECKER))
    return _VALIDATORS[key][1]


class JSONBodyValidator(JSONRequestBodyValidator):
    @property
    def _validator(self) -> Draft4Validator:
        return _validator_for(self._schema, BodyValidator)

    async def _parse(self, stream, scope):
        raw = b"".join([chunk async for chunk in stream])
        try:
            text = raw.decode(self._encoding)
        except (UnicodeDecodeError, LookupError):
            raise InvalidRequest(f"The request body is not valid {self._encoding}.") from None
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidRequest(f"The request body is not valid JSON: {error}.") from None
        except RecursionError:
            raise InvalidRequest("The request body is nested too deeply.") from None

    def _validate(self, body: t.Any) -> None:
        if body is None and not self._nullable:
            raise InvalidRequest("The request body is empty.")
        validate_document(self._validator, body)


def _looks_like_json(form: dict) -> bool:
    """A JSON document sent as a form (``curl -d '{...}'``) parses as one field named by it."""
    return len(form) == 1 and next(iter(form)).lstrip()[:1] in ("{", "[")


class _FormValidationMixin:
    def _validate(self, body: t.Any) -> None:
        if not isinstance(body, dict):
            raise InvalidRequest("The request body is not a form.")
        if _looks_like_json(body):
            raise InvalidRequest(
                "The request body looks like JSON but was sent as a form (what `curl -d` does): "
                "send it with the header `Content-Type: application/json`."
            )
        if self._strict_validation:
            allowed = set(self._schema.get("properties", {}))
            extra = sorted(name for name in body if name not in allowed)
            if extra:
                raise invalid_fields(
                    "request body", [{"field": name, "message": "is not allowed"} for name in extra]
                )
        validate_document(_validator_for(self._schema, Draft4RequestValidator), body)

    async def _parse(self, stream, scope):
        try:
            return await super()._parse(stream, scope)
        except UnicodeDecodeError:
            raise InvalidRequest("The request body is not valid UTF-8.") from None
        except MultiPartException as error:
            raise InvalidRequest(f"The multipart body is malformed: {error.message}") from None


class FormValidator(_FormValidationMixin, FormDataValidator):
    pass


class MultiPartFormValidator(_FormValidationMixin, MultiPartFormDataValidator):
    pass


class ParametersValidator(ParameterValidator):
    """Validates every parameter and reports all failures at once."""

    def validate_request(self, request) -> None:
        errors: list[dict] = []
        if self.strict_validation:
            extra = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            errors += [
                {"field": f"query.{name}", "message": "is not allowed"} for name in sorted(extra)
            ]
        sources = {
            "query": request.query_params,
            "path": request.path_params,
            "header": request.headers,
            "cookie": request.cookies,
        }
        for location, values in sources.items():
            for param in self.parameters.get(location, []):
                name = param["name"]
                key = name.replace("-", "_") if location == "path" else name
                errors += self.check(f"{location}.{name}", param, values.get(key))
        if errors:
            raise invalid_fields("request parameters", errors)

    @staticmethod
    def check(field: str, param: dict, value: t.Any) -> list[dict]:
        if value is None:
            return [{"field": field, "message": "is required"}] if param.get("required") else []
        if is_nullable(param) and is_null(value):
            return []
        validator = _validator_for(param.get("schema", param))
        return [
            {"field": field, "message": describe(error)} for error in validator.iter_errors(value)
        ]


VALIDATOR_MAP = {
    "parameter": ParametersValidator,
    "body": MediaTypeDict(
        {
            "*/*json": JSONBodyValidator,
            "application/x-www-form-urlencoded": FormValidator,
            "multipart/form-data": MultiPartFormValidator,
        }
    ),
}
