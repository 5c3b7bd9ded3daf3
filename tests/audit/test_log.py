"""The audit log in the database: chained on write, checkpointed, append-only, verifiable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from auditlog import disable_guards
from hetao.audit.checkpoints import CheckpointStore, Signer
from hetao.audit.models import AuditEvent
from hetao.audit.proofs import check_consistency, check_inclusion_document, inclusion_document
from hetao.audit.service import (
    SYSTEM,
    CheckpointPolicy,
    checkpoint_now,
    enable_checkpoints,
    record_event,
)
from hetao.audit.verify import (
    consistency_between,
    prove_inclusion,
    verify_database,
)
from hetao.storage.engine import session_factory, unit_of_work

EVERY = 5


def write_events(session: Session, count: int, *, start: int = 0) -> None:
    for i in range(start, start + count):
        record_event(
            session,
            "registry:entry:suspend",
            subject_type="entry",
            subject_id=i,
            actor=SYSTEM,
            data={"note": f"inquiry {i}", "items": [1, "two", None, True]},
        )


@pytest.fixture
def policy(tmp_path: Path) -> CheckpointPolicy:
    return CheckpointPolicy(
        log_id="hetao",
        every_events=EVERY,
        every_seconds=3600,
        signer=Signer.load_or_create(tmp_path / "key.pem"),
        store=CheckpointStore(tmp_path / "checkpoints"),
    )


@pytest.fixture
def factory(committing_engine: Engine, policy: CheckpointPolicy) -> sessionmaker[Session]:
    made = session_factory(committing_engine)
    enable_checkpoints(made, policy)
    return made


class TestRecordEvent:
    def test_numbers_events_without_gaps_and_the_chain_verifies(self, session: Session) -> None:
        write_events(session, 12)
        session.flush()
        seqs = list(session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        assert seqs == list(range(seqs[0], seqs[0] + 12))
        report = verify_database(session, [], None)
        assert report.ok, report.problem

    def test_refuses_data_whose_json_form_is_not_stable(self, session: Session) -> None:
        with pytest.raises(TypeError, match=r"data\.amount"):
            record_event(
                session,
                "ledger:lot:adjust",
                subject_type="lot",
                subject_id=1,
                actor=SYSTEM,
                data={"amount": 0.1},
            )

    def test_refuses_a_tag_that_is_not_source_subject_action(self, session: Session) -> None:
        with pytest.raises(ValueError, match="source:subject:action"):
            record_event(session, "registry:approve", subject_type="x", subject_id=1, actor=SYSTEM)


class TestAppendOnly:
    def test_the_database_refuses_to_update_an_audit_event(self, session: Session) -> None:
        write_events(session, 1)
        session.flush()
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text("UPDATE audit_events SET actor = 'user:x'"))

    def test_the_database_refuses_to_delete_an_audit_event(self, session: Session) -> None:
        write_events(session, 1)
        session.flush()
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(text("DELETE FROM audit_events"))

    def test_the_application_role_cannot_update_or_delete_audit_rows(
        self, session: Session
    ) -> None:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("database roles and grants exist on PostgreSQL only")
        write_events(session, 1)
        session.flush()
        session.execute(text("SET LOCAL ROLE hetao_app"))
        assert (session.scalar(select(func.count()).select_from(AuditEvent)) or 0) >= 1
        for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
                session.execute(text(statement))
        with session.begin_nested():  # it may still append
            write_events(session, 1)
            session.flush()
        session.execute(text("RESET ROLE"))

    def test_verify_names_the_first_event_altered_behind_the_guards(self, session: Session) -> None:
        write_events(session, 8)
        session.flush()
        first = session.scalar(select(func.min(AuditEvent.seq)))
        assert first is not None
        disable_guards(session)
        session.execute(
            text("UPDATE audit_events SET subject_id = '999' WHERE seq = :seq"),
            {"seq": first + 3},
        )
        session.expire_all()
        report = verify_database(session, [], None)
        assert not report.ok
        assert report.first_bad_seq == first + 3


class TestCheckpoints:
    def test_signs_and_exports_a_checkpoint_every_n_events_after_commit(
        self, factory: sessionmaker[Session], policy: CheckpointPolicy
    ) -> None:
        with unit_of_work(factory) as session:
            write_events(session, EVERY * 2 + 1)
        exported = policy.store.load()
        # The first event starts the clock (no checkpoint yet), then one every EVERY events.
        assert [c.tree_size for c in exported] == [1, 1 + EVERY, 1 + 2 * EVERY]
        assert all(c.verify(policy.signer.public_key) for c in exported)
        with factory() as session:
            assert verify_database(session, exported, policy.signer.public_key).ok

    def test_a_rolled_back_transaction_exports_nothing(
        self, factory: sessionmaker[Session], policy: CheckpointPolicy
    ) -> None:
        with pytest.raises(RuntimeError), unit_of_work(factory) as session:
            write_events(session, EVERY * 2)
            raise RuntimeError("the change failed")
        assert policy.store.load() == []

    def test_a_log_truncated_below_an_exported_checkpoint_fails_verification(
        self, factory: sessionmaker[Session], policy: CheckpointPolicy
    ) -> None:
        with unit_of_work(factory) as session:
            write_events(session, EVERY * 3)
        with factory() as session:
            disable_guards(session)
            session.execute(text("DELETE FROM audit_events WHERE seq > 7"))
            session.execute(text("UPDATE audit_head SET size = 7"))
            report = verify_database(session, policy.store.load(), policy.signer.public_key)
            session.rollback()
        assert not report.ok
        assert "events were removed" in (report.problem or "")

    def test_checkpoint_now_covers_the_tail(
        self, factory: sessionmaker[Session], policy: CheckpointPolicy
    ) -> None:
        with unit_of_work(factory) as session:
            write_events(session, 3)
        with unit_of_work(factory) as session:
            signed = checkpoint_now(session, policy)
        assert signed is not None
        assert signed.tree_size == 3
        with unit_of_work(factory) as session:
            assert checkpoint_now(session, policy) is None


class TestProofs:
    @pytest.fixture
    def logged(self, factory: sessionmaker[Session]) -> Iterator[Session]:
        with unit_of_work(factory) as session:
            write_events(session, 23)
        with factory() as session:
            yield session

    def test_an_inclusion_proof_checks_offline_with_the_public_key(
        self, logged: Session, policy: CheckpointPolicy
    ) -> None:
        checkpoints = policy.store.load()
        for seq in (1, 2, 6, 11, 17, 21):
            document = inclusion_document(prove_inclusion(logged, seq=seq, checkpoints=checkpoints))
            # Round trip through JSON: the auditor receives text.
            verdict = check_inclusion_document(
                json.loads(json.dumps(document)), policy.signer.public_key
            )
            assert verdict.ok, verdict.checks

    def test_a_proof_of_an_altered_event_fails(
        self, logged: Session, policy: CheckpointPolicy
    ) -> None:
        document = inclusion_document(
            prove_inclusion(logged, seq=4, checkpoints=policy.store.load())
        )
        document["canonical_event"] = document["canonical_event"].replace("inquiry", "enquiry")
        document["event"] = json.loads(document["canonical_event"])
        verdict = check_inclusion_document(document, policy.signer.public_key)
        assert not verdict.ok
        assert ("the audit path leads from the event to the signed root", False) in verdict.checks

    def test_consistency_proofs_link_every_pair_of_checkpoints(
        self, logged: Session, policy: CheckpointPolicy
    ) -> None:
        checkpoints = policy.store.load()
        assert len(checkpoints) >= 3
        for old in checkpoints:
            for new in checkpoints:
                if old.tree_size < new.tree_size:
                    proof = consistency_between(
                        logged, old_size=old.tree_size, new_size=new.tree_size
                    )
                    verdict = check_consistency(old, new, proof, policy.signer.public_key)
                    assert verdict.ok, (old.tree_size, new.tree_size, verdict.checks)
