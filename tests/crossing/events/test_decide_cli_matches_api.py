"""``hetao decide event.json`` decides as ``POST /api/v1/crossings`` does: for the same event on
the same data (and the seed of the gate's draw) the same outcome, lane and reason codes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from crossing.events.support import UNKNOWN_DOCUMENT, office_hours, person_event, whitelisted_person
from crossing.events.test_declaration_at_the_gate import goods_event
from crossing.events.test_gather import whitelisted_party
from declarations.support import clear, line, submit
from hetao.app import create_app
from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.cli import app as cli
from hetao.config import Settings
from hetao.crossing import intake
from hetao.crossing.gather import zone_day
from hetao.crossing.models import CrossingEvent
from hetao.declarations.kinds import DeclarationKind
from hetao.profiles import ZoneProfile, load_profile
from hetao.storage.engine import session_factory, unit_of_work
from hetao.storage.types import utcnow

SETUP = Actor("test", "setup")
POINTS = ["FBZ_CHANNEL_1", "HUANGGANG"]


@dataclass(frozen=True)
class Gate:
    """The API over a committed database, and the device key its gate token posts as."""

    client: TestClient
    token: str
    device_key: str
    engine: Engine


@pytest.fixture
def gate(committing_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    """The CLI's environment points at ``committing_engine``; the API serves the same database
    (and the same data directory, hence the same selection key)."""
    url = committing_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("HETAO_DATABASE_URL", url)
    monkeypatch.setenv("HETAO_PROFILE", "hetao")
    profile = load_profile("hetao")
    with unit_of_work(session_factory(committing_engine)) as session:
        row, raw = auth.issue_token(
            session,
            name="gates",
            roles=[Role.GATE_DEVICE],
            device_name="gate-fleet",
            crossing_points=POINTS,
            expires_at=utcnow() + dt.timedelta(hours=1),
            actor=SETUP,
            profile=profile,
        )
        session.flush()
        device_key = f"device:{row.id}"
    with TestClient(create_app(engine=committing_engine, profile=profile)) as client:
        yield Gate(client, raw, device_key, committing_engine)


def crossings(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(CrossingEvent)) or 0)


def verdict(decision: dict[str, Any]) -> tuple[str, str, list[str]]:
    return decision["outcome"], decision["lane"], [r["code"] for r in decision["reasons"]]


def both(gate: Gate, tmp_path: Path, body: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The CLI's decision (first: it writes nothing), then the API's, with the draw's seed the
    gate's post gets (``hetao decide`` draws as device "cli" unless given ``--seed``)."""
    key = intake.load_seed_key(Settings.from_env().resolve(intake.SEED_KEY_FILE))
    seed = intake.seed_for(key, device_key=gate.device_key, event_id=body["event_id"]).hex()
    event = tmp_path / f"{body['event_id']}.json"
    event.write_text(json.dumps(body), encoding="utf-8")
    before = crossings(gate.engine)

    result = CliRunner().invoke(cli, ["decide", str(event), "--seed", seed])
    assert result.exit_code == 0, result.stderr
    assert crossings(gate.engine) == before  # the CLI wrote nothing
    response = gate.client.post(
        "/api/v1/crossings", json=body, headers={"Authorization": f"Bearer {gate.token}"}
    )
    assert response.status_code == 201, response.text

    api: dict[str, Any] = response.json()["decision"]
    assert api["seed"] == seed  # the same draw on both sides
    return json.loads(result.stdout), api


def test_a_whitelisted_person_at_channel_1_is_decided_alike(
    gate: Gate, tmp_path: Path, actor: Actor, profile: ZoneProfile
) -> None:
    with unit_of_work(session_factory(gate.engine)) as session:
        _, _, document = whitelisted_person(session, actor, profile)

    cli_decision, api_decision = both(
        gate, tmp_path, person_event(document, occurred_at=office_hours())
    )

    assert api_decision["outcome"] != "refuse", api_decision["reasons"]
    assert verdict(cli_decision) == verdict(api_decision)
    assert cli_decision["risk_score"] == api_decision["risk_score"]


def test_an_unknown_document_is_refused_alike(
    gate: Gate, tmp_path: Path, profile: ZoneProfile
) -> None:
    cli_decision, api_decision = both(
        gate, tmp_path, person_event(UNKNOWN_DOCUMENT, occurred_at=office_hours())
    )

    assert api_decision["outcome"] == "refuse"
    assert verdict(cli_decision) == verdict(api_decision)
    assert api_decision["lane"] == profile.selection.lanes[-1].name


def test_R12_a_consignment_under_a_cleared_declaration_is_decided_alike(  # noqa: N802 - rule
    gate: Gate, tmp_path: Path, actor: Actor, profile: ZoneProfile
) -> None:
    with unit_of_work(session_factory(gate.engine)) as session:
        party = whitelisted_party(session, actor, profile)
        inspected = line(research_own_use=True, legally_inspected=True)
        declaration = submit(
            session, party, profile, actor, DeclarationKind.FIRST_LINE_ENTRY,
            declared_on=zone_day(office_hours(), profile).isoformat(),
            lines=[line(research_own_use=True), inspected],
        )  # fmt: skip
        clear(session, declaration, profile, actor)
        declaration_id = declaration.id

    cli_decision, api_decision = both(
        gate, tmp_path, goods_event("HUANGGANG", "inbound", {"declaration_id": declaration_id})
    )

    assert api_decision["outcome"] != "refuse", api_decision["reasons"]
    assert verdict(cli_decision) == verdict(api_decision)
    assert [r["subject"] for r in cli_decision["reasons"] if r["rule"] == "R12"] == ["line[2]"]
