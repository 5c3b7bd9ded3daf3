"""The decision on one crossing: a pure function over facts, a rule set and the zone profile.

Order: the crossing point, whitelist gating (status, validity, scope, R6 lockouts), the regime
rules (R13, R11, R41, R15, goods-not-people), loans and faces, the risk tables, then selection
(lane by score, reproducible random draw, cap). REFUSE beats INSPECT beats RELEASE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from hetao.declarations.kinds import CROSSING
from hetao.engine.conformity import conformity_reasons, tier_reason
from hetao.engine.face_match import face_reasons
from hetao.engine.facts import (
    OUTCOME_SEVERITY,
    ConsignmentFacts,
    CrossingFacts,
    Outcome,
    PersonFacts,
    VehicleFacts,
    WhitelistStanding,
    facts_from_json,
    facts_to_json,
)
from hetao.engine.loans import loan_reasons
from hetao.engine.reasons import (
    DECLARATION_KIND_NAMES,
    DECLARATION_STATUS_NAMES,
    DIRECTION_NAMES,
    FLOW_NAMES,
    INSIDE_THE_ZONE,
    LINE_NAMES,
    Param,
    Reason,
    crossings_of,
    named,
    reason,
)
from hetao.engine.rules import RuleSet, risk_contexts
from hetao.engine.selection import Draw, cap_reached, draw_units, threshold
from hetao.errors import ValidationFailed
from hetao.profiles import CrossingPoint, ZoneProfile
from hetao.profiles.schema import SelectionLane

_CREDENTIAL_CODES = {
    "revoked": "credential.revoked",
    "expired": "credential.expired",
    "invalid_signature": "credential.invalid_signature",
    "unknown_key": "credential.unknown_key",
}
_STATUS_CODES = {
    "suspended": "whitelist.suspended",
    "revoked": "whitelist.revoked",
    "expired": "whitelist.expired",
}
#: The line and direction a declaration of each kind crosses (the ledger's table, as values).
_KIND_CROSSES = {kind.value: (line.value, way.value) for kind, (line, way) in CROSSING.items()}


@dataclass(slots=True)
class Decision:
    """RELEASE, INSPECT or REFUSE with reasons and everything needed to replay it.

    Not frozen: one is built per crossing and a frozen dataclass is slower to build.
    Treat it as a value all the same; ``decision_to_json`` is what is stored.
    """

    outcome: Outcome
    reasons: tuple[Reason, ...]
    lane: str
    """A lane name of the profile's ``[selection]``, by risk score (the last lane on REFUSE)."""
    risk_score: int
    rule_set_version: str
    profile_code: str
    draw: Draw | None
    """None when no random selection applied (the outcome was not RELEASE before it)."""
    facts: CrossingFacts
    """What was decided on; ``inputs`` is its JSON, enough to replay."""

    @property
    def inputs(self) -> dict[str, Any]:
        """``facts_to_json(facts)``, built when asked: it is a large part of a decision's cost,
        and most callers store it once or never."""
        return facts_to_json(self.facts)


@dataclass(frozen=True, slots=True)
class _ProfileView:
    """What ``decide`` needs from a profile, looked up once per profile object."""

    profile: ZoneProfile
    points: dict[str, CrossingPoint]
    zone: ZoneInfo
    scope_flows: frozenset[str]
    point_names: dict[str, dict[str, str]]
    thresholds: dict[str, tuple[int, str]]
    """Lane name -> its random rate in units of 1e-18, and as written."""
    lane_labels: dict[str, dict[str, str]]
    """Lane name -> its label per language, for the "selection.random" reason."""
    people_uncontrolled: bool
    """The second line controls goods, not people (Hengqin R21)."""
    conformity: dict[str, tuple[str, Outcome]]
    """Lane name -> the R12 reason code of its conformity-assessment tier and its outcome."""
    lanes_by_score: dict[int, SelectionLane] = field(default_factory=dict)
    """``selection.lane_for(score)`` for the scores seen so far (a few per rule set)."""

    def lane_for(self, score: int) -> SelectionLane:
        """The lane a risk score falls in."""
        lane = self.lanes_by_score.get(score)
        if lane is None:
            lane = self.lanes_by_score[score] = self.profile.selection.lane_for(score)
        return lane


