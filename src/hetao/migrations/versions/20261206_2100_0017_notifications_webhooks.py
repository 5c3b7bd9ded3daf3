"""notifications gathered from the audit log, webhooks with sealed secrets, and their outbox

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:00:00+00:00

An enterprise's feed is a projection of the audit events about its objects; each notification
is queued once per active webhook of its party, and every attempt to deliver it is logged. A
webhook's secret is stored sealed (AES-GCM under a key file in the data directory), never in
clear.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = hetao.storage.types.UTCDateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
    )


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("audit_seq", BigId, nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=True),
        sa.Column("tag", sa.String(length=80), nullable=False),
        sa.Column(
            "subject_kind",
            _enum(
                "notification_subject_kind",
                "application",
                "declaration",
                "fund_transfer",
                "data_application",
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_notifications_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "audit_seq", "party_id", name=op.f("uq_notifications_audit_seq_party_id")
        ),
    )
    op.create_index(op.f("ix_notifications_audit_seq"), "notifications", ["audit_seq"])
    op.create_index("ix_notifications_party_id_id", "notifications", ["party_id", "id"])
    op.create_table(
        "notification_webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("sealed_secret", sa.LargeBinary(length=128), nullable=False),
        sa.Column("status", _enum("webhook_status", "active", "disabled"), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("secret_rotated_at", UTC, nullable=True),
        sa.Column("disabled_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_notification_webhooks_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_webhooks")),
    )
    op.create_index(
        op.f("ix_notification_webhooks_party_id"), "notification_webhooks", ["party_id"]
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("notification_id", BigId, nullable=False),
        sa.Column(
            "status", _enum("delivery_status", "pending", "delivered", "failed"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["notification_webhooks.id"],
            name=op.f("fk_notification_deliveries_webhook_id_notification_webhooks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint("public_id", name=op.f("uq_notification_deliveries_public_id")),
        sa.UniqueConstraint(
            "webhook_id",
            "notification_id",
            name=op.f("uq_notification_deliveries_webhook_id_notification_id"),
        ),
    )
    op.create_index(
        op.f("ix_notification_deliveries_webhook_id"), "notification_deliveries", ["webhook_id"]
    )
    op.create_index(
        "ix_notification_deliveries_status_next",
        "notification_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "notification_delivery_attempts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("delivery_id", BigId, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UTC, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notification_deliveries.id"],
            name=op.f("fk_notification_delivery_attempts_delivery_id_notification_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_notification_delivery_attempts_delivery_id"),
        "notification_delivery_attempts",
        ["delivery_id"],
    )


def downgrade() -> None:
    op.drop_table("notification_delivery_attempts")
    op.drop_table("notification_deliveries")
    op.drop_table("notification_webhooks")
    op.drop_table("notifications")
