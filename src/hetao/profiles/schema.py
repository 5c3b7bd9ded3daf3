"""The shape of a zone profile: every regime parameter, validated when the profile is loaded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from hetao.profiles.exemptions import (
    ExemptionList,
    SecondLineExit,
    check_first_line_exemption,
    first_line_exemption,
)
from hetao.profiles.values import (
    MISSING_KEY,
    CurrencyCode,
    LocalizedText,
    Money,
    Positive,
    Quantum,
    Rate,
    Section,
    Slug,
    Text,
    TimeZoneName,
    UpperSlug,
    problem,
    resolve_key,
    unique,
)
from hetao.profiles.vocabulary import (
    FIRST_LINE_EXEMPTIONS,
    ConformityTier,
    CrossingKind,
    Direction,
    ExcludedGoodsEntry,
    Exemption,
    ExemptionBasis,
    Flow,
    Line,
    RoundingMode,
    SecondLineTaxBasis,
    SubjectKind,
    SupervisionClass,
    TaxKind,
    TransferExemptReason,
)

# --- sections -----------------------------------------------------------------------------


class ZoneSection(Section):
    """Which zone this is, its clock and its money."""

    code: Slug
    name: LocalizedText
    timezone: TimeZoneName
    currency: CurrencyCode


class LineSection(Section):
    """One line: its names and the flows it controls."""

    name: LocalizedText
    controls: Annotated[tuple[Flow, ...], AfterValidator(unique)]


class LinesSection(Section):
    """The first and second line (R1), and whether the second line checks people."""

    first: LineSection
    second: LineSection
    #: Hetao: true; Hengqin and Hainan: false ("goods not people", R21, R24).
    second_line_controls_people: StrictBool

    @model_validator(mode="after")
    def _people_flag_matches_controls(self) -> LinesSection:
        if self.second_line_controls_people != (Flow.PEOPLE in self.second.controls):
            raise problem(
                "inconsistent_with_controls",
                "must be true exactly when lines.second.controls lists people",
                "second_line_controls_people",
            )
        return self

    def controls(self, line: Line, flow: Flow) -> bool:
        """Whether ``line`` controls ``flow``."""
        section = self.first if line is Line.FIRST else self.second
        return flow in section.controls


class CrossingPoint(Section):
    """A port or channel on one line."""

    code: UpperSlug
    name: LocalizedText
    line: Line
    kind: CrossingKind
    flows: Annotated[tuple[Flow, ...], Field(min_length=1), AfterValidator(unique)]
    directions: Annotated[tuple[Direction, ...], Field(min_length=1), AfterValidator(unique)]
    hand_carry_allowed: StrictBool
    whitelist_only: StrictBool
    #: R15: the permits a vehicle must hold to cross here, each named by the crossing point it
    #: is issued for (a registry permit names its points, e.g. the Channel No. 1 permit card);
    #: empty at a public port. Required: a forgotten key must not open a dedicated channel.
    vehicle_permits_required: Annotated[tuple[UpperSlug, ...], AfterValidator(unique)]
    #: Unset while the opening date is unconfirmed (new Huanggang port, REGIME (d)11).
    opens_on: dt.date | None = None

    @model_validator(mode="after")
    def _flows_fit_the_point(self) -> CrossingPoint:
        for index, flow in enumerate(self.flows):
            if flow not in _PHYSICAL_FLOWS:
                raise problem(
                    "not_a_physical_flow",
                    f"{flow} does not pass through a gate; use people, goods or vehicles",
                    "flows",
                    index,
                )
        if self.hand_carry_allowed and Flow.GOODS not in self.flows:
            raise problem(
                "hand_carry_requires_goods_flow",
                "hand-carried goods need goods among the flows",
                "hand_carry_allowed",
            )
        if self.vehicle_permits_required and Flow.VEHICLES not in self.flows:
            raise problem(
                "permits_require_vehicles_flow",
                "vehicle permits are required only where vehicles cross",
                "vehicle_permits_required",
            )
        return self


_PHYSICAL_FLOWS = frozenset({Flow.PEOPLE, Flow.GOODS, Flow.VEHICLES})


class GatesSection(Section):
    """How far a gate device's clock may stray from the server's when it reports a crossing."""

    #: A crossing may have happened this long before it is received: gates queue events while
    #: offline and send them when the link is back.
    max_past_skew_hours: Annotated[int, Field(strict=True, gt=0, le=24 * 366)] = 168
    #: A crossing dated further ahead than this is refused: the device's clock is wrong.
    max_future_skew_seconds: Annotated[int, Field(strict=True, gt=0, le=3600)] = 300

    @property
    def max_past_skew(self) -> dt.timedelta:
        return dt.timedelta(hours=self.max_past_skew_hours)

    @property
    def max_future_skew(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.max_future_skew_seconds)


class WhitelistValidity(Section):
    """Default validity of a whitelist entry, in months, per subject kind."""

    institution: Positive
    individual: Positive
    vehicle: Positive
    industry: Positive

    def months_for(self, kind: SubjectKind) -> int:
        """Default validity in months for ``kind``."""
        return int(getattr(self, kind.value))


class WhitelistScopes(Section):
    """The scopes a whitelist entry may grant in this zone."""

    flows: Annotated[tuple[Flow, ...], Field(min_length=1), AfterValidator(unique)]
    lines: Annotated[tuple[Line, ...], Field(min_length=1), AfterValidator(unique)]
    exemptions: Annotated[tuple[Exemption, ...], AfterValidator(unique)]


class WhitelistSection(Section):
    """Whitelist validity, renewal, waiver lockout and scopes (R1-R3, R6)."""

    validity_months: WhitelistValidity
    renewal_reminder_days: Positive
    waiver_lockout_months: Positive
    scopes: WhitelistScopes
    waiver_goods_kinds: Annotated[tuple[Slug, ...], Field(min_length=1), AfterValidator(unique)]

    @model_validator(mode="after")
    def _reminder_within_validity(self) -> WhitelistSection:
        shortest = min(self.validity_months.months_for(kind) for kind in SubjectKind)
        # 28 days is the shortest month, so the reminder always falls inside the window.
        if self.renewal_reminder_days >= shortest * 28:
            raise problem(
                "must_be_shorter_than_validity",
                f"must be shorter than the shortest validity ({shortest} months)",
                "renewal_reminder_days",
            )
        return self


class SupervisionPeriods(Section):
    """Supervision period in years by goods class, counted from release (R5, S24)."""

    ships_aircraft: Positive
    motor_vehicles: Positive
    other: Positive

    def years_for(self, goods_class: SupervisionClass) -> int:
        """Supervision period in years for ``goods_class``."""
        return int(getattr(self, goods_class.value))


class LoansSection(Section):
    """Instruments lent across the first line and due back (issue 20): "one zone, two parks".

    No source publishes a term or a grace period for instruments shared with the Hong Kong
    Park; both are configurable placeholders, listed in ``provisional``. R32's temporary
    removal (120 days) is the analogue used for the term.
    """

    #: A loan is due back at most this many days after it is recorded.
    max_days: Positive
    #: Days after the due date before an unreturned instrument becomes a taxable event.
    grace_days: Annotated[int, Field(strict=True, ge=0, le=366)]

    @property
    def max_term(self) -> dt.timedelta:
        return dt.timedelta(days=self.max_days)

    @property
    def grace(self) -> dt.timedelta:
        return dt.timedelta(days=self.grace_days)


class ValueAddedRule(Section):
    """The processing value-added test (R20, R25): goods above the threshold skip some taxes."""

    enabled: StrictBool
    threshold: Rate
    exempt_taxes: Annotated[tuple[TaxKind, ...], Field(min_length=1), AfterValidator(unique)]


class TaxSection(Section):
    """Import tax parameters (REGIME (e)); every amount is a Decimal."""

    vat_standard_rate: Rate
    vat_reduced_rate: Rate
    de_minimis_cny: Money
    rounding: RoundingMode
    rounding_quantum: Quantum
    value_added_rule: ValueAddedRule
    research_goods_exemption: StrictBool
    in_zone_transfer_taxed: StrictBool
    in_zone_transfer_exempt_reasons: Annotated[
        tuple[TransferExemptReason, ...], AfterValidator(unique)
    ]
    consumables_release_on_application: StrictBool
    #: Goods an exemption-exclusions row takes out of the first-line exemption (R4, R19, R23).
    excluded_goods_enter_as: ExcludedGoodsEntry
    exchange_rate_rule: Text
    #: The list the first-line exemption is read against (R23: the taxed-goods catalogue). None:
    #: the exemption's rows of the exemption-exclusions table apply as found (R4, R19).
    exemption_list: ExemptionList | None = None
    #: How goods entering the mainland through the second line are taxed (R7, R20, R24).
    second_line_exit: SecondLineExit = SecondLineExit()

    @model_validator(mode="after")
    def _reduced_not_above_standard(self) -> TaxSection:
        if self.vat_reduced_rate > self.vat_standard_rate:
            raise problem(
                "must_not_exceed_standard_rate",
                f"{self.vat_reduced_rate} is above the standard rate {self.vat_standard_rate}",
                "vat_reduced_rate",
            )
        return self

    def round_money(self, amount: Decimal) -> Decimal:
        """Round ``amount`` to the profile's quantum with its rounding mode."""
        return amount.quantize(self.rounding_quantum, rounding=self.rounding.value)


