"""The lookup's pages and the journey of a lot: officers find subjects and read them in three
languages, by name; the enterprise reads its own lot's journey only; bad input is a 4xx page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer
from hetao.auth.principal import Role
from hetao.engine.facts import Outcome
from hetao.inspections.models import AdjustmentStatus, InspectionResult, InspectionStatus
from hetao.lookup.service import Kind, StepKind
from hetao.profiles import ZoneProfile
from lookup.support import story
from web.portal import stranger, unnamed
from web.support import SETUP, is_page

Tokens = Callable[..., str]
#: Accept-Language values choosing each of the three languages.
LANGUAGE_HEADERS = {"en": "en-GB", "zh-Hant": "zh-HK", "zh-Hans": "zh-CN"}
LABELLED = {
    "lookup.kind": Kind,
    "lookup.step": StepKind,
    "lookup.outcome": Outcome,
    "lookup.inspection_status": InspectionStatus,
    "lookup.inspection_result": InspectionResult,
    "lookup.adjustment_status": AdjustmentStatus,
    "lookup.direction": ("inbound", "outbound"),
    "lookup.line": ("first", "second"),
}


@dataclass(frozen=True, slots=True)
class Told:
    """The ids and names of the story (tests/lookup/support.py), committed."""

    seller: int
    buyer: int
    researcher: int
    first_lot: int
    lot: int
    exit_reference: str
    crossing: int


@pytest.fixture
def told(session_maker: sessionmaker[Session], profile: ZoneProfile, cheap_hashing: None) -> Told:
    with session_maker() as s:
        made = story(s, SETUP, profile)
        ids = Told(
            seller=made.seller.id,
            buyer=made.buyer.id,
            researcher=made.researcher.id,
            first_lot=made.first_lot.id,
            lot=made.lot.id,
            exit_reference=made.exit.reference,
            crossing=made.crossing_id,
        )
        s.commit()
    return ids


@pytest.fixture
def officer(token_for: Tokens) -> dict[str, str]:
    return bearer(token_for(Role.FIRST_LINE_OFFICER))


def as_language(headers: dict[str, str], language: str) -> dict[str, str]:
    return {**headers, "Accept-Language": LANGUAGE_HEADERS[language]}


class TestLabels:
    def test_every_value_a_page_names_has_its_words(self) -> None:
        assert unnamed({prefix: list(values) for prefix, values in LABELLED.items()}) == []


class TestSearchPage:
    def test_an_empty_search_asks_for_something_to_find(
        self, console: TestClient, officer: dict[str, str]
    ) -> None:
        page = console.get("/port/lookup", headers=officer)
        assert page.status_code == 200
        assert "Type what you are looking for" in page.text

    def test_a_one_character_search_asks_for_more(
        self, console: TestClient, officer: dict[str, str]
    ) -> None:
        page = console.get("/port/lookup?q=%20x%20", headers=officer)
        assert page.status_code == 200
        assert "at least 2 characters" in page.text

    @pytest.mark.parametrize("language", list(LANGUAGE_HEADERS))
    def test_finds_parties_by_chinese_name_and_links_them_by_name(
        self, console: TestClient, officer: dict[str, str], told: Told, language: str
    ) -> None:
        page = console.get(
            "/port/lookup", params={"q": "生物檢測"}, headers=as_language(officer, language)
        )
        assert page.status_code == 200
        expected = "Lok Ma Chau Bio-Assay Ltd." if language == "en" else "落馬洲生物檢測有限公司"
        assert f'/port/lookup/parties/{told.buyer}">{expected}</a>' in page.text

    def test_finds_a_declaration_and_links_its_page(
        self, console: TestClient, officer: dict[str, str], told: Told
    ) -> None:
        page = console.get(
            "/port/lookup",
            params={"q": told.exit_reference.lower(), "kind": "declaration"},
            headers=officer,
        )
        assert page.status_code == 200
        assert told.exit_reference in page.text
        assert "/portal/declarations/" in page.text

    def test_wildcards_are_searched_as_typed(
        self, console: TestClient, officer: dict[str, str], told: Told
    ) -> None:
        page = console.get("/port/lookup", params={"q": "%_%"}, headers=officer)
        assert page.status_code == 200
        assert "Nothing matches" in page.text

    def test_a_nul_in_the_query_is_refused_naming_the_field_not_sent_to_the_database(
        self, console: TestClient, officer: dict[str, str]
    ) -> None:
        page = console.get("/port/lookup", params={"q": "Bio\x00-Assay"}, headers=officer)
        assert page.status_code == 422
        assert is_page(page)
        assert "q:" in page.text

    def test_a_very_long_query_is_refused_naming_the_field(
        self, console: TestClient, officer: dict[str, str]
    ) -> None:
        page = console.get("/port/lookup", params={"q": "x" * 5000}, headers=officer)
        assert page.status_code == 422
        assert is_page(page)
        assert "q:" in page.text

    def test_an_unknown_kind_is_refused_naming_the_field(
        self, console: TestClient, officer: dict[str, str]
    ) -> None:
        page = console.get("/port/lookup", params={"q": "chan", "kind": "ship"}, headers=officer)
        assert page.status_code == 422
        assert "kind" in page.text

    def test_an_enterprise_user_may_not_look_up(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Tokens,
    ) -> None:
        page = console.get("/port/lookup?q=chan", headers=stranger(session_maker, token_for))
        assert page.status_code == 403


class TestResultPages:
    @pytest.mark.parametrize("language", list(LANGUAGE_HEADERS))
    def test_a_party_shows_standing_entries_credentials_crossings_and_goods(
        self, console: TestClient, officer: dict[str, str], told: Told, language: str
    ) -> None:
        page = console.get(
            f"/port/lookup/parties/{told.buyer}", headers=as_language(officer, language)
        )
        assert page.status_code == 200
        words = {
            "en": ("Standing", "Whitelist entries", "Credentials", "Recent crossings", "Goods"),
            "zh-Hant": ("資格狀況", "白名單條目", "電子憑證", "最近通關記錄", "貨物"),
            "zh-Hans": ("资格状况", "白名单条目", "电子凭证", "最近通关记录", "货物"),
        }[language]
        for word in words:
            assert word in page.text, word
        assert f'/port/lots/{told.lot}/journey"' in page.text
        assert f'/port/crossings/{told.crossing}"' in page.text
        researcher = "Chan Siu Ming" if language == "en" else "陳小明"
        assert researcher in page.text

    def test_a_person_shows_the_party_by_name(
        self, console: TestClient, officer: dict[str, str], told: Told
    ) -> None:
        page = console.get(
            f"/port/lookup/persons/{told.researcher}", headers=as_language(officer, "zh-Hans")
        )
        assert page.status_code == 200
        assert "落馬洲生物檢測有限公司" in page.text
        assert "人员资料" in page.text

    def test_an_unknown_subject_is_a_404_and_a_huge_id_a_422(
        self, console: TestClient, officer: dict[str, str]
    ) -> None:
        assert console.get("/port/lookup/persons/999999", headers=officer).status_code == 404
        huge = console.get("/port/lookup/vehicles/99999999999999999999", headers=officer)
        assert huge.status_code == 422
        assert is_page(huge)


class TestJourneyPages:
    @pytest.mark.parametrize("language", list(LANGUAGE_HEADERS))
    def test_an_officer_reads_the_journey_with_reasons_and_names(
        self, console: TestClient, officer: dict[str, str], told: Told, language: str
    ) -> None:
        page = console.get(f"/port/lots/{told.lot}/journey", headers=as_language(officer, language))
        assert page.status_code == 200
        title = {
            "en": f"The journey of lot {told.lot}",
            "zh-Hant": f"批次 {told.lot} 的流轉記錄",
            "zh-Hans": f"批次 {told.lot} 的流转记录",
        }[language]
        assert title in page.text
        seller = "Qianhai Reagent Works Ltd." if language == "en" else "前海試劑有限公司"
        assert seller in page.text
        assert f'/port/crossings/{told.crossing}"' in page.text
        assert told.exit_reference in page.text

    def test_the_enterprise_reads_its_own_lots_journey_without_officers_links(
        self, console: TestClient, token_for: Tokens, told: Told
    ) -> None:
        buyer = bearer(token_for(Role.ENTERPRISE_USER, party_id=told.buyer))
        page = console.get(f"/portal/ledger/lots/{told.lot}/journey", headers=buyer)
        assert page.status_code == 200
        assert told.exit_reference in page.text
        assert "/port/crossings/" not in page.text
        assert "One kit short" not in page.text  # an officer's findings stay with the port

    def test_another_partys_lot_is_not_found_and_the_port_page_is_refused(
        self, console: TestClient, token_for: Tokens, told: Told
    ) -> None:
        seller = bearer(token_for(Role.ENTERPRISE_USER, party_id=told.seller))
        assert (
            console.get(f"/portal/ledger/lots/{told.lot}/journey", headers=seller).status_code
            == 404
        )
        assert console.get(f"/port/lots/{told.lot}/journey", headers=seller).status_code == 403

    def test_a_bad_lot_id_is_a_4xx_page(self, console: TestClient, officer: dict[str, str]) -> None:
        assert console.get("/port/lots/0/journey", headers=officer).status_code == 422
        assert console.get("/port/lots/abc/journey", headers=officer).status_code == 422
        assert console.get("/port/lots/999999/journey", headers=officer).status_code == 404
