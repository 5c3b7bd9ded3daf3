"""The pure assessment: ``assess(request, profile, tariff=..., rates=...) -> Assessment``.

No database, no clock, no network: the same inputs always give the same assessment.

Formulas (REGIME (e)), each amount rounded with ``profile.tax.round_money`` (to the fen, half up):

- dutiable value = customs value x exchange rate of the month;
- duty = dutiable value x duty rate + specific duty x quantity;
- consumption tax = (dutiable value + duty) / (1 - rate) x rate;
- import VAT = (dutiable value + duty + consumption tax) x VAT rate.

The bases use the amounts actually due: a duty relieved by the value-added rule or by the de
minimis threshold is not part of the consumption-tax and VAT bases (REGIME is silent; a tax that is
not levied is not part of the price). De minimis is applied per declaration and per tax, in the
order duty, consumption tax, VAT, because each total is the base of the next.

What each movement does (rule codes in :class:`hetao.tax.rules.Rule`):

- first-line entry: research goods of a beneficiary are exempt (R4; Hengqin-style profiles
  exempt self-use equipment, R19) unless it waived the exemption (R6: taxed) or a row of the
  exemption-exclusions table in force on the day excludes the code (R4: prohibited goods, the
  not-exempt catalogue; R19: aircraft, cars, ships, yachts); an excluded line is taxed or enters
  bonded as the profile's ``tax.excluded_goods_enter_as`` says, naming the row. Other goods enter
  bonded and are not taxed at the first line: "first line released" defers tax to the second line
  (R19 states it for Hengqin; Hetao's bonded regime is unpublished, (d)6). Goods declared
  duty-paid are taxed there as an ordinary import. Domestic goods cannot come from Hong Kong.
- first-line entry under a negative list (R23, Hainan-style): the profile's
  ``tax.exemption_list`` names the taxed-goods catalogue; a beneficiary's claimed-exempt import
  is zero-tariff unless a row of the catalogue (or another R23 exclusion) in force names it, and
  with no row of the catalogue in force the assessment is refused rather than exempting
  everything. A positive list (``positive_list``) exempts only goods a row of it names.
- second-line exit: exempt (R7) and bonded (R20) goods and their R&D products are taxed as
  imports; the value-added rule (R25) relieves the profile's ``exempt_taxes`` when enabled.
  Domestic and duty-paid goods are not taxed. Where the profile's
  ``tax.second_line_exit.taxed_on`` is ``imported_inputs`` (R24) the taxes are computed on the
  line's imported inputs, each at its own tariff row, exchange rate and value (a line without
  inputs left as it entered: its own value), and with ``credit_paid_taxes`` the taxes already
  paid on the inputs are credited tax by tax, never below zero. The bases of consumption tax and
  VAT use the full duty of each input: a credit is a payment made earlier, not a relief.
- in-zone transfer (the declarant is the receiving party): exempt goods repay taxes (R8) unless
  the reason is one of the profile's exempt reasons and the receiver is a beneficiary. Bonded
  goods stay bonded ("free inside the zone"; GUESS, (d)6).
- research consumption: consumables used up without forming an R&D product are released on
  application (R5); without a release they are taxed (the exemption ends with the goods). Inputs
  that became an R&D product are not taxed: the product carries their status (R7). Bonded goods
  used up in the zone are taxed (GUESS: consumed there, so imported).
- first-line exit and second-line entry: no import taxes (R9); export duty and export refunds are
  outside this engine.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from hetao.errors import FieldProblem, ValidationFailed
from hetao.profiles import Exemption, SecondLineTaxBasis, TaxKind, ZoneProfile
from hetao.profiles.schema import ExcludedGoodsEntry
from hetao.reasons import Reason, ReasonRecordOut
from hetao.reference.exemption_exclusions import (
    Exclusion,
    ExemptionExclusions,
    ExemptionRule,
    load_exemption_exclusions,
)
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.tax.checks import exemption_list_problems, inputs_problems
from hetao.tax.rules import CATALOGUE, CHARGING_RULES, TAX_NAMES, Rule
from hetao.tax.schemas import (
    AssessedLine,
    Assessment,
    AssessmentRequest,
    CustomsStatus,
    DeMinimis,
    ExclusionApplied,
    LineInput,
    Movement,
    Totals,
    TransferReason,
)
from hetao.tax.valuation import (
    PRECISION,
    ZERO,
    Priced,
    assessed_input,
    pick,
    priced_input,
    rated,
    valued,
)

_RATIO_PLACES = Decimal("0.0001")

_R8_EXEMPT_RULES = {
    TransferReason.BANKRUPTCY: Rule.R8_BANKRUPTCY_TRANSFER_EXEMPT,
    TransferReason.DEREGISTRATION: Rule.R8_DEREGISTRATION_TRANSFER_EXEMPT,
}
#: The rule each first-line exemption of a profile is granted under.
_FIRST_LINE_RULES = {
    Exemption.DUTY_FREE_RESEARCH_GOODS: Rule.R4_RESEARCH_GOODS_EXEMPT,
    Exemption.DUTY_FREE_SELF_USE_EQUIPMENT: Rule.R19_SELF_USE_EQUIPMENT_EXEMPT,
    Exemption.ZERO_TARIFF_GOODS: Rule.R23_ZERO_TARIFF_EXEMPT,
}
#: The exemption each first-line exemption rule grants, as the exclusions table names it.
_EXCLUDABLE = {
    Rule.R4_RESEARCH_GOODS_EXEMPT: ExemptionRule.R4,
    Rule.R19_SELF_USE_EQUIPMENT_EXEMPT: ExemptionRule.R19,
    Rule.R23_ZERO_TARIFF_EXEMPT: ExemptionRule.R23,
}
_EXCLUDED_RULES = {
    (ExemptionRule.R4, ExcludedGoodsEntry.DUTY_PAID): Rule.R4_EXCLUDED_TAXED,
    (ExemptionRule.R4, ExcludedGoodsEntry.BONDED): Rule.R4_EXCLUDED_BONDED,
    (ExemptionRule.R19, ExcludedGoodsEntry.DUTY_PAID): Rule.R19_EXCLUDED_TAXED,
    (ExemptionRule.R19, ExcludedGoodsEntry.BONDED): Rule.R19_EXCLUDED_BONDED,
    (ExemptionRule.R23, ExcludedGoodsEntry.DUTY_PAID): Rule.R23_EXCLUDED_TAXED,
    (ExemptionRule.R23, ExcludedGoodsEntry.BONDED): Rule.R23_EXCLUDED_BONDED,
}


@dataclass(frozen=True, slots=True)
class _Decision:
    """What a line's movement and status make of it, before any amount is computed."""

    rule: Rule
    status_after: CustomsStatus | None
    #: The rule charging the taxes that are due (differs from ``rule`` under R25).
    charge_rule: Rule | None = None
    relieved: frozenset[TaxKind] = frozenset()
    value_added_ratio: Decimal | None = None
    #: The exemption-exclusions row that took the line out of its exemption (R4, R19, R23).
    exclusion: Exclusion | None = None
    #: The list the exemption was read against (the profile's ``tax.exemption_list.table``).
    list_table: str | None = None

    @property
    def taxed(self) -> bool:
        return self.rule in CHARGING_RULES

    def chargeable(self, tax: TaxKind) -> bool:
        return self.taxed and tax not in self.relieved

    def rule_for(self, tax: TaxKind) -> Rule:
        if self.chargeable(tax) and self.charge_rule is not None:
            return self.charge_rule
        return self.rule


