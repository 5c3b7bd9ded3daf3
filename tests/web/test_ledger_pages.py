"""The portal's e-ledger pages: lots, a lot with its movements and holds, supervision ending,
the statement with its CSV, and a stocktake reconciled from an uploaded file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hetao.auth.principal import Role
from hetao.ledger.models import Lot
from hetao.ledger.service import holds
from hetao.profiles import ZoneProfile, load_profile
from hetao.storage.types import utcnow
from hetao.timeutil import zone_today
from web.portal_support import lot, party
from web.support import SETUP, is_page

UserMaker = Callable[..., str]
SignIn = Callable[[str], str]
TODAY = zone_today(load_profile("hetao").zone.timezone)  # the zone's day, as reports count


@pytest.fixture
def owned(session_maker: sessionmaker[Session], profile: ZoneProfile) -> tuple[int, int]:
    """A party with one bonded lot of ten kits, three of them held; returns (party, lot)."""
    with session_maker() as s:
        owner = party(s)
        kits = lot(s, owner, profile)
        holds.hold(
            s,
            kits,
            quantity=Decimal(3),
            expires_at=utcnow() + dt.timedelta(days=2),
            idempotency_key="hold-web-1",
            actor=SETUP,
            declaration_ref="INSPECT-1",
        )
        s.commit()
        return owner.id, kits.id


@pytest.fixture
def theirs(session_maker: sessionmaker[Session], profile: ZoneProfile) -> Lot:
    """Another party's lot."""
    with session_maker() as s:
        made = lot(s, party(s), profile)
        s.commit()
        return made


@pytest.fixture
def enterprise(user: UserMaker, sign_in: SignIn, owned: tuple[int, int]) -> str:
    return sign_in(user(Role.ENTERPRISE_USER, party_id=owned[0]))


class TestLots:
    def test_lists_its_own_lots_with_balance_and_reservation(
        self, console: TestClient, enterprise: str, owned: tuple[int, int], theirs: Lot
    ) -> None:
        page = console.get("/portal/ledger")
        assert page.status_code == 200
        assert f'/portal/ledger/lots/{owned[1]}"' in page.text
        assert f'/portal/ledger/lots/{theirs.id}"' not in page.text
        assert "Bonded" in page.text
        assert ">3<" in page.text  # reserved
        assert ">7<" in page.text  # available
        paid = console.get("/portal/ledger", params={"status": "duty_paid"})
        assert f'/portal/ledger/lots/{owned[1]}"' not in paid.text

    def test_a_lot_shows_its_movements_and_holds_in_chinese(
        self, console: TestClient, enterprise: str, owned: tuple[int, int]
    ) -> None:
        console.post("/language", data={"lang": "zh-Hant", "csrf_token": enterprise})
        page = console.get(f"/portal/ledger/lots/{owned[1]}")
        assert page.status_code == 200
        assert "進境" in page.text  # the admission, by its kind's name
        assert "預留中" in page.text  # the pending hold
        assert "INSPECT-1" in page.text

    def test_another_partys_lot_is_not_found(
        self, console: TestClient, enterprise: str, theirs: Lot
    ) -> None:
        response = console.get(f"/portal/ledger/lots/{theirs.id}")
        assert response.status_code == 404
        assert is_page(response)
        assert theirs.admission_ref not in response.text

    def test_supervision_ending_answers_for_its_party(
        self, console: TestClient, enterprise: str
    ) -> None:
        page = console.get("/portal/ledger/supervision", params={"days": 30})
        assert page.status_code == 200
        assert "30" in page.text


