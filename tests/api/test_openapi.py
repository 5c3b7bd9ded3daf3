"""The OpenAPI document tells the truth: it is valid, each operation lists the problem answers
its route can give, the answers match it, and a 405 names every method of the path."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import jsonschema_rs
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crossing.events.test_service import rule_set
from factories import bearer, make_party
from hetao.api.state import app_state
from hetao.app import create_app
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.auth.ratelimit import RateLimiter
from hetao.profiles import ZoneProfile
from hetao.storage.engine import make_engine
from hetao.storage.types import utcnow
from web.support import add_events, sign_checkpoint

DOCUMENT = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
PROBLEM_STATUSES = {"400", "401", "403", "404", "409", "413", "422", "429", "503"}
#: A path parameter in a path template, e.g. {party_id}.
PARAMETER = re.compile(r"\{[^}]+\}")


@pytest.fixture
def app(tmp_path: Path, profile: ZoneProfile) -> FastAPI:
    """The application, over a database it never opens: the document and 405s need none."""
    return create_app(
        engine=make_engine(f"sqlite:///{tmp_path / 'unused.sqlite3'}"), profile=profile
    )


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    document: dict[str, Any] = TestClient(app).get(DOCUMENT).json()
    return document


def problem_answers(document: dict[str, Any], method: str, path: str) -> set[str]:
    responses = document["paths"][path][method.lower()]["responses"]
    return set(responses) & PROBLEM_STATUSES


class TestTheDocument:
    def test_is_valid_openapi_with_valid_json_schemas(self, document: dict[str, Any]) -> None:
        schemathesis.openapi.from_dict(document).validate()
        for name, schema in document["components"]["schemas"].items():
            assert jsonschema_rs.meta.is_valid(schema), name

    def test_problem_is_a_named_component_and_every_problem_answer_uses_it(
        self, document: dict[str, Any]
    ) -> None:
        schemas = document["components"]["schemas"]
        assert set(schemas["Problem"]["properties"]) == {
            "type", "title", "status", "detail", "instance", "request_id", "errors",
        }  # fmt: skip
        assert set(schemas["FieldProblem"]["properties"]) == {"field", "rule", "message", "row"}
        # FastAPI's own 422 body is never sent, so it is not described either.
        assert "HTTPValidationError" not in schemas
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for status in set(operation["responses"]) & PROBLEM_STATUSES:
                    content = operation["responses"][status]["content"]
                    assert content == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }, f"{method} {path} {status}"

    @pytest.mark.parametrize(
        ("method", "path", "answers"),
        [
            # No caller needed, no input: a bad token, the rate, a busy database.
            ("GET", "/api/v1/health", {"401", "422", "429", "503"}),
            # A role check and a path id.
            ("GET", "/api/v1/parties/{party_id}", {"401", "403", "404", "422", "429", "503"}),
            (
                "GET",
                "/api/v1/audit/events/{seq}/proof",
                {"401", "403", "404", "409", "422", "429", "503"},
            ),
            # A write with a body that names no other object.
            (
                "POST",
                "/api/v1/parties",
                {"400", "401", "403", "409", "413", "422", "429", "503"},
            ),
            # A body that names other objects (a person's affiliations name parties).
            (
                "POST",
                "/api/v1/persons",
                {"400", "401", "403", "404", "409", "413", "422", "429", "503"},
            ),
            # A write with no body.
            (
                "POST",
                "/api/v1/applications/{application_id}/submit",
                {"401", "403", "404", "409", "422", "429", "503"},
            ),
        ],
    )
    def test_lists_the_problem_answers_its_route_can_give(
        self, document: dict[str, Any], method: str, path: str, answers: set[str]
    ) -> None:
        assert problem_answers(document, method, path) == answers

    def test_names_the_headers_sent_with_401_429_and_503(self, document: dict[str, Any]) -> None:
        expected = {"401": "WWW-Authenticate", "429": "Retry-After", "503": "Retry-After"}
        for operations in document["paths"].values():
            for operation in operations.values():
                for status, header in expected.items():
                    if status in operation["responses"]:
                        assert operation["responses"][status]["headers"][header]["required"]


def some_path(template: str) -> str:
    return PARAMETER.sub("1", template)


class TestMethodNotAllowed:
    def test_names_every_method_of_a_path_served_by_several_routes(self, app: FastAPI) -> None:
        response = TestClient(app).delete("/api/v1/parties")
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, POST"
        assert response.headers["Content-Type"] == "application/problem+json"

    def test_names_the_methods_the_document_gives_each_path(
        self, app: FastAPI, document: dict[str, Any]
    ) -> None:
        client = TestClient(app)
        templates = {
            re.compile("^" + PARAMETER.sub("[^/]+", path) + "$"): {m.upper() for m in ops}
            for path, ops in document["paths"].items()
        }
        for path in document["paths"]:
            url = some_path(path)
            response = client.request("PATCH", url)
            assert response.status_code == 405, path
            # Every method served at the URL, whichever path it came from: GET of
            # /credentials/{credential_id} serves /credentials/verify too.
            served = set().union(*(methods for t, methods in templates.items() if t.match(url)))
            assert response.headers["Allow"] == ", ".join(sorted(served)), path


def validate(
    client: TestClient, method: str, path: str, response: httpx2.Response, **path_parameters: int
) -> None:
    """Check an answer against the document as the fuzzer does: raises on any mismatch."""
    schema = schemathesis.openapi.from_dict(client.get(DOCUMENT).json())
    case = schema[path][method].Case(path_parameters=path_parameters)
    case.validate_response(response, checks=CHECKS)


class TestAnswersMatchTheDocument:
    def test_an_inclusion_proof(
        self, client: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        with session_maker() as session:
            add_events(session, 3)
            sign_checkpoint(session, client.app)  # type: ignore[arg-type]
            session.commit()
            seq: int = session.execute(select(func.max(AuditEvent.seq))).scalar_one()
        path = "/api/v1/audit/events/{seq}/proof"
        response = client.get(f"/api/v1/audit/events/{seq}/proof")
        assert response.status_code == 200, response.text
        assert response.json()["ok"] is True
        validate(client, "GET", path, response, seq=seq)

    def test_problems_of_each_kind(
        self,
        anonymous_client: TestClient,
        token_for: Callable[..., str],
        session_maker: sessionmaker[Session],
    ) -> None:
        client = anonymous_client
        with session_maker() as session:
            party = make_party(session, Actor("test", "setup"))
            session.commit()
        enterprise = bearer(token_for(Role.ENTERPRISE_USER, party_id=party.id))
        administrator = bearer(token_for(Role.ADMINISTRATOR))
        answers = [
            (401, "GET", "/api/v1/parties", {}, {}),
            (403, "POST", "/api/v1/parties", {}, enterprise),
            (404, "GET", "/api/v1/parties/{party_id}", {"party_id": 2147483646}, administrator),
            (422, "GET", "/api/v1/parties", {}, administrator),
        ]
        for status, method, path, parameters, headers in answers:
            url = path.format(**parameters)
            query = {"limit": 0} if status == 422 else {}
            response = client.request(method, url, headers=headers, params=query, json={})
            assert response.status_code == status, response.text
            validate(client, method, path, response, **parameters)

    def test_a_retried_create(self, client: TestClient) -> None:
        document = rule_set("openapi-1", utcnow() - dt.timedelta(minutes=1))
        assert client.post("/api/v1/rule-sets", json=document).status_code == 201
        again = client.post("/api/v1/rule-sets", json=document)
        assert again.status_code == 200, again.text
        validate(client, "POST", "/api/v1/rule-sets", again)

    def test_too_many_requests(self, client: TestClient) -> None:
        app_state(client.app).rate_limiter = RateLimiter(0.01, 1)
        client.get("/api/v1/health")
        response = client.get("/api/v1/health")
        assert response.status_code == 429
        validate(client, "GET", "/api/v1/health", response)
