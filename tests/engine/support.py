"""Facts for engine tests: a whitelisted baseline that each test bends in one place."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from hetao.engine.decision import Decision, decide
from hetao.engine.facts import (
    ConsignmentFacts,
    CredentialFacts,
    CrossingFacts,
    GoodsLine,
    PartyFacts,
    PersonFacts,
    SelectionState,
    Subject,
    VehicleFacts,
    WhitelistStanding,
)
from hetao.engine.rules import RuleSet, load_rule_set, shipped_rule_set
from hetao.profiles import ZoneProfile, load_profile
from hetao.profiles.schema import SelectionSection

SEED = bytes(range(32))
#: 12:00 at the zone on a Monday (UTC+8): no night or weekend rule applies.
NOON = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)
VALID_FROM = dt.date(2026, 1, 1)
VALID_UNTIL = dt.date(2027, 12, 31)

_serial = itertools.count(1)


def event_id() -> str:
    return f"engine-{next(_serial):06d}"


def hetao() -> ZoneProfile:
    return load_profile("hetao")


def hengqin() -> ZoneProfile:
    return load_profile("hengqin")


def without_random_selection(profile: ZoneProfile) -> ZoneProfile:
    """The profile with every lane's random rate at 0, so only rules decide."""
    lanes = tuple(
        lane.model_copy(update={"random_rate": Decimal(0)}) for lane in profile.selection.lanes
    )
    section = profile.selection.model_copy(update={"lanes": lanes})
    return profile.model_copy(update={"selection": section})


def with_selection(profile: ZoneProfile, **changes: Any) -> ZoneProfile:
    data = profile.selection.model_dump(mode="json")
    for key, value in changes.items():
        if key == "rates":
            for lane, rate in zip(data["lanes"], value, strict=True):
                lane["random_rate"] = rate
        else:
            data["cap"][key] = value
    return profile.model_copy(update={"selection": SelectionSection.model_validate(data)})


def standing(**changes: Any) -> WhitelistStanding:
    base = WhitelistStanding(
        entry_id=7,
        status="active",
        valid_from=VALID_FROM,
        valid_until=VALID_UNTIL,
        flows=("people", "goods"),
        lines=("first", "second"),
        exemptions=("duty_free_research_goods", "hand_carry_channel1", "hgr"),
    )
    return dataclasses.replace(base, **changes)


NOT_LISTED = WhitelistStanding(entry_id=None, status=None, valid_from=None, valid_until=None)


def party(**changes: Any) -> PartyFacts:
    base = PartyFacts(
        party_id=11,
        kind="csa_enterprise",
        status="active",
        credit_level="certified",
        whitelist=standing(entry_id=21),
    )
    return dataclasses.replace(base, **changes)


def person(**changes: Any) -> PersonFacts:
    base = PersonFacts(person_id=31, residency="hong_kong", whitelist=standing(entry_id=41))
    return dataclasses.replace(base, **changes)


def credential(status: str) -> CredentialFacts:
    return CredentialFacts(credential_id="zc-0001", status=status)


def goods(**changes: Any) -> GoodsLine:
    base = GoodsLine(
        line_no=1,
        hs_code="902790",
        goods_kind="instruments",
        origin="DE",
        value_cny=Decimal("50000.00"),
        quantity=Decimal("1"),
        unit="set",
    )
    return dataclasses.replace(base, **changes)


def consignment(*lines: GoodsLine, **changes: Any) -> ConsignmentFacts:
    base = ConsignmentFacts(
        declaration_id=51,
        declaration_status="accepted",
        party=party(),
        lines=lines or (goods(),),
    )
    return dataclasses.replace(base, **changes)


def vehicle(**changes: Any) -> VehicleFacts:
    base = VehicleFacts(
        vehicle_id=61,
        plate="AB1234",
        permit_valid_here=True,
        owner=party(),
        whitelist=standing(entry_id=71, flows=("people", "goods")),
        driver=person(),
    )
    return dataclasses.replace(base, **changes)


def crossing(
    subject: Subject,
    *,
    point: str = "FBZ_CHANNEL_1",
    line: str = "first",
    direction: str = "inbound",
    at: dt.datetime = NOON,
    selection: SelectionState | None = None,
    event: str | None = None,
) -> CrossingFacts:
    return CrossingFacts(
        event_id=event or event_id(),
        crossing_point=point,
        line=line,
        direction=direction,
        occurred_at=at,
        subject=subject,
        selection=selection,
    )


def rules_of(*tables: dict[str, Any], profile: ZoneProfile | None = None) -> RuleSet:
    return load_rule_set(
        {
            "version": "test-1",
            "activates_at": "2026-11-01T00:00:00+08:00",
            "description": "rules for one test",
            "tables": list(tables),
        },
        profile=profile,
    )


def reason_text(code: str = "risk.test") -> dict[str, str]:
    return {"code": code, "en": "test", "zh-Hant": "測試", "zh-Hans": "测试"}


def decided(
    facts: CrossingFacts,
    *,
    profile: ZoneProfile | None = None,
    rules: RuleSet | None = None,
    seed: bytes = SEED,
) -> Decision:
    """Decide with the shipped rules and no random selection unless told otherwise."""
    return decide(
        facts,
        rules or shipped_rule_set(),
        profile or without_random_selection(hetao()),
        seed=seed,
    )


def codes(decision: Decision) -> list[str]:
    return [r.code for r in decision.reasons]


def reason_for(decision: Decision, code: str) -> Any:
    matches = [r for r in decision.reasons if r.code == code]
    assert matches, f"no reason {code}; got {codes(decision)}"
    return matches[0]
