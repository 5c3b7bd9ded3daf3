"""Stable codes of the rules that charge or relieve a line; ``R4`` ... are in docs/regime.md."""

from __future__ import annotations

from enum import StrEnum

from hetao.reasons import Catalogue, Template, register


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
    R23_ZERO_TARIFF_EXEMPT = "R23.zero_tariff_exempt"
    """Hainan-style: a beneficiary's import outside the taxed-goods catalogue enters free of the
    three taxes and is kept on the e-ledger (R23)."""
    R23_EXCLUDED_TAXED = "R23.excluded_from_zero_tariff_taxed"
    """A row of the taxed-goods catalogue (or another R23 exclusion) names the goods: taxed."""
    R23_EXCLUDED_BONDED = "R23.excluded_from_zero_tariff_bonded"
    """A row of the taxed-goods catalogue (or another R23 exclusion) names the goods: bonded."""
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
    R24_TAXED_ON_IMPORTED_INPUTS = "R24.taxed_on_imported_inputs"
    """Zero-tariff or bonded goods, or their products, entering the mainland pay the three taxes
    on their imported inputs (R24; the profile's ``tax.second_line_exit.taxed_on``)."""
    R24_PAID_TAXES_CREDITED = "R24.paid_taxes_credited"
    """Taxes already paid on the imported inputs are credited against those due (R24)."""
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
        Rule.R23_EXCLUDED_TAXED,
        Rule.FIRST_LINE_ENTRY_DUTY_PAID_TAXED,
        Rule.R7_SECOND_LINE_EXIT_TAXED,
        Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED,
        Rule.R24_TAXED_ON_IMPORTED_INPUTS,
        Rule.R25_VALUE_ADDED_DUTY_FREE,
        Rule.R8_IN_ZONE_TRANSFER_TAXED,
        Rule.R5_CONSUMED_WITHOUT_RELEASE_TAXED,
        Rule.BONDED_CONSUMED_TAXED,
    }
)


def _t(rule: str | None, en: str, zh_hant: str, zh_hans: str) -> Template:
    return Template(rule, en, zh_hant, zh_hans)


