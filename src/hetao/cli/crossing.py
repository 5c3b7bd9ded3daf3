"""`hetao decide` and `hetao rules ...`: crossing decisions and the risk rule sets behind them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from hetao.cli.runner import (
    actor,
    bad_input,
    day_option,
    platform,
    print_json,
    read_json,
    settings,
    transaction,
    translated_errors,
    zone_profile,
)

rules_app = typer.Typer(help="Risk rule sets of crossing decisions.", no_args_is_help=True)


def decide_command(
    file: Annotated[Path, typer.Argument(help="An event payload, or a stored decision's facts.")],
    rules: Annotated[
        Path | None, typer.Option(help="Rule set file (default: the one in force).")
    ] = None,
    seed: Annotated[
        str | None, typer.Option(help="Seed of the draw, hex (a stored decision's `seed`).")
    ] = None,
) -> None:
    """Decide one crossing and print the decision as JSON; writes nothing.

    FILE is either an event payload as a gate posts it (its facts are read from the current
    database) or a stored decision's facts, the `inputs` of GET /crossings/{id}, recognised by
    their `line` key (decided from the file alone). The rules are --rules, else the rule set in
    force at the event's time (the shipped one if none is stored). The draw uses --seed, else the
    seed a recording by the device "cli" would get.
    """
    from hetao.crossing import intake, rule_sets
    from hetao.crossing import service as crossing
    from hetao.engine.decision import decision_to_json
    from hetao.engine.facts import facts_from_json
    from hetao.engine.rules import load_rule_set, shipped_rule_set

    document = read_json(file)
    try:
        seed_bytes = bytes.fromhex(seed) if seed is not None else None
    except ValueError:
        bad_input("--seed must be hexadecimal, e.g. a stored decision's seed")
    configured = platform()
    with translated_errors():
        candidate = load_rule_set(rules, profile=configured.profile) if rules is not None else None
        is_facts = isinstance(document, dict) and "line" in document
        if is_facts:
            facts = facts_from_json(document)
            event_id = facts.event_id
        else:
            payload = intake.parse_event(document)
            event_id = payload.event_id
    if seed_bytes is None:
        key = intake.load_seed_key(configured.settings.resolve(intake.SEED_KEY_FILE))
        seed_bytes = intake.seed_for(key, device_key="cli", event_id=event_id)

    with transaction(configured) as (session, profile):
        if is_facts:
            rule_set = candidate or rule_sets.rule_set_in_force(
                session, at=facts.occurred_at, profile=profile
            )
            decision = crossing.decide_facts(
                document,
                rule_set=rule_set or shipped_rule_set(),
                profile=profile,
                seed=seed_bytes,
            )
        else:
            decision = crossing.decide_payload(
                session,
                payload,
                profile=profile,
                seed=seed_bytes,
                rules=candidate,
                credentials=intake.check_credential,
            )
        decided = decision_to_json(decision)
    print_json(decided)


@rules_app.command("check")
def rules_check(file: Annotated[Path, typer.Argument(help="Rule set (JSON).")]) -> None:
    """Validate a rule set; exit 2 naming the table, row and column of each problem."""
    from hetao.engine.rules import load_rule_set

    profile = zone_profile(settings())
    with translated_errors():
        rule_set = load_rule_set(file, profile=profile)
    print_json(
        {
            "version": rule_set.version,
            "activates_at": rule_set.activates_at.isoformat(),
            "sha256": rule_set.content_hash,
            "tables": len(rule_set.tables),
            "rows": sum(len(table.rows) for table in rule_set.tables),
        }
    )


@rules_app.command("add")
def rules_add(file: Annotated[Path, typer.Argument(help="Rule set (JSON).")]) -> None:
    """Store a rule set; it decides crossings from its activation time (same file again: no-op)."""
    from hetao.crossing import rule_sets

    document = read_json(file)
    operator = actor()

    with transaction() as (session, profile):
        row, created = rule_sets.add_rule_set(session, document, profile=profile, actor=operator)
        added = {
            "version": row.version,
            "activates_at": row.activates_at.isoformat(),
            "sha256": row.sha256,
            "created": created,
        }
    print_json(added)


@rules_app.command("backtest")
def rules_backtest(
    rules: Annotated[Path, typer.Option(help="Candidate rule set (JSON).")],
    since: Annotated[str, typer.Option(help="First day (YYYY-MM-DD), at the zone.")],
) -> None:
    """Replay recorded crossings since DATE with the candidate rules; print what changes.

    Per lane and per rule: decisions before and after, how many change, and the hit rate
    against recorded inspection results (null where nothing flagged was inspected).
    """
    from zoneinfo import ZoneInfo

    from hetao.crossing.backtest import backtest
    from hetao.engine.rules import load_rule_set

    first_day = day_option("--since", since)
    configured = platform()
    with translated_errors():
        candidate = load_rule_set(rules, profile=configured.profile)
    zone = ZoneInfo(configured.profile.zone.timezone)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    with transaction(configured) as (session, profile):
        replayed = backtest(session, candidate, since=start, profile=profile).to_json()
    print_json(replayed)