_VIEWS: dict[int, _ProfileView] = {}


def _view(profile: ZoneProfile) -> _ProfileView:
    # Keyed by identity: profiles are frozen and loaded once; the stored profile guards reuse.
    cached = _VIEWS.get(id(profile))
    if cached is not None and cached.profile is profile:
        return cached
    lanes = profile.selection.lanes
    view = _ProfileView(
        profile=profile,
        points={p.code: p for p in profile.crossing_points},
        zone=ZoneInfo(profile.zone.timezone),
        scope_flows=frozenset(f.value for f in profile.whitelist.scopes.flows),
        point_names={
            p.code: {"en": p.name.en, "zh-Hant": p.name.zh_hant, "zh-Hans": p.name.zh_hans}
            for p in profile.crossing_points
        },
        thresholds={lane.name: threshold(lane.random_rate) for lane in lanes},
        lane_labels={
            lane.name: {
                "en": lane.label.en,
                "zh-Hant": lane.label.zh_hant,
                "zh-Hans": lane.label.zh_hans,
            }
            for lane in lanes
        },
        people_uncontrolled=not profile.lines.second_line_controls_people,
        conformity={
            lane.name: tier_reason(profile.goods.conformity_tier(lane.name)) for lane in lanes
        },
    )
    if len(_VIEWS) > 32:
        _VIEWS.clear()
    _VIEWS[id(profile)] = view
    return view


