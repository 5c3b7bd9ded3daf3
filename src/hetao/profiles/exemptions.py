"""What a profile exempts at the first line and taxes at the second (R4, R19, R23, R24).

A profile grants at most one first-line exemption, with the rule it is granted under
(``FIRST_LINE_EXEMPTIONS``); it may say which list of the exemption-exclusions reference data
the exemption is read against (R23's taxed-goods catalogue: a negative list), and what goods
entering the mainland through the second line are taxed on (R24: their imported inputs).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StrictBool, StringConstraints, model_validator

from hetao.profiles.values import Section, problem
from hetao.profiles.vocabulary import (
    FIRST_LINE_EXEMPTIONS,
    Exemption,
    ExemptionBasis,
    SecondLineTaxBasis,
)

TableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")]
"""The name of a table in the exemption-exclusions reference data (its rows' ``table``)."""


class ExemptionList(Section):
    """The list the first-line exemption is read against, and how (R4, R23).

    The list is reference data, not profile data: rows of the exemption-exclusions table (dated,
    versioned, replaceable by upload) whose ``table`` column is ``table``. The profile says only
    how to read them. A list named here must have a row in force on the day of an exempt claim,
    else the assessment is refused: a missing taxed-goods catalogue must not make every import
    free, nor a missing exempt list make every import taxed.
    """

    #: negative_list: every import is exempt unless a row names it (R23, the taxed-goods
    #: catalogue); positive_list: only goods a row names are exempt (R4's annex list, (d)2).
    basis: ExemptionBasis
    table: TableName


class SecondLineExit(Section):
    """How exempt and bonded goods entering the mainland through the second line are taxed."""

    #: goods_value: on the goods' own customs value (R7, R20); imported_inputs: on each imported
    #: input the ledger traces the goods to, at the input's own HS code and value (R24).
    taxed_on: SecondLineTaxBasis = SecondLineTaxBasis.GOODS_VALUE
    #: R24: import taxes already paid on the imported inputs are credited, tax by tax, against
    #: the taxes due on them (never below zero: nothing is refunded).
    credit_paid_taxes: StrictBool = False

    @model_validator(mode="after")
    def _credit_needs_inputs(self) -> SecondLineExit:
        if self.credit_paid_taxes and self.taxed_on is not SecondLineTaxBasis.IMPORTED_INPUTS:
            raise problem(
                "credit_needs_imported_inputs",
                'taxes paid are credited on imported inputs: set taxed_on = "imported_inputs"',
                "credit_paid_taxes",
            )
        return self


def first_line_exemption(research_goods: bool, offered: tuple[Exemption, ...]) -> Exemption | None:
    """The first-line exemption of a profile: R4's when ``tax.research_goods_exemption`` is on,
    else the first of the whitelist's ``offered`` exemptions that is one (R19, R23)."""
    if research_goods:
        return Exemption.DUTY_FREE_RESEARCH_GOODS
    return next((e for e in offered if e in FIRST_LINE_EXEMPTIONS), None)


def check_first_line_exemption(
    research_goods: bool, offered: tuple[Exemption, ...], listed: ExemptionList | None
) -> None:
    """One first-line exemption at most; a list only for an exemption; R23 with its catalogue.

    Problems are located from the profile's root (``whitelist.scopes.exemptions[1]``).
    """
    granted = {Exemption.DUTY_FREE_RESEARCH_GOODS} if research_goods else set()
    for index, exemption in enumerate(offered):
        if exemption not in FIRST_LINE_EXEMPTIONS:
            continue
        granted.add(exemption)
        if len(granted) > 1:
            raise problem(
                "one_first_line_exemption",
                f"{exemption} is a second first-line exemption; a profile grants one of "
                f"{', '.join(FIRST_LINE_EXEMPTIONS)}",
                "whitelist",
                "scopes",
                "exemptions",
                index,
            )
    if listed is not None and not granted:
        raise problem(
            "no_first_line_exemption",
            "a list is read for the first-line exemption, which this profile does not grant",
            "tax",
            "exemption_list",
        )
    if Exemption.ZERO_TARIFF_GOODS in granted and (
        listed is None or listed.basis is not ExemptionBasis.NEGATIVE_LIST
    ):
        # R23: zero tariff is "not in the taxed-goods catalogue"; without one it means nothing.
        raise problem(
            "zero_tariff_needs_taxed_catalogue",
            "zero_tariff_goods exempts what a taxed-goods catalogue does not name: set "
            'tax.exemption_list with basis = "negative_list" and the catalogue\'s table',
            "tax",
            "exemption_list",
        )