class StocktakeDiscrepancy(Section):
    """A stocktake shortage is reported when both limits are reached (R31 analogue)."""

    ratio: Rate
    duty_cny: Money


class ConformityAssessmentRow(Section):
    """R12: the conformity-assessment tier of goods whose crossing falls in a risk lane."""

    #: A lane name of ``[selection]`` (the decision's lane, by risk score).
    lane: Slug
    tier: ConformityTier


class GoodsSection(Section):
    """Goods policy flags."""

    mainland_to_zone_treated_as_export: StrictBool
    bonded_hand_carry_allowed: StrictBool
    centralised_declaration_allowed: StrictBool
    #: R10: how long one centralised declaration period runs, in months (a month by default).
    centralised_declaration_period_months: Positive = 1
    stocktake_discrepancy: StocktakeDiscrepancy
    #: R12: risk lane -> tier for legally inspected goods entering through the first line; a
    #: lane not listed (or a profile without the table) means ``full_inspection``.
    conformity_assessment: tuple[ConformityAssessmentRow, ...] = ()

    def conformity_tier(self, lane: str) -> ConformityTier:
        """The R12 tier of the risk lane ``lane``."""
        for row in self.conformity_assessment:
            if row.lane == lane:
                return row.tier
        return ConformityTier.FULL_INSPECTION