def assess(
    request: AssessmentRequest,
    profile: ZoneProfile,
    *,
    tariff: Tariff,
    rates: RateTable,
    exclusions: ExemptionExclusions | None = None,
) -> Assessment:
    """Assess ``request`` under ``profile``; ValidationFailed names every line's problem.

    ``exclusions`` is what R4, R19 and R23 exclude from exemption (R23: the taxed-goods
    catalogue); None takes the shipped SAMPLE table, so no caller can assess a first-line entry
    without one.
    """
    problems = consistency_problems(request, profile)
    if problems:
        raise _refused(problems)
    if exclusions is None:
        exclusions = load_exemption_exclusions()
    rule = _first_line_exemption(profile)
    listed_for = _EXCLUDABLE[rule] if rule is not None else None
    problems = exemption_list_problems(request, profile, exclusions, rule=listed_for)
    if problems:
        raise _refused(problems)
    decisions = [_decide(line, request, profile, exclusions) for line in request.lines]
    priced: list[Priced] = []
    for index, (line, decision) in enumerate(zip(request.lines, decisions, strict=True)):
        try:
            priced.append(_price(index, line, decision, request, profile, tariff, rates))
        except ValidationFailed as error:
            problems += error.problems
    if problems:
        raise _refused(problems)
    with decimal.localcontext() as context:
        context.prec = PRECISION
        waived = _taxes(decisions, priced, profile)
    lines = tuple(
        _assessed(index, line, decision, item, _reasons(decision, item, waived, profile))
        for index, (line, decision, item) in enumerate(
            zip(request.lines, decisions, priced, strict=True)
        )
    )
    duty = sum((line.duty for line in lines), ZERO)
    consumption = sum((line.consumption_tax for line in lines), ZERO)
    vat = sum((line.vat for line in lines), ZERO)
    money = profile.tax.round_money
    return Assessment(
        profile=profile.zone.code,
        profile_effective_from=profile.effective_from,
        provisional=tuple(key for key in profile.provisional if key.startswith("tax.")),
        tariff_version=tariff.version,
        tariff_sample=tariff.is_sample,
        exchange_rate_table_version=rates.version,
        exchange_rate_table_sample=rates.is_sample,
        exemption_exclusions_version=exclusions.version,
        exemption_exclusions_sample=exclusions.is_sample,
        request=request,
        lines=lines,
        de_minimis=DeMinimis(
            threshold_cny=profile.tax.de_minimis_cny,
            duty_waived=money(waived[TaxKind.DUTY]),
            consumption_tax_waived=money(waived[TaxKind.CONSUMPTION_TAX]),
            vat_waived=money(waived[TaxKind.IMPORT_VAT]),
        ),
        totals=Totals(
            duty=money(duty),
            consumption_tax=money(consumption),
            vat=money(vat),
            total=money(duty + consumption + vat),
        ),
    )


