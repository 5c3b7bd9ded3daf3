"""Dashboard and second-line pages: in three languages, each chart's table equals the API's
JSON and its CSV; enterprise users are refused; bad filters are a 4xx naming the field."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from dashboards.support import cleared, crossing, local
from factories import bearer, make_party
from hetao.auth.principal import Role
from hetao.dashboards.service import CHARTS
from hetao.engine.facts import Outcome
from hetao.profiles import ZoneProfile
from hetao.reasons import Language
from hetao.storage.types import utcnow
from hetao.timeutil import zone_today
from hetao.web.i18n import format_number, language
from web.support import SETUP, is_page

LANGUAGES: dict[Language, str] = {"en": "en-GB", "zh-Hant": "zh-HK", "zh-Hans": "zh-CN"}
TITLES = {"en": "Dashboards", "zh-Hant": "儀表板", "zh-Hans": "仪表板"}
CELL = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def table(page: str, key: str) -> list[list[str]]:
    """The rows of a chart's table, cells as text."""
    found = re.search(rf'<table class="chart-data" id="table-{key}">(.*?)</table>', page, re.S)
    assert found is not None, f"no table for {key}"
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in CELL.findall(r)] for r in rows
    ]


def from_api(body: dict[str, Any], lang: Language) -> list[list[str]]:
    """The table the API's figures make, numbers written as the page writes them."""
    with language(lang):
        return [
            [
                category["label"],
                *(format_number(Decimal(str(s["values"][i]))) for s in body["series"]),
            ]
            for i, category in enumerate(body["categories"])
        ]


@pytest.fixture
def reader(token_for: Callable[..., str]) -> dict[str, str]:
    return bearer(token_for(Role.SECOND_LINE_OFFICER))


@pytest.fixture
def figures(session_maker: sessionmaker[Session], profile: ZoneProfile) -> int:
    """Crossings of the last minutes and a second-line exit cleared today: its party's id."""
    now = utcnow()
    with session_maker() as s:
        for minutes, outcome in ((3, Outcome.RELEASE), (4, Outcome.INSPECT), (6, Outcome.REFUSE)):
            crossing(s, now - dt.timedelta(minutes=minutes), outcome)
        party = make_party(s, SETUP, name_en="Lychee Bio Ltd", name_zh="荔枝生物有限公司")
        today = zone_today(profile.zone.timezone)
        cleared(s, party.id, min(now, local(today, 12)), [("12.50", "0.00", "30.25")])
        s.commit()
        return party.id