class PeopleSection(Section):
    """Travellers' parameters."""

    passenger_allowance_cny: Money


MatchScore = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
"""A face-match similarity score in [0, 1]: 1 is the same face."""


class FacesSection(Section):
    """Face verification of enrolled researchers at the gate (issue 20, the 2018 reply)."""

    #: Days a template is kept after enrolment; then it is purged and the person re-enrols.
    retention_days: Annotated[int, Field(strict=True, gt=0, le=3660)]
    #: Whether hetao compares a gate's probe image itself (hetao.biometrics.dlib_verifier);
    #: off, a gate must send its own match result.
    builtin_verifier: StrictBool
    #: The score at or above which a face matches, unless the crossing point has its own.
    default_threshold: MatchScore
    #: Per crossing point code: a stricter or looser threshold for that point's cameras.
    thresholds: dict[UpperSlug, MatchScore] = Field(default_factory=dict)
    #: Whether a match without a passed liveness check still counts (it should not).
    liveness_required: StrictBool = True

    def threshold_at(self, point: str) -> float:
        """The threshold that applies at crossing point ``point``."""
        return self.thresholds.get(point, self.default_threshold)


class FundsSection(Section):
    """Cross-border research fund parameters (R39, R40)."""

    #: A single payment of more than this (strictly greater) needs a tax filing (R40).
    tax_filing_threshold_usd: Money
    tax_filing_first_payment_only: StrictBool
    hk_payee_rmb_account_required: StrictBool


