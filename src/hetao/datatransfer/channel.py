"""The dedicated channel log: each batch checked against its approval, recorded or refused.

The channel posts a batch before releasing it. A refused batch is stored and audited like a
recorded one (it is a record, not an error) and must not be sent; the reasons say why. Refusing
rather than flagging is deliberate: a flag raised after the data left protects nobody
(docs/decisions/0005-data-transfer-routing.md). Nothing of the data itself is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hetao.audit.service import Actor, record_event
from hetao.datatransfer import repository as repo
from hetao.datatransfer.models import (
    LIVE_STATUSES,
    BatchStatus,
    ChannelBatch,
    DataTransferApplication,
)
from hetao.datatransfer.routing import Route
from hetao.datatransfer.schemas import BatchIn
from hetao.errors import Conflict, FieldProblem
from hetao.profiles import ZoneProfile
from hetao.timeutil import zone_today


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a batch may not leave."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def content_hash(data: BatchIn) -> str:
    """SHA-256 of the batch as posted, canonical JSON: a retry must hash the same."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _normal_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _approval_refusals(application: DataTransferApplication, today: dt.date) -> list[Refusal]:
    if application.status not in LIVE_STATUSES:
        return [
            Refusal(
                "approval_not_in_force",
                f"application {application.id} is {application.status}, not in force",
            )
        ]
    if application.valid_until is not None and today > application.valid_until:
        return [Refusal("approval_expired", f"the approval ended on {application.valid_until}")]
    if application.valid_from is not None and today < application.valid_from:
        return [
            Refusal("approval_not_yet_valid", f"the approval starts on {application.valid_from}")
        ]
    return []


def _scope_refusals(application: DataTransferApplication, data: BatchIn) -> list[Refusal]:
    refusals = []
    outside = sorted(set(data.record_counts) - set(application.data_categories))
    if outside:
        refusals.append(
            Refusal(
                "category_outside_scope",
                f"categories not in the approval: {', '.join(outside)}"
                f" (approved: {', '.join(application.data_categories)})",
            )
        )
    same_region = data.recipient_region == application.recipient_region
    if not same_region or _normal_name(data.recipient_name) != _normal_name(
        application.recipient_name
    ):
        refusals.append(
            Refusal(
                "destination_not_approved",
                f"{data.recipient_name} ({data.recipient_region}) is not the approved recipient"
                f" {application.recipient_name} ({application.recipient_region})",
            )
        )
    return refusals


def _volume_refusals(
    session: Session,
    application: DataTransferApplication,
    data: BatchIn,
    *,
    profile: ZoneProfile,
    today: dt.date,
) -> list[Refusal]:
    refusals = []
    sent_pi, sent_sensitive = repo.recorded_for_application(session, application.id)
    for label, sent, batch, approved in (
        ("personal information", sent_pi, data.personal_info_subjects,
         application.personal_info_subjects),
        ("sensitive personal information", sent_sensitive,
         data.sensitive_personal_info_subjects, application.sensitive_personal_info_subjects),
    ):  # fmt: skip
        if batch and sent + batch > approved:
            refusals.append(
                Refusal(
                    "volume_exceeded",
                    f"{sent:,} + {batch:,} persons' {label} exceed the approved {approved:,}",
                )
            )
    if application.route is Route.SECURITY_ASSESSMENT:
        return refusals  # R33's thresholds are what its assessment already covers
    year_pi, year_sensitive = repo.recorded_for_exporter(
        session,
        exporter_party_id=application.exporter_party_id,
        first_day=dt.date(today.year, 1, 1),
        last_day=dt.date(today.year, 12, 31),
    )
    for label, year, batch, limit in (
        ("personal information", year_pi, data.personal_info_subjects,
         profile.data.security_assessment_pi_min),
        ("sensitive personal information", year_sensitive,
         data.sensitive_personal_info_subjects, profile.data.security_assessment_sensitive_pi_min),
    ):  # fmt: skip
        if batch and year + batch >= limit:
            refusals.append(
                Refusal(
                    "R33.threshold_crossed",
                    f"the exporter would reach {year + batch:,} persons' {label} this year"
                    f" (security assessment from {limit:,});"
                    f" this approval is a {application.route}",
                )
            )
    return refusals


def record_batch(
    session: Session,
    application: DataTransferApplication,
    data: BatchIn,
    *,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> tuple[ChannelBatch, bool]:
    """Record or refuse a batch; the same batch id and content again returns the first row.

    Call with the application locked (``repository.get_application(for_update=True)``): a
    retry then waits for the first attempt and finds its row. Returns (batch, created).
    """
    digest_of_request = content_hash(data)
    existing = repo.batch_by_client_id(
        session, application_id=application.id, batch_id=data.batch_id
    )
    if existing is not None:
        if existing.content_hash != digest_of_request:
            raise Conflict(
                f"batch {data.batch_id} was posted before with other content",
                problems=[
                    FieldProblem("batch_id", "data.batch_id_reused", "was used for another batch")
                ],
            )
        return existing, False
    today = today or zone_today(profile.zone.timezone)
    repo.lock_exporter(session, application.exporter_party_id)
    refusals = _approval_refusals(application, today)
    if repo.data_entry_in_force(session, party_id=application.exporter_party_id, on=today) is None:
        refusals.append(
            Refusal("R17.exporter_not_whitelisted", "the exporter is not whitelisted for data")
        )
    refusals += _scope_refusals(application, data)
    refusals += _volume_refusals(session, application, data, profile=profile, today=today)
    batch = ChannelBatch(
        application_id=application.id,
        exporter_party_id=application.exporter_party_id,
        batch_id=data.batch_id,
        content_hash=digest_of_request,
        digest=data.digest,
        size_bytes=data.size_bytes,
        record_counts=dict(sorted(data.record_counts.items())),
        personal_info_subjects=data.personal_info_subjects,
        sensitive_personal_info_subjects=data.sensitive_personal_info_subjects,
        recipient_region=data.recipient_region,
        recipient_name=data.recipient_name,
        status=BatchStatus.REFUSED if refusals else BatchStatus.RECORDED,
        reasons=[r.as_dict() for r in refusals],
        recorded_on=today,
        recorded_by=str(actor),
    )
    session.add(batch)
    session.flush()  # the id is named by the audit event
    record_event(
        session,
        "data:batch:refuse" if refusals else "data:batch:record",
        subject_type="channel_batch",
        subject_id=batch.id,
        actor=actor,
        data={
            "application": application.id,
            "batch_id": batch.batch_id,
            "digest": batch.digest,
            "size_bytes": batch.size_bytes,
            "record_counts": batch.record_counts,
            "subjects": [batch.personal_info_subjects, batch.sensitive_personal_info_subjects],
            "reasons": [r.code for r in refusals],
        },
    )
    return batch, True
