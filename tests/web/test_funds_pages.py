"""Fund transfer pages: reviewers check and decide with the reasons in words; an enterprise
follows and declares its own payments, and another party's project or transfer is a 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer
from funds.support import Consortium, transfer_in
from hetao.auth.principal import Role
from hetao.funds import repository as funds_repo
from hetao.funds.models import (
    BudgetCategory,
    FundingSource,
    ProjectStatus,
    TransferPurpose,
    TransferStatus,
)
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party, PartyStatus
from web.portal import post, stranger, unnamed
from web.support import SETUP, is_page

LABELLED = {
    "funds.state": TransferStatus,
    "funds.state_help": TransferStatus,
    "funds.source": FundingSource,
    "funds.category": BudgetCategory,
    "funds.purpose": TransferPurpose,
    "funds.project_state": ProjectStatus,
}


def consortium(
    session_maker: sessionmaker[Session], profile: ZoneProfile, *verbs: str
) -> tuple[int, int, int, int]:
    """A project led by a new party, one transfer moved through ``verbs``: the ids."""
    with session_maker() as s:
        zone = Consortium(s, SETUP, profile)
        transfer = transfer_in(zone, *verbs)
        ids = (zone.lead.id, zone.partner.id, zone.project.id, transfer.id)
        s.commit()
    return ids


def declaration(project: int, payee: int, **changes: str) -> dict[str, object]:
    """The declaration form as a person fills it in (no payer: the page fixes it)."""
    fields: dict[str, object] = {
        "project_id": project,
        "payee_party_id": payee,
        "payee_rmb_account": "HK-RMB-1",
        "amount": "2500.00",
        "currency": "CNY",
        "budget_year": "2026",
        "budget_category": "personnel",
        "purpose": "research_grant",
        "contract_reference": "C-PORTAL-1",
    }
    fields.update(changes)
    return fields


@pytest.fixture
def reviewer(token_for: Callable[..., str]) -> dict[str, str]:
    return bearer(token_for(Role.ZONE_REVIEWER))


class TestLabels:
    def test_every_member_of_each_enum_has_its_name(self) -> None:
        assert unnamed({prefix: [m.value for m in enum] for prefix, enum in LABELLED.items()}) == []


class TestReviewerPages:
    def test_the_queue_lists_transfers_filtered_by_state(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        reviewer: dict[str, str],
    ) -> None:
        *_, declared = consortium(session_maker, profile)
        *_, checked = consortium(session_maker, profile, "check")
        page = console.get("/review/fund-transfers?status=checked", headers=reviewer)
        assert page.status_code == 200
        assert f'/review/fund-transfers/{checked}"' in page.text
        assert f'/review/fund-transfers/{declared}"' not in page.text

    def test_a_held_transfer_shows_its_reasons_in_the_page_language(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        reviewer: dict[str, str],
    ) -> None:
        _lead, partner, _, transfer = consortium(session_maker, profile)
        with session_maker() as s:
            party = s.get(Party, partner)
            assert party is not None
            party.status = PartyStatus.SUSPENDED  # the payee check fails
            s.commit()
        answer = post(console, f"/review/fund-transfers/{transfer}/check", headers=reviewer)
        assert answer.status_code == 303
        page = console.get(
            f"/review/fund-transfers/{transfer}", headers={**reviewer, "Accept-Language": "zh-CN"}
        )
        assert "已暫緩" not in page.text
        assert "已暂缓" in page.text
        reasons = re.search(r'<ul class="reasons">(.*?)</ul>', page.text, re.S)
        assert reasons is not None
        assert re.search(r"[\u4e00-\u9fff]", reasons.group(1))
        # Budget, consumed and remaining of the project are on the page.
        assert "已使用" in page.text
        assert "剩余" in page.text

    def test_a_reviewer_checks_then_approves_and_the_budget_is_consumed(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        reviewer: dict[str, str],
    ) -> None:
        *_, _project, transfer = consortium(session_maker, profile)
        page = console.get(f"/review/fund-transfers/{transfer}", headers=reviewer)
        assert f'action="/review/fund-transfers/{transfer}/check"' in page.text
        assert "/approve" not in page.text  # a declared transfer is checked first
        assert (
            post(console, f"/review/fund-transfers/{transfer}/check", headers=reviewer).status_code
            == 303
        )
        assert (
            post(
                console, f"/review/fund-transfers/{transfer}/approve", headers=reviewer
            ).status_code
            == 303
        )
        with session_maker() as s:
            stored = funds_repo.get_transfer(s, transfer)
            assert stored.status is TransferStatus.APPROVED
            assert stored.budget_line.consumed == Decimal("10000.00")
        page = console.get(f"/review/fund-transfers/{transfer}", headers=reviewer)
        assert "Approved" in page.text
        assert f'/review/fund-transfers/{transfer}/decline"' not in page.text

    def test_declining_without_a_note_is_refused_beside_the_field_and_nothing_changes(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        reviewer: dict[str, str],
    ) -> None:
        *_, transfer = consortium(session_maker, profile, "check")
        page = post(console, f"/review/fund-transfers/{transfer}/decline", headers=reviewer)
        assert page.status_code == 422
        assert is_page(page)
        assert 'class="alert error-summary"' in page.text
        assert 'id="error-note"' in page.text
        with session_maker() as s:
            assert funds_repo.get_transfer(s, transfer).status is TransferStatus.CHECKED

    def test_a_workflow_refusal_is_shown_on_the_page(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        reviewer: dict[str, str],
    ) -> None:
        *_, transfer = consortium(session_maker, profile)
        page = post(
            console,
            f"/review/fund-transfers/{transfer}/hold",
            data={"note": "why"},
            headers=reviewer,
        )
        assert page.status_code in (409, 422)
        assert is_page(page)

    def test_an_enterprise_user_may_not_open_the_review_pages(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        lead, *_, transfer = consortium(session_maker, profile)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=lead))
        assert console.get("/review/fund-transfers", headers=own).status_code == 403
        assert (
            post(console, f"/review/fund-transfers/{transfer}/check", headers=own).status_code
            == 403
        )


class TestPortalPages:
    def test_projects_show_budget_consumed_and_remaining(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        lead, _, project, _ = consortium(session_maker, profile, "check", "approve")
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=lead))
        page = console.get("/portal/projects", headers=own)
        assert page.status_code == 200
        assert f'/portal/projects/{project}"' in page.text
        assert "¥1,490,000.00" in page.text  # 1,500,000 budget less the 10,000 approved
        detail = console.get(f"/portal/projects/{project}", headers=own)
        assert "¥10,000.00" in detail.text

    def test_another_partys_project_and_transfer_answer_404(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        _, _, project, transfer = consortium(session_maker, profile)
        other = stranger(session_maker, token_for)
        assert console.get(f"/portal/projects/{project}", headers=other).status_code == 404
        assert console.get(f"/portal/fund-transfers/{transfer}", headers=other).status_code == 404
        listed = console.get("/portal/fund-transfers", headers=other)
        assert f'/portal/fund-transfers/{transfer}"' not in listed.text

    def test_a_declaration_is_made_for_the_own_party_whatever_is_posted(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        lead, partner, project, _ = consortium(session_maker, profile)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=lead))
        form = console.get(f"/portal/fund-transfers/new?project_id={project}", headers=own)
        assert 'name="payer_party_id"' not in form.text
        answer = post(
            console,
            "/portal/fund-transfers",
            headers=own,
            data={
                **declaration(project, partner, transfer_date="2026-11-23"),
                "payer_party_id": partner,
            },
        )
        assert answer.status_code == 303, answer.text
        created = answer.headers["location"].rsplit("/", 1)[1]
        with session_maker() as s:
            stored = funds_repo.get_transfer(s, int(created))
            assert stored.payer_party_id == lead
            assert stored.status is TransferStatus.DECLARED

    def test_a_wrong_amount_is_refused_beside_the_field_and_what_was_typed_is_kept(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        lead, partner, project, _ = consortium(session_maker, profile)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=lead))
        page = post(
            console,
            "/portal/fund-transfers",
            headers=own,
            data=declaration(project, partner, amount="-3", contract_reference="C-KEEP-1"),
        )
        assert page.status_code == 422
        assert 'id="error-amount"' in page.text
        assert 'value="C-KEEP-1"' in page.text

    def test_a_service_refusal_lands_beside_its_field(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        lead, partner, project, _ = consortium(session_maker, profile)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=lead))
        page = post(
            console,
            "/portal/fund-transfers",
            headers=own,
            data=declaration(project, partner, amount="10", budget_category="travel"),
        )
        assert page.status_code == 422
        assert 'id="error-budget_category"' in page.text

    def test_the_payer_records_the_remittance_of_an_approved_transfer(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        lead, _, _, transfer = consortium(session_maker, profile, "check", "approve")
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=lead))
        page = console.get(f"/portal/fund-transfers/{transfer}", headers=own)
        assert f'action="/portal/fund-transfers/{transfer}/remit"' in page.text
        answer = post(
            console,
            f"/portal/fund-transfers/{transfer}/remit",
            headers=own,
            data={"bank_reference": "BOCHK-9", "remitted_on": "2026-11-24"},
        )
        assert answer.status_code == 303
        with session_maker() as s:
            assert funds_repo.get_transfer(s, transfer).status is TransferStatus.REMITTED

    def test_a_reviewer_has_no_portal(self, console: TestClient, reviewer: dict[str, str]) -> None:
        assert console.get("/portal/projects", headers=reviewer).status_code == 403
