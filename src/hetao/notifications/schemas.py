"""Request and response shapes of the notification and webhook endpoints."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from hetao.api.idempotency import shown_once
from hetao.inputs import InputModel
from hetao.notifications import delivery, service
from hetao.notifications.models import Notification, Webhook


class WebhookCreate(InputModel):
    """Register a webhook: where to POST the party's notifications."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=delivery.URL_MAX,
        description="https://...; http only to 127.0.0.1 (a receiver on the same machine)",
    )


class WebhookOut(BaseModel):
    id: int
    url: str
    status: str
    created_at: dt.datetime
    secret_rotated_at: dt.datetime | None
    disabled_at: dt.datetime | None

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookOut:
        return cls(
            id=webhook.id,
            url=webhook.url,
            status=str(webhook.status),
            created_at=webhook.created_at,
            secret_rotated_at=webhook.secret_rotated_at,
            disabled_at=webhook.disabled_at,
        )


class WebhookIssued(BaseModel):
    """A webhook with its signing secret: the only answer that ever carries it."""

    webhook: WebhookOut
    secret: str | None = shown_once("The signing secret; shown once, stored only sealed")


class NotificationOut(BaseModel):
    id: int
    event: str = Field(description="The audit tag of the change, e.g. registry:application:approve")
    occurred_at: dt.datetime
    subject_kind: str
    subject_id: int
    reference: str | None
    path: str = Field(description="The object's page in the portal")

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        return cls(
            id=notification.id,
            event=notification.tag,
            occurred_at=notification.occurred_at,
            subject_kind=str(notification.subject_kind),
            subject_id=notification.subject_id,
            reference=notification.reference,
            path=service.page_path(notification),
        )


class AttemptOut(BaseModel):
    number: int
    attempted_at: dt.datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: str = Field(description="The X-Hetao-Delivery header of every attempt")
    status: str
    notification: NotificationOut
    next_attempt_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: list[AttemptOut]

    @classmethod
    def of(cls, logged: service.LoggedDelivery) -> DeliveryOut:
        return cls(
            id=logged.delivery.public_id,
            status=str(logged.delivery.status),
            notification=NotificationOut.of(logged.notification),
            next_attempt_at=logged.delivery.next_attempt_at,
            finished_at=logged.delivery.finished_at,
            attempts=[
                AttemptOut(
                    number=a.number,
                    attempted_at=a.attempted_at,
                    status_code=a.status_code,
                    error=a.error,
                    duration_ms=a.duration_ms,
                )
                for a in logged.attempts
            ],
        )