class DataSection(Section):
    """Cross-border data thresholds (R33-R37) and the working-day calendar."""

    #: People whose PI left since 1 January; thresholds are inclusive (以上).
    security_assessment_pi_min: Positive
    security_assessment_sensitive_pi_min: Positive
    standard_contract_pi_min: Positive
    standard_contract_sensitive_pi_min: Positive
    assessment_validity_years: Positive
    renewal_window_working_days: Positive
    renewal_growth_limit: Rate
    gba_cities: Annotated[tuple[Slug, ...], Field(min_length=1), AfterValidator(unique)]
    holidays: Annotated[tuple[dt.date, ...], AfterValidator(unique)]
    #: Weekend days worked in exchange for a longer holiday (调休).
    adjusted_working_days: Annotated[tuple[dt.date, ...], AfterValidator(unique)]

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> DataSection:
        pairs = (
            ("standard_contract_pi_min", "security_assessment_pi_min"),
            ("standard_contract_sensitive_pi_min", "security_assessment_sensitive_pi_min"),
        )
        for lower, upper in pairs:
            if getattr(self, lower) >= getattr(self, upper):
                raise problem("thresholds_out_of_order", f"must be below data.{upper}", lower)
        for index, day in enumerate(self.adjusted_working_days):
            if day in self.holidays:
                raise problem(
                    "working_day_is_holiday",
                    f"{day} is also listed as a holiday",
                    "adjusted_working_days",
                    index,
                )
            if day.weekday() < 5:
                raise problem(
                    "adjusted_working_day_not_weekend",
                    f"{day} is a weekday, which is a working day anyway",
                    "adjusted_working_days",
                    index,
                )
        return self

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day in this zone's calendar."""
        if day in self.adjusted_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays


class AuditSection(Section):
    """Tamper evidence of the audit log: when checkpoints are signed and where they go."""

    #: Sign a checkpoint after this many events ...
    checkpoint_every_events: Positive
    #: ... or when the last one is older than this, whichever comes first.
    checkpoint_every_seconds: Positive
    #: Directory the signed checkpoints are exported to, outside the database; a relative path
    #: is inside the platform's data directory (HETAO_DATA_DIR).
    checkpoint_store: Text


class ApiSection(Section):
    """Limits at the API's edge: body sizes, how long retries are answered, denial summaries."""

    #: Largest request body, in bytes; a longer one is refused with 413 before it is read.
    max_body_bytes: Positive = 1_048_576
    #: Largest body of a bulk import (CSV of persons or vehicles).
    max_bulk_body_bytes: Positive = 16_777_216
    #: How long a POST's Idempotency-Key is remembered (its first answer replayed), in hours;
    #: older replay records are purged.
    replay_retention_hours: Positive = 24
    #: Refused anonymous requests are counted in memory and written to the audit log as one
    #: summary per source and reason this often (docs/decisions/0009-hardened-edges.md).
    denial_summary_seconds: Positive = 60


class SelectionLane(Section):
    """A lane of crossing selection: risk scores from ``min_score`` up, with a random rate."""

    name: Slug
    label: LocalizedText
    #: Lowest risk score (0-100) in this lane; the lane ends where the next one starts.
    min_score: Annotated[int, Field(strict=True, ge=0, le=100)]
    #: Share of otherwise released crossings picked at random for inspection.
    random_rate: Rate


