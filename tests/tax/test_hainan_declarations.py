"""R23 and R24 through the real services, on SQLite and PostgreSQL: declarations lodged and
cleared under the Hainan-style profile, lots on the e-ledger, the taxed-goods catalogue read from
the reference data in force (packaged or uploaded), and a product's second-line exit taxed on the
imported inputs the ledger traces, with what was paid on them at entry credited.

Worked with the shipped sample tariff and rates (November 2026: HKD 0.9121; 382219 reagents
duty 3 %, 220710 ethyl alcohol duty 5 %, VAT 13 % for both).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from declarations.support import clear, counts, line, submit
from factories import make_entry, make_party
from hetao.audit.service import Actor
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.errors import RuleViolation, ValidationFailed
from hetao.ledger.models import CustomsStatus, Lot
from hetao.profiles import ZoneProfile, load_profile
from hetao.reference_versions import service as reference_versions
from hetao.reference_versions.models import TableKind
from hetao.registry.models import Party
from reference_versions.support import packaged_text

CATALOGUE = "R23-taxed-goods-catalogue"
#: Where Hainan's goods cross (representative placeholders of the profile).
ENTRY_POINT, EXIT_POINT = "FL_SEAPORT", "SL_SEAPORT"


@pytest.fixture
def hainan() -> ZoneProfile:
    return load_profile("hainan")


@pytest.fixture
def beneficiary(session: Session, actor: Actor, hainan: ZoneProfile) -> Party:
    """An enterprise whose whitelist entry grants R23's zero tariff for goods."""
    party = make_party(session, actor, name_en="Haikou Reagent Works Ltd.")
    make_entry(
        session,
        actor,
        hainan,
        party.id,
        flows=["goods"],
        exemptions=["zero_tariff_goods"],
        valid_from=dt.date(2026, 1, 1),
    )
    return party


def alcohol(**overrides: Any) -> dict[str, Any]:
    """20 l of ethyl alcohol worth HKD 4,000: heading 2207 is in the (illustrative) catalogue."""
    values = {
        "hs_code": "2207.10",
        "description": "Ethyl alcohol, undenatured, 96 % vol",
        "quantity": "20",
        "unit": "l",
        "customs_value": "4000.00",
        "goods_kind": "consumables",
    }
    return line(**{**values, **overrides})


def entered(
    session: Session,
    party: Party,
    profile: ZoneProfile,
    actor: Actor,
    *lines: dict[str, Any],
    point: str = ENTRY_POINT,
) -> Declaration:
    """A cleared first-line entry of ``lines`` at ``point``."""
    declaration = submit(
        session,
        party,
        profile,
        actor,
        DeclarationKind.FIRST_LINE_ENTRY,
        crossing_point=point,
        lines=list(lines),
    )
    return clear(session, declaration, profile, actor)


def lot_of(session: Session, declaration: Declaration, index: int = 0) -> Lot:
    lot = session.get(Lot, declaration.lines[index].result_lot_id)
    assert lot is not None
    return lot


def assessed(declaration: Declaration, index: int = 0) -> dict[str, Any]:
    assert declaration.assessment is not None
    line_: dict[str, Any] = declaration.assessment["lines"][index]
    return line_


def upload_exclusions(session: Session, actor: Actor, text: str, version: str) -> None:
    """A new version of the exemption-exclusions table, in force from 2026-11-01."""
    reference_versions.add_version(
        session,
        TableKind.EXCLUSIONS,
        text.replace("SAMPLE-2026.1,sample,", f"{version},official,"),
        effective_from=dt.date(2026, 11, 1),
        actor=actor,
    )


