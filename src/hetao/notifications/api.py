"""Notification and webhook endpoints under /api/v1, for enterprise users and their own party.

Who may do what: ``hetao.notifications.access``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.orm import Session

from hetao.api.deps import SessionDep
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.inputs import Id
from hetao.notifications import access, service
from hetao.notifications.delivery import SecretBox, box_of
from hetao.notifications.models import Webhook
from hetao.notifications.schemas import (
    DeliveryOut,
    NotificationOut,
    WebhookCreate,
    WebhookIssued,
    WebhookOut,
)

router = APIRouter(route_class=UnitOfWorkRoute)
Subscriber = Annotated[Principal, Depends(Allow(*access.SUBSCRIBERS))]
FEED_MAX = 200
LOG_MAX = 200


def secret_box(request: Request) -> SecretBox:
    """The key that seals webhook secrets, loaded (or made) with the application (hetao.app)."""
    return box_of(request.app)


BoxDep = Annotated[SecretBox, Depends(secret_box)]


def own_webhook(
    session: Session, principal: Principal, webhook_id: int, *, for_update: bool = False
) -> Webhook:
    """The principal's party's webhook; another party's answers 404."""
    webhook = service.get_webhook(session, webhook_id, for_update=for_update)
    return access.check_webhook(principal, webhook)


@router.get("/notifications", tags=["notifications"], summary="The party's latest status changes")
def notifications(
    session: SessionDep,
    principal: Subscriber,
    limit: Annotated[int, Query(ge=1, le=FEED_MAX)] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> list[NotificationOut]:
    """Newest first; pass the last id shown as ``before`` for older ones."""
    party_id = access.own_party(principal)
    rows = service.latest_for_party(session, party_id, limit, before=before)
    return [NotificationOut.of(n) for n in rows]


@router.get("/webhooks", tags=["notifications"], summary="The party's webhooks")
def list_webhooks(session: SessionDep, principal: Subscriber) -> list[WebhookOut]:
    """The caller's party's webhooks, active and disabled; never their secrets."""
    return [WebhookOut.of(w) for w in service.webhooks_of(session, access.own_party(principal))]


@router.post(
    "/webhooks",
    tags=["notifications"],
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook (its secret is shown once)",
)
def register_webhook(
    body: WebhookCreate, session: SessionDep, principal: Subscriber, box: BoxDep
) -> WebhookIssued:
    """201 with the webhook and its signing secret; keep the secret, it is never shown again."""
    webhook, secret = service.register(
        session, access.own_party(principal), body.url, box=box, actor=principal.actor
    )
    return WebhookIssued(webhook=WebhookOut.of(webhook), secret=secret)


@router.get("/webhooks/{webhook_id}", tags=["notifications"], summary="Show a webhook")
def get_webhook(webhook_id: Id, session: SessionDep, principal: Subscriber) -> WebhookOut:
    """One webhook of the caller's party (another party's answers 404); never its secret."""
    return WebhookOut.of(own_webhook(session, principal, webhook_id))


@router.post("/webhooks/{webhook_id}/disable", tags=["notifications"], summary="Disable a webhook")
def disable_webhook(webhook_id: Id, session: SessionDep, principal: Subscriber) -> WebhookOut:
    """Nothing new is queued for it; its pending deliveries fail now."""
    webhook = own_webhook(session, principal, webhook_id, for_update=True)
    return WebhookOut.of(service.disable(session, webhook, actor=principal.actor))


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    tags=["notifications"],
    summary="Give a webhook a new secret (shown once)",
)
def rotate_webhook_secret(
    webhook_id: Id, session: SessionDep, principal: Subscriber, box: BoxDep
) -> WebhookIssued:
    """The new secret signs every delivery from now on, retries of older ones included."""
    webhook = own_webhook(session, principal, webhook_id, for_update=True)
    secret = service.rotate_secret(session, webhook, box=box, actor=principal.actor)
    return WebhookIssued(webhook=WebhookOut.of(webhook), secret=secret)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    tags=["notifications"],
    summary="A webhook's delivery log",
)
def webhook_deliveries(
    webhook_id: Id,
    session: SessionDep,
    principal: Subscriber,
    limit: Annotated[int, Query(ge=1, le=LOG_MAX)] = 50,
) -> list[DeliveryOut]:
    """The latest deliveries, newest first, each with every attempt."""
    webhook = own_webhook(session, principal, webhook_id)
    return [DeliveryOut.of(d) for d in service.delivery_log(session, webhook, limit=limit)]