class SelectionCap(Section):
    """At most ``max_inspections`` random selections' worth of inspections per period and point."""

    period_minutes: Annotated[int, Field(strict=True, gt=0, le=1440)]
    max_inspections: Positive


class SelectionSection(Section):
    """Lanes by risk score, minimum random inspection rates and the cap per period (issue 5)."""

    lanes: Annotated[tuple[SelectionLane, ...], Field(min_length=1)]
    cap: SelectionCap

    @model_validator(mode="after")
    def _lanes_ordered(self) -> SelectionSection:
        names: set[str] = set()
        for index, lane in enumerate(self.lanes):
            if lane.name in names:
                raise problem(
                    "must_be_unique", f"lane {lane.name} is used twice", "lanes", index, "name"
                )
            names.add(lane.name)
            if index == 0 and lane.min_score != 0:
                raise problem(
                    "first_lane_starts_at_0",
                    "the first lane must start at score 0 so every score has a lane",
                    "lanes",
                    0,
                    "min_score",
                )
            if index > 0 and lane.min_score <= self.lanes[index - 1].min_score:
                raise problem(
                    "min_scores_not_increasing",
                    f"{lane.min_score} is not above the previous lane's minimum score",
                    "lanes",
                    index,
                    "min_score",
                )
        return self

    def lane_for(self, score: int) -> SelectionLane:
        """The lane a risk score falls in."""
        chosen = self.lanes[0]
        for lane in self.lanes:
            if score >= lane.min_score:
                chosen = lane
        return chosen


