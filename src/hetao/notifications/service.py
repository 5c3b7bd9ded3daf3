"""The feed of status changes gathered from the audit log, and webhooks that carry it out.

Notifications are derived, never written by the other domains: ``gather`` reads the audit
events their services already write, names the party each event's object belongs to (loading
the object by id), and queues one delivery per active webhook of that party.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import DataTag, EventTag, FundsTag, LedgerTag, NotificationTag, RegistryTag
from hetao.datatransfer.models import DataTransferApplication
from hetao.declarations.models import Declaration
from hetao.errors import Conflict, NotFound
from hetao.funds.models import FundTransfer
from hetao.notifications import delivery, repository
from hetao.notifications.delivery import Outcome, SecretBox
from hetao.notifications.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    SubjectKind,
    Webhook,
    WebhookStatus,
)
from hetao.registry.models import WhitelistApplication
from hetao.storage import lookup
from hetao.storage.locks import advisory_lock
from hetao.storage.types import utcnow
from hetao.workflow import audit

#: The status changes an enterprise hears of, by the kind of object they concern.
NOTIFYING: dict[EventTag, SubjectKind] = {
    **{
        tag: SubjectKind.APPLICATION
        for tag in (
            RegistryTag.APPLICATION_SUBMIT,
            RegistryTag.APPLICATION_REQUEST_INFORMATION,
            RegistryTag.APPLICATION_RESUBMIT,
            RegistryTag.APPLICATION_APPROVE,
            RegistryTag.APPLICATION_DECLINE,
        )
    },
    **{
        tag: SubjectKind.DECLARATION
        for tag in (
            LedgerTag.DECLARATION_SUBMIT,
            LedgerTag.DECLARATION_ACCEPT,
            LedgerTag.DECLARATION_REFUSE,
            LedgerTag.DECLARATION_CLEAR,
        )
    },
    **{tag: SubjectKind.FUND_TRANSFER for tag in FundsTag if tag.subject == "transfer"},
    **{
        tag: SubjectKind.DATA_APPLICATION
        for tag in DataTag
        if tag.subject == "application" and tag is not DataTag.APPLICATION_CREATE
    },
}
#: The page of each kind of object, for a notification's link.
PAGES = {
    SubjectKind.APPLICATION: "/portal/applications/{id}",
    SubjectKind.DECLARATION: "/portal/declarations/{id}",
    SubjectKind.FUND_TRANSFER: "/portal/fund-transfers/{id}",
    SubjectKind.DATA_APPLICATION: "/portal/data-applications/{id}",
}
#: Events read per gathering turn: a backlog is worked off over several turns.
GATHER_BATCH = 500
#: Active webhooks a party may keep.
MAX_WEBHOOKS = 5


@dataclass(frozen=True, slots=True)
class Gathered:
    """What a gathering turn added."""

    notifications: int
    deliveries: int


def page_path(notification: Notification) -> str:
    """The portal page of the notification's object."""
    return PAGES[notification.subject_kind].format(id=notification.subject_id)


def _owners(session: Session, kind: SubjectKind, subject_id: int) -> tuple[set[int], str | None]:
    """The parties an object belongs to and its own reference; none if it no longer exists."""
    try:
        if kind is SubjectKind.APPLICATION:
            application = lookup.get(session, WhitelistApplication, subject_id)
            owners = {application.party_id} if application.party_id is not None else set()
            return owners, None
        if kind is SubjectKind.DECLARATION:
            declaration = lookup.get(session, Declaration, subject_id)
            return {declaration.party_id}, declaration.reference
        if kind is SubjectKind.FUND_TRANSFER:
            transfer = lookup.get(session, FundTransfer, subject_id)
            return {transfer.payer_party_id, transfer.payee_party_id}, transfer.contract_reference
        data = lookup.get(session, DataTransferApplication, subject_id)
        return {data.exporter_party_id}, data.filing_reference or data.approval_reference
    except NotFound:
        return set(), None


