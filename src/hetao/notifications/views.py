"""The enterprise's pages: its feed of status changes, its webhooks and their delivery logs.

The same services as the API (``hetao.notifications.service``); a secret is shown on the page
that made it, once, and that page is never kept for a replay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Query, Request, Response
from sqlalchemy.orm import Session

from hetao.api.deps import SessionDep
from hetao.api.idempotency import NOT_REPLAYABLE
from hetao.api.security import Allow
from hetao.auth.principal import Principal
from hetao.errors import HetaoError
from hetao.inputs import Id
from hetao.notifications import access, service
from hetao.notifications.api import BoxDep, own_webhook
from hetao.notifications.delivery import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    URL_MAX,
)
from hetao.notifications.models import Notification, Webhook
from hetao.notifications.schemas import WebhookCreate
from hetao.web import page_router
from hetao.web.forms import FormState, parse
from hetao.web.i18n import t
from hetao.web.panels import Panel, on_portal_home
from hetao.web.rendering import redirect, render

router = page_router()
Subscriber = Annotated[Principal, Depends(Allow(*access.SUBSCRIBERS))]
FEED_PAGE = 50
LOG_PAGE = 50
#: The headers a receiver checks, each with the key of what it carries.
SIGNING_HEADERS = (
    (SIGNATURE_HEADER, "notifications.signing.signature"),
    (TIMESTAMP_HEADER, "notifications.signing.timestamp"),
    (DELIVERY_HEADER, "notifications.signing.delivery"),
)
#: The register form: field -> its label's key.
FIELDS = {"url": "notifications.webhook.url"}


@dataclass(frozen=True, slots=True)
class Shown:
    """A notification as a page shows it: its sentence and its object's page."""

    notification: Notification
    sentence: str
    path: str


def event_key(tag: str) -> str:
    """The catalogue key of an event's sentence (``registry:application:approve`` ->
    ``notifications.event.registry.application.approve``)."""
    return "notifications.event." + tag.replace(":", ".")


def shown(notification: Notification) -> Shown:
    reference = notification.reference or f"#{notification.subject_id}"
    return Shown(
        notification,
        t(event_key(notification.tag), reference=reference),
        service.page_path(notification),
    )


def latest_panel(session: Session, party_id: int, limit: int = 5) -> list[Shown]:
    """The latest status changes for the portal home's panel, newest first."""
    return [shown(n) for n in service.latest_for_party(session, party_id, limit)]


@on_portal_home
def portal_home_panel(session: Session, principal: Principal) -> Panel | None:
    """The portal home's panel of the party's latest status changes."""
    if principal.party_id is None:
        return None
    return Panel(
        "notifications/panel.html",
        {"notifications": latest_panel(session, principal.party_id)},
    )


@router.get("/portal/notifications")
def feed(
    request: Request,
    session: SessionDep,
    principal: Subscriber,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> Response:
    """The party's status changes, newest first, a page at a time."""
    rows = service.latest_for_party(
        session, access.own_party(principal), FEED_PAGE + 1, before=before
    )
    older = rows[FEED_PAGE - 1].id if len(rows) > FEED_PAGE else None
    return render(
        request,
        "notifications/feed.html",
        items=[shown(n) for n in rows[:FEED_PAGE]],
        older=older,
        paged=before is not None,
    )


def _webhooks_page(
    request: Request, session: Session, principal: Principal, form: FormState, status: int = 200
) -> Response:
    return render(
        request,
        "notifications/webhooks.html",
        status_code=status,
        webhooks=service.webhooks_of(session, access.own_party(principal)),
        form=form,
        url_max=URL_MAX,
        signing_headers=SIGNING_HEADERS,
    )


@router.get("/portal/webhooks")
def webhooks(request: Request, session: SessionDep, principal: Subscriber) -> Response:
    """The party's webhooks, and a form to register one."""
    return _webhooks_page(request, session, principal, FormState(fields=FIELDS))


def _secret_page(request: Request, webhook: Webhook, secret: str, *, created: bool) -> Response:
    return render(
        request,
        "notifications/secret.html",
        status_code=201 if created else 200,
        webhook=webhook,
        secret=secret,
        created=created,
    )


# Never replayable: the answer carries the secret, and a replay record must not keep it.
@router.post("/portal/webhooks", openapi_extra=NOT_REPLAYABLE)
def register(
    request: Request,
    session: SessionDep,
    principal: Subscriber,
    box: BoxDep,
    url: Annotated[str, Form(max_length=URL_MAX * 2)] = "",
) -> Response:
    """Register a webhook; the page that answers shows its secret, once."""
    data, form = parse(WebhookCreate, {"url": url}, FIELDS)
    if data is not None:
        try:
            webhook, secret = service.register(
                session, access.own_party(principal), data.url, box=box, actor=principal.actor
            )
        except HetaoError as refused:
            session.rollback()  # nothing of the refused registration is kept
            form.add_error(refused)
        else:
            return _secret_page(request, webhook, secret, created=True)
    return _webhooks_page(request, session, principal, form, status=422)


@router.post("/portal/webhooks/{webhook_id}/rotate-secret", openapi_extra=NOT_REPLAYABLE)
def rotate_secret(
    request: Request, webhook_id: Id, session: SessionDep, principal: Subscriber, box: BoxDep
) -> Response:
    """A new secret for the webhook, shown once; the old one no longer signs."""
    webhook = own_webhook(session, principal, webhook_id, for_update=True)
    secret = service.rotate_secret(session, webhook, box=box, actor=principal.actor)
    return _secret_page(request, webhook, secret, created=False)


@router.post("/portal/webhooks/{webhook_id}/disable")
def disable(
    request: Request, webhook_id: Id, session: SessionDep, principal: Subscriber
) -> Response:
    """Stop the webhook, then back to the list."""
    webhook = own_webhook(session, principal, webhook_id, for_update=True)
    service.disable(session, webhook, actor=principal.actor)
    return redirect(request, "/portal/webhooks")


@router.get("/portal/webhooks/{webhook_id}/deliveries")
def deliveries(
    request: Request, webhook_id: Id, session: SessionDep, principal: Subscriber
) -> Response:
    """The webhook's latest deliveries, each with every attempt."""
    webhook = own_webhook(session, principal, webhook_id)
    logged = service.delivery_log(session, webhook, limit=LOG_PAGE)
    return render(
        request,
        "notifications/deliveries.html",
        webhook=webhook,
        deliveries=[(entry, shown(entry.notification)) for entry in logged],
    )