# --- consistency ------------------------------------------------------------------------------


def consistency_problems(request: AssessmentRequest, profile: ZoneProfile) -> list[FieldProblem]:
    """Combinations of keys that make no sense together, each named by key and rule."""
    problems: list[FieldProblem] = []
    if request.date < profile.effective_from:
        problems.append(
            FieldProblem(
                "date",
                "date.before_regime",
                f"the {profile.zone.code} regime is in force from {profile.effective_from}",
            )
        )
    if request.transfer_reason is not None and request.movement is not Movement.IN_ZONE_TRANSFER:
        problems.append(
            FieldProblem(
                "transfer_reason",
                "transfer_reason.only_for_in_zone_transfer",
                "a transfer reason belongs to an in-zone transfer",
            )
        )
    if "CNY" in request.exchange_rates:
        problems.append(
            FieldProblem("exchange_rates.CNY", "exchange_rate.cny_is_one", "CNY converts at 1")
        )
    for index, line in enumerate(request.lines):
        problems += _line_problems(f"lines[{index}]", line, request, profile)
    return problems


def _line_problems(
    at: str, line: LineInput, request: AssessmentRequest, profile: ZoneProfile
) -> list[FieldProblem]:
    movement = request.movement
    problems = []
    if line.waived:
        if movement is not Movement.FIRST_LINE_ENTRY or line.status is not (
            CustomsStatus.DUTY_FREE_RESEARCH
        ):
            problems.append(
                FieldProblem(
                    f"{at}.waived",
                    "R6.waiver_only_at_first_line_entry",
                    "an exemption is waived when research goods enter through the first line",
                )
            )
        elif not request.declarant.beneficiary:
            problems.append(
                FieldProblem(f"{at}.waived", "R6.beneficiary_only", "only a beneficiary can waive")
            )
    if (line.consumed_in_research or line.release_on_application) and (
        movement is not Movement.RESEARCH_CONSUMPTION
    ):
        key = "consumed_in_research" if line.consumed_in_research else "release_on_application"
        problems.append(
            FieldProblem(
                f"{at}.{key}",
                "R5.only_for_research_consumption",
                "consumption in research is declared with movement research_consumption",
            )
        )
    elif line.release_on_application and not line.consumed_in_research:
        problems.append(
            FieldProblem(
                f"{at}.release_on_application",
                "R5.release_needs_consumed_in_research",
                "only goods used up in research are released on application",
            )
        )
    if line.value_added_keys_given:
        if movement is not Movement.SECOND_LINE_EXIT:
            problems.append(
                FieldProblem(
                    f"{at}.sale_price",
                    "R25.only_for_second_line_exit",
                    "the value-added test applies to goods leaving through the second line",
                )
            )
        elif _inputs(line) == 0:
            problems.append(
                FieldProblem(
                    f"{at}.imported_inputs_value",
                    "R25.inputs_required",
                    "the value-added ratio divides by the inputs, which add up to 0",
                )
            )
    if movement is Movement.FIRST_LINE_ENTRY and line.status is CustomsStatus.DOMESTIC:
        problems.append(
            FieldProblem(
                f"{at}.status",
                "status.not_domestic_at_first_line_entry",
                "goods entering from Hong Kong are not domestic goods",
            )
        )
    if line.inputs:
        problems += inputs_problems(at, line, request, profile)
    return problems