def gather(session: Session, *, limit: int = GATHER_BATCH) -> Gathered:
    """Turn the audit events past the last gathered one into notifications and deliveries.

    It writes no event of its own: the feed and the outbox are a projection of events already
    in the log (an event about them would be an event about events, and feed itself).
    """
    # Two gatherers would both read the same events: one waits for the other's commit.
    advisory_lock(session, "notifications", "gather")
    tags = {str(tag): kind for tag, kind in NOTIFYING.items()}
    events = repository.events_after(
        session, repository.last_gathered_seq(session), tags, limit=limit
    )
    added: list[Notification] = []
    for event in events:
        kind = tags[event.tag]
        subject_id = int(event.subject_id)
        owners, reference = _owners(session, kind, subject_id)
        # An object of no party still gets a row: the gatherer's place moves past its event.
        parties: list[int | None] = [*sorted(owners)] or [None]
        for party_id in parties:
            notification = Notification(
                audit_seq=event.seq,
                party_id=party_id,
                tag=event.tag,
                subject_kind=kind,
                subject_id=subject_id,
                reference=reference,
                occurred_at=event.occurred_at,
            )
            session.add(notification)
            added.append(notification)
    if not added:
        return Gathered(0, 0)
    session.flush()  # the notifications' ids, for their deliveries
    webhooks = repository.active_webhooks(session, {n.party_id for n in added if n.party_id})
    queued = 0
    now = utcnow()
    for notification in added:
        for webhook in webhooks:
            if webhook.party_id == notification.party_id:
                session.add(
                    Delivery(
                        public_id=secrets.token_hex(16),
                        webhook_id=webhook.id,
                        notification_id=notification.id,
                        next_attempt_at=now,
                    )
                )
                queued += 1
    return Gathered(len(added), queued)


def latest_for_party(
    session: Session, party_id: int, limit: int = 5, *, before: int | None = None
) -> list[Notification]:
    """The party's latest status changes, newest first (the home page shows five)."""
    return repository.latest_for_party(session, party_id, limit=limit, before=before)


# --- webhooks ------------------------------------------------------------------------------


def _where(url: str) -> str:
    """What the audit log keeps of a URL: its host, never a token in its path or query."""
    return urlsplit(url).netloc


def register(
    session: Session, party_id: int, url: str, *, box: SecretBox, actor: Actor
) -> tuple[Webhook, str]:
    """A new active webhook and its secret (in clear only in this answer)."""
    delivery.check_url(url)
    active = repository.active_webhooks(session, {party_id})
    if len(active) >= MAX_WEBHOOKS:
        raise Conflict(f"party {party_id} already has {MAX_WEBHOOKS} active webhooks")
    secret = delivery.new_secret()
    webhook = Webhook(
        party_id=party_id,
        url=url,
        sealed_secret=box.seal(secret),
        status=WebhookStatus.ACTIVE,
        created_by=str(actor),
    )
    session.add(webhook)
    session.flush()  # the id, for the event
    audit(
        session,
        NotificationTag.WEBHOOK_REGISTER,
        webhook.id,
        actor,
        party_id=party_id,
        host=_where(url),
    )
    return webhook, secret


def get_webhook(session: Session, webhook_id: int, *, for_update: bool = False) -> Webhook:
    return lookup.get(session, Webhook, webhook_id, for_update=for_update)


def webhooks_of(session: Session, party_id: int) -> list[Webhook]:
    """The party's webhooks, newest first."""
    return repository.webhooks_of(session, party_id)


def disable(session: Session, webhook: Webhook, *, actor: Actor) -> Webhook:
    """Stop a webhook: nothing new is queued for it, and what was pending fails now."""
    if webhook.status is WebhookStatus.DISABLED:
        return webhook  # disabling twice changes nothing (a retried form)
    now = utcnow()
    webhook.status = WebhookStatus.DISABLED
    webhook.disabled_at = now
    stopped = repository.pending_of_webhook(session, webhook.id)
    for pending in stopped:
        pending.status = DeliveryStatus.FAILED
        pending.finished_at = now
        pending.next_attempt_at = None
    audit(session, NotificationTag.WEBHOOK_DISABLE, webhook.id, actor, stopped=len(stopped))
    return webhook


def rotate_secret(session: Session, webhook: Webhook, *, box: SecretBox, actor: Actor) -> str:
    """A new secret for the webhook, in clear only in this answer; the old one stops signing."""
    if webhook.status is WebhookStatus.DISABLED:
        raise Conflict(f"webhook {webhook.id} is disabled")
    secret = delivery.new_secret()
    webhook.sealed_secret = box.seal(secret)
    webhook.secret_rotated_at = utcnow()
    audit(session, NotificationTag.WEBHOOK_ROTATE_SECRET, webhook.id, actor)
    return secret


