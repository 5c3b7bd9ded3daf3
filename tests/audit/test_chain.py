"""The canonical form of an event: fixed, and fast without changing a byte."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from hetao.audit.chain import EventFacts, canonical_bytes, canonical_document, format_instant

ALPHABET = 'aZ09 "\\/\n\t\x01é河套深港\u2028😀'


def text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 12)))


class TestCanonicalBytes:
    def test_equals_the_generic_sorted_json_of_the_canonical_document(self) -> None:
        rng = random.Random(9162)
        for seq in range(1, 2001):
            facts = EventFacts(
                seq=seq,
                occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
                + dt.timedelta(microseconds=rng.randrange(10**12)),
                tag=text(rng),
                subject_type=text(rng),
                subject_id=text(rng),
                actor=text(rng),
                request_id=None if rng.random() < 0.3 else text(rng),
                data={text(rng): [text(rng), rng.randrange(-(10**9), 10**9), None, True]},
            )
            generic = json.dumps(
                canonical_document(facts),
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
                allow_nan=False,
            ).encode("utf-8")
            assert canonical_bytes(facts) == generic

    def test_version_1_bytes_never_change(self) -> None:
        facts = EventFacts(
            seq=7,
            occurred_at=dt.datetime(2026, 2, 10, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
            tag="registry:entry:suspend",
            subject_type="entry",
            subject_id="42",
            actor="user:reviewer",
            request_id=None,
            data={"note": "河套"},
        )
        assert (
            canonical_bytes(facts)
            == (
                '{"actor":"user:reviewer","data":{"note":"河套"},'
                '"occurred_at":"2026-02-10T00:30:00.000000Z","request_id":null,"seq":7,'
                '"subject_id":"42","subject_type":"entry","tag":"registry:entry:suspend","v":1}'
            ).encode()
        )

    def test_refuses_a_naive_instant(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            format_instant(dt.datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test