def _inputs(line: LineInput) -> Decimal:
    return (line.imported_inputs_value or ZERO) + (line.domestic_inputs_value or ZERO)


# --- rules ------------------------------------------------------------------------------------


def _decide(
    line: LineInput,
    request: AssessmentRequest,
    profile: ZoneProfile,
    exclusions: ExemptionExclusions,
) -> _Decision:
    status = line.status
    if request.movement is Movement.FIRST_LINE_EXIT:
        return _Decision(Rule.R9_FIRST_LINE_EXIT, None)
    if request.movement is Movement.SECOND_LINE_ENTRY:
        return _Decision(Rule.R9_SECOND_LINE_ENTRY, status)
    if request.movement is Movement.FIRST_LINE_ENTRY:
        return _first_line_entry(line, request, profile, exclusions)
    leaves = request.movement is Movement.SECOND_LINE_EXIT
    used_up = request.movement is Movement.RESEARCH_CONSUMPTION and line.consumed_in_research
    gone = leaves or used_up
    if status is CustomsStatus.DOMESTIC:
        return _Decision(Rule.DOMESTIC_NOT_TAXED, None if gone else status)
    if status is CustomsStatus.DUTY_PAID:
        return _Decision(Rule.DUTY_PAID_NOT_TAXED, None if gone else status)
    if leaves:
        return _second_line_exit(line, profile)
    if request.movement is Movement.IN_ZONE_TRANSFER:
        return _in_zone_transfer(line, request, profile)
    return _research_consumption(line, profile)


def _first_line_entry(
    line: LineInput,
    request: AssessmentRequest,
    profile: ZoneProfile,
    exclusions: ExemptionExclusions,
) -> _Decision:
    if line.status is CustomsStatus.DUTY_PAID:
        return _Decision(Rule.FIRST_LINE_ENTRY_DUTY_PAID_TAXED, CustomsStatus.DUTY_PAID)
    if line.status is CustomsStatus.DUTY_FREE_RESEARCH:
        exemption = _first_line_exemption(profile)
        if exemption is not None and request.declarant.beneficiary:
            # Excluded goods have no exemption to waive, so the table decides before R6 does.
            excluded = exclusions.exclusion_for(
                line.hs_code, rule=_EXCLUDABLE[exemption], on=request.date
            )
            if excluded is not None:
                return _excluded(excluded, profile)
        if line.waived:
            return _Decision(Rule.R6_WAIVED_EXEMPTION_TAXED, CustomsStatus.DUTY_PAID)
        if exemption is not None and request.declarant.beneficiary:
            listed = profile.tax.exemption_list
            table = listed.table if listed is not None else None
            return _Decision(exemption, CustomsStatus.DUTY_FREE_RESEARCH, list_table=table)
    # Not exempt (not a beneficiary, or the profile grants no such exemption): enters bonded.
    return _Decision(Rule.FIRST_LINE_ENTRY_BONDED, CustomsStatus.BONDED)


def _excluded(exclusion: Exclusion, profile: ZoneProfile) -> _Decision:
    """R4, R19: a row of the table takes the line out of its exemption; the profile says how."""
    entry = profile.tax.excluded_goods_enter_as
    rule = _EXCLUDED_RULES[(exclusion.rule, entry)]
    status = (
        CustomsStatus.DUTY_PAID if entry is ExcludedGoodsEntry.DUTY_PAID else CustomsStatus.BONDED
    )
    return _Decision(rule, status, exclusion=exclusion)