@dataclass(frozen=True, slots=True)
class LoggedDelivery:
    """A delivery as its log shows it: the notification and every attempt."""

    delivery: Delivery
    notification: Notification
    attempts: list[DeliveryAttempt]


def delivery_log(session: Session, webhook: Webhook, *, limit: int = 50) -> list[LoggedDelivery]:
    """The webhook's latest deliveries, newest first, each with its attempts."""
    rows = repository.deliveries_of(session, webhook.id, limit=limit)
    attempts = repository.attempts_of(session, [d.id for d, _ in rows])
    return [LoggedDelivery(d, n, [a for a in attempts if a.delivery_id == d.id]) for d, n in rows]


# --- sending -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A due delivery as plain values: sent outside any transaction."""

    delivery_id: int
    public_id: str
    attempts: int
    url: str
    sealed_secret: bytes
    body: bytes


def payload(notification: Notification, public_id: str) -> bytes:
    """The JSON a receiver gets: the event, when, and the object with its page."""
    document = {
        "delivery": public_id,
        "event": notification.tag,
        "occurred_at": notification.occurred_at.isoformat().replace("+00:00", "Z"),
        "party_id": notification.party_id,
        "subject": {
            "kind": str(notification.subject_kind),
            "id": notification.subject_id,
            "reference": notification.reference,
            "path": page_path(notification),
        },
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def due(session: Session, *, now: dt.datetime, limit: int = 50) -> list[Outgoing]:
    """The deliveries to attempt now; reading only (the attempt is recorded afterwards)."""
    found: list[Outgoing] = []
    for pending in repository.due_deliveries(session, now, limit=limit):
        webhook = get_webhook(session, pending.webhook_id)
        notification = lookup.get(session, Notification, pending.notification_id)
        found.append(
            Outgoing(
                delivery_id=pending.id,
                public_id=pending.public_id,
                attempts=pending.attempts,
                url=webhook.url,
                sealed_secret=webhook.sealed_secret,
                body=payload(notification, pending.public_id),
            )
        )
    return found


def send(outgoing: Outgoing, *, box: SecretBox, now: dt.datetime) -> Outcome:
    """One signed POST of a due delivery (no database: the network may take seconds)."""
    try:
        secret = box.open(outgoing.sealed_secret)
    except ValueError:  # sealed under a key file since lost: the party must re-key the webhook
        return Outcome(status_code=None, error="the secret does not open: rotate it", duration_ms=0)
    return delivery.post(
        outgoing.url,
        secret=secret,
        delivery_id=outgoing.public_id,
        body=outgoing.body,
        now=now,
    )


def record_attempt(
    session: Session, outgoing: Outgoing, outcome: Outcome, *, now: dt.datetime, actor: Actor
) -> DeliveryStatus | None:
    """Log the attempt and move the delivery on; None if another sender recorded it first."""
    pending = lookup.get(session, Delivery, outgoing.delivery_id, for_update=True)
    if pending.status is not DeliveryStatus.PENDING or pending.attempts != outgoing.attempts:
        return None
    pending.attempts += 1
    session.add(
        DeliveryAttempt(
            delivery_id=pending.id,
            number=pending.attempts,
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    if outcome.accepted:
        pending.status, pending.finished_at, pending.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            now,
            None,
        )
    elif pending.attempts >= delivery.MAX_ATTEMPTS:
        pending.status, pending.finished_at, pending.next_attempt_at = (
            DeliveryStatus.FAILED,
            now,
            None,
        )
    else:
        pending.next_attempt_at = now + delivery.backoff(pending.attempts)
    audit(
        session,
        NotificationTag.DELIVERY_ATTEMPT,
        pending.id,
        actor,
        subject_type="delivery",
        webhook_id=pending.webhook_id,
        attempt=pending.attempts,
        status_code=outcome.status_code,
        outcome=str(pending.status),
    )
    return pending.status


def statuses_of(outcomes: Sequence[DeliveryStatus | None]) -> dict[str, int]:
    """How many attempts ended in each status (for the CLI's summary)."""
    counts: dict[str, int] = {}
    for status in outcomes:
        name = "skipped" if status is None else str(status)
        counts[name] = counts.get(name, 0) + 1
    return counts
