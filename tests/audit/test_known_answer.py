"""Known answers: the exact leaf hashes and chain links of two fixed events, written out in hex.

Every proof and checkpoint ever issued depends on these bytes: a change of the canonical form,
the leaf prefix or the chain formula must show up here, never pass as a refactoring.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from hetao.audit.chain import GENESIS, EventFacts, canonical_json, chain_link, event_leaf
from hetao.audit.merkle import root_from_leaf_hashes
from hetao.audit.models import AuditEvent, AuditHead
from hetao.audit.verify import StoredEvent, verify_database, verify_log

FIRST = EventFacts(
    seq=1,
    occurred_at=dt.datetime(2026, 11, 23, 8, 0, 0, 123456, tzinfo=dt.UTC),
    tag="registry:entry:suspend",
    subject_type="entry",
    subject_id="42",
    actor="user:demo-zone-reviewer",
    request_id="req-0001",
    data={"reason": "河套 inquiry", "before": "active", "items": [1, "two", None, True]},
)
# Given at UTC+8: the canonical form holds the instant in UTC, so the offset must not matter.
SECOND = EventFacts(
    seq=2,
    occurred_at=dt.datetime(2026, 11, 23, 16, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    tag="crossing:decision:make",
    subject_type="crossing",
    subject_id="7",
    actor="device:gate-3",
    request_id=None,
    data={},
)

# SHA-256(0x00 || canonical bytes), RFC 9162 2.1.1.
FIRST_LEAF = bytes.fromhex("b2b47cf7e9b08ae064d0e3d4534da5a24b019ddf025b0925f16ee410bf929be7")
SECOND_LEAF = bytes.fromhex("63b5b14b29fae727673a8bc97fc6189ca629427e9d314694413550bf2b394a87")
# SHA-256(previous chain hash || leaf), from 32 zero bytes.
FIRST_LINK = bytes.fromhex("7bf6abf2806162d31452d6fece67f584b048c973b31451a6c92b632c15312840")
SECOND_LINK = bytes.fromhex("bcfa8402fd0bdae1201c7d9e12a8dcbd1082296b1566513a1522eb13eccab65e")
# MTH of the two leaves: SHA-256(0x01 || first leaf || second leaf).
ROOT = bytes.fromhex("4ecd4f13e4f8f1747de179748ba94434aab5388dc5899861e66ebb64655415ca")


class TestKnownAnswers:
    def test_the_leaf_hash_of_each_fixed_event(self) -> None:
        assert event_leaf(FIRST).hex() == FIRST_LEAF.hex()
        assert event_leaf(SECOND).hex() == SECOND_LEAF.hex()

    def test_the_chain_links_from_the_genesis(self) -> None:
        assert bytes(32) == GENESIS
        assert chain_link(GENESIS, FIRST_LEAF).hex() == FIRST_LINK.hex()
        assert chain_link(FIRST_LINK, SECOND_LEAF).hex() == SECOND_LINK.hex()

    def test_the_merkle_root_of_the_two(self) -> None:
        assert root_from_leaf_hashes([FIRST_LEAF, SECOND_LEAF]).hex() == ROOT.hex()

    def test_the_verifier_accepts_exactly_these_hashes(self) -> None:
        events = [
            StoredEvent(facts=FIRST, leaf_hash=FIRST_LEAF, chain_hash=FIRST_LINK),
            StoredEvent(facts=SECOND, leaf_hash=SECOND_LEAF, chain_hash=SECOND_LINK),
        ]
        report = verify_log(events, [], None, head=(2, SECOND_LINK))
        assert report.ok, report.problem
        assert report.events == 2

    def test_rows_stored_with_these_hashes_verify_in_the_database(self, session: Session) -> None:
        """The verifier's own reading of the stored time and data gives the same bytes."""
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        session.execute(
            insert(AuditEvent),
            [
                {
                    "seq": facts.seq,
                    "occurred_at": facts.occurred_at,
                    "tag": facts.tag,
                    "subject_type": facts.subject_type,
                    "subject_id": facts.subject_id,
                    "actor": facts.actor,
                    "request_id": facts.request_id,
                    "data": facts.data,
                    "leaf_hash": leaf,
                    "chain_hash": link,
                }
                for facts, leaf, link in (
                    (FIRST, FIRST_LEAF, FIRST_LINK),
                    (SECOND, SECOND_LEAF, SECOND_LINK),
                )
            ],
        )
        session.execute(update(AuditHead).values(size=2, chain_hash=SECOND_LINK))
        report = verify_database(session, [], None)
        assert report.ok, report.problem
        assert report.events == 2

    def test_data_is_stored_in_the_canonical_spelling_hashed(self) -> None:
        assert canonical_json(FIRST.data) == (
            '{"before":"active","items":[1,"two",null,true],"reason":"河套 inquiry"}'
        )
