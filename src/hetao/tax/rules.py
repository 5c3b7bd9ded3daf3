"""Stable codes of the rules that charge or relieve a line; ``R4`` ... are in docs/regime.md."""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """Why a line (or one tax of it) is charged or not; stored and printed by value."""

    # --- first line, entry (Hong Kong -> zone) ---
    R4_RESEARCH_GOODS_EXEMPT = "R4.research_goods_exempt"
    """Research goods for own use entering through the first line for a beneficiary (R4)."""
    R19_SELF_USE_EQUIPMENT_EXEMPT = "R19.self_use_equipment_exempt"
    """Hengqin-style: self-use equipment of a listed entity enters free of the three taxes (R19)."""
    R6_WAIVED_EXEMPTION_TAXED = "R6.waived_exemption_taxed"
    """The beneficiary elected to pay: taxed as an import, 36-month lockout follows (R6)."""
    R4_EXCLUDED_TAXED = "R4.excluded_from_exemption_taxed"
    """An exemption-exclusions row takes the goods out of R4: taxed as an ordinary import."""
    R4_EXCLUDED_BONDED = "R4.excluded_from_exemption_bonded"
    """An exemption-exclusions row takes the goods out of R4: they enter bonded."""
    R19_EXCLUDED_TAXED = "R19.excluded_from_exemption_taxed"
    """Aircraft, cars, ships, yachts (a row of the table) are not exempt: taxed at entry."""
    R19_EXCLUDED_BONDED = "R19.excluded_from_exemption_bonded"
    """Aircraft, cars, ships, yachts (a row of the table) are not exempt: they enter bonded."""
    FIRST_LINE_ENTRY_BONDED = "first_line_entry_bonded_not_taxed"
    """Goods that are not exempt enter bonded; tax falls due only when they leave (R19, R20)."""
    FIRST_LINE_ENTRY_DUTY_PAID_TAXED = "first_line_entry_duty_paid_taxed"
    """Goods declared duty-paid at the first line are taxed there as an ordinary import."""

    # --- leaving or entering without import taxes ---
    R9_FIRST_LINE_EXIT = "R9.first_line_exit_no_import_tax"
    """Zone -> Hong Kong: no import taxes; export duty, where any, is outside this engine (R9)."""
    R9_SECOND_LINE_ENTRY = "R9.second_line_entry_no_import_tax"
    """Mainland -> zone: no import taxes; export refunds are outside this engine (R9, R20)."""

    # --- second line, exit (zone -> mainland) ---
    R7_SECOND_LINE_EXIT_TAXED = "R7.second_line_exit_taxed"
    """Exempt research goods or their R&D products entering the mainland: taxed as imports (R7)."""
    R20_BONDED_SECOND_LINE_EXIT_TAXED = "R20.bonded_second_line_exit_taxed"
    """Bonded goods or their products entering the mainland: taxed as imports (R20, R24)."""
    R25_VALUE_ADDED_DUTY_FREE = "R25.value_added_duty_free"
    """Value added in the zone at or above the threshold: the profile's exempt taxes not due."""

    # --- inside the zone ---
    R8_IN_ZONE_TRANSFER_TAXED = "R8.in_zone_transfer_taxed"
    """Exempt goods or R&D products transferred inside the zone repay import taxes (R8)."""
    R8_BANKRUPTCY_TRANSFER_EXEMPT = "R8.bankruptcy_transfer_exempt"
    """Transfer to another beneficiary caused by the transferor's bankruptcy (R8)."""
    R8_DEREGISTRATION_TRANSFER_EXEMPT = "R8.deregistration_transfer_exempt"
    """Transfer to another beneficiary caused by the transferor's deregistration (R8)."""
    IN_ZONE_TRANSFER_NOT_TAXED = "in_zone_transfer_not_taxed_by_profile"
    """The profile does not tax in-zone transfers of exempt goods."""
    BONDED_IN_ZONE_TRANSFER = "bonded_in_zone_transfer_not_taxed"
    """Bonded goods stay bonded when they change hands inside the zone ("free inside")."""

    # --- research consumption and transformation ---
    R5_CONSUMED_IN_RESEARCH_RELEASED = "R5.consumed_in_research_released"
    """Consumables used up in research, released on application without repaying tax (R5)."""
    R5_CONSUMED_WITHOUT_RELEASE_TAXED = "R5.consumed_without_release_taxed"
    """Exempt goods used up without a release (none applied for, or the profile has none)."""
    R7_TRANSFORMED_INTO_RD_PRODUCT = "R7.transformed_into_rd_product_not_taxed"
    """Inputs that became an R&D product: the product carries their status until it leaves (R7)."""
    BONDED_CONSUMED_TAXED = "bonded_consumed_in_zone_taxed"
    """Bonded goods used up in the zone: consumed there, so taxed as an import."""

    # --- goods already free of import taxes ---
    DOMESTIC_NOT_TAXED = "domestic_goods_not_taxed"
    """Domestic goods bear no import taxes."""
    DUTY_PAID_NOT_TAXED = "duty_paid_goods_not_taxed"
    """Import taxes were paid already."""

    # --- per tax ---
    E_DE_MINIMIS = "E.de_minimis"
    """The declaration's total of this tax is at or under the profile's threshold (REGIME (e))."""


#: Rules under which a line bears import taxes (some taxes may still be relieved).
CHARGING_RULES = frozenset(
    {
        Rule.R6_WAIVED_EXEMPTION_TAXED,
        Rule.R4_EXCLUDED_TAXED,
        Rule.R19_EXCLUDED_TAXED,
        Rule.FIRST_LINE_ENTRY_DUTY_PAID_TAXED,
        Rule.R7_SECOND_LINE_EXIT_TAXED,
        Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED,
        Rule.R25_VALUE_ADDED_DUTY_FREE,
        Rule.R8_IN_ZONE_TRANSFER_TAXED,
        Rule.R5_CONSUMED_WITHOUT_RELEASE_TAXED,
        Rule.BONDED_CONSUMED_TAXED,
    }
)
