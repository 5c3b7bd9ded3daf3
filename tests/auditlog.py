"""A generated audit log, built with the platform's own chain rules, for tampering tests."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.orm import Session

from hetao.audit.chain import GENESIS, EventFacts, chain_link, event_leaf, format_instant
from hetao.audit.checkpoints import SignedCheckpoint, Signer
from hetao.audit.merkle import CompactRange
from hetao.audit.verify import StoredEvent

START = dt.datetime(2026, 2, 10, 0, 0, tzinfo=dt.UTC)
TAGS = ("registry:entry:suspend", "registry:application:approve", "crossing:decision:make")


def facts(seq: int, rng: random.Random) -> EventFacts:
    return EventFacts(
        seq=seq,
        occurred_at=START + dt.timedelta(seconds=seq * 7, microseconds=rng.randrange(10**6)),
        tag=rng.choice(TAGS),
        subject_type="entry",
        subject_id=str(rng.randrange(1, 5000)),
        actor=f"user:officer{rng.randrange(1, 40)}",
        request_id=f"{rng.getrandbits(64):016x}",
        data={"note": f"reason {rng.randrange(1000)}", "before": "active", "n": seq},
    )


def chain(all_facts: list[EventFacts]) -> list[StoredEvent]:
    """Store events as the platform would: leaf and chain hashes computed in order."""
    previous, out = GENESIS, []
    for f in all_facts:
        leaf = event_leaf(f)
        previous = chain_link(previous, leaf)
        out.append(StoredEvent(facts=f, leaf_hash=leaf, chain_hash=previous))
    return out


def renumber(events: list[StoredEvent]) -> list[StoredEvent]:
    """What a careful forger does after editing: renumber and rehash everything."""
    return chain([replace(e.facts, seq=i) for i, e in enumerate(events, start=1)])


def checkpoints(events: list[StoredEvent], signer: Signer, every: int) -> list[SignedCheckpoint]:
    frontier, out = CompactRange(), []
    for event in events:
        frontier.append(event.leaf_hash)
        if event.facts.seq % every == 0:
            out.append(
                signer.sign(
                    log_id="hetao",
                    tree_size=event.facts.seq,
                    root_hash=frontier.root(),
                    chain_hash=event.chain_hash,
                    issued_at=format_instant(event.facts.occurred_at),
                )
            )
    return out


def generated_log(
    size: int, *, every: int, seed: int = 1
) -> tuple[list[StoredEvent], list[SignedCheckpoint], Signer]:
    rng = random.Random(seed)
    signer = Signer(Ed25519PrivateKey.generate())
    events = chain([facts(seq, rng) for seq in range(1, size + 1)])
    return events, checkpoints(events, signer, every), signer


def disable_guards(session: Session) -> None:
    """What an intruder with the owner's rights does first (rolled back with a test's session)."""
    if session.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            session.execute(text(f"DROP TRIGGER audit_events_no_{verb}"))
    else:
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