def _first_line_exemption(profile: ZoneProfile) -> Rule | None:
    """The rule of the exemption the profile grants at the first line (R4, R19, R23), if any."""
    exemption = profile.first_line_exemption
    return _FIRST_LINE_RULES[exemption] if exemption is not None else None


def _second_line_exit(line: LineInput, profile: ZoneProfile) -> _Decision:
    if profile.tax.second_line_exit.taxed_on is SecondLineTaxBasis.IMPORTED_INPUTS:
        charge = Rule.R24_TAXED_ON_IMPORTED_INPUTS
    elif line.status is CustomsStatus.DUTY_FREE_RESEARCH:
        charge = Rule.R7_SECOND_LINE_EXIT_TAXED
    else:
        charge = Rule.R20_BONDED_SECOND_LINE_EXIT_TAXED
    rule = profile.tax.value_added_rule
    if not (rule.enabled and line.value_added_keys_given):
        return _Decision(charge, None, charge_rule=charge)
    inputs = _inputs(line)
    added = (line.sale_price or ZERO) - inputs
    ratio = (added / inputs).quantize(_RATIO_PLACES, rounding=ROUND_DOWN)
    # Compared without division, so 29.999...% never rounds up to pass (R25: >= 30 %).
    if added >= rule.threshold * inputs:
        return _Decision(
            Rule.R25_VALUE_ADDED_DUTY_FREE,
            None,
            charge_rule=charge,
            relieved=frozenset(rule.exempt_taxes),
            value_added_ratio=ratio,
        )
    return _Decision(charge, None, charge_rule=charge, value_added_ratio=ratio)


def _in_zone_transfer(
    line: LineInput, request: AssessmentRequest, profile: ZoneProfile
) -> _Decision:
    if line.status is CustomsStatus.BONDED:
        return _Decision(Rule.BONDED_IN_ZONE_TRANSFER, CustomsStatus.BONDED)
    if not profile.tax.in_zone_transfer_taxed:
        return _Decision(Rule.IN_ZONE_TRANSFER_NOT_TAXED, line.status)
    reason = request.transfer_reason or TransferReason.ORDINARY
    exempt_reasons = {TransferReason(r.value) for r in profile.tax.in_zone_transfer_exempt_reasons}
    if reason in exempt_reasons and request.declarant.beneficiary:
        return _Decision(_R8_EXEMPT_RULES[reason], line.status)
    return _Decision(
        Rule.R8_IN_ZONE_TRANSFER_TAXED,
        CustomsStatus.DUTY_PAID,
        charge_rule=Rule.R8_IN_ZONE_TRANSFER_TAXED,
    )


def _research_consumption(line: LineInput, profile: ZoneProfile) -> _Decision:
    if not line.consumed_in_research:
        return _Decision(Rule.R7_TRANSFORMED_INTO_RD_PRODUCT, line.status)
    if line.status is CustomsStatus.BONDED:
        return _Decision(Rule.BONDED_CONSUMED_TAXED, None, charge_rule=Rule.BONDED_CONSUMED_TAXED)
    if line.release_on_application and profile.tax.consumables_release_on_application:
        return _Decision(Rule.R5_CONSUMED_IN_RESEARCH_RELEASED, None)
    charge = Rule.R5_CONSUMED_WITHOUT_RELEASE_TAXED
    return _Decision(charge, None, charge_rule=charge)


# --- amounts ----------------------------------------------------------------------------------


def _price(
    index: int,
    line: LineInput,
    decision: _Decision,
    request: AssessmentRequest,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
) -> Priced:
    at = f"lines[{index}]"
    priced = valued(at, line.currency, line.customs_value, line.quantity, request, profile, rates)
    if not decision.taxed:
        return priced
    if line.inputs:
        # R24: the taxes are on the inputs, each at its own row; the line's own row is not used.
        problems: list[FieldProblem] = []
        for number, item in enumerate(line.inputs):
            try:
                priced.inputs.append(
                    priced_input(f"{at}.inputs[{number}]", item, request, profile, tariff, rates)
                )
            except ValidationFailed as error:
                problems += error.problems
        if problems:
            raise ValidationFailed(problems[0].message, problems=problems)
        return priced
    overrides = {
        "duty_rate": line.duty_rate,
        "consumption_tax_rate": line.consumption_tax_rate,
        "vat_rate": line.vat_rate,
    }
    priced.overridden = tuple(key for key, value in overrides.items() if value is not None)
    row = None
    if len(priced.overridden) < len(overrides):
        row = tariff.rate_for(line.hs_code, on=request.date, field=f"{at}.hs_code")
    if line.duty_rate is not None:
        # An override replaces the whole duty of the row (e.g. a preferential rate): no specific.
        priced.duty_rate = line.duty_rate
    elif row is not None:
        rated(at, priced, row, line.unit)
    priced.tariff_row = row
    priced.consumption_tax_rate = pick(line.consumption_tax_rate, row, "consumption_tax_rate")
    priced.vat_rate = pick(line.vat_rate, row, "vat_rate")
    return priced