class _Gate:
    """Collects the reasons of whitelist gating and the regime rules for one crossing."""

    __slots__ = (
        "day",
        "facts",
        "point",
        "point_name",
        "profile",
        "reasons",
        "view",
        "whitelist_only",
    )

    def __init__(self, facts: CrossingFacts, view: _ProfileView, day: dt.date) -> None:
        self.facts = facts
        self.view = view
        self.profile = view.profile
        self.point = view.points.get(facts.crossing_point)
        self.point_name: Param = view.point_names.get(facts.crossing_point, facts.crossing_point)
        self.day = day
        self.whitelist_only = self.point is not None and self.point.whitelist_only
        self.reasons: list[Reason] = []

    def add(self, code: str, outcome: Outcome, subject: str = "", **params: Param) -> None:
        self.reasons.append(reason(code, outcome, subject, **params))

    # --- the crossing point -------------------------------------------------------------

    def check_point(self, flow: str) -> None:
        facts, point = self.facts, self.point
        if point is None:
            self.add("point.unknown", Outcome.REFUSE, point=facts.crossing_point)
            return
        if point.line != facts.line:
            self.add(
                "point.line_mismatch",
                Outcome.REFUSE,
                point=self.point_name,
                point_line=named(LINE_NAMES, point.line.value),
                line=named(LINE_NAMES, facts.line),
            )
        if flow not in point.flows:
            self.add(
                "point.flow_not_allowed",
                Outcome.REFUSE,
                point=self.point_name,
                flow=named(FLOW_NAMES, flow),
            )
        if facts.direction not in point.directions:
            self.add(
                "point.direction_not_allowed",
                Outcome.REFUSE,
                point=self.point_name,
                direction=named(DIRECTION_NAMES, facts.direction),
            )
        if point.opens_on is not None and self.day < point.opens_on:
            self.add(
                "point.not_open",
                Outcome.REFUSE,
                point=self.point_name,
                date=point.opens_on.isoformat(),
            )

    # --- whitelist gating ---------------------------------------------------------------

    def check_standing(
        self, w: WhitelistStanding, who: str, flow: str | None, ordinary: Outcome
    ) -> None:
        """Status, validity on the crossing day at the zone, scope for the flow and the line.

        An entry that does not speak for the subject here refuses it where the point admits
        whitelisted subjects only; where the whitelist only facilitates, the subject gets
        ``ordinary``, the treatment of one not on the whitelist.
        """
        failed = Outcome.REFUSE if self.whitelist_only else ordinary
        entry = str(w.entry_id)
        if w.status != "active":
            code = _STATUS_CODES.get(w.status or "", "whitelist.not_in_force")
            date = w.valid_until.isoformat() if w.valid_until else "-"
            self.add(code, failed, who, entry=entry, date=date, status=str(w.status))
            return
        if w.valid_from is not None and self.day < w.valid_from:
            self.add(
                "whitelist.not_yet_valid",
                failed,
                who,
                entry=entry,
                date=w.valid_from.isoformat(),
            )
        if w.valid_until is not None and self.day > w.valid_until:
            self.add(
                "whitelist.expired",
                failed,
                who,
                entry=entry,
                date=w.valid_until.isoformat(),
            )
        # A flow the profile's whitelist cannot grant (vehicles in hetao) is not a scope.
        if flow is not None and flow in self.view.scope_flows and flow not in w.flows:
            self.add(
                "whitelist.flow_out_of_scope",
                failed,
                who,
                entry=entry,
                flow=named(FLOW_NAMES, flow),
            )
        if self.facts.line not in w.lines:
            self.add(
                "whitelist.line_out_of_scope",
                failed,
                who,
                entry=entry,
                line=named(LINE_NAMES, self.facts.line),
            )

    def check_person(self, person: PersonFacts, who: str) -> None:
        credential = person.credential
        if credential is not None and credential.status != "valid":
            self.add(
                _CREDENTIAL_CODES.get(credential.status, "credential.not_valid"),
                Outcome.REFUSE,
                who,
                credential=credential.credential_id,
                status=credential.status,
            )
        if person.document_ambiguous:  # never guess who is crossing: an officer looks
            self.add("whitelist.document_ambiguous", Outcome.INSPECT, who)
            return
        if person.whitelist.entry_id is None:
            if self.whitelist_only:
                self.add("whitelist.not_listed", Outcome.REFUSE, who, point=self.point_name)
            return
        # Outside whitelist-only points a whitelisted person crosses like anyone else unless
        # they claim the whitelist by presenting a zone credential.
        if self.whitelist_only or credential is not None:
            # Presenting a zone credential claims the whitelist: refused anywhere if it fails.
            self.check_standing(person.whitelist, who, "people", Outcome.REFUSE)

    def check_consignment(self, c: ConsignmentFacts, prefix: str) -> None:
        party_who = f"{prefix}party" if prefix else "party"
        party = c.party
        if party is None or party.whitelist.entry_id is None:
            if self.whitelist_only:
                self.add("whitelist.not_listed", Outcome.REFUSE, party_who, point=self.point_name)
            else:
                self.add("whitelist.party_not_listed", Outcome.INSPECT, party_who)
        else:
            # An unlisted party's goods are checked (whitelist.party_not_listed).
            self.check_standing(party.whitelist, party_who, "goods", Outcome.INSPECT)
        if party is not None and party.status != "active":
            self.add("party.not_active", Outcome.REFUSE, party_who, status=party.status)
        if c.loan is not None:  # the loan stands for the declaration (issue 20)
            self.reasons += loan_reasons(c.loan, self.facts, self.day, prefix, self.point_name)
        elif c.declaration_id is None:
            self.add("declaration.missing", Outcome.INSPECT, prefix.rstrip("."))
        elif c.declaration_kind is not None:  # None: decided before the gate checked it
            self.check_declaration(c, prefix)
        locked = frozenset(party.whitelist.locked_out_goods_kinds) if party else frozenset()
        bonded_lines: list[str] = []
        for line in c.lines:
            where = f"{prefix}line[{line.line_no}]"
            # R6 bars a new exemption claim for the waived kind, never the goods themselves.
            if line.goods_kind in locked and line.claims_exemption:
                self.add("whitelist.locked_out", Outcome.REFUSE, where, kind=line.goods_kind)
            approvals = (
                ("R11", line.special_article, line.special_article_approval),
                ("R41", line.hgr, line.hgr_approval),
            )
            states = (line.special_article_approval_state, line.hgr_approval_state)
            for (rule, needed, approval), state in zip(approvals, states, strict=True):
                line_no = str(line.line_no)
                if needed and not approval:
                    self.add(f"{rule}.approval_missing", Outcome.REFUSE, where, line_no=line_no)
                # The register's verdict; None in decisions made before the gate read it.
                elif needed and state not in (None, "valid"):
                    code = f"{rule}.approval_{state}"
                    self.add(code, Outcome.REFUSE, where, line_no=line_no, approval=str(approval))
            if line.bonded:
                bonded_lines.append(where)
        if c.hand_carried:
            self.check_hand_carry(c, prefix, bonded_lines)

    def check_declaration(self, c: ConsignmentFacts, prefix: str) -> None:
        """The goods cross under a cleared declaration of their kind's line, direction and
        point, presented for its own party."""
        facts, who = self.facts, prefix.rstrip(".")
        declaration = str(c.declaration_id)
        status = c.declaration_status or "-"
        if status != "cleared":
            self.add(
                "declaration.not_cleared",
                Outcome.REFUSE,
                who,
                declaration=declaration,
                status=named(DECLARATION_STATUS_NAMES, status),
            )
        kind = c.declaration_kind or ""
        crosses = _KIND_CROSSES.get(kind)
        if crosses != (facts.line, facts.direction):
            self.add(
                "declaration.kind_mismatch",
                Outcome.REFUSE,
                who,
                declaration=declaration,
                kind=named(DECLARATION_KIND_NAMES, kind),
                expected=INSIDE_THE_ZONE if crosses is None else crossings_of(*crosses),
                crossing=crossings_of(facts.line, facts.direction),
            )
        elif c.declaration_point is not None and c.declaration_point != facts.crossing_point:
            self.add(
                "declaration.point_mismatch",
                Outcome.REFUSE,
                who,
                declaration=declaration,
                declared_point=self.view.point_names.get(c.declaration_point, c.declaration_point),
                point=self.point_name,
            )
        if c.carrier_affiliated is False and c.party is not None:
            self.add(
                "declaration.party_mismatch",
                Outcome.REFUSE,
                f"{prefix}carrier",
                declaration=declaration,
                party=str(c.party.party_id),
            )
        self.check_used_up(c, prefix, declaration)

    def check_used_up(self, c: ConsignmentFacts, prefix: str, declaration: str) -> None:
        """A declaration is not used up twice: a line carries no more than is left of it, and
        a crossing naming no lines carries something (all that is left). Lines gathered
        before crossings were counted (``crossed`` None) replay unchecked."""
        counted = [line for line in c.lines if line.crossed is not None]
        carries_nothing = not any(line.carried > 0 for line in counted)
        for line in counted:
            if line.carried > line.left or (carries_nothing and line.left <= 0):
                self.add(
                    "declaration.used_up",
                    Outcome.REFUSE,
                    f"{prefix}line[{line.line_no}]",
                    declaration=declaration,
                    line_no=str(line.line_no),
                    declared=f"{line.quantity} {line.unit}",
                    crossed=f"{line.crossed} {line.unit}",
                    presented=f"{line.carried} {line.unit}",
                )

    def check_hand_carry(self, c: ConsignmentFacts, prefix: str, bonded_lines: list[str]) -> None:
        """R13: designated persons, at a point allowing it, never bonded goods."""
        point = self.point
        if point is None or not point.hand_carry_allowed:
            self.add(
                "R13.hand_carry_not_allowed",
                Outcome.REFUSE,
                prefix.rstrip("."),
                point=self.point_name,
            )
            return
        if not self.profile.goods.bonded_hand_carry_allowed:
            for where in bonded_lines:
                self.add("R13.bonded_hand_carry", Outcome.REFUSE, where, point=self.point_name)
        carrier_who = f"{prefix}carrier"
        if c.carrier is None or not c.carrier.designated_carrier:
            self.add(
                "R13.carrier_not_designated", Outcome.REFUSE, carrier_who, point=self.point_name
            )
        if c.carrier is not None:
            self.check_person(c.carrier, carrier_who)
        party = c.party
        whitelisted = party is not None and party.whitelist.entry_id is not None
        if whitelisted and party and "hand_carry_channel1" not in party.whitelist.exemptions:
            self.add("R13.exemption_missing", Outcome.REFUSE, f"{prefix}party")

    def check_permits(self, v: VehicleFacts) -> None:
        """R15: every permit the profile requires at the point, by the point it names."""
        required: tuple[str, ...]
        held: tuple[str, ...]
        if v.permit_valid_here is not None:
            # Decided when a permit naming the point was demanded everywhere: replayed so.
            required = (self.facts.crossing_point,)
            held = required if v.permit_valid_here else ()
        else:
            required = () if self.point is None else self.point.vehicle_permits_required
            held = v.permit_points
        for permit in required:
            if permit not in held:
                self.add(
                    "R15.permit_invalid",
                    Outcome.REFUSE,
                    "vehicle",
                    plate=v.plate,
                    point=self.view.point_names.get(permit, permit),
                )

    def check_vehicle(self, v: VehicleFacts) -> None:
        self.check_permits(v)
        if v.whitelist.entry_id is None:
            if self.whitelist_only:
                self.add("whitelist.not_listed", Outcome.REFUSE, "vehicle", point=self.point_name)
        elif self.whitelist_only:
            self.check_standing(v.whitelist, "vehicle", "vehicles", Outcome.RELEASE)
        if self.people_uncontrolled():
            self.add("second_line.people_not_controlled", Outcome.RELEASE, "people")
        else:
            if v.driver is not None:
                self.check_person(v.driver, "driver")
            for index, passenger in enumerate(v.passengers, start=1):
                self.check_person(passenger, f"passenger[{index}]")
        for index, c in enumerate(v.consignments, start=1):
            self.check_consignment(c, f"consignment[{index}].")

    def people_uncontrolled(self) -> bool:
        """Where the profile's second line controls goods, not people (Hengqin R21)."""
        return self.view.people_uncontrolled and self.facts.line == "second"


