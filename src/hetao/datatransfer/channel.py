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
from hetao.reasons import Reason, Template, register
from hetao.timeutil import zone_today

#: Why a batch may not leave.
CATALOGUE = register(
    "datatransfer.batch",
    {
        "approval_not_in_force": Template(
            None,
            "application {application} is {status}, not in force",
            "申請 {application} 的狀態為{status},並未生效",
            "申请 {application} 的状态为{status},并未生效",
        ),
        "approval_expired": Template(
            None,
            "the approval ended on {date}",
            "批准已於 {date} 屆滿",
            "批准已于 {date} 届满",
        ),
        "approval_not_yet_valid": Template(
            None,
            "the approval starts on {date}",
            "批准自 {date} 起方才生效",
            "批准自 {date} 起方才生效",
        ),
        "category_outside_scope": Template(
            None,
            "categories not in the approval: {outside} (approved: {approved})",
            "批准範圍以外的數據類別:{outside}(已批准:{approved})",
            "批准范围以外的数据类别:{outside}(已批准:{approved})",
        ),
        "destination_not_approved": Template(
            None,
            "{recipient} ({region}) is not the approved recipient {approved} ({approved_region})",
            "{recipient}({region})並非獲批准的接收方 {approved}({approved_region})",
            "{recipient}({region})并非获批准的接收方 {approved}({approved_region})",
        ),
        "volume_exceeded": Template(
            None,
            "{sent} + {batch} persons' {category} exceed the approved {approved}",
            "已傳輸 {sent} 人加本批 {batch} 人的{category},超過批准的 {approved} 人",
            "已传输 {sent} 人加本批 {batch} 人的{category},超过批准的 {approved} 人",
        ),
        "R33.threshold_crossed": Template(
            "R33",
            "the exporter would reach {total} persons' {category} this year"
            " (security assessment from {limit}); this approval is a {route}",
            "出境處理者本年度的{category}將累計達 {total} 人(達 {limit} 人須進行安全評估);"
            "本批准為{route}",
            "出境处理者本年度的{category}将累计达 {total} 人(达 {limit} 人须进行安全评估);"
            "本批准为{route}",
        ),
        "R17.exporter_not_whitelisted": Template(
            "R17",
            "the exporter is not whitelisted for data",
            "出境處理者不在數據白名單內",
            "出境处理者不在数据白名单内",
        ),
    },
)
_refusal = CATALOGUE.reason

PERSONAL_INFORMATION = {"en": "personal information", "zh-Hant": "個人信息", "zh-Hans": "个人信息"}
SENSITIVE_PERSONAL_INFORMATION = {
    "en": "sensitive personal information",
    "zh-Hant": "敏感個人信息",
    "zh-Hans": "敏感个人信息",
}


def content_hash(data: BatchIn) -> str:
    """SHA-256 of the batch as posted, canonical JSON: a retry must hash the same."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _normal_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _approval_refusals(application: DataTransferApplication, today: dt.date) -> list[Reason]:
    if application.status not in LIVE_STATUSES:
        return [
            _refusal(
                "approval_not_in_force",
                application=str(application.id),
                status=str(application.status),
            )
        ]
    if application.valid_until is not None and today > application.valid_until:
        return [_refusal("approval_expired", date=application.valid_until.isoformat())]
    if application.valid_from is not None and today < application.valid_from:
        return [_refusal("approval_not_yet_valid", date=application.valid_from.isoformat())]
    return []


def _scope_refusals(application: DataTransferApplication, data: BatchIn) -> list[Reason]:
    refusals = []
    outside = sorted(set(data.record_counts) - set(application.data_categories))
    if outside:
        refusals.append(
            _refusal(
                "category_outside_scope",
                outside=", ".join(outside),
                approved=", ".join(application.data_categories),
            )
        )
    same_region = data.recipient_region == application.recipient_region
    if not same_region or _normal_name(data.recipient_name) != _normal_name(
        application.recipient_name
    ):
        refusals.append(
            _refusal(
                "destination_not_approved",
                recipient=data.recipient_name,
                region=data.recipient_region,
                approved=application.recipient_name,
                approved_region=application.recipient_region,
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
) -> list[Reason]:
    refusals = []
    sent_pi, sent_sensitive = repo.recorded_for_application(session, application.id)
    for category, sent, batch, approved in (
        (PERSONAL_INFORMATION, sent_pi, data.personal_info_subjects,
         application.personal_info_subjects),
        (SENSITIVE_PERSONAL_INFORMATION, sent_sensitive,
         data.sensitive_personal_info_subjects, application.sensitive_personal_info_subjects),
    ):  # fmt: skip
        if batch and sent + batch > approved:
            refusals.append(
                _refusal(
                    "volume_exceeded", sent=sent, batch=batch, category=category, approved=approved
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
    for category, year, batch, limit in (
        (PERSONAL_INFORMATION, year_pi, data.personal_info_subjects,
         profile.data.security_assessment_pi_min),
        (SENSITIVE_PERSONAL_INFORMATION, year_sensitive,
         data.sensitive_personal_info_subjects, profile.data.security_assessment_sensitive_pi_min),
    ):  # fmt: skip
        if batch and year + batch >= limit:
            refusals.append(
                _refusal(
                    "R33.threshold_crossed",
                    total=year + batch,
                    category=category,
                    limit=limit,
                    route=str(application.route),
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
        refusals.append(_refusal("R17.exporter_not_whitelisted"))
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
        reasons=[r.as_json() for r in refusals],
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
