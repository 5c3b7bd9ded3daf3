"""1,000+ random tamperings of a generated audit log: every one is detected."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from auditlog import chain, generated_log, renumber
from hetao.audit.chain import GENESIS
from hetao.audit.checkpoints import SignedCheckpoint, Signer
from hetao.audit.verify import StoredEvent, verify_log

Log = tuple[list[StoredEvent], list[SignedCheckpoint], Signer]

SIZE = 240
EVERY = 40  # checkpoints at 40, 80, ..., 240: the whole log is covered
TAMPERINGS_PER_KIND = 220  # x 5 kinds = 1,100

Mutation = Callable[[list[StoredEvent], random.Random], tuple[list[StoredEvent], int]]


def _flip_char(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    replacement = chr(ord(text[i]) ^ (1 << rng.randrange(5)))
    return text[:i] + replacement + text[i + 1 :]


def changed_byte(events: list[StoredEvent], rng: random.Random) -> tuple[list[StoredEvent], int]:
    """One field of one event altered; half the time the forger also rehashes everything."""
    i = rng.randrange(len(events))
    target = events[i]
    field = rng.choice(["tag", "subject_id", "actor", "request_id", "data", "leaf", "chain"])
    if field == "leaf":
        altered = replace(target, leaf_hash=bytes([target.leaf_hash[0] ^ 1]) + target.leaf_hash[1:])
    elif field == "chain":
        altered = replace(
            target, chain_hash=bytes([target.chain_hash[5] ^ 8]) + target.chain_hash[1:]
        )
    elif field == "data":
        data = dict(target.facts.data)
        data["note"] = _flip_char(str(data["note"]), rng)
        altered = replace(target, facts=replace(target.facts, data=data))
    else:
        value: str = getattr(target.facts, field)
        changes: dict[str, Any] = {field: _flip_char(value, rng)}
        altered = replace(target, facts=replace(target.facts, **changes))
    out = [*events[:i], altered, *events[i + 1 :]]
    if field not in ("leaf", "chain") and rng.random() < 0.5:
        out = chain([e.facts for e in out])
    return out, i + 1


def deleted_event(events: list[StoredEvent], rng: random.Random) -> tuple[list[StoredEvent], int]:
    i = rng.randrange(len(events))
    out = [*events[:i], *events[i + 1 :]]
    return (renumber(out) if rng.random() < 0.5 else out), i + 1


def inserted_event(events: list[StoredEvent], rng: random.Random) -> tuple[list[StoredEvent], int]:
    i = rng.randrange(len(events))
    forged = replace(events[i].facts, actor="user:intruder", data={"note": "nothing happened"})
    out = [*events[:i], chain([forged])[0], *events[i:]]
    return (renumber(out) if rng.random() < 0.5 else out), i + 1


def swapped_order(events: list[StoredEvent], rng: random.Random) -> tuple[list[StoredEvent], int]:
    i, j = sorted(rng.sample(range(len(events)), 2))
    out = list(events)
    out[i], out[j] = out[j], out[i]
    return (renumber(out) if rng.random() < 0.5 else out), i + 1


def truncated_tail(events: list[StoredEvent], rng: random.Random) -> tuple[list[StoredEvent], int]:
    """Events cut from the end: fewer remain than the last exported checkpoint covers."""
    keep = rng.randrange(0, len(events))
    return events[:keep], keep + 1


MUTATIONS: list[Mutation] = [
    changed_byte,
    deleted_event,
    inserted_event,
    swapped_order,
    truncated_tail,
]


@pytest.fixture(scope="module")
def log() -> Log:
    return generated_log(SIZE, every=EVERY)


class TestVerifyLog:
    def test_a_clean_log_verifies(self, log: Log) -> None:
        events, checkpoints, signer = log
        report = verify_log(
            events, checkpoints, signer.public_key, head=(SIZE, events[-1].chain_hash)
        )
        assert report.ok, report.problem
        assert (report.events, report.checkpoints) == (SIZE, SIZE // EVERY)

    @pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__)
    def test_every_random_tampering_is_detected_and_the_first_bad_event_named(
        self,
        log: Log,
        mutation: Mutation,
    ) -> None:
        events, checkpoints, signer = log
        rng = random.Random(f"{mutation.__name__}-2026")
        for attempt in range(TAMPERINGS_PER_KIND):
            tampered, first_changed = mutation(events, rng)
            # The forger also rewrites the head to match the tampered log.
            head = (len(tampered), tampered[-1].chain_hash if tampered else GENESIS)
            report = verify_log(tampered, checkpoints, signer.public_key, head=head)
            assert not report.ok, f"{mutation.__name__} #{attempt} went undetected"
            assert report.first_bad_seq is not None
            # Named exactly, or, when every later hash was rewritten, bounded by the checkpoint
            # interval that no longer matches.
            assert report.first_bad_seq <= first_changed, (mutation.__name__, attempt, report)
            assert first_changed - report.first_bad_seq < EVERY, (mutation.__name__, report)

    def test_naive_tampering_is_named_at_the_exact_event(self, log: Log) -> None:
        events, checkpoints, signer = log
        for i in (0, 17, 139, SIZE - 1):
            target = events[i]
            altered = replace(target, facts=replace(target.facts, actor="user:someone-else"))
            tampered = [*events[:i], altered, *events[i + 1 :]]
            report = verify_log(tampered, checkpoints, signer.public_key)
            assert report.first_bad_seq == i + 1

    def test_a_checkpoint_signed_by_another_key_is_refused(self, log: Log) -> None:
        events, checkpoints, _ = log
        _, _, other = generated_log(10, every=5, seed=2)
        report = verify_log(events, checkpoints, other.public_key)
        assert not report.ok
        assert "signature" in (report.problem or "")

    def test_counts_at_least_a_thousand_tamperings(self) -> None:
        assert len(MUTATIONS) * TAMPERINGS_PER_KIND >= 1000