def decide(
    facts: CrossingFacts, rule_set: RuleSet, profile: ZoneProfile, *, seed: bytes
) -> Decision:
    """Decide one crossing: whitelist gating, regime rules, risk rules, then selection."""
    view = _view(profile)
    selection = profile.selection
    local = facts.occurred_at.astimezone(view.zone)
    gate = _Gate(facts, view, local.date())
    subject = facts.subject
    if isinstance(subject, PersonFacts):
        point = gate.point
        if gate.people_uncontrolled() and point is not None and point.line == "second":
            gate.add("second_line.people_not_controlled", Outcome.RELEASE)
            return Decision(
                outcome=Outcome.RELEASE,
                reasons=tuple(gate.reasons),
                lane=selection.lanes[0].name,
                risk_score=0,
                rule_set_version=rule_set.version,
                profile_code=profile.zone.code,
                draw=None,
                facts=facts,
            )
        gate.check_point("people")
        gate.check_person(subject, "")
        gate.reasons += face_reasons(subject, profile.faces, gate.point_name, at=point)
    elif isinstance(subject, VehicleFacts):
        gate.check_point("vehicles")
        gate.check_vehicle(subject)
    else:
        gate.check_point("goods")
        gate.check_consignment(subject, "")

    reasons = gate.reasons
    outcome = Outcome.RELEASE
    severity = 0
    for r in reasons:
        if OUTCOME_SEVERITY[r.outcome] > severity:
            outcome, severity = r.outcome, OUTCOME_SEVERITY[r.outcome]
    score = 0
    goods, crossing = risk_contexts(facts, local)
    for where, ctx, row in rule_set.fire(goods, crossing):
        # The row's text is rendered from ctx when first read (ctx is this decision's own).
        text = row.reason
        reasons.append(Reason.deferred(text.code, row.rule, row.outcome, where, text, ctx))
        if row.severity > severity:
            outcome, severity = row.outcome, row.severity
        score = max(score, row.score)
    lane = selection.lanes[-1] if outcome is Outcome.REFUSE else view.lane_for(score)
    if (
        outcome is not Outcome.REFUSE
        and not isinstance(subject, PersonFacts)
        and facts.line == "first"
        and facts.direction == "inbound"
    ):
        # R12: legally inspected goods from Hong Kong get the tier of the crossing's risk lane.
        code, tier_outcome = view.conformity[lane.name]
        tiers = conformity_reasons(
            subject, code=code, outcome=tier_outcome, lane=view.lane_labels[lane.name]
        )
        reasons.extend(tiers)
        if tiers and tier_outcome is Outcome.INSPECT:  # never a REFUSE here: REFUSE skips R12
            outcome = Outcome.INSPECT
    the_draw: Draw | None = None
    if outcome is Outcome.RELEASE:
        the_draw = draw_units(seed, facts.event_id, *view.thresholds[lane.name])
        if the_draw.selected:
            state = facts.selection
            if state is not None and cap_reached(selection, state.inspections_in_period):
                reasons.append(
                    reason(
                        "selection.cap_reached",
                        Outcome.RELEASE,
                        point=gate.point_name,
                        cap=str(selection.cap.max_inspections),
                    )
                )
            else:
                outcome = Outcome.INSPECT
                reasons.append(
                    reason(
                        "selection.random",
                        Outcome.INSPECT,
                        lane=view.lane_labels[lane.name],
                        rate=view.thresholds[lane.name][1],
                    )
                )
    if not reasons:
        reasons.append(reason("decision.clear", Outcome.RELEASE))
    return Decision(
        outcome=outcome,
        reasons=tuple(reasons),
        lane=lane.name,
        risk_score=score,
        rule_set_version=rule_set.version,
        profile_code=profile.zone.code,
        draw=the_draw,
        facts=facts,
    )


