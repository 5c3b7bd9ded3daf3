"""Every query on zone credentials and their signing keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hetao.audit.models import AuditHead
from hetao.credentials.models import CredentialKey, CredentialStatus, ZoneCredential
from hetao.registry import repository as registry_repository


def live_keys_except_for_update(session: Session, key_id: str) -> list[CredentialKey]:
    """The keys not retired other than ``key_id``, locked until commit."""
    return list(
        session.scalars(
            select(CredentialKey)
            .where(CredentialKey.retired_at.is_(None), CredentialKey.key_id != key_id)
            .with_for_update()
        )
    )


def keys_newest_first(session: Session) -> list[CredentialKey]:
    """Every registered key, newest first."""
    return list(session.scalars(select(CredentialKey).order_by(CredentialKey.created_at.desc())))


def live_for_entry(session: Session, entry_id: int) -> list[ZoneCredential]:
    """The active credentials of a whitelist entry, oldest first, locked until commit."""
    stmt = (
        select(ZoneCredential)
        .where(
            ZoneCredential.whitelist_entry_id == entry_id,
            ZoneCredential.status == CredentialStatus.ACTIVE,
        )
        .order_by(ZoneCredential.issued_at)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def revoked_ids(session: Session, *, now: dt.datetime, today: dt.date) -> list[str]:
    """Unexpired credentials a gate must refuse: revoked ones and those of a lapsed entry."""
    unexpired = ZoneCredential.not_after > now
    explicit = select(ZoneCredential.id).where(
        unexpired, ZoneCredential.status == CredentialStatus.REVOKED
    )
    lapsed = select(ZoneCredential.id).where(
        unexpired,
        ZoneCredential.status == CredentialStatus.ACTIVE,
        ZoneCredential.whitelist_entry_id.in_(registry_repository.lapsed_entry_ids(today)),
    )
    return sorted(set(session.scalars(explicit)) | set(session.scalars(lapsed)))


def audit_log_size(session: Session) -> int:
    """How many events the audit log holds (0 when empty)."""
    return int(session.scalar(select(func.coalesce(func.max(AuditHead.size), 0))) or 0)


def credentials_of_persons(session: Session, person_ids: list[int]) -> list[ZoneCredential]:
    """Every credential of these persons, newest first per person (for the portal's list)."""
    if not person_ids:
        return []
    stmt = (
        select(ZoneCredential)
        .where(ZoneCredential.person_id.in_(person_ids))
        .order_by(ZoneCredential.person_id, ZoneCredential.issued_at.desc())
    )
    return list(session.scalars(stmt))
