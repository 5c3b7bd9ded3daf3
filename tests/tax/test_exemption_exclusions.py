"""R4, R19: what the exemption-exclusions table excludes is not exempt, naming the table row.

The table is reference data on the day (REGIME (d)2), never a flag of the declarant; the pure
assessment applies it, so `hetao tax assess` and clearing a declaration give the same answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from declarations.support import body
from factories import bearer, make_entry, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.cli import app
from hetao.declarations.kinds import DeclarationKind
from hetao.profiles import ZoneProfile
from hetao.profiles.schema import ExcludedGoodsEntry
from hetao.reference.exemption_exclusions import (
    EXCLUSION_COLUMNS,
    ExemptionExclusions,
    import_exemption_exclusions,
)
from hetao.reference.tariff import import_tariff
from hetao.tax import Assessment, assess
from tax.support import RATES, TARIFF, TARIFF_CSV, hengqin, hetao, line, request, run

CAR = {"hs_code": "8703.23", "quantity": 1, "unit": "unit", "customs_value": "200000.00"}
#: Rates given on the line: the test tariff has no row for these codes.
RATES_GIVEN = {"duty_rate": "0.05", "consumption_tax_rate": "0", "vat_rate": "0.13"}
MACHINING_CENTRE = {
    "hs_code": "8457.10",
    "quantity": 1,
    "unit": "unit",
    "customs_value": "100000.00",
    **RATES_GIVEN,
}


def first_line_entry(profile: ZoneProfile, goods: dict[str, Any], **kwargs: Any) -> Assessment:
    return run("first_line_entry", line(**goods), profile=profile, **kwargs)


def duty_paid_entry(profile: ZoneProfile) -> ZoneProfile:
    """``profile`` with excluded goods taxed at the first line instead of entering bonded."""
    tax = profile.tax.model_copy(update={"excluded_goods_enter_as": ExcludedGoodsEntry.DUTY_PAID})
    return profile.model_copy(update={"tax": tax})


def exclusions(*rows: str, kind: str = "official") -> ExemptionExclusions:
    lines = [",".join(EXCLUSION_COLUMNS), *(f"T-1,{kind},{r}" for r in rows)]
    return import_exemption_exclusions("\n".join(lines) + "\n", source="test")


class TestR19:
    def test_R19_a_car_is_not_exempt_in_hengqin(self) -> None:  # noqa: N802
        (car,) = first_line_entry(hengqin(), CAR).lines
        # R19: other imports are bonded, so the car enters bonded and pays when it leaves.
        assert (car.rule, car.status_after, car.taxed, car.total) == (
            "R19.excluded_from_exemption_bonded",
            "bonded",
            False,
            Decimal("0.00"),
        )
        assert car.exclusion is not None
        assert (car.exclusion.rule, car.exclusion.table, car.exclusion.row_id) == (
            "R19",
            "R19-not-exempt-equipment",
            "R19-CAR-1",
        )
        (reason,) = car.reasons
        assert (reason.code, reason.rule, reason.params) == (
            "R19.excluded_from_exemption_bonded",
            "R19",
            {"table": "R19-not-exempt-equipment"},
        )
        assert "R19-not-exempt-equipment" in reason.text["zh-Hant"]

    def test_R19_an_aircraft_is_not_exempt_in_hengqin(self) -> None:  # noqa: N802
        aeroplane = {**CAR, "hs_code": "8802.30", **RATES_GIVEN}
        (assessed,) = first_line_entry(hengqin(), aeroplane).lines
        assert assessed.rule == "R19.excluded_from_exemption_bonded"
        assert assessed.exclusion is not None
        assert assessed.exclusion.row_id == "R19-AIRCRAFT-4"

    def test_R19_a_yacht_is_not_exempt_in_hengqin(self) -> None:  # noqa: N802
        yacht = {**CAR, "hs_code": "8903.22", **RATES_GIVEN}
        (assessed,) = first_line_entry(hengqin(), yacht).lines
        assert assessed.rule == "R19.excluded_from_exemption_bonded"
        assert assessed.exclusion is not None
        assert assessed.exclusion.row_id == "R19-YACHT-1"

    def test_R19_self_use_equipment_not_in_the_table_stays_exempt(self) -> None:  # noqa: N802
        (reagents,) = first_line_entry(hengqin(), {}).lines
        assert (reagents.rule, reagents.exclusion) == ("R19.self_use_equipment_exempt", None)

    def test_R19_a_car_is_taxed_at_entry_where_the_profile_says_duty_paid(self) -> None:  # noqa: N802
        (car,) = first_line_entry(duty_paid_entry(hengqin()), CAR).lines
        # CNY 200,000.00: duty 15 % 30,000.00; CT 230,000.00 x 0.09 / 0.91 = 22,747.25;
        # VAT 252,747.25 x 0.13 = 32,857.14.
        assert (car.rule, car.status_after, car.taxed) == (
            "R19.excluded_from_exemption_taxed",
            "duty_paid",
            True,
        )
        assert (str(car.duty), str(car.consumption_tax), str(car.vat)) == (
            "30000.00",
            "22747.25",
            "32857.14",
        )
        assert car.duty_rule == "R19.excluded_from_exemption_taxed"

    def test_R19_rows_do_not_touch_the_R4_exemption_of_a_car_in_hetao(self) -> None:  # noqa: N802
        (car,) = first_line_entry(hetao(), CAR).lines
        assert (car.rule, car.exclusion) == ("R4.research_goods_exempt", None)


class TestR4:
    def test_R4_a_catalogue_row_is_taxed_in_hetao_naming_the_row(self) -> None:  # noqa: N802
        (centre,) = first_line_entry(hetao(), MACHINING_CENTRE).lines
        # CNY 100,000.00: duty 5 % 5,000.00; VAT 105,000.00 x 0.13 = 13,650.00.
        assert (centre.rule, centre.status_after, str(centre.total)) == (
            "R4.excluded_from_exemption_taxed",
            "duty_paid",
            "18650.00",
        )
        assert centre.exclusion is not None
        assert (centre.exclusion.table, centre.exclusion.row_id) == (
            "R4-major-equipment-not-exempt",
            "R4-CATALOGUE-2",
        )

    def test_R4_a_prohibited_goods_row_is_not_exempt(self) -> None:  # noqa: N802
        scrap = {**MACHINING_CENTRE, "hs_code": "3915.10", "unit": "kg"}
        (assessed,) = first_line_entry(hetao(), scrap).lines
        assert assessed.exclusion is not None
        assert assessed.exclusion.row_id == "R4-PROHIBITED-1"

    def test_R4_excluded_goods_enter_bonded_where_the_profile_says_so(self) -> None:  # noqa: N802
        bonded_profile = hetao()
        tax = bonded_profile.tax.model_copy(
            update={"excluded_goods_enter_as": ExcludedGoodsEntry.BONDED}
        )
        (centre,) = first_line_entry(
            bonded_profile.model_copy(update={"tax": tax}), MACHINING_CENTRE
        ).lines
        assert (centre.rule, centre.status_after, centre.total) == (
            "R4.excluded_from_exemption_bonded",
            "bonded",
            Decimal("0.00"),
        )

    def test_R4_excluded_goods_have_no_exemption_to_waive(self) -> None:  # noqa: N802
        # R6's lockout follows a waiver; there is none where the table already excludes.
        (centre,) = first_line_entry(hetao(), {**MACHINING_CENTRE, "waived": True}).lines
        assert centre.rule == "R4.excluded_from_exemption_taxed"

    def test_R4_a_non_beneficiary_enters_bonded_as_before(self) -> None:  # noqa: N802
        (centre,) = first_line_entry(hetao(), MACHINING_CENTRE, beneficiary=False).lines
        assert (centre.rule, centre.exclusion) == ("first_line_entry_bonded_not_taxed", None)


class TestTheTableOnTheDay:
    CAR_ROW = "cars,CAR-1,R19,excluded,8703,2024-03-01,2026-02-28,cars,test"

    def test_R19_a_row_outside_its_validity_dates_does_not_apply(self) -> None:  # noqa: N802
        table = exclusions(self.CAR_ROW)
        march = request("first_line_entry", line(**CAR), date="2026-03-15")
        (car,) = assess(march, hengqin(), tariff=TARIFF, rates=RATES, exclusions=table).lines
        assert (car.rule, car.exclusion) == ("R19.self_use_equipment_exempt", None)
        february = request("first_line_entry", line(**CAR), date="2026-02-28")
        (car,) = assess(february, hengqin(), tariff=TARIFF, rates=RATES, exclusions=table).lines
        assert car.exclusion is not None
        assert car.exclusion.row_id == "CAR-1"

    def test_the_assessment_names_the_table_version_and_whether_it_is_a_sample(self) -> None:
        shipped = first_line_entry(hengqin(), CAR)
        assert (shipped.exemption_exclusions_version, shipped.exemption_exclusions_sample) == (
            "SAMPLE-2026.1",
            True,
        )
        official = assess(
            request("first_line_entry", line(**CAR)),
            hengqin(),
            tariff=TARIFF,
            rates=RATES,
            exclusions=exclusions(self.CAR_ROW),
        )
        assert (official.exemption_exclusions_version, official.exemption_exclusions_sample) == (
            "T-1",
            False,
        )


# --- the CLI and the API agree ----------------------------------------------------------------

#: The test tariff plus a machining centre, so the ledger (which gives no rates) can tax it.
TARIFF_WITH_MACHINING_CENTRE = (
    TARIFF_CSV + "TEST-1,845710,2026-01-01,0.05,,,,0.13,sample,machining centres\n"
)


def cli_assess(tmp_path: Path, document: dict[str, Any], *options: str) -> dict[str, Any]:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(app, ["tax", "assess", str(path), *options])
    assert result.exit_code == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


class TestCliAndApiAgree:
    def test_R4_clearing_an_excluded_line_gives_what_the_cli_gives(  # noqa: N802
        self,
        client: TestClient,
        token_for: Callable[..., str],
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        tmp_path: Path,
    ) -> None:
        party = make_party(session, actor)
        make_entry(session, actor, profile, party.id)
        session.commit()
        client.app.state.tariff = import_tariff(TARIFF_WITH_MACHINING_CENTRE, source="test")  # type: ignore[attr-defined]
        centre = {
            "hs_code": "8457.10",
            "description": "Five-axis machining centre",
            "quantity": "1",
            "unit": "unit",
            "customs_value": "100000.00",
            "currency": "HKD",
            "origin": "HK",
            "goods_kind": "equipment",
            "research_own_use": True,
        }
        lodged = client.post(
            "/api/v1/declarations",
            json=body(party.id, DeclarationKind.FIRST_LINE_ENTRY, lines=[centre]),
        )
        assert lodged.status_code == 201, lodged.text
        officer = bearer(token_for(Role.FIRST_LINE_OFFICER))
        cleared = client.post(f"/api/v1/declarations/{lodged.json()['id']}/clear", headers=officer)
        assert cleared.status_code == 200, cleared.text
        by_api = cleared.json()["assessment"]
        (assessed,) = by_api["lines"]
        assert assessed["rule"] == "R4.excluded_from_exemption_taxed"
        assert assessed["exclusion"]["row_id"] == "R4-CATALOGUE-2"
        # The excluded machining centre is on the ledger as duty-paid goods, not exempt ones.
        lot_id = cleared.json()["lines"][0]["result_lot_id"]
        lot = client.get(f"/api/v1/lots/{lot_id}").json()["lot"]
        assert lot["customs_status"] == "duty_paid"

        tariff_file = tmp_path / "tariff.csv"
        tariff_file.write_text(TARIFF_WITH_MACHINING_CENTRE, encoding="utf-8")
        by_cli = cli_assess(
            tmp_path, {"profile": "hetao", **by_api["request"]}, "--tariff", str(tariff_file)
        )
        assert by_cli == by_api