# --- JSON -----------------------------------------------------------------------------------


def reason_to_json(r: Reason) -> dict[str, Any]:
    """JSON form of a reason."""
    return {
        "code": r.code,
        "rule": r.rule,
        "outcome": r.outcome.value,
        "text": dict(r.text),
        "subject": r.subject,
        "params": r.params,
    }


def decision_to_json(d: Decision) -> dict[str, Any]:
    """JSON-stable form of a decision."""
    the_draw = None
    if d.draw is not None:
        the_draw = {
            "seed_hex": d.draw.seed_hex,
            "value": d.draw.value,
            "threshold": d.draw.threshold,
            "selected": d.draw.selected,
        }
    return {
        "outcome": d.outcome.value,
        "reasons": [reason_to_json(r) for r in d.reasons],
        "lane": d.lane,
        "risk_score": d.risk_score,
        "rule_set_version": d.rule_set_version,
        "profile_code": d.profile_code,
        "draw": the_draw,
        "inputs": d.inputs,
    }


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], at: str = "") -> Any:
    value = data.get(key) if isinstance(data, Mapping) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = f"{at}{key}"
        raise ValidationFailed.single(name, "malformed", f"{name} is missing or of the wrong type")
    return value


def _outcome(value: str, at: str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise ValidationFailed.single(
            at, "unknown_outcome", f"{value!r} is not an outcome"
        ) from None


def decision_from_json(data: Mapping[str, Any]) -> Decision:
    """Parse ``decision_to_json`` output back; ``ValidationFailed`` names the bad key."""
    reasons: list[Reason] = []
    for index, raw in enumerate(_get(data, "reasons", list)):
        at = f"reasons[{index}]."
        text = _get(raw, "text", dict, at)
        reasons.append(
            Reason(
                code=_get(raw, "code", str, at),
                rule=_get(raw, "rule", str, at),
                outcome=_outcome(_get(raw, "outcome", str, at), f"{at}outcome"),
                text={str(k): str(v) for k, v in text.items()},
                subject=_get(raw, "subject", str, at),
                # Reasons stored before they carried their parameters have none.
                params=_get(raw, "params", dict, at) if "params" in raw else None,
            )
        )
    the_draw = None
    raw_draw = data.get("draw")
    if raw_draw is not None:
        the_draw = Draw(
            seed_hex=_get(raw_draw, "seed_hex", str, "draw."),
            value=_get(raw_draw, "value", str, "draw."),
            threshold=_get(raw_draw, "threshold", str, "draw."),
            selected=_get(raw_draw, "selected", bool, "draw."),
        )
    return Decision(
        outcome=_outcome(_get(data, "outcome", str), "outcome"),
        reasons=tuple(reasons),
        lane=_get(data, "lane", str),
        risk_score=_get(data, "risk_score", int),
        rule_set_version=_get(data, "rule_set_version", str),
        profile_code=_get(data, "profile_code", str),
        draw=the_draw,
        facts=facts_from_json(_get(data, "inputs", dict)),
    )


def crossing_day(facts: CrossingFacts, profile: ZoneProfile) -> dt.date:
    """The date of the crossing at the zone (validity windows are counted in zone days)."""
    return facts.occurred_at.astimezone(_view(profile).zone).date()


__all__ = [
    "Decision",
    "Draw",
    "Reason",
    "crossing_day",
    "decide",
    "decision_from_json",
    "decision_to_json",
    "reason_to_json",
]
