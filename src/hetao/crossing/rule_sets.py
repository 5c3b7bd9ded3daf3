"""Rule sets: stored once per version, compiled once per content, the one in force found fast.

A stored rule set never changes: the same version with other content is a Conflict, and a
compiled rule set is cached by its content hash and the zone profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import CrossingTag
from hetao.crossing import repository
from hetao.crossing.models import RuleSet as StoredRuleSet
from hetao.crossing.repository import page_rule_sets
from hetao.engine.rules import RuleSet, load_rule_set, shipped_rule_set
from hetao.errors import Conflict, FieldProblem, NotFound
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow
from hetao.workflow import audit

_compiled: dict[tuple[str, str], RuleSet] = {}


def _compile(row: StoredRuleSet, profile: ZoneProfile) -> RuleSet:
    """A stored rule set compiled once per content and profile (stored ones never change)."""
    key = (row.sha256, profile.zone.code)
    rule_set = _compiled.get(key)
    if rule_set is None:
        rule_set = load_rule_set(row.content, profile=profile)
        _compiled[key] = rule_set
    return rule_set


def _store_rule_set(
    session: Session, rule_set: RuleSet, *, actor: Actor, now: dt.datetime
) -> tuple[StoredRuleSet, bool]:
    existing = repository.stored_rule_set(session, rule_set.version)
    if existing is not None:
        if existing.sha256 != rule_set.content_hash:
            raise Conflict(
                f"rule set {rule_set.version} is stored with other content; give it a new version",
                problems=[
                    FieldProblem("version", "rule_set.version_reused", "already used for others")
                ],
            )
        return existing, False
    row = StoredRuleSet(
        version=rule_set.version,
        activates_at=rule_set.activates_at,
        content=rule_set.source,
        sha256=rule_set.content_hash,
        created_by=str(actor),
        created_at=now,
    )
    try:
        with session.begin_nested():  # a concurrent first use may store the same version
            session.add(row)
            session.flush()
    except IntegrityError:
        return _store_rule_set(session, rule_set, actor=actor, now=now)
    audit(
        session,
        CrossingTag.RULE_SET_ADD,
        row.id,
        actor,
        version=row.version,
        activates_at=row.activates_at.isoformat(),
        sha256=row.sha256,
    )
    return row, True


def add_rule_set(
    session: Session,
    document: Mapping[str, Any],
    *,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime | None = None,
) -> tuple[StoredRuleSet, bool]:
    """Validate and store a rule set; the same version and content again returns the first."""
    rule_set = load_rule_set(document, profile=profile)
    return _store_rule_set(session, rule_set, actor=actor, now=now or utcnow())


def rule_set_by_version(session: Session, version: str, *, profile: ZoneProfile) -> RuleSet:
    """A stored rule set, compiled."""
    return _compile(get_rule_set(session, version), profile)


def rule_set_in_force(session: Session, *, at: dt.datetime, profile: ZoneProfile) -> RuleSet | None:
    """The stored rule set activated last at ``at`` (compiled), or None when none is."""
    # The id and hash only: the (large) content is read once per process, on a cache miss.
    found = repository.rule_set_in_force(session, at=at)
    if found is None:
        return None
    cached = _compiled.get((found.sha256, profile.zone.code))
    if cached is not None:
        return cached
    row = session.get(StoredRuleSet, found.id)
    return None if row is None else _compile(row, profile)


def active_rule_set(
    session: Session, *, at: dt.datetime, profile: ZoneProfile, actor: Actor
) -> RuleSet:
    """The rule set in force at ``at``; the shipped one, stored on first use, when none is."""
    in_force = rule_set_in_force(session, at=at, profile=profile)
    if in_force is not None:
        return in_force
    shipped = shipped_rule_set()
    _store_rule_set(session, shipped, actor=actor, now=utcnow())
    return shipped


def get_rule_set(session: Session, version: str) -> StoredRuleSet:
    """One stored rule set by version."""
    row = repository.stored_rule_set(session, version)
    if row is None:
        raise NotFound(f"rule set {version} does not exist")
    return row


__all__ = [
    "active_rule_set",
    "add_rule_set",
    "get_rule_set",
    "page_rule_sets",
    "rule_set_by_version",
    "rule_set_in_force",
]
