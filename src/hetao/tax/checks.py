"""Checks of a request against the profile's lists and bases: R23's list in force on the day,
R24's imported inputs where the profile taxes them. Each problem names its key and its rule."""

from __future__ import annotations

from hetao.errors import FieldProblem
from hetao.profiles import ExemptionBasis, SecondLineTaxBasis, ZoneProfile
from hetao.reference.exemption_exclusions import Effect, ExemptionExclusions, ExemptionRule
from hetao.tax.schemas import AssessmentRequest, CustomsStatus, LineInput, Movement

#: The effect the rows of an exemption list have, by how the list reads.
_LIST_EFFECT = {
    ExemptionBasis.NEGATIVE_LIST: Effect.EXCLUDED,
    ExemptionBasis.POSITIVE_LIST: Effect.EXEMPT_LIST,
}


def inputs_problems(
    at: str, line: LineInput, request: AssessmentRequest, profile: ZoneProfile
) -> list[FieldProblem]:
    """R24: inputs belong to exempt or bonded goods leaving where the profile taxes inputs."""
    exit_rule = profile.tax.second_line_exit
    if request.movement is not Movement.SECOND_LINE_EXIT:
        return [
            FieldProblem(
                f"{at}.inputs",
                "R24.inputs_only_for_second_line_exit",
                "goods are taxed on their imported inputs when they leave through the second line",
            )
        ]
    if exit_rule.taxed_on is not SecondLineTaxBasis.IMPORTED_INPUTS:
        return [
            FieldProblem(
                f"{at}.inputs",
                "R24.inputs_not_in_profile",
                f"the {profile.zone.code} profile taxes goods leaving on their own value "
                "(tax.second_line_exit.taxed_on)",
            )
        ]
    problems = []
    if line.status not in (CustomsStatus.DUTY_FREE_RESEARCH, CustomsStatus.BONDED):
        problems.append(
            FieldProblem(
                f"{at}.inputs",
                "R24.inputs_only_for_exempt_or_bonded_goods",
                f"{line.status} goods bear no import taxes when they leave",
            )
        )
    rates = ("duty_rate", "vat_rate", "consumption_tax_rate")
    overridden = [key for key in rates if getattr(line, key) is not None]
    if overridden:
        problems.append(
            FieldProblem(
                f"{at}.{overridden[0]}",
                "R24.rates_per_input",
                "each imported input is taxed at its own tariff row; give no rate for the line",
            )
        )
    if not exit_rule.credit_paid_taxes:
        for index, item in enumerate(line.inputs):
            if item.taxes_paid.any:
                problems.append(
                    FieldProblem(
                        f"{at}.inputs[{index}].taxes_paid",
                        "R24.credit_not_in_profile",
                        f"the {profile.zone.code} profile credits no taxes paid on inputs "
                        "(tax.second_line_exit.credit_paid_taxes)",
                    )
                )
    return problems


def exemption_list_problems(
    request: AssessmentRequest,
    profile: ZoneProfile,
    exclusions: ExemptionExclusions,
    *,
    rule: ExemptionRule | None,
) -> list[FieldProblem]:
    """A list the profile reads its first-line exemption (of ``rule``) against must be in force
    on the day of a claim: without R23's taxed-goods catalogue every import would pass as
    zero-tariff, and without a positive list nothing could be exempt."""
    listed = profile.tax.exemption_list
    claimed = request.movement is Movement.FIRST_LINE_ENTRY and any(
        line.status is CustomsStatus.DUTY_FREE_RESEARCH for line in request.lines
    )
    if listed is None or rule is None or not claimed or not request.declarant.beneficiary:
        return []
    effect = _LIST_EFFECT[listed.basis]
    rows = [
        row
        for row in exclusions.rows_in_force(listed.table, on=request.date)
        if row.rule is rule and row.effect is effect
    ]
    if rows:
        return []
    return [
        FieldProblem(
            "date",
            f"{rule}.exemption_list_not_in_force",
            f"the {listed.basis} {listed.table} (rows of rule {rule}, effect {effect}) has no "
            f"row in force on {request.date} in the exemption-exclusions table "
            f"{exclusions.version}: load it before assessing an exemption",
        )
    ]