class ZoneProfile(Section):
    """A zone's whole regime: lines, crossing points, whitelist, tax, goods, people, funds, data."""

    schema_version: Literal[1]
    #: Date the regime this profile encodes took effect; assessments record it.
    effective_from: dt.date
    #: Dotted keys whose values are placeholders for unpublished rules (REGIME (d)).
    provisional: Annotated[tuple[str, ...], AfterValidator(unique)] = ()
    zone: ZoneSection
    lines: LinesSection
    crossing_points: Annotated[tuple[CrossingPoint, ...], Field(min_length=1)]
    gates: GatesSection = GatesSection()
    whitelist: WhitelistSection
    supervision_periods: SupervisionPeriods
    loans: LoansSection
    tax: TaxSection
    goods: GoodsSection
    people: PeopleSection
    #: Absent: the zone does not verify faces at all.
    faces: FacesSection | None = None
    funds: FundsSection
    data: DataSection
    audit: AuditSection
    selection: SelectionSection
    api: ApiSection = ApiSection()

    @field_validator("crossing_points")
    @classmethod
    def _codes_unique(cls, points: tuple[CrossingPoint, ...]) -> tuple[CrossingPoint, ...]:
        seen: set[str] = set()
        for index, point in enumerate(points):
            if point.code in seen:
                raise problem("must_be_unique", f"code {point.code} is used twice", index, "code")
            seen.add(point.code)
        return points

    @model_validator(mode="after")
    def _cross_checks(self) -> ZoneProfile:
        codes = {p.code for p in self.crossing_points}
        for index, point in enumerate(self.crossing_points):
            for flow_index, flow in enumerate(point.flows):
                if not self.lines.controls(point.line, flow):
                    raise problem(
                        "line_does_not_control_flow",
                        f"the {point.line} line does not control {flow} in this profile",
                        "crossing_points",
                        index,
                        "flows",
                        flow_index,
                    )
            for permit_index, permit in enumerate(point.vehicle_permits_required):
                if permit not in codes:
                    raise problem(
                        "unknown_crossing_point",
                        f"{permit} names no crossing point of this profile",
                        "crossing_points",
                        index,
                        "vehicle_permits_required",
                        permit_index,
                    )
        for code in self.faces.thresholds if self.faces else ():
            if code not in codes:
                raise problem(
                    "unknown_crossing_point",
                    f"{code} names no crossing point of this profile",
                    "faces",
                    "thresholds",
                    code,
                )
        enabled = {
            Exemption.DUTY_FREE_RESEARCH_GOODS: self.tax.research_goods_exemption,
            Exemption.CENTRALISED_DECLARATION: self.goods.centralised_declaration_allowed,
            Exemption.HAND_CARRY_CHANNEL1: any(p.hand_carry_allowed for p in self.crossing_points),
            Exemption.VALUE_ADDED_DUTY_FREE: self.tax.value_added_rule.enabled,
        }
        check_first_line_exemption(
            self.tax.research_goods_exemption,
            self.whitelist.scopes.exemptions,
            self.tax.exemption_list,
        )
        for index, exemption in enumerate(self.whitelist.scopes.exemptions):
            # A whitelist must not grant what the regime of this profile switched off.
            if not enabled.get(exemption, True):
                raise problem(
                    "exemption_not_enabled",
                    f"{exemption} is offered but the profile disables it",
                    "whitelist",
                    "scopes",
                    "exemptions",
                    index,
                )
        lanes = {lane.name for lane in self.selection.lanes}
        tiered: set[str] = set()
        for index, row in enumerate(self.goods.conformity_assessment):
            if row.lane not in lanes:
                raise problem(
                    "unknown_lane",
                    f"{row.lane} is not a lane of [selection]: {', '.join(sorted(lanes))}",
                    "goods",
                    "conformity_assessment",
                    index,
                    "lane",
                )
            if row.lane in tiered:
                raise problem(
                    "must_be_unique",
                    f"lane {row.lane} has two tiers",
                    "goods",
                    "conformity_assessment",
                    index,
                    "lane",
                )
            tiered.add(row.lane)
        for index, key in enumerate(self.provisional):
            if resolve_key(self, key) is MISSING_KEY:
                raise problem(
                    "unknown_key", f"{key!r} names no key of the profile", "provisional", index
                )
        return self

    @property
    def first_line_exemption(self) -> Exemption | None:
        """The exemption goods entering through the first line may claim: R4's research goods,
        R19's self-use equipment or R23's zero-tariff goods, whichever the profile grants."""
        return first_line_exemption(
            self.tax.research_goods_exemption, self.whitelist.scopes.exemptions
        )

    @property
    def first_line_exemption_rule(self) -> str | None:
        """The rule the first-line exemption is granted under (``R4``, ``R19``, ``R23``)."""
        exemption = self.first_line_exemption
        return FIRST_LINE_EXEMPTIONS[exemption] if exemption is not None else None

    def crossing_point(self, code: str) -> CrossingPoint | None:
        """The crossing point with ``code``, if any."""
        return next((p for p in self.crossing_points if p.code == code), None)

    def is_provisional(self, key: str) -> bool:
        """Whether ``key`` (or a section containing it) holds a placeholder value."""
        return any(key == p or key.startswith(p + ".") for p in self.provisional)


__all__ = [
    "AuditSection",
    "ConformityAssessmentRow",
    "ConformityTier",
    "CrossingKind",
    "CrossingPoint",
    "DataSection",
    "Direction",
    "ExcludedGoodsEntry",
    "Exemption",
    "ExemptionBasis",
    "ExemptionList",
    "Flow",
    "FundsSection",
    "GoodsSection",
    "Line",
    "LineSection",
    "LinesSection",
    "LoansSection",
    "LocalizedText",
    "PeopleSection",
    "RoundingMode",
    "SecondLineExit",
    "SecondLineTaxBasis",
    "SelectionCap",
    "SelectionLane",
    "SelectionSection",
    "StocktakeDiscrepancy",
    "SubjectKind",
    "SupervisionClass",
    "SupervisionPeriods",
    "TaxKind",
    "TaxSection",
    "TransferExemptReason",
    "ValueAddedRule",
    "WhitelistScopes",
    "WhitelistSection",
    "WhitelistValidity",
    "ZoneProfile",
    "ZoneSection",
]
