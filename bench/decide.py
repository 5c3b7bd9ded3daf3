"""In-process decision speed: our evaluator and zen-engine on the same tables, on one core.

A gate keeps its whitelist in memory: here a dict of 1,000,000 identity documents to
``PersonFacts``. Each request looks its traveller (or its consignment's party) up, builds the
facts and decides with the shipped rule set (about 50 rows) and the hetao profile. Printed
beside a floor measured in the same run: the same lookup and facts construction, no decision.
zen-engine runs the same tables over the same risk inputs (it has no whitelist gating or
selection, so it is compared with our table evaluation alone, and with the whole decision).

    .venv/bin/python bench/decide.py [--requests 20000] [--whitelist 1000000] [--zen 5000]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import os
import random
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

from hetao.engine.decision import decide
from hetao.engine.facts import (
    NOT_WHITELISTED,
    ConsignmentFacts,
    CrossingFacts,
    GoodsLine,
    PartyFacts,
    PersonFacts,
    WhitelistStanding,
)
from hetao.engine.rules import RiskInputs, RuleSet, evaluate, risk_inputs, shipped_rule_set
from hetao.profiles import ZoneProfile, load_profile

# The JDM translation of our tables is not shipped: it lives with the tests that compare them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from engine.jdm import ZenEvaluator, random_facts

START = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SEED = bytes(range(32))
POINTS = (("FBZ_CHANNEL_1", "first"), ("HUANGGANG", "first"), ("SL_PASSENGER", "second"))
HS = ("902790", "847130", "382200", "010619", "300212", "854231", "392690", "901210")


def pin_to_one_core() -> str:
    """Run on one core, as the goal is stated; say which."""
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity here)"


def build_whitelist(size: int) -> dict[str, PersonFacts]:
    """Document number -> the person's facts, as a gate cache holds them."""
    flows, lines = ("people", "goods"), ("first", "second")
    whitelist: dict[str, PersonFacts] = {}
    for n in range(size):
        standing = WhitelistStanding(
            entry_id=n + 1,
            status="active" if n % 50 else "suspended",
            valid_from=dt.date(2026, 1, 1),
            valid_until=dt.date(2027, 12, 31),
            flows=flows,
            lines=lines,
        )
        whitelist[f"H{n:08d}"] = PersonFacts(
            person_id=n + 1, residency="hong_kong", whitelist=standing
        )
    return whitelist


@dataclasses.dataclass(frozen=True, slots=True)
class Request:
    """What a gate device sends: an event id, a point, a time and a document or declaration."""

    event_id: str
    point: str
    line: str
    at: dt.datetime
    document: str
    goods: tuple[GoodsLine, ...] = ()


def requests(n: int, whitelist_size: int, rng: random.Random) -> list[Request]:
    out = []
    for i in range(n):
        point, line = rng.choice(POINTS)
        # 2% of documents are not on the whitelist at all; 30% of requests away from the
        # passenger channel carry goods.
        number = rng.randrange(whitelist_size) if rng.random() > 0.02 else whitelist_size + i
        lines: tuple[GoodsLine, ...] = ()
        if rng.random() < 0.3 and point != "SL_PASSENGER":
            lines = tuple(
                GoodsLine(
                    line_no=k,
                    hs_code=rng.choice(HS),
                    goods_kind="instruments",
                    origin=rng.choice(("DE", "US", "CN", "HK")),
                    value_cny=Decimal(rng.randrange(100, 3_000_000)),
                    quantity=Decimal(1),
                    unit="set",
                )
                for k in range(1, rng.randint(1, 3) + 1)
            )
        out.append(
            Request(
                event_id=f"gate-{i % 64}/{i:08d}",
                point=point,
                line=line,
                at=START + dt.timedelta(seconds=rng.randrange(7 * 86400)),
                document=f"H{number:08d}",
                goods=lines,
            )
        )
    return out


PARTY = PartyFacts(
    party_id=1,
    kind="csa_enterprise",
    status="active",
    credit_level="regular",
    whitelist=WhitelistStanding(
        entry_id=9,
        status="active",
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2028, 1, 1),
        flows=("people", "goods"),
        lines=("first", "second"),
        exemptions=("hand_carry_channel1",),
    ),
)


def facts_for(request: Request, whitelist: dict[str, PersonFacts]) -> CrossingFacts:
    """The gate's lookup and facts construction: the floor the decision is measured against."""
    person = whitelist.get(request.document) or PersonFacts(
        person_id=None, residency=None, whitelist=NOT_WHITELISTED
    )
    subject: PersonFacts | ConsignmentFacts = person
    if request.goods:
        subject = ConsignmentFacts(
            declaration_id=1,
            declaration_status="accepted",
            party=PARTY,
            lines=request.goods,
            hand_carried=request.point == "FBZ_CHANNEL_1",
            carrier=dataclasses.replace(person, designated_carrier=True),
        )
    return CrossingFacts(
        event_id=request.event_id,
        crossing_point=request.point,
        line=request.line,
        direction="inbound",
        occurred_at=request.at,
        subject=subject,
    )


@dataclasses.dataclass
class Timing:
    """Wall seconds, CPU seconds of this process, and per-item wall nanoseconds."""

    wall: float
    cpu: float
    latencies: list[int]


