"""The dedicated channel log: batches checked against the approval, refused ones kept too."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datatransfer.support import TODAY, active, batch, draft, exporter, tags_of
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.datatransfer import channel
from hetao.datatransfer.models import BatchStatus, ChannelBatch
from hetao.datatransfer.routing import Route
from hetao.datatransfer.schemas import BatchOut
from hetao.errors import Conflict
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.registry.models import WhitelistEntry

LATER = TODAY + dt.timedelta(days=10)


def codes(row: ChannelBatch) -> list[str]:
    return [r["code"] for r in row.reasons]


def batches(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ChannelBatch)) or 0


class TestScope:
    def test_a_batch_within_the_approval_is_recorded_and_audited(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        row, created = channel.record_batch(
            session, application, batch(), profile=profile, actor=actor, today=LATER
        )
        assert created
        assert (row.status, row.reasons) == (BatchStatus.RECORDED, [])
        assert tags_of(session, "channel_batch", row.id) == ["data:batch:record"]

    def test_a_category_outside_the_approved_scope_is_refused_stored_and_audited(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        row, created = channel.record_batch(
            session,
            application,
            batch(record_counts={"genomic_sequences": 10, "financial_records": 5}),
            profile=profile,
            actor=actor,
            today=LATER,
        )
        assert created
        assert row.status is BatchStatus.REFUSED
        assert codes(row) == ["category_outside_scope"]
        assert row.reasons[0]["params"] == {
            "outside": "financial_records",
            "approved": ", ".join(application.data_categories),
        }
        assert "financial_records" in row.reasons[0]["text"]["en"]
        assert "financial_records" in row.reasons[0]["text"]["zh-Hans"]
        assert tags_of(session, "channel_batch", row.id) == ["data:batch:refuse"]
        event = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "channel_batch", AuditEvent.subject_id == str(row.id)
            )
        ).one()
        assert event.data["reasons"] == ["category_outside_scope"]

    def test_a_destination_other_than_the_approved_recipient_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        other_place, _ = channel.record_batch(
            session, application, batch(recipient_region="MO"), profile=profile, actor=actor,
            today=LATER,
        )  # fmt: skip
        other_name, _ = channel.record_batch(
            session, application, batch(recipient_name="Another University"), profile=profile,
            actor=actor, today=LATER,
        )  # fmt: skip
        same_name, _ = channel.record_batch(
            session, application, batch(recipient_name="  university of  Hong Kong "),
            profile=profile, actor=actor, today=LATER,
        )  # fmt: skip
        assert codes(other_place) == codes(other_name) == ["destination_not_approved"]
        assert same_name.status is BatchStatus.RECORDED

    def test_an_approval_not_yet_active_or_ended_refuses_every_batch(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        pending = draft(session, actor, profile, party)
        row, _ = channel.record_batch(
            session, pending, batch(), profile=profile, actor=actor, today=LATER
        )
        assert codes(row) == ["approval_not_in_force"]
        application = active(session, actor, profile, party)
        assert application.valid_until is not None
        after = application.valid_until + dt.timedelta(days=1)
        row, _ = channel.record_batch(
            session, application, batch(), profile=profile, actor=actor, today=after
        )
        assert codes(row)[0] == "approval_expired"  # (the whitelist entry has ended too)

    def test_r17_an_exporter_whose_whitelist_entry_was_suspended_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        application = active(session, actor, profile, party)
        entry = session.scalars(
            select(WhitelistEntry).where(WhitelistEntry.party_id == party.id)
        ).one()
        registry.suspend(session, entry, note="inquiry", actor=actor)
        row, _ = channel.record_batch(
            session, application, batch(), profile=profile, actor=actor, today=LATER
        )
        assert codes(row) == ["R17.exporter_not_whitelisted"]

    def test_a_refusal_stored_as_code_and_message_reads_in_the_shared_shape(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        row, _ = channel.record_batch(
            session, draft(session, actor, profile, party), batch(), profile=profile, actor=actor,
            today=LATER,
        )  # fmt: skip
        assert BatchOut.model_validate(row).reasons[0].rule is None
        row.reasons = [{"code": "R17.exporter_not_whitelisted", "message": "not whitelisted"}]
        session.flush()
        session.expire(row)
        (reason,) = BatchOut.model_validate(row).reasons
        assert (reason.code, reason.rule, reason.params) == (
            "R17.exporter_not_whitelisted",
            "R17",
            {},
        )
        assert reason.text == dict.fromkeys(("en", "zh-Hant", "zh-Hans"), "not whitelisted")


class TestVolume:
    def test_cumulative_batches_beyond_the_approved_volume_are_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        assert application.personal_info_subjects == 150_000

        def post(persons: int) -> ChannelBatch:
            row, _ = channel.record_batch(
                session, application, batch(personal_info_subjects=persons), profile=profile,
                actor=actor, today=LATER,
            )  # fmt: skip
            return row

        assert post(100_000).status is BatchStatus.RECORDED
        too_many = post(50_001)
        assert codes(too_many) == ["volume_exceeded"]
        # A refused batch does not use up the volume: exactly the rest still passes.
        assert post(50_000).status is BatchStatus.RECORDED
        assert codes(post(1)) == ["volume_exceeded"]

    def test_sensitive_information_beyond_an_approval_without_it_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        row, _ = channel.record_batch(
            session, application, batch(sensitive_personal_info_subjects=1), profile=profile,
            actor=actor, today=LATER,
        )  # fmt: skip
        assert codes(row) == ["volume_exceeded"]

    def test_r33_a_batch_that_would_take_the_exporter_s_year_to_one_million_is_refused(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        # Contract first: routed later, its 150,000 would join the 2,000,000 and need an SA.
        contract = active(session, actor, profile, party)
        assessed = active(session, actor, profile, party, personal_info_subjects=2_000_000)
        assert (contract.route, assessed.route) == (
            Route.GBA_STANDARD_CONTRACT,
            Route.SECURITY_ASSESSMENT,
        )
        big, _ = channel.record_batch(
            session, assessed, batch(personal_info_subjects=950_000), profile=profile,
            actor=actor, today=LATER,
        )  # fmt: skip
        assert big.status is BatchStatus.RECORDED
        over, _ = channel.record_batch(
            session, contract, batch(personal_info_subjects=50_000), profile=profile, actor=actor,
            today=LATER,
        )  # fmt: skip
        assert codes(over) == ["R33.threshold_crossed"]
        under, _ = channel.record_batch(
            session, contract, batch(personal_info_subjects=49_999), profile=profile, actor=actor,
            today=LATER,
        )  # fmt: skip
        assert under.status is BatchStatus.RECORDED
        # The security-assessed approval itself is not held back by R33's thresholds.
        more, _ = channel.record_batch(
            session, assessed, batch(personal_info_subjects=100_000), profile=profile,
            actor=actor, today=LATER,
        )  # fmt: skip
        assert more.status is BatchStatus.RECORDED

    def test_r33_last_year_s_batches_do_not_count(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        contract = active(session, actor, profile, party)
        assessed = active(
            session, actor, profile, party, personal_info_subjects=2_000_000,
            valid_from=dt.date(2025, 6, 1),
        )  # fmt: skip
        channel.record_batch(
            session, assessed, batch(personal_info_subjects=990_000), profile=profile,
            actor=actor, today=dt.date(2025, 12, 31),
        )  # fmt: skip
        row, _ = channel.record_batch(
            session, contract, batch(personal_info_subjects=100_000), profile=profile,
            actor=actor, today=LATER,
        )  # fmt: skip
        assert row.status is BatchStatus.RECORDED


class TestRetries:
    def test_the_same_batch_id_and_content_returns_the_first_record_and_writes_nothing(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        sent = batch(personal_info_subjects=140_000)
        first, created = channel.record_batch(
            session, application, sent, profile=profile, actor=actor, today=LATER
        )
        assert created
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        count = batches(session)
        again, created_again = channel.record_batch(
            session, application, sent, profile=profile, actor=actor, today=LATER
        )
        assert (again.id, created_again) == (first.id, False)
        assert again.status is BatchStatus.RECORDED  # not refused as a second 140,000
        assert batches(session) == count
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events

    def test_a_retried_refused_batch_returns_its_refusal(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        sent = batch(record_counts={"payroll": 3})
        first, _ = channel.record_batch(
            session, application, sent, profile=profile, actor=actor, today=LATER
        )
        again, created = channel.record_batch(
            session, application, sent, profile=profile, actor=actor, today=LATER
        )
        assert (again.id, created, again.status) == (first.id, False, BatchStatus.REFUSED)

    def test_the_same_batch_id_with_other_content_is_a_conflict(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        sent = batch()
        channel.record_batch(session, application, sent, profile=profile, actor=actor, today=LATER)
        changed = sent.model_copy(update={"size_bytes": sent.size_bytes + 1})
        with pytest.raises(Conflict) as caught:
            channel.record_batch(
                session, application, changed, profile=profile, actor=actor, today=LATER
            )
        assert caught.value.problems[0].rule == "data.batch_id_reused"

    def test_the_same_batch_id_under_another_approval_is_another_batch(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        one, two = active(session, actor, profile, party), active(session, actor, profile, party)
        sent = batch(personal_info_subjects=10)
        a, _ = channel.record_batch(session, one, sent, profile=profile, actor=actor, today=LATER)
        b, _ = channel.record_batch(session, two, sent, profile=profile, actor=actor, today=LATER)
        assert a.id != b.id


class TestDigest:
    def test_the_digest_is_stored_lower_case_and_nothing_of_the_data(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(session, actor, profile, exporter(session, actor, profile))
        row, _ = channel.record_batch(
            session, application, batch(digest="AB" * 32), profile=profile, actor=actor,
            today=LATER,
        )  # fmt: skip
        assert row.digest == "ab" * 32
        stored = {c.name for c in ChannelBatch.__table__.columns}
        assert not stored & {"data", "payload", "content", "records"}
