"""The registry over HTTP: problem+json errors, idempotent POSTs, cursor pagination."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from factories import party_payload, person_payload, uscc, vehicle_payload

PROBLEM = "application/problem+json"


def post(client: TestClient, path: str, body: Any, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1{path}", json=body, headers=headers)


def new_party(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = post(client, "/parties", party_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestProblemDetails:
    def test_refuses_a_uscc_with_a_wrong_check_character_naming_field_and_rule(
        self, client: TestClient
    ) -> None:
        good = uscc()
        wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
        response = post(client, "/parties", party_payload(uscc=wrong))
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM
        problem = response.json()
        assert problem["type"] == "urn:hetao:problem:validation-failed"
        assert problem["status"] == 422
        assert problem["errors"][0]["field"] == "uscc"
        assert problem["errors"][0]["rule"] == "GB32100-2015.check_character"

    def test_names_the_nested_field_of_a_bad_identity_document(self, client: TestClient) -> None:
        party = new_party(client)
        body = person_payload(party["id"])
        number = body["documents"][0]["number"]
        body["documents"][0]["number"] = number[:-1] + ("1" if number[-1] != "1" else "2")
        response = post(client, "/persons", body)
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert error["field"] == "documents[0]"
        assert error["rule"] == "GB11643-1999.check_digit"

    def test_a_beneficiary_without_registration_in_the_zone_is_refused_by_rule_r2(
        self, client: TestClient
    ) -> None:
        response = post(client, "/parties", party_payload(registered_in_csa=False))
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "R2.beneficiary_registered_in_csa"

    def test_unknown_object_is_a_404_problem(self, client: TestClient) -> None:
        response = client.get("/api/v1/parties/999999")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"] == "party 999999 does not exist"

    def test_a_forbidden_transition_is_a_409_naming_the_allowed_states(
        self, client: TestClient
    ) -> None:
        party = new_party(client)
        app = post(
            client,
            "/applications",
            {
                "subject_kind": "institution",
                "party_id": party["id"],
                "flows": ["goods"],
                "lines": ["first"],
            },
        ).json()
        response = post(client, f"/applications/{app['id']}/approve", {})
        assert response.status_code == 409
        problem = response.json()
        assert problem["type"] == "urn:hetao:problem:transition-forbidden"
        assert "allowed from: resubmitted, submitted" in problem["detail"]

    def test_a_duplicate_registration_number_is_a_conflict(self, client: TestClient) -> None:
        party = new_party(client)
        response = post(client, "/parties", party_payload(uscc=party["uscc"]))
        assert response.status_code == 409
        assert response.json()["errors"][0]["rule"] == "party.unique_registration"

    def test_an_unknown_scope_is_refused_naming_the_profile_vocabulary(
        self, client: TestClient
    ) -> None:
        party = new_party(client)
        response = post(
            client,
            "/applications",
            {
                "subject_kind": "institution",
                "party_id": party["id"],
                "flows": ["goods", "weapons"],
                "lines": ["first"],
            },
        )
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("flows[1]", "profile.scope.flows")

    def test_nothing_is_written_when_a_request_fails(self, client: TestClient) -> None:
        before = client.get("/api/v1/parties").json()["items"]
        response = post(client, "/vehicles", vehicle_payload(owner_party_id=424242))
        assert response.status_code == 422
        assert client.get("/api/v1/parties").json()["items"] == before
        assert client.get("/api/v1/vehicles").json()["items"] == []


class TestIdempotency:
    def test_replays_the_first_response_for_the_same_key_and_body(self, client: TestClient) -> None:
        body = party_payload()
        first = post(client, "/parties", body, key="gate-7-evt-0001")
        again = post(client, "/parties", body, key="gate-7-evt-0001")
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        listed = client.get("/api/v1/parties").json()["items"]
        assert [p["id"] for p in listed].count(first.json()["id"]) == 1
        assert len(listed) == 1

    def test_the_same_key_with_another_body_is_a_conflict(self, client: TestClient) -> None:
        post(client, "/parties", party_payload(), key="k-1")
        response = post(client, "/parties", party_payload(), key="k-1")
        assert response.status_code == 409
        assert response.json()["errors"][0]["rule"] == "idempotency.same_request"

    def test_the_same_key_on_another_endpoint_is_a_conflict(self, client: TestClient) -> None:
        party = new_party(client)
        post(client, "/vehicles", vehicle_payload(party["id"]), key="k-2")
        response = post(client, "/parties", party_payload(), key="k-2")
        assert response.status_code == 409

    def test_a_failed_request_does_not_burn_its_key(self, client: TestClient) -> None:
        body = party_payload(registered_in_csa=False)
        assert post(client, "/parties", body, key="k-3").status_code == 422
        body["registered_in_csa"] = True
        assert post(client, "/parties", body, key="k-3").status_code == 201

    def test_a_transition_retried_with_its_key_is_not_applied_twice(
        self, client: TestClient
    ) -> None:
        party = new_party(client)
        app = post(
            client,
            "/applications",
            {
                "subject_kind": "institution",
                "party_id": party["id"],
                "flows": ["goods"],
                "lines": ["first"],
            },
        ).json()
        post(client, f"/applications/{app['id']}/submit", None)
        first = post(client, f"/applications/{app['id']}/approve", {}, key="approve-1")
        again = post(client, f"/applications/{app['id']}/approve", {}, key="approve-1")
        assert first.status_code == again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        entries = client.get("/api/v1/entries", params={"party_id": party["id"]}).json()
        assert len(entries["items"]) == 1

    def test_refuses_a_key_with_control_characters(self, client: TestClient) -> None:
        response = post(client, "/parties", party_payload(), key="bad key")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"


class TestPagination:
    def test_walks_every_party_once_in_order_with_the_cursor(self, client: TestClient) -> None:
        created = [new_party(client)["id"] for _ in range(7)]
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/parties", params=params).json()
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(created)

    def test_refuses_a_cursor_it_did_not_issue(self, client: TestClient) -> None:
        response = client.get("/api/v1/parties", params={"cursor": "not-a-cursor"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "pagination.cursor"

    def test_refuses_a_page_size_out_of_range(self, client: TestClient) -> None:
        response = client.get("/api/v1/parties", params={"limit": 0})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"


class TestWaivers:
    def test_a_waiver_starts_the_36_month_lockout_for_that_kind_of_goods(
        self, client: TestClient
    ) -> None:
        party = new_party(client)
        response = post(
            client,
            f"/parties/{party['id']}/waivers",
            {"goods_kind": "equipment", "waived_on": "2026-03-31"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["lockout_until"] == "2029-03-31"
        again = post(
            client,
            f"/parties/{party['id']}/waivers",
            {"goods_kind": "equipment", "waived_on": "2027-01-01"},
        )
        assert again.status_code == 409
        assert again.json()["errors"][0]["rule"] == "R6.already_waived"

    def test_only_beneficiaries_can_waive_an_exemption(self, client: TestClient) -> None:
        party = new_party(
            client, kind="hk_institution", uscc=None, hk_br="61234567", registered_in_csa=False
        )
        response = post(client, f"/parties/{party['id']}/waivers", {"goods_kind": "equipment"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "R6.beneficiaries_only"


class TestDocsAndSystem:
    def test_the_api_docs_page_loads_its_assets_from_the_platform(self, client: TestClient) -> None:
        page = client.get("/api/docs")
        assert page.status_code == 200
        assert "cdn" not in page.text.lower()
        assert "/static/api-docs/swagger-ui-bundle.js" in page.text
        asset = client.get("/static/api-docs/swagger-ui-bundle.js")
        assert asset.status_code == 200
        assert len(asset.content) > 100_000

    def test_every_operation_is_described_in_openapi(self, client: TestClient) -> None:
        spec = client.get("/api/v1/openapi.json").json()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                assert operation.get("summary"), f"{method} {path} has no summary"
                assert operation.get("description"), f"{method} {path} has no description"

    def test_every_post_documents_the_idempotency_key_and_problem_answers(
        self, client: TestClient
    ) -> None:
        spec = client.get("/api/v1/openapi.json").json()
        posts = [(p, ops["post"]) for p, ops in spec["paths"].items() if "post" in ops]
        assert len(posts) >= 10
        login = dict(posts)["/api/v1/auth/login"]
        assert login["x-hetao-idempotency"] == "not-replayable"
        for path, operation in posts:
            names = [p["name"] for p in operation.get("parameters", [])]
            # Sign-in is never replayed (docs/decisions/0009-hardened-edges.md), and says so.
            replayable = operation.get("x-hetao-idempotency") != "not-replayable"
            assert ("Idempotency-Key" in names) == replayable, path
            assert "application/problem+json" in operation["responses"]["422"]["content"], path

    def test_health_names_the_zone(self, client: TestClient) -> None:
        assert client.get("/api/v1/health").json()["zone"] == "hetao"

    def test_describes_an_hs_subheading_with_its_parents(self, client: TestClient) -> None:
        response = client.get("/api/v1/reference/hs/902730")
        assert response.status_code == 200, response.text
        assert response.json()["parents"] == ["9027", "90"]

    def test_refuses_a_national_code_whose_subheading_left_hs_2022(
        self, client: TestClient
    ) -> None:
        # 9027.80 was split into 9027.81 and 9027.89 by HS 2022.
        response = client.get("/api/v1/reference/hs/9027801900")
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "hs2022.unknown_subheading"