class TestStatement:
    def test_without_a_period_it_shows_the_form(self, console: TestClient, enterprise: str) -> None:
        page = console.get("/portal/ledger/statement")
        assert page.status_code == 200
        assert 'id="field-from"' in page.text
        assert "<table" not in page.text

    def test_a_period_shows_each_lot_and_downloads_as_csv(
        self, console: TestClient, enterprise: str, owned: tuple[int, int]
    ) -> None:
        period = {"from": (TODAY - dt.timedelta(days=40)).isoformat(), "to": TODAY.isoformat()}
        page = console.get("/portal/ledger/statement", params=period)
        assert page.status_code == 200, page.text
        assert f'/portal/ledger/lots/{owned[1]}"' in page.text
        assert "Every lot agrees with the ledger." in page.text
        download = console.get("/portal/ledger/statement.csv", params=period)
        assert download.headers["content-disposition"].startswith("attachment;")
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert [(r["lot_id"], r["closing"]) for r in rows] == [(str(owned[1]), "10.000")]

    def test_a_period_ending_before_it_starts_is_refused_beside_the_field(
        self, console: TestClient, enterprise: str
    ) -> None:
        period = {"from": TODAY.isoformat(), "to": (TODAY - dt.timedelta(days=1)).isoformat()}
        page = console.get("/portal/ledger/statement", params=period)
        assert page.status_code == 422
        assert 'id="error-to"' in page.text

    def test_another_party_is_not_found(
        self, console: TestClient, enterprise: str, theirs: Lot
    ) -> None:
        period = {
            "from": TODAY.isoformat(),
            "to": TODAY.isoformat(),
            "party_id": str(theirs.party_id),
        }
        assert console.get("/portal/ledger/statement", params=period).status_code == 404
        assert console.get("/portal/ledger/statement.csv", params=period).status_code == 404

    def test_staff_name_the_party(
        self,
        console: TestClient,
        user: UserMaker,
        sign_in: SignIn,
        owned: tuple[int, int],
    ) -> None:
        sign_in(user(Role.ZONE_REVIEWER))
        period = {"from": TODAY.isoformat(), "to": TODAY.isoformat()}
        assert console.get("/portal/ledger/statement", params=period).status_code == 422
        period["party_id"] = str(owned[0])
        assert console.get("/portal/ledger/statement", params=period).status_code == 200


def upload(text: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("count.csv", text.encode(), "text/csv")}


class TestReconciliation:
    def test_an_uploaded_count_shows_the_result_table(
        self, console: TestClient, enterprise: str, owned: tuple[int, int]
    ) -> None:
        assert console.get("/portal/ledger/reconciliation").status_code == 200
        response = console.post(
            "/portal/ledger/reconciliation",
            data={"csrf_token": enterprise},
            files=upload(f"lot_id,counted\n{owned[1]},8\n"),
        )
        assert response.status_code == 200, response.text
        assert "Shortage" in response.text
        assert 'class="reconciliation"' in response.text

    def test_another_partys_lot_in_the_file_is_refused_naming_its_line(
        self, console: TestClient, enterprise: str, owned: tuple[int, int], theirs: Lot
    ) -> None:
        response = console.post(
            "/portal/ledger/reconciliation",
            data={"csrf_token": enterprise},
            files=upload(f"lot_id,counted\n{owned[1]},10\n{theirs.id},1\n"),
        )
        assert response.status_code == 422
        assert "Line 3:" in response.text
        assert "not a lot of your enterprise" in response.text

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("lot,count\n1,2\n", "must name the columns"),
            ("lot_id,counted\nx,2\n", "Line 2:"),
            ("", "file"),
        ],
    )
    def test_a_malformed_file_is_refused(
        self, console: TestClient, enterprise: str, text: str, shown: str
    ) -> None:
        response = console.post(
            "/portal/ledger/reconciliation", data={"csrf_token": enterprise}, files=upload(text)
        )
        assert response.status_code == 422
        assert shown in response.text

    def test_another_party_is_not_found(
        self, console: TestClient, enterprise: str, theirs: Lot
    ) -> None:
        response = console.post(
            "/portal/ledger/reconciliation",
            data={"csrf_token": enterprise, "party_id": str(theirs.party_id)},
            files=upload(f"lot_id,counted\n{theirs.id},1\n"),
        )
        assert response.status_code == 404