def timed(items: Sequence[object], work: Callable[[object], object]) -> Timing:
    """Time ``work`` over ``items``; the collector is paused as in a steady gate."""
    latencies: list[int] = []
    clock = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        cpu0, start = time.process_time(), clock()
        for item in items:
            t0 = clock()
            work(item)
            latencies.append(clock() - t0)
        wall, cpu = (clock() - start) / 1e9, time.process_time() - cpu0
    finally:
        gc.enable()
    return Timing(wall, cpu, latencies)


def pct(latencies: list[int], q: float) -> float:
    """Percentile in microseconds."""
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def line(label: str, t: Timing, floor: Timing | None = None) -> None:
    n = len(t.latencies)
    extra = f"   x{t.wall / floor.wall:5.1f} the floor" if floor else ""
    print(
        f"  {label:<46} {n / t.wall:>9,.0f}/s  ({n / t.cpu:>9,.0f}/CPU-s)"
        f"   p50 {pct(t.latencies, 0.50):>7.1f} us   p99 {pct(t.latencies, 0.99):>7.1f} us{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--whitelist", type=int, default=1_000_000)
    parser.add_argument("--zen", type=int, default=5_000, help="requests for zen (0: skip)")
    args = parser.parse_args()

    reference = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(
        f"decide: {pin_to_one_core()}; load average {os.getloadavg()[0]:.2f};"
        f" speed reference: sum(range(1000)) takes {reference:.1f} us on this machine"
    )
    profile = load_profile("hetao")
    rules = shipped_rule_set()
    t0 = time.perf_counter()
    whitelist = build_whitelist(args.whitelist)
    print(
        f"  whitelist of {len(whitelist):,} documents built in {time.perf_counter() - t0:.1f} s;"
        f" rule set {rules.version}: {len(rules.tables)} tables, {rules.row_count} rows"
    )
    rng = random.Random(2026)
    work = requests(args.requests, args.whitelist, rng)
    for request in work[:500]:  # warm caches (profile view, zone info, compiled tables)
        decide(facts_for(request, whitelist), rules, profile, seed=SEED)

    share = sum(1 for r in work if not r.goods) / len(work)
    print(
        f"\nin-process, {len(work):,} gate requests"
        f" ({share:.0%} people, {1 - share:.0%} consignments):"
    )
    floor = timed(work, lambda r: facts_for(r, whitelist))  # type: ignore[arg-type]
    line("floor: whitelist lookup + facts", floor)
    ours = timed(
        work,
        lambda r: decide(facts_for(r, whitelist), rules, profile, seed=SEED),  # type: ignore[arg-type]
    )
    line("ours: lookup + facts + decide", ours, floor)
    people = [r for r in work if not r.goods]
    people_floor = timed(people, lambda r: facts_for(r, whitelist))  # type: ignore[arg-type]
    people_ours = timed(
        people,
        lambda r: decide(facts_for(r, whitelist), rules, profile, seed=SEED),  # type: ignore[arg-type]
    )
    line(f"people only ({len(people):,}): lookup + facts + decide", people_ours, people_floor)
    met = len(work) / ours.wall >= 20_000 and pct(ours.latencies, 0.99) <= 1000
    print(f"  goal >= 20,000/s and p99 <= 1 ms (wall clock): {'met' if met else 'NOT met'}")

    if args.zen:
        compare_with_zen(args.zen, rules, profile)


def compare_with_zen(n: int, rules: RuleSet, profile: ZoneProfile) -> None:
    try:
        zen = ZenEvaluator(rules)
    except ImportError:
        print("\nzen-engine is not installed: pip install -e '.[dev]'")
        return
    rng = random.Random(7)
    facts = [random_facts(rng, profile, index=i) for i in range(n)]
    inputs: list[RiskInputs] = [risk_inputs(f, profile.zone.timezone) for f in facts]
    contexts = sum(len(i.goods) + len(i.crossing) for i in inputs)
    print(
        f"\nrisk tables only, {n:,} generated crossings ({contexts:,} table inputs),"
        " same tables, same inputs:"
    )
    ours = timed(inputs, lambda i: evaluate(rules, i))  # type: ignore[arg-type]
    line("ours: compiled decision tables", ours)
    engine_seconds: list[float] = []
    theirs = timed(inputs, lambda i: engine_seconds.append(zen.timed_hits(i)[1]))  # type: ignore[arg-type]
    line("zen-engine 2.1 (JDM, one node per table)", theirs)
    core = sum(engine_seconds)
    print(
        f"  {'zen core time as zen reports it':<46} {n / core:>9,.0f}/s"
        f"   ({core / theirs.wall:.0%} of zen's wall time; the rest is the Python binding per call)"
    )
    whole = timed(facts, lambda f: decide(f, rules, profile, seed=SEED))  # type: ignore[arg-type]
    line("ours: whole decision (gating + tables + draw)", whole)
    per_crossing = statistics.median(len(i.goods) + len(i.crossing) for i in inputs)
    print(
        f"  zen / ours, tables: x{theirs.cpu / ours.cpu:.1f} CPU"
        f" (x{core / ours.wall:.1f} counting zen's core time only);"
        f" zen tables / our whole decision: x{theirs.cpu / whole.cpu:.1f} CPU;"
        f" median table inputs per crossing {per_crossing:.0f}"
    )


if __name__ == "__main__":
    main()
