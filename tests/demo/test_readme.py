"""Every command and URL the README shows works against the demo zone, on SQLite and PostgreSQL.

The demo is loaded once per backend through the CLI, as `./serve` loads it (seed 7, today at
the zone); each test runs README commands through the CLI runner, as an operator types them,
and first checks that the README still shows them, so the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

import hetao.models  # noqa: F401 (registers every table on Base.metadata)
from conftest import BACKENDS, scratch_postgres_database
from factories import resident_id
from hetao import demo
from hetao.app import create_app
from hetao.cli import EXIT_TAMPERED, app
from hetao.config import Settings
from hetao.crossing.models import CrossingDecision
from hetao.storage.engine import make_engine, session_factory
from hetao.timeutil import zone_today

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
RULES = Path(__file__).resolve().parents[2] / "src/hetao/engine/rulesets/hetao-2026.11.json"
#: The README's crossing event (its "Crossings" section posts it; `hetao decide` decides it).
EVENT = {
    "event_id": "gate-7-000123",
    "crossing_point": "FBZ_CHANNEL_1",
    "direction": "inbound",
    "occurred_at": "2026-11-23T08:00:00+00:00",
    "subject": {"type": "person", "document": {"kind": "hk_identity_card", "number": "A1234563"}},
}


@dataclass(frozen=True)
class Zone:
    """The demo zone of one backend: its database and data directory, and a scratch folder."""

    url: str
    data_dir: Path
    files: Path


def run(*args: str, stdin: str | None = None, code: int = 0) -> str:
    """Run one `hetao` command; it must exit with ``code``; its standard output."""
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == code, f"hetao {' '.join(args)}: {result.output}{result.stderr}"
    return result.stdout


def shown(*commands: str) -> None:
    """The README shows each command (verbatim, placeholders and all)."""
    for command in commands:
        assert command in README, f"the README no longer shows {command!r}"


def readme_json(key: str) -> dict[str, Any]:
    """The README's JSON example that has ``key``."""
    for block in re.findall(r"```json\n(.*?)```", README, flags=re.DOTALL):
        document: dict[str, Any] = json.loads(block)
        if key in document:
            return document
    raise AssertionError(f"no JSON example with {key!r} in the README")


@pytest.fixture(scope="module", params=BACKENDS)
def zone(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Zone]:
    directory = tmp_path_factory.mktemp(f"readme-{request.param}")
    with ExitStack() as stack, pytest.MonkeyPatch.context() as env:
        url = (
            f"sqlite:///{directory / 'hetao.sqlite3'}"
            if request.param == "sqlite"
            else stack.enter_context(scratch_postgres_database())
        )
        found = Zone(url, directory / "var", directory / "files")
        found.files.mkdir()
        _point_at(env, found)
        run("db", "upgrade")
        run("demo", "load", "--seed", "7")
        yield found


def _point_at(env: pytest.MonkeyPatch, zone: Zone) -> None:
    env.setenv("HETAO_DATABASE_URL", zone.url)
    env.setenv("HETAO_DATA_DIR", str(zone.data_dir))
    env.setenv("HETAO_PROFILE", "hetao")
    env.delenv("HETAO_AUDIT_SIGNING_KEY", raising=False)


