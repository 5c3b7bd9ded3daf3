"""Schemathesis over every operation of the OpenAPI document, against the app it describes.

The demo zone is loaded once per backend, so the ids the fuzzer draws often exist; each
operation runs as an administrator (who may call almost everything) and as an enterprise user
(who sees one party). Any 5xx, and any answer the document does not describe (status code,
media type, body, headers), fails the test, which lists every one.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis import BaseSchema
from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from schemathesis.python.asgi import shutdown_lifespans
from sqlalchemy import select

from conftest import BACKENDS, scratch_postgres_database
from factories import make_user_token
from hetao import demo, migrate
from hetao.api import idempotency
from hetao.api.state import app_state
from hetao.app import create_app
from hetao.audit.service import Actor
from hetao.auth.models import User
from hetao.auth.principal import Role
from hetao.biometrics.sealed import TemplateBox
from hetao.config import Settings
from hetao.errors import ValidationFailed
from hetao.profiles import load_profile
from hetao.storage.engine import make_engine, unit_of_work

#: Fixed: the same cases every run, so a failure in CI reproduces on a laptop.
SEED = 2026
#: Generated cases per operation and role, beside the schema's examples and the boundary values
#: of the coverage phase: what keeps the whole fuzz run within a few minutes on two cores.
MAX_EXAMPLES = 8
#: A fixed reference date: the same demo zone whatever day the tests run.
DEMO_AS_OF = dt.date(2026, 11, 23)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
#: Operations that can end the fuzzer's own sign-in: run after every other one.
SELF_ENDING = (
    "POST /api/v1/tokens/{token_id}/revoke",
    "POST /api/v1/users/{user_id}/deactivate",
)


@dataclass(frozen=True)
class DemoApp:
    """The API over a database holding the demo zone."""

    app: FastAPI
    #: The party the demo's enterprise user belongs to.
    enterprise_party_id: int


@pytest.fixture(scope="module", params=BACKENDS)
def demo_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoApp]:
    """The demo zone on a database of its own (the fuzzer commits), served by the real app."""
    backend: str = request.param
    data_dir: Path = tmp_path_factory.mktemp(f"fuzz-{backend}")
    sqlite_url = f"sqlite:///{(data_dir / 'fuzz.sqlite3').as_posix()}"
    with scratch_postgres_database() if backend == "postgresql" else nullcontext(sqlite_url) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        settings = Settings(
            database_url=url,
            profile="hetao",
            data_dir=data_dir,
            audit_signing_key=data_dir / "audit" / "signing-key.pem",
            # The fuzzer is one principal sending as fast as it can: not what the limit is for.
            rate_per_second=1_000_000.0,
            rate_burst=1_000_000,
        )
        profile = load_profile("hetao")
        app = create_app(settings=settings, engine=engine, profile=profile)
        # Through the app's own sessions: its checkpoints are exported, so proofs exist.
        with unit_of_work(app_state(app).session_factory) as session:
            demo.load(
                session,
                profile=profile,
                seed=SEED,
                as_of=DEMO_AS_OF,
                actor=Actor("test", "fuzz"),
                templates=TemplateBox(bytes(32)),
            )
            party_id = session.scalars(
                select(User.party_id).where(User.username == "demo-enterprise-user")
            ).one()
        assert party_id is not None
        try:
            yield DemoApp(app, party_id)
        finally:
            # Schemathesis started the app's lifespan (its committer, its WAL checkpointer).
            shutdown_lifespans()
            engine.dispose()


@dataclass(frozen=True)
class Finding:
    """One failed check: the operation, what broke, and the request that showed it."""

    operation: str
    check: str
    title: str
    status: int | None
    request: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.title} ({self.check}, {self.status})\n  {self.request}"


@dataclass
class FuzzRun:
    """What the engine covered (cases per operation) and found."""

    cases: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def fuzz(app: FastAPI, sign_in: Callable[[], str]) -> FuzzRun:
    """Run Schemathesis' engine over every operation of the app's document.

    Each pass signs in afresh (``sign_in`` returns a bearer token): first every operation but
    those that can end the sign-in, then each of those on its own.
    """
    run = FuzzRun()
    with UniqueIdempotencyKeys():
        for label in (None, *SELF_ENDING):
            schema = _schema(app, sign_in())
            part = (
                schema.exclude(name=list(SELF_ENDING))
                if label is None
                else schema.include(name=label)
            )
            for event in from_schema(part).execute():
                if isinstance(event, events.ScenarioFinished):
                    _record(run, event.recorder)
                elif isinstance(event, events.NonFatalError):
                    run.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
                elif isinstance(event, events.FatalError):
                    run.errors.append(f"fatal: {event.exception!r}")
    return run


def _schema(app: FastAPI, token: str) -> BaseSchema:
    """The app's own document, fuzzed with ``token``, a fixed seed and the budget."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "suppress-health-check": ["all"],
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False} | {check: {"enabled": True} for check in CHECKS},
        }
    )
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=config)


class UniqueIdempotencyKeys:
    """While entered, give each request with a well-formed Idempotency-Key a key of its own.

    The fuzzer draws the same few keys ("0", "00"...) for different requests, and the API rightly
    answers 409 to all but the first: half the cases would never reach their endpoint. A malformed
    key is left as drawn, so its 422 is still fuzzed.
    """

    def __init__(self) -> None:
        self.serial = itertools.count()
        self.hook = self.before_call  # one bound method: the dispatcher unregisters by identity

    def before_call(
        self, context: Any, case: schemathesis.Case[Any], kwargs: dict[str, Any]
    ) -> None:
        key = case.headers.get(idempotency.HEADER) if case.headers is not None else None
        if not isinstance(key, str):
            return
        try:
            idempotency.check_key(key)
        except ValidationFailed:
            return
        case.headers[idempotency.HEADER] = f"fuzz-{next(self.serial)}"

    def __enter__(self) -> None:
        GLOBAL_HOOK_DISPATCHER.register_hook_with_name(self.hook, "before_call")

    def __exit__(self, *_: object) -> None:
        GLOBAL_HOOK_DISPATCHER.unregister(self.hook)


def _record(run: FuzzRun, recorder: ScenarioRecorder) -> None:
    run.cases[recorder.label] += len(recorder.cases)
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            response = recorder.find_response(case_id=case_id)
            case = recorder.cases[case_id].value
            run.findings.append(
                Finding(
                    operation=recorder.label,
                    check=check.name,
                    title=check.failure_info.failure.title,
                    status=response.status_code if response is not None else None,
                    request=f"{case.method} {case.formatted_path} query={case.query} "
                    f"headers={case.headers} body={str(case.body)[:300]}",
                )
            )


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.ENTERPRISE_USER], ids=str)
def test_every_answer_is_documented_and_none_is_a_server_error(
    demo_app: DemoApp, role: Role
) -> None:
    party_id = demo_app.enterprise_party_id if role is Role.ENTERPRISE_USER else None

    def sign_in() -> str:
        # A user of its own: the administrator's passes deactivate users and revoke tokens.
        with unit_of_work(app_state(demo_app.app).session_factory) as session:
            return make_user_token(session, role, party_id=party_id)

    run = fuzz(demo_app.app, sign_in)
    operations = demo_app.app.openapi()["paths"]
    assert len(run.cases) == sum(len(methods) for methods in operations.values())
    assert not run.errors, "\n".join(run.errors)
    assert not run.findings, "\n".join(str(finding) for finding in run.findings)