def _taxes(
    decisions: list[_Decision], priced: list[Priced], profile: ZoneProfile
) -> dict[TaxKind, Decimal]:
    """Fill each line's amounts tax by tax; return what de minimis waived per tax."""
    money = profile.tax.round_money
    nothing = money(ZERO)
    waived: dict[TaxKind, Decimal] = {}

    def duty(item: Priced) -> Decimal:
        specific = (item.specific_duty or ZERO) * item.quantity
        return money(item.dutiable * (item.duty_rate or ZERO) + specific)

    def consumption_tax(item: Priced) -> Decimal:
        rate = item.consumption_tax_rate or ZERO
        base = item.dutiable + item.amounts[TaxKind.DUTY]
        return money(base * rate / (1 - rate))

    def vat(item: Priced) -> Decimal:
        base = item.dutiable + item.amounts[TaxKind.DUTY] + item.amounts[TaxKind.CONSUMPTION_TAX]
        return money(base * (item.vat_rate or ZERO))

    steps = (
        (TaxKind.DUTY, duty),
        (TaxKind.CONSUMPTION_TAX, consumption_tax),
        (TaxKind.IMPORT_VAT, vat),
    )
    for tax, formula in steps:
        for decision, item in zip(decisions, priced, strict=True):
            item.rules[tax] = decision.rule_for(tax)
            if not item.inputs:
                item.amounts[tax] = formula(item) if decision.chargeable(tax) else nothing
                item.credited[tax] = nothing
                continue
            # R24: the line owes what its inputs owe, less what was paid on each of them already
            # (an input's payment credits its own tax only: nothing is refunded, nor moved).
            for part in item.inputs:
                part.amounts[tax] = formula(part) if decision.chargeable(tax) else nothing
                part.credited[tax] = money(min(part.paid[tax], part.amounts[tax]))
            owed = sum((part.amounts[tax] for part in item.inputs), ZERO)
            item.credited[tax] = money(sum((part.credited[tax] for part in item.inputs), ZERO))
            item.amounts[tax] = owed - item.credited[tax]
        total = sum((item.amounts[tax] for item in priced), ZERO)
        waived[tax] = ZERO
        if ZERO < total <= profile.tax.de_minimis_cny:
            waived[tax] = total
            for item in priced:
                if item.amounts[tax] > 0:
                    item.amounts[tax] = nothing
                    item.rules[tax] = Rule.E_DE_MINIMIS
    return waived


_TAX_ORDER = (TaxKind.DUTY, TaxKind.CONSUMPTION_TAX, TaxKind.IMPORT_VAT)


def _reasons(
    decision: _Decision, item: Priced, waived: dict[TaxKind, Decimal], profile: ZoneProfile
) -> tuple[Reason, ...]:
    """Why the line is what it is: its rule, then each other rule one of its taxes fell under
    (the charging rule beside R25, de minimis per tax), once each, in the order of the taxes."""
    money = profile.tax.round_money
    reasons = [_rule_reason(decision, profile)]
    for tax in _TAX_ORDER:
        rule = item.rules[tax]
        if rule is Rule.E_DE_MINIMIS:
            reasons.append(
                CATALOGUE.reason(
                    rule.value,
                    tax=TAX_NAMES[tax.value],
                    total=str(money(waived[tax])),
                    threshold=str(money(profile.tax.de_minimis_cny)),
                )
            )
        elif rule is not decision.rule and all(r.code != rule.value for r in reasons):
            reasons.append(CATALOGUE.reason(rule.value))
    if any(item.credited.values()):
        # R24: the credit comes before any de minimis relief, which applies to what is left.
        credit = CATALOGUE.reason(
            Rule.R24_PAID_TAXES_CREDITED.value,
            duty=str(money(item.credited[TaxKind.DUTY])),
            consumption_tax=str(money(item.credited[TaxKind.CONSUMPTION_TAX])),
            vat=str(money(item.credited[TaxKind.IMPORT_VAT])),
        )
        at = next(
            (i for i, r in enumerate(reasons) if r.code == Rule.E_DE_MINIMIS.value), len(reasons)
        )
        reasons.insert(at, credit)
    return tuple(reasons)