@pytest.fixture(autouse=True)
def data_dir(zone: Zone, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's own data directory (its checkpoints and keys), not a fresh one per test."""
    _point_at(monkeypatch, zone)
    monkeypatch.chdir(zone.files)
    return zone.data_dir


class TestReadmeCommands:
    def test_help_upgrade_purge_and_a_second_load_that_keeps_the_zone(self) -> None:
        shown(
            ".venv/bin/hetao --help",
            "hetao db upgrade",
            "hetao db purge-replays",
            "hetao demo load --seed 7 [--as-of 2026-11-23] [--if-empty]",
        )
        assert "Usage" in run("--help")
        assert run("db", "upgrade").startswith("database at revision ")
        assert run("db", "purge-replays").startswith("purged ")
        assert "not loaded" in run("demo", "load", "--seed", "7", "--if-empty")

    def test_registry_show_summarises_and_shows_each_kind_of_object(self) -> None:
        shown("hetao registry show [party|person|vehicle|application|entry ID]")
        summary = json.loads(run("registry", "show"))
        assert sum(summary["parties_by_kind"].values()) >= 40
        assert summary["entries_by_subject"]["individual"] >= 1500
        for kind in ("party", "person", "vehicle", "application", "entry"):
            assert json.loads(run("registry", "show", kind, "1"))["id"] == 1
        assert json.loads(run("registry", "show", "person", "42"))["id"] == 42

    def test_registry_imports_a_person_and_a_vehicle_of_a_demo_party(self) -> None:
        shown("hetao registry import persons FILE.csv", "hetao registry import vehicles FILE.csv")
        party = json.loads(run("registry", "show", "party", "1"))
        persons = Path("persons.csv")
        number = resident_id(dt.date(1991, 4, 5), 417)
        persons.write_text(
            "family_name,given_name,birth_date,residency,nationality,document_kind,"
            "document_number,document_issuing_country,affiliation_party,affiliation_role\n"
            f"Li,Wei,1991-04-05,mainland,CN,mainland_resident_id,{number},CN,"
            f"{party['uscc']},researcher\n",
            encoding="utf-8",
        )
        assert run("registry", "import", "persons", str(persons)).strip() == "imported 1 persons"
        vehicles = Path("vehicles.csv")
        vehicles.write_text(
            f"plate,plate_region,kind,owner_party\n粤B·W0417,mainland,goods_vehicle,{party['uscc']}\n",
            encoding="utf-8",
        )
        assert run("registry", "import", "vehicles", str(vehicles)).strip() == "imported 1 vehicles"

    def test_daily_jobs_profile_check_user_and_gate_token(self) -> None:
        shown(
            "hetao registry expire",
            "hetao data expire",
            "hetao profile check FILE.toml",
            "hetao users create NAME --role administrator",
            'hetao tokens issue "Channel 1 gate 3" --device gate-3 --crossing-point FBZ_CHANNEL_1',
        )
        assert run("registry", "expire").startswith("expired ")
        assert run("data", "expire").endswith("applications changed\n")
        from hetao.profiles import builtin_path

        assert run("profile", "check", str(builtin_path("hetao"))).startswith("ok:")
        created = run(
            "users", "create", "readme-admin", "--role", "administrator", "--password-stdin",
            stdin="a long enough password 2026\n",
        )  # fmt: skip
        assert "administrator" in created
        issued = run(
            "tokens", "issue", "Channel 1 gate 3", "--device", "gate-3",
            "--crossing-point", "FBZ_CHANNEL_1",
        )  # fmt: skip
        assert issued.strip().splitlines()[-1].startswith("hetao_")

    def test_audit_verifies_proves_event_42_and_checkpoint_2001_extends_1001(self) -> None:
        shown(
            "hetao audit verify",
            "hetao audit checkpoint",
            "hetao audit prove 42 > proof.json",
            "hetao audit check-proof proof.json --public-key var/audit/checkpoints/public-key.pem",
            "hetao audit consistency 1001 2001",
        )
        assert "\nok: " in f"\n{run('audit', 'verify')}"
        assert run("audit", "checkpoint").startswith("signed checkpoint ")
        proof = run("audit", "prove", "42")
        assert json.loads(proof)["event"]["seq"] == 42
        Path("proof.json").write_text(proof, encoding="utf-8")
        key = self._public_key()
        assert "FAIL" not in run("audit", "check-proof", "proof.json", "--public-key", key)
        printed = run("audit", "consistency", "1001", "2001")
        consistency, _ = json.JSONDecoder().raw_decode(printed)
        assert (consistency["old_size"], consistency["new_size"]) == (1001, 2001)
        assert "ok   the consistency proof links the two roots" in printed

    @staticmethod
    def _public_key() -> str:
        # The README's path is relative to the default data directory, var/.
        return str(Path(Settings.from_env().data_dir) / "audit/checkpoints/public-key.pem")

    def test_tax_assessment_of_the_readme_example(self) -> None:
        shown("hetao tax assess FILE.json")
        Path("tax.json").write_text(json.dumps(readme_json("movement")), encoding="utf-8")
        assessment = json.loads(run("tax", "assess", "tax.json"))
        assert assessment["lines"][0]["hs_code"] == "902730"
        assert "totals" in assessment

    def test_decide_the_readme_event_and_a_stored_decision_with_its_seed(self, zone: Zone) -> None:
        shown(
            "hetao decide event.json",
            '"number": "A1234563"',
            "hetao decide facts.json --seed HEX",
        )
        Path("event.json").write_text(json.dumps(EVENT), encoding="utf-8")
        assert json.loads(run("decide", "event.json"))["outcome"] == "refuse"
        engine = make_engine(zone.url)
        with session_factory(engine)() as session:
            stored = session.scalars(select(CrossingDecision).order_by(CrossingDecision.id)).first()
            assert stored is not None
            inputs, seed, outcome = stored.inputs, stored.seed, stored.outcome
        engine.dispose()
        Path("facts.json").write_text(json.dumps(inputs), encoding="utf-8")
        assert json.loads(run("decide", "facts.json", "--seed", seed))["outcome"] == outcome

    def test_rules_check_add_and_backtest_on_the_demos_fortnight(self) -> None:
        shown(
            "hetao rules check src/hetao/engine/rulesets/hetao-2026.11.json",
            "hetao rules add FILE.json",
            "hetao rules backtest --rules FILE.json --since 2026-11-01",
        )
        assert json.loads(run("rules", "check", str(RULES)))["rows"] > 0
        assert json.loads(run("rules", "add", str(RULES)))["version"] == "hetao-2026.11"
        backtest = json.loads(
            run("rules", "backtest", "--rules", str(RULES), "--since", "2026-11-01")
        )
        assert backtest["candidate"]["version"] == "hetao-2026.11"

    def test_credentials_issued_to_person_42_verify_offline_then_revoke(self) -> None:
        shown(
            "hetao credentials issue 42 [--crossing-point FBZ_CHANNEL_1] [--days 90]",
            'hetao credentials revoke CREDENTIAL_ID --reason "badge lost"',
            "hetao credentials public-key > zone.pem",
            "hetao credentials revocations --out revocations.json",
            "hetao credentials verify TOKEN --public-key zone.pem --revocations revocations.json",
            "hetao credentials rotate-key",
        )
        issued = run(
            "credentials", "issue", "42", "--crossing-point", "FBZ_CHANNEL_1", "--days", "90"
        )
        token = issued.splitlines()[0]
        credential = json.loads(issued[len(token) :])["credential_id"]
        Path("zone.pem").write_text(run("credentials", "public-key"), encoding="utf-8")
        run("credentials", "revocations", "--out", "revocations.json")
        verify = ("credentials", "verify", token, "--public-key", "zone.pem")
        assert json.loads(run(*verify, "--revocations", "revocations.json"))["status"] == "valid"
        # "--": a random credential id may begin with "-", which would read as an option.
        run("credentials", "revoke", "--reason", "badge lost", "--", credential)
        run("credentials", "revocations", "--out", "revocations.json")
        run(*verify, "--revocations", "revocations.json", code=EXIT_TAMPERED)
        assert run("credentials", "rotate-key").startswith("signing with key ")

    def test_funds_report_of_gd_2026_0001_and_by_source(self) -> None:
        shown("hetao funds report GD-2026-0001", "hetao funds by-source --year 2026")
        report = json.loads(run("funds", "report", "GD-2026-0001"))
        assert report["project"]["code"] == "GD-2026-0001"
        assert report["project"]["funding_source"] == "guangdong"
        assert sum(t["count"] for t in report["transfers"]) >= 4
        assert float(report["consumed"]) > 0
        year = dt.date.fromisoformat(report["project"]["starts_on"]).year
        by_source = json.loads(run("funds", "by-source", "--year", str(year)))
        sources = {s["funding_source"]: s for s in by_source["sources"]}
        assert all(sources[source]["projects"] >= 1 for source in sources)

    def test_data_route_of_the_readme_example(self) -> None:
        shown("hetao data route FILE.json")
        Path("transfer.json").write_text(json.dumps(readme_json("cii_operator")), encoding="utf-8")
        routing = json.loads(run("data", "route", "transfer.json"))
        assert (routing["route"], routing["rule"]) == ("security_assessment", "R33")


@dataclass
class Browser:
    """A client of the demo's API signed in as one demo user, with its CSRF token."""

    client: TestClient
    csrf: str

    def get(self, url: str) -> Any:
        response = self.client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text}"
        return response.json()

    def post(self, url: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.post(url, json=body, headers={"X-CSRF-Token": self.csrf})
        assert response.status_code in (200, 201), f"{url}: {response.status_code} {response.text}"
        return response.json()


@pytest.fixture
def api() -> Iterator[TestClient]:
    settings = Settings.from_env()
    with TestClient(create_app(settings=settings), base_url="https://testserver") as client:
        yield client


def signed_in(client: TestClient, username: str) -> Browser:
    client.cookies.clear()  # a new sign-in, not a write of the session signed in before
    login = client.post(
        "/api/v1/auth/login", json={"username": username, "password": demo.DEMO_PASSWORD}
    )
    assert login.status_code == 200, login.text
    return Browser(client, login.json()["csrf_token"])


class TestReadmeUrls:
    def test_the_zone_reviewers_lists(self, api: TestClient) -> None:
        shown(
            '"username": "demo-zone-reviewer"',
            "/api/v1/parties?limit=3",
            "/api/v1/entries?status=active&subject_kind=individual",
            "/api/v1/crossings?crossing_point=FBZ_CHANNEL_1&outcome=refuse",
        )
        assert api.get("/login").status_code == 200  # the console's sign-in, before signing in
        reviewer = signed_in(api, "demo-zone-reviewer")
        assert len(reviewer.get("/api/v1/parties?limit=3")["items"]) == 3
        assert reviewer.get("/api/v1/entries?status=active&subject_kind=individual")["items"]
        refused = reviewer.get("/api/v1/crossings?crossing_point=FBZ_CHANNEL_1&outcome=refuse")
        assert refused["items"]
        assert api.get("/api/docs").status_code == 200

    def test_the_officers_replay_and_inspection_examples(self, api: TestClient) -> None:
        shown(
            "/api/v1/crossings/1/replay",
            "/api/v1/inspections?crossing_point=FBZ_CHANNEL_1&status=queued",
            "/api/v1/inspections/1/result",
            '"adjustments": [{"lot_id": 3, "quantity": "-1", "reason": "Short by one kit"}]',
        )
        officer = signed_in(api, "demo-first-line-officer")
        assert officer.post("/api/v1/crossings/1/replay")["matches"] is True
        queued = officer.get("/api/v1/inspections?crossing_point=FBZ_CHANNEL_1&status=queued")
        assert queued["items"]
        result = officer.post(
            "/api/v1/inspections/1/result",
            {
                "result": "discrepancy",
                "findings": "One kit short.",
                "adjustments": [{"lot_id": 3, "quantity": "-1", "reason": "Short by one kit"}],
            },
        )
        assert result["status"] == "completed"

    def test_the_reports_of_goods_and_funds(self, api: TestClient) -> None:
        shown(
            "GET /api/v1/reports/supervision-ending?days=",
            "GET /api/v1/reports/taxes?from=&to=",
            "GET /api/v1/parties/{id}/statement?from=&to=",
            "GET /api/v1/projects/{id}/report",
            "GET /api/v1/reports/funds-by-source?year=",
        )
        today = zone_today("Asia/Shanghai")
        span = f"from={today - dt.timedelta(days=3)}&to={today + dt.timedelta(days=3)}"
        # One client, one sign-in at a time: the auditor's reports, then the enterprise's.
        auditor = signed_in(api, "demo-auditor")
        assert auditor.get("/api/v1/reports/supervision-ending?days=90")
        assert auditor.get(f"/api/v1/reports/taxes?{span}")["rows"]
        project = auditor.get("/api/v1/projects?limit=1")["items"][0]
        assert auditor.get(f"/api/v1/projects/{project['id']}/report")["transfers"]
        year = dt.date.fromisoformat(project["starts_on"]).year
        assert auditor.get(f"/api/v1/reports/funds-by-source?year={year}")["sources"]
        enterprise = signed_in(api, "demo-enterprise-user")
        party = enterprise.get("/api/v1/auth/me")["party_id"]
        assert enterprise.get(f"/api/v1/parties/{party}/statement?{span}")["lots"]

    def test_crossing_5_is_the_ethanol_the_legal_inspection_catalogue_lists(
        self, api: TestClient
    ) -> None:
        shown("crossing 5 carries DCL-B-0003's absolute ethanol", "/admin/reference")
        officer = signed_in(api, "demo-first-line-officer")
        crossing = officer.get("/api/v1/crossings/5")
        codes = [reason["code"] for reason in crossing["decision"]["reasons"]]
        assert "R12.catalogued" in codes, codes
        declaration = officer.get(f"/api/v1/declarations/{crossing['declaration_id']}")
        assert declaration["reference"] == "DCL-B-0003"
        page = api.get(f"/portal/declarations/{crossing['declaration_id']}")
        assert "catalogue row LI-CHEM-ETHANOL (SAMPLE-2026.1)" in page.text
