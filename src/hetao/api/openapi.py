"""The OpenAPI document as the API behaves, and the 405 answer that goes with it.

FastAPI documents what an endpoint returns; the route class, the security dependencies and the
problem handlers add answers it cannot see. Each operation's problem answers are derived here
from its route (route class, dependencies, method, path parameters, body), never listed by hand.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from hetao.api import idempotency, problems
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import SAFE_METHODS, Allow, dependency_calls, needs_caller

FIELD_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "FieldProblem",
    "description": "One broken rule on one input field.",
    "type": "object",
    "required": ["field", "rule", "message"],
    "properties": {
        "field": {"type": "string", "description": "e.g. documents[0].number"},
        "rule": {"type": "string", "description": "e.g. GB32100-2015.check_character"},
        "message": {"type": "string"},
        "row": {"type": "integer", "minimum": 1, "description": "Bulk imports: 1-based row"},
    },
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "Problem details (RFC 9457).",
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": "urn:hetao:problem:<code>, stable"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request's path"},
        "request_id": {"type": "string", "description": "Names the request in the log"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
    },
}

RETRY_AFTER = {
    "description": "Seconds to wait before retrying",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
}
WWW_AUTHENTICATE = {"required": True, "schema": {"type": "string"}}

#: The problem answers, by status: their description and the headers always sent with them.
PROBLEM_ANSWERS: dict[str, tuple[str, dict[str, Any]]] = {
    "400": ("The body could not be read (not UTF-8, or a malformed form)", {}),
    "401": (
        "Not authenticated: no credentials where a caller is needed, or credentials not valid",
        {"WWW-Authenticate": WWW_AUTHENTICATE},
    ),
    "403": ("Forbidden: the caller's role, an object's owner, or a session write's CSRF", {}),
    "404": ("No such object, or not visible to the caller", {}),
    "409": ("Conflict with the current state, or an Idempotency-Key reused", {}),
    "413": ("The body is too large", {}),
    "422": ("Input (body, parameter or header) breaks a rule: errors[] names each", {}),
    "429": ("Too many requests: rate limit", {"Retry-After": RETRY_AFTER}),
    "503": ("Busy: nothing was written; retry after the delay", {"Retry-After": RETRY_AFTER}),
}

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key and request return the first response again; "
        "the same key with another request is 409. 1-255 visible ASCII characters."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
#: FastAPI's own 422 schemas: the API never sends them (its 422 is a Problem).
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def answered_again(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """``responses`` of a create idempotent by an id in its body: a retry is 200, not 201."""
    return {200: {"model": model, "description": "A retry: what the first request created"}}


def problem_statuses(
    route: RouteContext, method: str, *, body_names_an_id: bool = False
) -> list[str]:
    """The problem answers one operation can give, from what its route does.

    ``body_names_an_id``: the body refers to another object by its id (a party, a lot...),
    which is 404 when there is no such object.
    """
    role_check = any(isinstance(call, Allow) for call in dependency_calls(route.dependant))
    # The route class resolves any credentials sent (a bad token is 401 even where none is
    # needed), checks a session write's CSRF token and the body's declared length, limits the
    # rate and opens a session (503 when the database is busy).
    unit_of_work = isinstance(route.original_route, UnitOfWorkRoute)
    writes = method not in SAFE_METHODS
    has_body = route.body_field is not None
    has_inputs = has_body or bool(get_flat_params(route.dependant))
    statuses = {
        "400": has_body,
        "401": needs_caller(route.dependant) or unit_of_work,
        "403": role_check or (unit_of_work and writes),
        "404": bool(route.param_convertors) or body_names_an_id,
        "409": writes,
        "413": has_body,
        "422": has_inputs or unit_of_work,
        "429": unit_of_work,
        "503": unit_of_work,
    }
    return [status for status, given in statuses.items() if given]


def _names_an_id(schema: Any, schemas: dict[str, Any], seen: set[str]) -> bool:
    """Whether a JSON schema has a property ``id``, ``*_id`` or ``*_ids`` at any depth."""
    if isinstance(schema, list):
        return any(_names_an_id(item, schemas, seen) for item in schema)
    if not isinstance(schema, dict):
        return False
    reference = schema.get("$ref")
    if isinstance(reference, str):
        name = reference.rsplit("/", 1)[-1]
        if name in seen:
            return False
        seen.add(name)
        return _names_an_id(schemas.get(name), schemas, seen)
    if any(name == "id" or name.endswith(("_id", "_ids")) for name in schema.get("properties", {})):
        return True
    return any(_names_an_id(value, schemas, seen) for value in schema.values())


def _problem_answer(status: str) -> dict[str, Any]:
    description, headers = PROBLEM_ANSWERS[status]
    answer: dict[str, Any] = {
        "description": description,
        "content": {problems.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _document_operation(
    operation: dict[str, Any], route: RouteContext, method: str, schemas: dict[str, Any]
) -> None:
    body = operation.get("requestBody", {})
    names_an_id = _names_an_id(body, schemas, set())
    responses = operation.setdefault("responses", {})
    # FastAPI's own 422 is not what the API sends: every problem is problem+json.
    responses.pop("422", None)
    # A problem a route declares itself (``responses={409: {"description": ...}}``) is answered
    # as every other problem: problem+json, with the route's own description.
    for status, declared in list(responses.items()):
        if status in PROBLEM_ANSWERS:
            responses[status] = _problem_answer(status) | {
                "description": declared.get("description") or PROBLEM_ANSWERS[status][0]
            }
    for status in problem_statuses(route, method, body_names_an_id=names_an_id):
        responses.setdefault(status, _problem_answer(status))
    if method == "POST" and idempotency.replayable(route.openapi_extra):
        parameters = operation.setdefault("parameters", [])
        # A route idempotent by an id in its body documents the header its own way.
        if not any(parameter.get("name") == "Idempotency-Key" for parameter in parameters):
            parameters.append(IDEMPOTENCY_PARAMETER)


def _drop_unused_schemas(document: dict[str, Any], names: tuple[str, ...]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for name in names:
        rest = {key: value for key, value in schemas.items() if key != name}
        text = json.dumps({**document, "components": {"schemas": rest}})
        if f'"#/components/schemas/{name}"' not in text:
            schemas.pop(name, None)


def document_conventions(app: FastAPI) -> None:
    """Make ``app.openapi()`` add what FastAPI cannot see to each operation."""
    build = app.openapi
    documented: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = build()  # FastAPI's own, cached until the routes change
        if documented and documented[0] is document:
            return document
        paths = document.get("paths", {})
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            for method in route.methods or ():
                operation = paths.get(route.path_format, {}).get(method.lower())
                if operation is not None:
                    _document_operation(operation, route, method, schemas)
        schemas["Problem"] = PROBLEM_SCHEMA
        schemas["FieldProblem"] = FIELD_PROBLEM_SCHEMA
        _drop_unused_schemas(document, FASTAPI_VALIDATION_SCHEMAS)
        documented[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at the request's path (the router stops at the first)."""
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE and route.methods:
            methods |= route.methods
    return sorted(methods)


def answer_405_with_every_method(app: FastAPI) -> None:
    """Correct the Allow header of 405 answers, then answer as the installed handler does.

    Starlette answers 405 from the first route whose path matched, with that route's methods
    only; a path served by a GET route and a POST route would say only one of them.
    """
    answer = app.exception_handlers[StarletteHTTPException]

    async def method_not_allowed(request: Request, error: Exception) -> Response:
        # A mounted app (static files) answers 405 of its own, with no route methods to name.
        if isinstance(error, StarletteHTTPException) and error.status_code == 405:
            allow = ", ".join(allowed_methods(app, request))
            if allow:
                headers = {**(error.headers or {}), "Allow": allow}
                error = StarletteHTTPException(405, error.detail, headers)
        response = answer(request, error)
        return await response if inspect.isawaitable(response) else response

    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