class TestR23FirstLine:
    def test_r23_goods_outside_the_taxed_catalogue_enter_free_of_the_three_taxes(
        self, session: Session, actor: Actor, hainan: ZoneProfile, beneficiary: Party
    ) -> None:
        cleared = entered(session, beneficiary, hainan, actor, line(research_own_use=True))
        assert cleared.status is DeclarationStatus.CLEARED
        assert cleared.tax_total == Decimal("0.00")
        lot = lot_of(session, cleared)
        # On the e-ledger with the exempt status (R23), not as duty-paid goods.
        assert lot.customs_status is CustomsStatus.DUTY_FREE_RESEARCH
        entry = assessed(cleared)
        assert (entry["rule"], entry["taxed"], entry["exclusion"]) == (
            "R23.zero_tariff_exempt",
            False,
            None,
        )
        (reason,) = entry["reasons"]
        assert (reason["code"], reason["rule"], reason["params"]) == (
            "R23.zero_tariff_exempt",
            "R23",
            {"table": CATALOGUE},
        )
        assert cleared.assessment is not None
        assert cleared.assessment["profile"] == "hainan"

    def test_r23_goods_in_the_taxed_catalogue_are_taxed(
        self, session: Session, actor: Actor, hainan: ZoneProfile, beneficiary: Party
    ) -> None:
        cleared = entered(session, beneficiary, hainan, actor, alcohol(research_own_use=True))
        entry = assessed(cleared)
        assert (entry["rule"], entry["exclusion"]["table"], entry["exclusion"]["row_id"]) == (
            "R23.excluded_from_zero_tariff_taxed",
            CATALOGUE,
            "R23-TAXED-2",
        )
        # HKD 4,000.00 x 0.9121 = 3,648.40; duty 5 % = 182.42;
        # VAT (3,648.40 + 182.42) x 13 % = 498.0066 -> 498.01
        assert (cleared.duty, cleared.consumption_tax, cleared.vat) == (
            Decimal("182.42"),
            Decimal("0.00"),
            Decimal("498.01"),
        )
        assert cleared.tax_total == Decimal("680.43")
        # The ledger admits the goods with the status the catalogue gave them.
        assert lot_of(session, cleared).customs_status is CustomsStatus.DUTY_PAID

    def test_r23_an_uploaded_catalogue_replaces_the_illustrative_one(
        self, session: Session, actor: Actor, hainan: ZoneProfile, beneficiary: Party
    ) -> None:
        # The official catalogue (here: a test one) taxes reagents and not alcohol.
        rows = [
            row
            for row in packaged_text(TableKind.EXCLUSIONS).splitlines(keepends=True)
            if f",{CATALOGUE}," not in row
        ]
        rows.append(
            f"SAMPLE-2026.1,sample,{CATALOGUE},OFFICIAL-1,R23,excluded,3822,2025-12-18,,"
            "reagents (test row),test catalogue\n"
        )
        upload_exclusions(session, actor, "".join(rows), "OFFICIAL-TEST-1")
        cleared = entered(
            session,
            beneficiary,
            hainan,
            actor,
            line(research_own_use=True),
            alcohol(research_own_use=True),
        )
        kits, spirit = assessed(cleared, 0), assessed(cleared, 1)
        assert (kits["rule"], kits["exclusion"]["row_id"]) == (
            "R23.excluded_from_zero_tariff_taxed",
            "OFFICIAL-1",
        )
        assert spirit["rule"] == "R23.zero_tariff_exempt"
        assert cleared.assessment is not None
        assert cleared.assessment["exemption_exclusions_version"] == "OFFICIAL-TEST-1"
        assert cleared.assessment["exemption_exclusions_sample"] is False
        assert lot_of(session, cleared, 0).customs_status is CustomsStatus.DUTY_PAID
        assert lot_of(session, cleared, 1).customs_status is CustomsStatus.DUTY_FREE_RESEARCH

    def test_r23_a_table_version_without_the_catalogue_refuses_the_zero_tariff_claim(
        self, session: Session, actor: Actor, hainan: ZoneProfile, beneficiary: Party
    ) -> None:
        without = "".join(
            row
            for row in packaged_text(TableKind.EXCLUSIONS).splitlines(keepends=True)
            if f",{CATALOGUE}," not in row
        )
        upload_exclusions(session, actor, without, "NO-CATALOGUE-1")
        declaration = submit(
            session,
            beneficiary,
            hainan,
            actor,
            DeclarationKind.FIRST_LINE_ENTRY,
            crossing_point=ENTRY_POINT,
            lines=[line(research_own_use=True)],
        )
        before = counts(session)
        with pytest.raises(ValidationFailed) as caught:
            clear(session, declaration, hainan, actor)
        assert caught.value.problems[0].rule == "R23.exemption_list_not_in_force"
        assert declaration.status is DeclarationStatus.SUBMITTED
        assert counts(session) == before

    def test_r23_the_zero_tariff_needs_an_entry_in_force_naming_r23(
        self, session: Session, actor: Actor, hainan: ZoneProfile
    ) -> None:
        unlisted = make_party(session, actor, name_en="Sanya Unlisted Trading Ltd.")
        with pytest.raises(RuleViolation) as caught:
            submit(
                session,
                unlisted,
                hainan,
                actor,
                DeclarationKind.FIRST_LINE_ENTRY,
                crossing_point=ENTRY_POINT,
                lines=[line(research_own_use=True)],
            )
        assert caught.value.problems[0].rule == "R23.entry_none"


