"""No input reaches the database as a 500: ids, decimals and text are bounded at the edge.

Each case is a 422 naming the field and the rule, on SQLite and PostgreSQL alike, and leaves
nothing written (every write is audited, so the audit log does not grow).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from declarations.support import body as declaration_body
from declarations.support import line
from factories import bearer, make_party, party_payload, person_payload, vehicle_payload
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.declarations.kinds import DeclarationKind
from hetao.inputs import MAX_BIG_ID, MAX_ID, text_fault
from hetao.registry.models import Party, Person

API = "/api/v1"
#: Far beyond SQLite's 64-bit integers too.
HUGE = 2**70


def _problems(response: Any) -> list[tuple[str, str]]:
    return [(error["field"], error["rule"]) for error in response.json().get("errors", [])]


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def party_id(session: Session, actor: Actor) -> int:
    party = make_party(session, actor)
    session.flush()
    return party.id


def _declaration(party_id: int, **goods: Any) -> dict[str, Any]:
    return declaration_body(
        party_id, DeclarationKind.FIRST_LINE_ENTRY, reference="BOUNDS-1", lines=[line(**goods)]
    )


def _expect_refused(
    client: TestClient,
    session: Session,
    method: str,
    url: str,
    *,
    field: str,
    rule: str,
    **request: Any,
) -> None:
    audited = _count(session, AuditEvent)
    response = client.request(method, url, **request)
    assert response.status_code == 422, response.text
    assert (field, rule) in _problems(response), response.text
    assert _count(session, AuditEvent) == audited


# --- ids --------------------------------------------------------------------------------------


class TestIds:
    @pytest.mark.parametrize(
        ("url", "field"),
        [
            (f"{API}/parties/{MAX_ID + 1}", "party_id"),
            (f"{API}/persons/{MAX_BIG_ID + 1}", "person_id"),
            (f"{API}/declarations/{HUGE}", "declaration_id"),
            (f"{API}/data-transfers/0", "application_id"),
            (f"{API}/crossings/{MAX_ID + 1}", "crossing_id"),
            (f"{API}/persons?party_id={MAX_ID + 1}", "party_id"),
            (f"{API}/entries?party_id={HUGE}", "party_id"),
            (f"{API}/fund-transfers?project_id={MAX_ID + 1}", "project_id"),
            (f"{API}/inspections?assigned_to={MAX_ID + 1}", "assigned_to"),
        ],
    )
    def test_an_id_beyond_its_column_in_a_path_or_query_is_a_422(
        self, client: TestClient, session: Session, url: str, field: str
    ) -> None:
        _expect_refused(client, session, "GET", url, field=field, rule="id.range")

    def test_an_id_beyond_its_column_in_a_post_path_writes_nothing(
        self, client: TestClient, session: Session
    ) -> None:
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/applications/{MAX_ID + 1}/submit",
            field="application_id",
            rule="id.range",
        )

    def test_ids_in_bodies_are_bounded_too(
        self, client: TestClient, session: Session, party_id: int
    ) -> None:
        persons = _count(session, Person)
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/persons",
            field="affiliations[0].party_id",
            rule="id.range",
            json=person_payload(party_id=MAX_ID + 1),
        )
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/vehicles",
            field="owner_party_id",
            rule="id.range",
            json=vehicle_payload(HUGE),
        )
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/declarations",
            field="lines[0].lot_id",
            rule="id.range",
            json=_declaration(party_id, lot_id=MAX_ID + 1),
        )
        assert _count(session, Person) == persons

    def test_the_largest_id_of_a_column_is_simply_not_found(self, client: TestClient) -> None:
        assert client.get(f"{API}/parties/{MAX_ID}").status_code == 404

    def test_an_audit_sequence_number_is_bounded_by_its_bigint_column(
        self, client: TestClient, token_for: Callable[..., str]
    ) -> None:
        auditor = bearer(token_for(Role.AUDITOR))
        beyond = client.get(f"{API}/audit/events/{MAX_BIG_ID + 1}/proof", headers=auditor)
        within = client.get(f"{API}/audit/events/{MAX_ID + 1}/proof", headers=auditor)

        assert beyond.status_code == 422
        assert ("seq", "id.range") in _problems(beyond)
        assert within.status_code == 404  # beyond INTEGER, within BIGINT: a plain unknown event

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(party=st.integers(min_value=-(2**80), max_value=2**80))
    def test_any_integer_id_is_either_looked_up_or_refused_as_out_of_range(
        self, client: TestClient, party: int
    ) -> None:
        response = client.get(f"{API}/parties/{party}")
        if 1 <= party <= MAX_ID:
            assert response.status_code in (200, 404)
        else:
            assert response.status_code == 422
            assert _problems(response) == [("party_id", "id.range")]


# --- decimals ---------------------------------------------------------------------------------


class TestDecimals:
    @pytest.mark.parametrize(
        ("line", "field", "rule"),
        [
            ({"quantity": "1e30"}, "lines[0].quantity", "quantity.max"),
            ({"quantity": "1e400"}, "lines[0].quantity", "quantity.max"),
            ({"quantity": "-1e400"}, "lines[0].quantity", "quantity.max"),
            ({"quantity": "NaN"}, "lines[0].quantity", "decimal_format"),
            ({"quantity": "Infinity"}, "lines[0].quantity", "decimal_format"),
            ({"customs_value": "1e30"}, "lines[0].customs_value", "money.max"),
            ({"customs_value": "sNaN"}, "lines[0].customs_value", "decimal_format"),
            ({"customs_value": "1e-400"}, "lines[0].customs_value", "money.places"),
        ],
    )
    def test_a_declaration_line_with_a_decimal_too_large_to_round_is_a_422(
        self, client: TestClient, session: Session, party_id: int, line: dict[str, str], field: str,
        rule: str,
    ) -> None:  # fmt: skip
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/declarations",
            field=field,
            rule=rule,
            json=_declaration(party_id, **line),
        )

    @pytest.mark.parametrize("counted", ["1e30", "1e400", "NaN", "-Infinity"])
    def test_a_counted_quantity_is_checked_before_rounding(
        self, client: TestClient, session: Session, party_id: int, counted: str
    ) -> None:
        response = client.post(
            f"{API}/parties/{party_id}/reconciliation",
            json={"counted_on": "2026-11-16", "counts": [{"lot_id": 1, "counted": counted}]},
        )
        assert response.status_code == 422, response.text
        assert [field for field, _ in _problems(response)] == ["counts[0].counted"]

    @pytest.mark.parametrize(("amount", "rule"), [("1e30", "money.max"), ("1e400", "money.max")])
    def test_a_fund_transfer_amount_is_checked_before_rounding(
        self, client: TestClient, session: Session, party_id: int, amount: str, rule: str
    ) -> None:
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/fund-transfers",
            field="amount",
            rule=rule,
            json={
                "project_id": 1,
                "payer_party_id": party_id,
                "payee_party_id": party_id,
                "amount": amount,
                "currency": "HKD",
                "budget_year": 2026,
                "budget_category": "equipment",
                "purpose": "equipment",
                "contract_reference": "C-1",
            },
        )

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        quantity=st.decimals(allow_nan=True, allow_infinity=True).map(str)
        | st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,5})?[eE][+-]?[0-9]{1,6}", fullmatch=True)
    )
    def test_no_decimal_string_makes_a_server_error(
        self, client: TestClient, party_id: int, quantity: str
    ) -> None:
        response = client.post(
            f"{API}/declarations", json=_declaration(party_id, quantity=quantity)
        )
        assert response.status_code < 500, response.text


# --- text -------------------------------------------------------------------------------------


class TestControlCharacters:
    @pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f"])
    def test_a_control_character_in_a_body_is_a_422_and_registers_nothing(
        self, client: TestClient, session: Session, character: str
    ) -> None:
        parties = _count(session, Party)
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/parties",
            field="name_en",
            rule="text.control_character",
            json=party_payload(name_en=f"Futian{character}Labs"),
        )
        assert _count(session, Party) == parties

    def test_nested_models_and_lists_of_strings_are_checked(
        self, client: TestClient, session: Session, party_id: int
    ) -> None:
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/declarations",
            field="lines[0].description",
            rule="text.control_character",
            json=_declaration(party_id, description="kit\x00"),
        )
        _expect_refused(
            client,
            session,
            "POST",
            f"{API}/applications",
            field="flows",
            rule="text.control_character",
            json={
                "subject_kind": "institution",
                "party_id": party_id,
                "flows": ["people\x00"],
                "lines": ["first"],
            },
        )

    @pytest.mark.parametrize(
        ("url", "field"),
        [
            (f"{API}/crossings?crossing_point=FBZ%00", "crossing_point"),
            (f"{API}/audit/events?tag=registry%00", "tag"),
            (f"{API}/reference/hs/3822%00", "code"),
            (f"{API}/parties?cursor=%7F", "cursor"),
        ],
    )
    def test_a_control_character_in_a_query_or_path_is_a_422(
        self, client: TestClient, session: Session, url: str, field: str
    ) -> None:
        _expect_refused(client, session, "GET", url, field=field, rule="text.control_character")

    def test_a_sign_in_name_with_nul_is_refused_before_any_lookup(
        self, anonymous_client: TestClient
    ) -> None:
        response = anonymous_client.post(
            f"{API}/auth/login", json={"username": "demo\x00admin", "password": "x"}
        )
        assert response.status_code == 422
        assert ("username", "text.control_character") in _problems(response)

    def test_a_csv_import_names_the_row_and_column_of_a_control_character(
        self, client: TestClient, session: Session
    ) -> None:
        header = (
            "family_name,given_name,birth_date,residency,nationality,"
            "document_kind,document_number,document_issuing_country,affiliation_party"
        )
        rows = [
            "Chen,Jiayi,1990-05-17,mainland,CN,passport,E1234567,CN,",
            "Li,Wei\x00,1991-01-02,mainland,CN,passport,E7654321,CN,",
            "Wong,Ka,1992-03-04,hong_kong,CN,passport,E1111111,CN,9144\x00",
        ]
        persons = _count(session, Person)
        audited = _count(session, AuditEvent)
        response = client.post(
            f"{API}/imports/persons",
            content="\n".join([header, *rows]).encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert response.status_code == 422, response.text
        found = {(e["row"], e["field"], e["rule"]) for e in response.json()["errors"]}
        assert found == {
            (3, "given_name", "text.control_character"),
            (4, "affiliation_party", "text.control_character"),
        }
        assert (_count(session, Person), _count(session, AuditEvent)) == (persons, audited)

    def test_tab_line_feed_and_carriage_return_are_free_text(
        self, client: TestClient, session: Session, party_id: int
    ) -> None:
        response = client.post(
            f"{API}/applications",
            json={
                "subject_kind": "institution",
                "party_id": party_id,
                "flows": ["people"],
                "lines": ["first"],
                "justification": "Joint lab.\r\n\tSecond paragraph.",
            },
        )
        assert response.status_code == 201, response.text

    @given(text=st.text(max_size=20))
    def test_text_is_refused_exactly_when_it_holds_a_refused_character(self, text: str) -> None:
        refused = any(
            (ord(char) < 0x20 and char not in "\t\n\r") or char == "\x7f" for char in text
        )
        assert (text_fault(text) is not None) == refused
