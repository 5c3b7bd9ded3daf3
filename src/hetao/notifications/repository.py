"""Every query of notifications: the audit events still to gather, the feed, the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hetao.audit.models import AuditEvent
from hetao.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    Webhook,
    WebhookStatus,
)


def last_gathered_seq(session: Session) -> int:
    """The audit seq of the newest event gathered (0 before the first)."""
    return int(session.scalar(select(func.coalesce(func.max(Notification.audit_seq), 0))) or 0)


def events_after(
    session: Session, seq: int, tags: Collection[str], *, limit: int
) -> Sequence[AuditEvent]:
    """Audit events past ``seq`` with one of ``tags``, oldest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.seq > seq, AuditEvent.tag.in_(sorted(tags)))
        .order_by(AuditEvent.seq)
        .limit(limit)
    )
    return session.scalars(stmt).all()


def latest_for_party(
    session: Session, party_id: int, *, limit: int, before: int | None = None
) -> list[Notification]:
    """The party's notifications newest first, below the id ``before`` when given."""
    stmt = (
        select(Notification)
        .where(Notification.party_id == party_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(Notification.id < before)
    return list(session.scalars(stmt))


def active_webhooks(session: Session, party_ids: Collection[int]) -> list[Webhook]:
    """The active webhooks of the parties, by id."""
    if not party_ids:
        return []
    stmt = (
        select(Webhook)
        .where(Webhook.party_id.in_(sorted(party_ids)), Webhook.status == WebhookStatus.ACTIVE)
        .order_by(Webhook.id)
    )
    return list(session.scalars(stmt))


def webhooks_of(session: Session, party_id: int) -> list[Webhook]:
    """Every webhook of the party, newest first."""
    stmt = select(Webhook).where(Webhook.party_id == party_id).order_by(Webhook.id.desc())
    return list(session.scalars(stmt))


def due_deliveries(session: Session, now: dt.datetime, *, limit: int) -> list[Delivery]:
    """Pending deliveries whose next attempt is due, oldest first."""
    stmt = (
        select(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def pending_of_webhook(session: Session, webhook_id: int) -> list[Delivery]:
    """The webhook's deliveries still pending, locked until commit."""
    stmt = (
        select(Delivery)
        .where(Delivery.webhook_id == webhook_id, Delivery.status == DeliveryStatus.PENDING)
        .with_for_update()
    )
    return list(session.scalars(stmt))


def deliveries_of(
    session: Session, webhook_id: int, *, limit: int
) -> list[tuple[Delivery, Notification]]:
    """The webhook's latest deliveries with their notifications, newest first."""
    stmt = (
        select(Delivery, Notification)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.webhook_id == webhook_id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    return [(delivery, notification) for delivery, notification in session.execute(stmt)]


def attempts_of(session: Session, delivery_ids: Collection[int]) -> list[DeliveryAttempt]:
    """The attempts of the deliveries, in order."""
    if not delivery_ids:
        return []
    stmt = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(sorted(delivery_ids)))
        .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number)
    )
    return list(session.scalars(stmt))