def _rule_reason(decision: _Decision, profile: ZoneProfile) -> Reason:
    if decision.exclusion is not None:
        return CATALOGUE.reason(decision.rule.value, table=decision.exclusion.table)
    if decision.rule is Rule.R23_ZERO_TARIFF_EXEMPT:
        # The profile requires the catalogue for R23 (tax.exemption_list), so it is always named.
        return CATALOGUE.reason(decision.rule.value, table=decision.list_table or "")
    if decision.rule is Rule.R25_VALUE_ADDED_DUTY_FREE:
        assert decision.value_added_ratio is not None  # noqa: S101 (R25 is decided on a ratio)
        return CATALOGUE.reason(
            decision.rule.value,
            ratio=_percent(decision.value_added_ratio),
            threshold=_percent(profile.tax.value_added_rule.threshold),
        )
    return CATALOGUE.reason(decision.rule.value)


def _percent(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f} %"


def _assessed(
    index: int, line: LineInput, decision: _Decision, item: Priced, reasons: tuple[Reason, ...]
) -> AssessedLine:
    row = item.tariff_row
    duty = item.amounts[TaxKind.DUTY]
    consumption = item.amounts[TaxKind.CONSUMPTION_TAX]
    vat = item.amounts[TaxKind.IMPORT_VAT]
    return AssessedLine(
        index=index,
        hs_code=line.hs_code,
        status=line.status,
        status_after=decision.status_after,
        rule=decision.rule,
        taxed=decision.taxed,
        exclusion=_applied(decision.exclusion),
        currency=line.currency,
        customs_value=line.customs_value,
        exchange_rate=item.exchange_rate,
        exchange_rate_source=item.source,
        exchange_rate_month=item.month,
        dutiable_value_cny=item.basis,
        tariff_code=row.code if row else None,
        tariff_valid_from=row.valid_from if row else None,
        duty_rate=item.duty_rate,
        specific_duty_cny=item.specific_duty,
        specific_duty_unit=item.specific_unit,
        consumption_tax_rate=item.consumption_tax_rate,
        vat_rate=item.vat_rate,
        overridden_rates=item.overridden,
        value_added_ratio=decision.value_added_ratio,
        duty=duty,
        duty_rule=item.rules[TaxKind.DUTY],
        consumption_tax=consumption,
        consumption_tax_rule=item.rules[TaxKind.CONSUMPTION_TAX],
        vat=vat,
        vat_rule=item.rules[TaxKind.IMPORT_VAT],
        total=duty + consumption + vat,
        inputs=tuple(
            assessed_input(part, given)
            for part, given in zip(item.inputs, line.inputs, strict=True)
        ),
        duty_credited=item.credited.get(TaxKind.DUTY, ZERO),
        consumption_tax_credited=item.credited.get(TaxKind.CONSUMPTION_TAX, ZERO),
        vat_credited=item.credited.get(TaxKind.IMPORT_VAT, ZERO),
        reasons=tuple(ReasonRecordOut.of(reason) for reason in reasons),
    )


def _applied(exclusion: Exclusion | None) -> ExclusionApplied | None:
    if exclusion is None:
        return None
    return ExclusionApplied(
        rule=exclusion.rule.value,
        table=exclusion.table,
        row_id=exclusion.row_id,
        code=exclusion.code,
        valid_from=exclusion.valid_from,
        valid_to=exclusion.valid_to,
        description=exclusion.description,
        source=exclusion.source,
    )


def _refused(problems: list[FieldProblem]) -> ValidationFailed:
    # Several lines in a month missing from the rate table name the same ``date`` problem once.
    problems = list(dict.fromkeys(problems))
    first = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return ValidationFailed(
        f"assessment refused: {first.field}: {first.message} [{first.rule}]{more}",
        problems=problems,
    )
