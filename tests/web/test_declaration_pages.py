"""The portal's declaration pages: list, one declaration with its taxes, lodging, downloads,
the HS look-up, and the names of every state and kind in three languages."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from declarations.support import counts
from hetao.auth.principal import Role
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.ledger.models import CustomsStatus, HoldStatus, MovementKind
from hetao.profiles import ZoneProfile, load_profile
from hetao.registry.models import Party
from hetao.web.i18n import LANGUAGES, MESSAGES
from web.portal_support import entry, entry_form, party
from web.support import is_page

UserMaker = Callable[..., str]
SignIn = Callable[[str], str]


@pytest.fixture
def own(session_maker: sessionmaker[Session]) -> int:
    with session_maker() as s:
        made = party(s)
        s.commit()
        return made.id


@pytest.fixture
def enterprise(user: UserMaker, sign_in: SignIn, own: int) -> str:
    """An enterprise user of ``own``, signed in; returns the CSRF token."""
    return sign_in(user(Role.ENTERPRISE_USER, party_id=own))


def lodged(
    session_maker: sessionmaker[Session], party_id: int, profile: ZoneProfile, *, cleared: bool
) -> Declaration:
    """An entry lodged by ``party_id`` (cleared, with taxes, if asked)."""
    with session_maker() as s:
        owner = s.get(Party, party_id)
        assert owner is not None
        declaration = entry(s, owner, profile, cleared=cleared)
        s.commit()
        return declaration


class TestLodging:
    def test_lodges_for_its_own_party_and_shows_the_declaration(
        self, console: TestClient, enterprise: str, own: int
    ) -> None:
        response = console.post(
            "/portal/declarations", data=entry_form(enterprise), follow_redirects=False
        )
        assert response.status_code == 303, response.text
        page = console.get(response.headers["location"])
        assert page.status_code == 200
        assert "WEB-0001" in page.text
        assert "Submitted" in page.text
        assert "3822.19" in page.text or "382219" in page.text
        assert f"<dd>{own}</dd>" in page.text

    def test_a_wrong_hs_code_is_refused_beside_its_field_and_nothing_is_written(
        self, console: TestClient, enterprise: str, session_maker: sessionmaker[Session]
    ) -> None:
        with session_maker() as s:
            before = counts(s)
        form = entry_form(enterprise, **{"lines-1-hs_code": "9999.99"})
        response = console.post("/portal/declarations", data=form)
        assert response.status_code == 422
        assert is_page(response)
        assert 'id="error-lines-1-hs_code"' in response.text
        assert "not in HS 2022" in response.text
        assert 'value="9999.99"' in response.text  # what was typed is kept
        assert 'value="Diagnostic reagent kit"' in response.text
        assert 'href="#field-lines-1-hs_code"' in response.text  # the summary links to it
        with session_maker() as s:
            assert counts(s) == before

    def test_a_service_refusal_lands_beside_the_line_field(
        self, console: TestClient, enterprise: str
    ) -> None:
        form = entry_form(enterprise, **{"lines-1-goods_kind": ""})
        response = console.post("/portal/declarations", data=form)
        assert response.status_code == 422
        assert 'id="error-lines-1-goods_kind"' in response.text
        assert "Choose the kind of goods." in response.text

    def test_empty_rows_are_ignored_and_a_second_row_is_a_second_line(
        self, console: TestClient, enterprise: str, session_maker: sessionmaker[Session]
    ) -> None:
        second = {
            "lines-3-hs_code": "9027.50",
            "lines-3-description": "Spectrometer",
            "lines-3-quantity": "1",
            "lines-3-unit": "unit",
            "lines-3-customs_value": "50000",
            "lines-3-currency": "HKD",
            "lines-3-origin": "DE",
            "lines-3-goods_kind": "instruments",
        }
        response = console.post(
            "/portal/declarations", data=entry_form(enterprise, **second), follow_redirects=False
        )
        assert response.status_code == 303, response.text
        declaration_id = int(response.headers["location"].rsplit("/", 1)[1])
        with session_maker() as s:
            declaration = s.get(Declaration, declaration_id)
            assert declaration is not None
            assert [line.hs_code for line in declaration.lines] == ["382219", "902750"]

    def test_no_lines_is_refused(self, console: TestClient, enterprise: str) -> None:
        form = {k: v for k, v in entry_form(enterprise).items() if not k.startswith("lines-")}
        response = console.post("/portal/declarations", data=form)
        assert response.status_code == 422
        assert "Fill in at least one goods line." in response.text

    def test_the_form_carries_no_exemption_and_a_posted_one_is_ignored(
        self, console: TestClient, enterprise: str, session_maker: sessionmaker[Session]
    ) -> None:
        page = console.get("/portal/declarations/new")
        assert page.status_code == 200
        for name in ("research_own_use", "party_id", "approval", "transfer_reason", "standing"):
            assert name not in page.text
        form = entry_form(enterprise, research_own_use="true", party_id="999999")
        response = console.post("/portal/declarations", data=form, follow_redirects=False)
        assert response.status_code == 303
        declaration_id = int(response.headers["location"].rsplit("/", 1)[1])
        with session_maker() as s:
            declaration = s.get(Declaration, declaration_id)
            assert declaration is not None
            assert declaration.lines[0].customs_status is CustomsStatus.BONDED
            assert not declaration.lines[0].research_own_use

    def test_staff_may_not_lodge_on_the_page(
        self, console: TestClient, user: UserMaker, sign_in: SignIn
    ) -> None:
        sign_in(user(Role.ADMINISTRATOR))
        assert console.get("/portal/declarations/new").status_code == 403


class TestReading:
    def test_the_list_shows_its_own_and_filters_by_state(
        self,
        console: TestClient,
        enterprise: str,
        own: int,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        cleared = lodged(session_maker, own, profile, cleared=True)
        waiting = lodged(session_maker, own, profile, cleared=False)
        with session_maker() as s:
            theirs = entry(s, party(s), profile)
            s.commit()
        page = console.get("/portal/declarations")
        assert cleared.reference in page.text
        assert waiting.reference in page.text
        assert theirs.reference not in page.text
        only = console.get("/portal/declarations", params={"status": "cleared"})
        assert cleared.reference in only.text
        assert waiting.reference not in only.text
        other = console.get("/portal/declarations", params={"party_id": theirs.party_id})
        assert theirs.reference not in other.text

    def test_another_partys_declaration_is_not_found(
        self,
        console: TestClient,
        enterprise: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        with session_maker() as s:
            theirs = entry(s, party(s), profile, cleared=True)
            s.commit()
        for suffix in ("", ".json", ".csv"):
            response = console.get(f"/portal/declarations/{theirs.id}{suffix}")
            assert response.status_code == 404, suffix
            assert theirs.reference not in response.text

    def test_a_cleared_declaration_shows_its_taxes_line_by_line_in_chinese(
        self,
        console: TestClient,
        enterprise: str,
        own: int,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        cleared = lodged(session_maker, own, profile, cleared=True)
        console.post("/language", data={"lang": "zh-Hans", "csrf_token": enterprise})
        page = console.get(f"/portal/declarations/{cleared.id}")
        assert page.status_code == 200
        assert "核定税款" in page.text
        assert "已放行" in page.text
        assert "¥" in page.text  # amounts as money
        assert cleared.assessment is not None
        assert cleared.assessment["lines"][0]["rule"] in page.text
        assert 'class="reasons"' in page.text

    @pytest.mark.parametrize(
        ("language", "words"),
        [
            ("en", "Legally inspected on entry: catalogue row"),
            ("zh-Hant", "入境法定檢驗：目錄條目"),
            ("zh-Hans", "入境法定检验：目录条目"),
        ],
    )
    def test_R12_a_line_the_legal_inspection_catalogue_lists_says_so(  # noqa: N802 - rule
        self,
        console: TestClient,
        enterprise: str,
        own: int,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        language: str,
        words: str,
    ) -> None:
        # Absolute ethanol (2207.10): the shipped sample catalogue lists it; reagent kits not.
        with session_maker() as s:
            owner = s.get(Party, own)
            assert owner is not None
            ethanol = entry(s, owner, profile, hs_code="2207.10", goods_kind="consumables")
            kits = entry(s, owner, profile)
            s.commit()
        console.post("/language", data={"lang": language, "csrf_token": enterprise})
        page = console.get(f"/portal/declarations/{ethanol.id}")
        assert page.status_code == 200
        assert 'id="inspected-1"' in page.text
        assert f"{words} LI-CHEM-ETHANOL (SAMPLE-2026.1)" in page.text
        assert 'id="inspected-' not in console.get(f"/portal/declarations/{kits.id}").text

    def test_downloads_are_attachments(
        self,
        console: TestClient,
        enterprise: str,
        own: int,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        declaration = lodged(session_maker, own, profile, cleared=True)
        document = console.get(f"/portal/declarations/{declaration.id}.json")
        assert document.status_code == 200
        assert document.headers["content-disposition"].startswith("attachment;")
        assert json.loads(document.text)["reference"] == declaration.reference
        lines = console.get(f"/portal/declarations/{declaration.id}.csv")
        assert lines.headers["content-disposition"].startswith("attachment;")
        rows = list(csv.DictReader(io.StringIO(lines.text)))
        assert [(r["line_no"], r["hs_code"], r["quantity"]) for r in rows] == [
            ("1", "382219", "10.000")
        ]

    def test_staff_who_read_declarations_see_every_party(
        self,
        console: TestClient,
        user: UserMaker,
        sign_in: SignIn,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        with session_maker() as s:
            declaration = entry(s, party(s), profile)
            s.commit()
        sign_in(user(Role.AUDITOR))
        assert declaration.reference in console.get("/portal/declarations").text
        assert console.get(f"/portal/declarations/{declaration.id}").status_code == 200


class TestHsLookUp:
    def test_finds_codes_by_words_and_by_digits(self, console: TestClient, enterprise: str) -> None:
        by_words = console.get("/portal/hs", params={"q": "reagents diagnostic"})
        assert by_words.status_code == 200
        assert "382219" in by_words.text or "3822" in by_words.text
        by_code = console.get("/portal/hs", params={"q": "8471.30"})
        assert "847130" in by_code.text

    def test_a_chinese_page_says_descriptions_are_english(
        self, console: TestClient, enterprise: str
    ) -> None:
        console.post("/language", data={"lang": "zh-Hant", "csrf_token": enterprise})
        page = console.get("/portal/hs", params={"q": "3822"})
        assert "只有英文描述" in page.text
        assert 'lang="en"' in page.text

    def test_chinese_words_find_a_chapter_shown_with_its_chinese_title(
        self, console: TestClient, enterprise: str
    ) -> None:
        console.post("/language", data={"lang": "zh-Hans", "csrf_token": enterprise})
        page = console.get("/portal/hs", params={"q": "藥品"})
        assert "<code>30</code>" in page.text
        assert "<code>3004</code>" in page.text
        assert '<td lang="zh-Hans">药品</td>' in page.text
        assert "中文标题" in page.text
        found = console.get("/portal/hs/suggestions", params={"q": "药品"}).json()
        assert found[0] == {
            "code": "30",
            "description": "Pharmaceutical products",
            "chapter_zh": "药品",
        }

    def test_an_english_page_shows_no_chinese_title(
        self, console: TestClient, enterprise: str
    ) -> None:
        page = console.get("/portal/hs", params={"q": "药品"})
        assert "<code>30</code>" in page.text
        assert '<td lang="zh-' not in page.text
        assert "chapter_zh" not in console.get("/portal/hs/suggestions", params={"q": "30"}).text

    def test_suggestions_are_json(self, console: TestClient, enterprise: str) -> None:
        found = console.get("/portal/hs/suggestions", params={"q": "3822"}).json()
        assert found[0]["code"] == "3822"
        assert len(found) <= 10


GOODS_KINDS = sorted(
    {
        str(k)
        for name in ("hetao", "hengqin", "hainan")
        for k in load_profile(name).whitelist.waiver_goods_kinds
    }
)
LABELS = [
    *[("declarations.status", s.value) for s in DeclarationStatus],
    *[("declarations.kind", k.value) for k in DeclarationKind],
    *[("declarations.goods_kind", k) for k in GOODS_KINDS],
    *[("ledger.customs_status", s.value) for s in CustomsStatus],
    *[("ledger.movement_kind", k.value) for k in MovementKind],
    *[("ledger.hold_status", s.value) for s in HoldStatus],
]


class TestLabels:
    @pytest.mark.parametrize(("prefix", "value"), LABELS)
    def test_every_member_has_a_name_in_every_language(self, prefix: str, value: str) -> None:
        for lang in LANGUAGES:
            assert f"{prefix}.{value}" in MESSAGES[lang], lang