_TEXTS: dict[Rule, Template] = {
    Rule.R4_RESEARCH_GOODS_EXEMPT: _t(
        "R4",
        "Research goods for own use of a beneficiary enter through the first line free of "
        "duty, consumption tax and import VAT (R4).",
        "受惠主體自用的科研物資經一線進入，免徵關稅、消費稅和進口環節增值稅（R4）。",
        "受惠主体自用的科研物资经一线进入，免征关税、消费税和进口环节增值税（R4）。",
    ),
    Rule.R19_SELF_USE_EQUIPMENT_EXEMPT: _t(
        "R19",
        "Self-use equipment of a listed entity enters free of the three taxes (R19).",
        "名單內主體的自用設備進入，免徵三項稅款（R19）。",
        "名单内主体的自用设备进入，免征三项税款（R19）。",
    ),
    Rule.R6_WAIVED_EXEMPTION_TAXED: _t(
        "R6",
        "The beneficiary waived the exemption: taxed as an import, and no exemption may be "
        "claimed for 36 months (R6).",
        "受惠主體放棄免稅：按進口徵稅，36個月內不得再申請免稅（R6）。",
        "受惠主体放弃免税：按进口征税，36个月内不得再申请免税（R6）。",
    ),
    Rule.R4_EXCLUDED_TAXED: _t(
        "R4",
        "A row of the exemption-exclusions table {table} takes the goods out of the R4 "
        "exemption: taxed as an ordinary import.",
        "免稅除外表 {table} 的一行使貨物不適用R4免稅：按一般進口徵稅。",
        "免税除外表 {table} 的一行使货物不适用R4免税：按一般进口征税。",
    ),
    Rule.R4_EXCLUDED_BONDED: _t(
        "R4",
        "A row of the exemption-exclusions table {table} takes the goods out of the R4 "
        "exemption: they enter bonded.",
        "免稅除外表 {table} 的一行使貨物不適用R4免稅：按保稅進入。",
        "免税除外表 {table} 的一行使货物不适用R4免税：按保税进入。",
    ),
    Rule.R19_EXCLUDED_TAXED: _t(
        "R19",
        "Aircraft, cars, ships and yachts (table {table}) are not exempt under R19: taxed "
        "at entry.",
        "飛機、汽車、船舶和遊艇（表 {table}）不適用R19免稅：進入時徵稅。",
        "飞机、汽车、船舶和游艇（表 {table}）不适用R19免税：进入时征税。",
    ),
    Rule.R19_EXCLUDED_BONDED: _t(
        "R19",
        "Aircraft, cars, ships and yachts (table {table}) are not exempt under R19: they "
        "enter bonded.",
        "飛機、汽車、船舶和遊艇（表 {table}）不適用R19免稅：按保稅進入。",
        "飞机、汽车、船舶和游艇（表 {table}）不适用R19免税：按保税进入。",
    ),
    Rule.R23_ZERO_TARIFF_EXEMPT: _t(
        "R23",
        "The goods are not in the taxed-goods catalogue ({table}): imported by a beneficiary, "
        "they enter through the first line free of duty, consumption tax and import VAT, and "
        "are kept on the e-ledger (R23).",
        "貨物不在進口徵稅商品目錄（{table}）內：由享惠主體進口，經一線進入免徵關稅、消費稅和"
        "進口環節增值稅，並納入電子賬冊管理（R23）。",
        "货物不在进口征税商品目录（{table}）内：由享惠主体进口，经一线进入免征关税、消费税和"
        "进口环节增值税，并纳入电子账册管理（R23）。",
    ),
    Rule.R23_EXCLUDED_TAXED: _t(
        "R23",
        "A row of table {table} (the taxed-goods catalogue, or another exclusion from the zero "
        "tariff) names the goods: they are not zero-tariff and are taxed as an ordinary import "
        "(R23).",
        "表 {table}（進口徵稅商品目錄或其他零關稅除外清單）的一行列明該貨物：不適用零關稅，"
        "按一般進口徵稅（R23）。",
        "表 {table}（进口征税商品目录或其他零关税除外清单）的一行列明该货物：不适用零关税，"
        "按一般进口征税（R23）。",
    ),
    Rule.R23_EXCLUDED_BONDED: _t(
        "R23",
        "A row of table {table} (the taxed-goods catalogue, or another exclusion from the zero "
        "tariff) names the goods: they are not zero-tariff and enter bonded (R23).",
        "表 {table}（進口徵稅商品目錄或其他零關稅除外清單）的一行列明該貨物：不適用零關稅，"
        "按保稅進入（R23）。",
        "表 {table}（进口征税商品目录或其他零关税除外清单）的一行列明该货物：不适用零关税，"
        "按保税进入（R23）。",
    ),
    Rule.FIRST_LINE_ENTRY_BONDED: _t(
        None,
        "Goods that are not exempt enter bonded through the first line; taxes fall due only "
        "when they leave for the mainland.",
        "不免稅的貨物經一線按保稅進入；離開進入內地時方須繳稅。",
        "不免税的货物经一线按保税进入；离开进入内地时方须缴税。",
    ),
    Rule.FIRST_LINE_ENTRY_DUTY_PAID_TAXED: _t(
        None,
        "Goods declared duty-paid at the first line are taxed there as an ordinary import.",
        "在一線申報為完稅的貨物，於一線按一般進口徵稅。",
        "在一线申报为完税的货物，于一线按一般进口征税。",
    ),
    Rule.R9_FIRST_LINE_EXIT: _t(
        "R9",
        "Goods leaving for Hong Kong bear no import taxes (R9).",
        "貨物離開前往香港，不徵進口稅款（R9）。",
        "货物离开前往香港，不征进口税款（R9）。",
    ),
    Rule.R9_SECOND_LINE_ENTRY: _t(
        "R9",
        "Goods entering the zone from the mainland bear no import taxes (R9).",
        "貨物由內地進入合作區，不徵進口稅款（R9）。",
        "货物由内地进入合作区，不征进口税款（R9）。",
    ),
    Rule.R7_SECOND_LINE_EXIT_TAXED: _t(
        "R7",
        "Exempt research goods or their R&D products entering the mainland are taxed as "
        "imports (R7).",
        "免稅科研物資或其研發成果進入內地，按進口徵稅（R7）。",
        "免税科研物资或其研发成果进入内地，按进口征税（R7）。",
    ),
    Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED: _t(
        "R20",
        "Bonded goods or their products entering the mainland are taxed as imports (R20).",
        "保稅貨物或其產品進入內地，按進口徵稅（R20）。",
        "保税货物或其产品进入内地，按进口征税（R20）。",
    ),
    Rule.R24_TAXED_ON_IMPORTED_INPUTS: _t(
        "R24",
        "Zero-tariff or bonded goods, or products made from them, entering the mainland pay duty, "
        "consumption tax and import VAT on their imported inputs (R24).",
        "零關稅貨物或保稅貨物及其加工製成品進入內地，按進口料件繳納關稅、消費稅和進口環節增值稅"
        "（R24）。",
        "零关税货物或保税货物及其加工制成品进入内地，按进口料件缴纳关税、消费税和进口环节增值税"
        "（R24）。",
    ),
    Rule.R24_PAID_TAXES_CREDITED: _t(
        "R24",
        "Taxes already paid on the imported inputs are credited: duty CNY {duty}, consumption "
        "tax CNY {consumption_tax}, import VAT CNY {vat} (R24).",
        "進口料件已繳納的稅款予以抵扣：關稅人民幣 {duty} 元，消費稅人民幣 {consumption_tax} 元，"
        "進口環節增值稅人民幣 {vat} 元（R24）。",
        "进口料件已缴纳的税款予以抵扣：关税人民币 {duty} 元，消费税人民币 {consumption_tax} 元，"
        "进口环节增值税人民币 {vat} 元（R24）。",
    ),
    Rule.R25_VALUE_ADDED_DUTY_FREE: _t(
        "R25",
        "Value added in the zone is {ratio} of the inputs, at or above {threshold}: the "
        "taxes the profile exempts are not due (R25).",
        "在合作區內的增值為投入的 {ratio}，達到 {threshold}：免徵規定的稅款（R25）。",
        "在合作区内的增值为投入的 {ratio}，达到 {threshold}：免征规定的税款（R25）。",
    ),
    Rule.R8_IN_ZONE_TRANSFER_TAXED: _t(
        "R8",
        "Exempt goods or R&D products transferred inside the zone repay import taxes (R8).",
        "免稅貨物或研發成果在合作區內轉讓，須補繳進口稅款（R8）。",
        "免税货物或研发成果在合作区内转让，须补缴进口税款（R8）。",
    ),
    Rule.R8_BANKRUPTCY_TRANSFER_EXEMPT: _t(
        "R8",
        "Transferred to another beneficiary because the transferor is bankrupt: not taxed (R8).",
        "因轉讓方破產而轉讓予另一受惠主體：不徵稅（R8）。",
        "因转让方破产而转让予另一受惠主体：不征税（R8）。",
    ),
    Rule.R8_DEREGISTRATION_TRANSFER_EXEMPT: _t(
        "R8",
        "Transferred to another beneficiary because the transferor is deregistered: not "
        "taxed (R8).",
        "因轉讓方註銷而轉讓予另一受惠主體：不徵稅（R8）。",
        "因转让方注销而转让予另一受惠主体：不征税（R8）。",
    ),
    Rule.IN_ZONE_TRANSFER_NOT_TAXED: _t(
        None,
        "The zone does not tax transfers of exempt goods inside it.",
        "合作區不對區內轉讓的免稅貨物徵稅。",
        "合作区不对区内转让的免税货物征税。",
    ),
    Rule.BONDED_IN_ZONE_TRANSFER: _t(
        None,
        "Bonded goods stay bonded when they change hands inside the zone.",
        "保稅貨物在合作區內轉手，仍屬保稅。",
        "保税货物在合作区内转手，仍属保税。",
    ),
    Rule.R5_CONSUMED_IN_RESEARCH_RELEASED: _t(
        "R5",
        "Consumables used up in research are released on application without repaying tax (R5).",
        "科研耗用的消耗品經申請核銷，無須補稅（R5）。",
        "科研耗用的消耗品经申请核销，无须补税（R5）。",
    ),
    Rule.R5_CONSUMED_WITHOUT_RELEASE_TAXED: _t(
        "R5",
        "Exempt goods used up without a release repay import taxes (R5).",
        "免稅貨物耗用而未經核銷，須補繳進口稅款（R5）。",
        "免税货物耗用而未经核销，须补缴进口税款（R5）。",
    ),
    Rule.R7_TRANSFORMED_INTO_RD_PRODUCT: _t(
        "R7",
        "Inputs that became an R&D product are not taxed: the product keeps their status "
        "until it leaves (R7).",
        "已形成研發成果的投入不徵稅：成果在離開前保留其狀態（R7）。",
        "已形成研发成果的投入不征税：成果在离开前保留其状态（R7）。",
    ),
    Rule.BONDED_CONSUMED_TAXED: _t(
        None,
        "Bonded goods used up in the zone are taxed as an import.",
        "保稅貨物在合作區內耗用，按進口徵稅。",
        "保税货物在合作区内耗用，按进口征税。",
    ),
    Rule.DOMESTIC_NOT_TAXED: _t(
        None,
        "Domestic goods bear no import taxes.",
        "國內貨物不徵進口稅款。",
        "国内货物不征进口税款。",
    ),
    Rule.DUTY_PAID_NOT_TAXED: _t(
        None,
        "Import taxes were paid already.",
        "進口稅款已經繳納。",
        "进口税款已经缴纳。",
    ),
    Rule.E_DE_MINIMIS: _t(
        None,
        "The declaration's {tax} totals CNY {total}, at or under the threshold of CNY "
        "{threshold}: not levied.",
        "本報關單的{tax}合計人民幣 {total} 元，不超過起徵點人民幣 {threshold} 元：免予徵收。",
        "本报关单的{tax}合计人民币 {total} 元，不超过起征点人民币 {threshold} 元：免予征收。",
    ),
}
#: Every code an assessment gives, in three languages (``hetao.reasons``). ``{tax}`` is the
#: tax's name per language (``TAX_NAMES``); amounts are CNY strings, ratios percentages.
CATALOGUE: Catalogue = register("tax", {rule.value: text for rule, text in _TEXTS.items()})

#: Each tax's name in the texts of ``CATALOGUE`` (its ``{tax}`` parameter).
TAX_NAMES = {
    "duty": {"en": "duty", "zh-Hant": "關稅", "zh-Hans": "关税"},
    "consumption_tax": {"en": "consumption tax", "zh-Hant": "消費稅", "zh-Hans": "消费税"},
    "import_vat": {"en": "import VAT", "zh-Hant": "進口環節增值稅", "zh-Hans": "进口环节增值税"},
}