class TestR24SecondLine:
    def product_of_reagents_and_alcohol(
        self, session: Session, actor: Actor, profile: ZoneProfile, party: Party, **points: str
    ) -> Lot:
        """Reagents (zero-tariff) and alcohol (from the catalogue) made into 2 reagent kits."""
        kits = lot_of(
            session,
            entered(session, party, profile, actor, line(research_own_use=True), **points),
        )
        spirit = lot_of(
            session,
            entered(session, party, profile, actor, alcohol(research_own_use=True), **points),
        )
        made = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.TRANSFORMATION,
            product={
                "hs_code": "3822.19",
                "description": "Reagent kit made in the zone",
                "quantity": "2",
                "unit": "kit",
                "customs_value": "50000.00",
                "currency": "CNY",
                "origin": "CN",
                "goods_kind": "reagents",
            },
            lines=[
                line(lot_id=kits.id, quantity="5"),
                alcohol(lot_id=spirit.id, quantity="10"),
            ],
        )
        clear(session, made, profile, actor)
        product = session.get(Lot, made.product_lot_id)
        assert product is not None
        return product

    def leaves(
        self,
        session: Session,
        actor: Actor,
        profile: ZoneProfile,
        party: Party,
        lot: Lot,
        *,
        point: str,
        quantity: str = "1",
    ) -> Declaration:
        declaration = submit(
            session,
            party,
            profile,
            actor,
            DeclarationKind.SECOND_LINE_EXIT,
            crossing_point=point,
            lines=[
                line(
                    lot_id=lot.id,
                    hs_code=lot.hs_code,
                    quantity=quantity,
                    customs_value="25000.00",
                    currency="CNY",
                )
            ],
        )
        return clear(session, declaration, profile, actor)

    def test_r24_second_line_taxes_imported_inputs_with_paid_amounts_credited(
        self, session: Session, actor: Actor, hainan: ZoneProfile, beneficiary: Party
    ) -> None:
        product = self.product_of_reagents_and_alcohol(session, actor, hainan, beneficiary)
        assert product.customs_status is CustomsStatus.DUTY_FREE_RESEARCH
        # One of the two kits leaves: it carries 2.5 kits of reagents and 5 l of alcohol.
        cleared = self.leaves(session, actor, hainan, beneficiary, product, point=EXIT_POINT)
        entry = assessed(cleared)
        assert entry["rule"] == "R24.taxed_on_imported_inputs"
        kits, spirit = entry["inputs"]
        # Reagents: HKD 12,000.00 x 2.5 / 10 = 3,000.00; x 0.9121 = 2,736.30; duty 3 % = 82.09;
        # VAT (2,736.30 + 82.09) x 13 % = 366.3907 -> 366.39. Zero-tariff: nothing paid.
        assert (kits["hs_code"], kits["quantity"], kits["customs_value"], kits["status"]) == (
            "382219",
            "2.500000",
            "3000.00",
            "duty_free_research",
        )
        assert (kits["dutiable_value_cny"], kits["duty"], kits["vat"]) == (
            "2736.30",
            "82.09",
            "366.39",
        )
        # Alcohol: HKD 4,000.00 x 5 / 20 = 1,000.00; x 0.9121 = 912.10; duty 5 % = 45.61;
        # VAT (912.10 + 45.61) x 13 % = 124.5023 -> 124.50. A quarter of what its entry paid
        # (182.42 and 498.01) is credited: 45.61 and 124.50.
        assert (spirit["hs_code"], spirit["quantity"], spirit["customs_value"]) == (
            "220710",
            "5.000000",
            "1000.00",
        )
        assert (spirit["duty"], spirit["vat"]) == ("45.61", "124.50")
        assert spirit["taxes_paid"] == {
            "duty": "45.61",
            "consumption_tax": "0.00",
            "import_vat": "124.50",
        }
        assert (entry["duty_credited"], entry["vat_credited"]) == ("45.61", "124.50")
        # Due: duty 82.09 + 45.61 - 45.61, VAT 366.39 + 124.50 - 124.50: the reagents' taxes.
        assert (cleared.duty, cleared.consumption_tax, cleared.vat) == (
            Decimal("82.09"),
            Decimal("0.00"),
            Decimal("366.39"),
        )
        assert cleared.tax_total == Decimal("448.48")
        # Taxed on the inputs (CNY 3,648.40), not on the CNY 25,000.00 declared for the kit.
        assert entry["dutiable_value_cny"] == "3648.40"
        assert [r["code"] for r in entry["reasons"]] == [
            "R24.taxed_on_imported_inputs",
            "R24.paid_taxes_credited",
        ]
        assert entry["reasons"][1]["params"] == {
            "duty": "45.61",
            "consumption_tax": "0.00",
            "vat": "124.50",
        }

    def test_r24_zero_tariff_goods_leaving_unchanged_are_taxed_on_their_own_value(
        self, session: Session, actor: Actor, hainan: ZoneProfile, beneficiary: Party
    ) -> None:
        kits = lot_of(
            session, entered(session, beneficiary, hainan, actor, line(research_own_use=True))
        )
        cleared = self.leaves(session, actor, hainan, beneficiary, kits, point=EXIT_POINT)
        entry = assessed(cleared)
        assert (entry["rule"], entry["inputs"]) == ("R24.taxed_on_imported_inputs", [])
        # CNY 25,000.00 x 3 % = 750.00; VAT 25,750.00 x 13 % = 3,347.50
        assert (cleared.duty, cleared.vat) == (Decimal("750.00"), Decimal("3347.50"))

    def test_hetao_still_taxes_the_same_product_on_its_own_value_under_r7(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = make_party(session, actor, name_en="Futian Reagent Works Ltd.")
        make_entry(session, actor, profile, party.id)
        product = self.product_of_reagents_and_alcohol(
            session, actor, profile, party, point="HUANGGANG"
        )
        cleared = self.leaves(session, actor, profile, party, product, point="SL_GOODS")
        entry = assessed(cleared)
        assert entry["rule"] == "R7.second_line_exit_taxed"
        assert entry["inputs"] == []
        assert (entry["duty_credited"], entry["vat_credited"]) == ("0.00", "0.00")
        # As before: CNY 25,000.00 x 3 % = 750.00; VAT 25,750.00 x 13 % = 3,347.50
        assert (cleared.duty, cleared.vat) == (Decimal("750.00"), Decimal("3347.50"))
        assert entry["dutiable_value_cny"] == "25000.00"