class TestDashboardPage:
    @pytest.mark.parametrize("lang", list(LANGUAGES))
    def test_every_table_equals_the_api_in_each_language(
        self, console: TestClient, reader: dict[str, str], figures: int, lang: Language
    ) -> None:
        headers = {**reader, "Accept-Language": LANGUAGES[lang]}
        page = console.get("/dashboards", headers=headers)
        assert page.status_code == 200
        assert f"<h1>{TITLES[lang]}</h1>" in page.text
        assert "style=" not in page.text
        assert "<script>" not in page.text
        for key in CHARTS:
            body = console.get(f"/api/v1/dashboards/{key}", headers=headers).json()
            shown = table(page.text, key)
            assert shown[0][1:] == [s["label"] for s in body["series"]], key
            assert shown[1:] == from_api(body, lang), key
            assert '<rect class="series-' in page.text
        assert "<title>" in page.text

    def test_a_csv_holds_the_table_numbers(
        self, console: TestClient, reader: dict[str, str], figures: int
    ) -> None:
        for key in CHARTS:
            answer = console.get(f"/dashboards/{key}.csv", headers=reader)
            assert answer.status_code == 200
            assert answer.headers["content-type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO(answer.text)))
            body = console.get(f"/api/v1/dashboards/{key}", headers=reader).json()
            assert rows[0][1:] == [s["label"] for s in body["series"]]
            assert [row[0] for row in rows[1:]] == [c["label"] for c in body["categories"]]
            for i, row in enumerate(rows[1:]):
                assert [Decimal(cell) for cell in row[1:]] == [
                    Decimal(str(s["values"][i])) for s in body["series"]
                ], key

    def test_the_crossings_of_the_last_minutes_are_counted_today(
        self, console: TestClient, reader: dict[str, str], figures: int
    ) -> None:
        body = console.get("/api/v1/dashboards/crossings-today", headers=reader).json()
        totals = {s["key"]: sum(s["values"]) for s in body["series"]}
        # Three crossings within minutes: all today unless local midnight fell between.
        assert sum(totals.values()) in (1, 2, 3)
        narrowed = console.get(
            "/api/v1/dashboards/crossings-today?point=SL_GOODS", headers=reader
        ).json()
        assert all(sum(s["values"]) == 0 for s in narrowed["series"])

    @pytest.mark.parametrize(
        ("path", "status", "field"),
        [
            ("/dashboards?line=third", 422, "line"),
            ("/dashboards?point=NOWHERE", 422, "point"),
            ("/dashboards/no-such-chart.csv", 404, None),
            ("/dashboards/stock.csv?point=NOWHERE", 422, "point"),
            ("/api/v1/dashboards/no-such-chart", 404, None),
            ("/api/v1/dashboards/crossings-today?line=third", 422, "line"),
            ("/api/v1/dashboards/crossings-today?point=NOWHERE", 422, "point"),
            ("/port/second-line?from=yesterday", 422, "from"),
            ("/port/second-line?from=2026-11-20&to=2026-11-01", 422, "to"),
            ("/port/second-line?from=2026-01-01&to=2026-11-01", 422, "to"),
            ("/port/second-line?party_id=abc", 422, "party_id"),
            ("/port/taxes?to=2026-02-30", 422, "to"),
            ("/port/taxes.csv?from=2026-11-20&to=2026-11-01", 422, "to"),
        ],
    )
    def test_a_bad_filter_is_a_4xx_naming_the_field(
        self, console: TestClient, reader: dict[str, str], path: str, status: int, field: str | None
    ) -> None:
        answer = console.get(path, headers=reader)
        assert answer.status_code == status, answer.text
        if field is not None:
            assert field in answer.text

    @pytest.mark.parametrize(
        "path",
        ["/dashboards", "/dashboards/stock.csv", "/api/v1/dashboards/stock", "/port/second-line",
         "/port/taxes", "/port/taxes.csv"],
    )  # fmt: skip
    def test_an_enterprise_user_is_refused(
        self, console: TestClient, token_for: Callable[..., str], figures: int, path: str
    ) -> None:
        headers = bearer(token_for(Role.ENTERPRISE_USER, party_id=figures))
        assert console.get(path, headers=headers).status_code == 403


class TestSecondLine:
    @pytest.mark.parametrize("lang", list(LANGUAGES))
    def test_goods_leaving_today_with_their_taxes_by_party_name(
        self, console: TestClient, reader: dict[str, str], figures: int, lang: Language
    ) -> None:
        page = console.get(
            "/port/second-line", headers={**reader, "Accept-Language": LANGUAGES[lang]}
        )
        assert page.status_code == 200
        assert is_page(page)
        assert ("Lychee Bio Ltd" if lang == "en" else "荔枝生物有限公司") in page.text
        assert "microscope part 1" in page.text
        assert "30.25" in page.text
        assert f"party_id={figures}" not in page.text  # names, not ids

    def test_the_party_filter_keeps_its_goods_only(
        self, console: TestClient, reader: dict[str, str], figures: int
    ) -> None:
        mine = console.get(f"/port/second-line?party_id={figures}", headers=reader)
        other = console.get(f"/port/second-line?party_id={figures + 1000}", headers=reader)
        assert "microscope part 1" in mine.text
        assert "microscope part 1" not in other.text


class TestTaxes:
    @pytest.mark.parametrize("lang", list(LANGUAGES))
    def test_the_report_defaults_to_this_month(
        self,
        console: TestClient,
        reader: dict[str, str],
        figures: int,
        profile: ZoneProfile,
        lang: Language,
    ) -> None:
        page = console.get("/port/taxes", headers={**reader, "Accept-Language": LANGUAGES[lang]})
        assert page.status_code == 200
        first = zone_today(profile.zone.timezone).replace(day=1)
        assert f'name="from" type="date" value="{first.isoformat()}"' in page.text
        assert "42.75" in page.text  # 12.50 duty + 30.25 VAT

    def test_the_csv_has_a_row_per_party_and_the_totals(
        self, console: TestClient, reader: dict[str, str], figures: int, profile: ZoneProfile
    ) -> None:
        api = console.get(
            "/api/v1/reports/taxes",
            params={"from": zone_today(profile.zone.timezone).replace(day=1).isoformat(),
                    "to": zone_today(profile.zone.timezone).isoformat()},
            headers=reader,
        ).json()  # fmt: skip
        answer = console.get("/port/taxes.csv", headers=reader)
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert rows[0]["party"] == "Lychee Bio Ltd"
        assert Decimal(rows[0]["total"]) == Decimal(api["rows"][0]["total"]) == Decimal("42.75")
        assert Decimal(rows[-1]["total"]) == Decimal(api["total"])
