"""loans cancelled by an officer, and the payment of a taxable loan's assessment

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 07:00:00+00:00

The loan keeps the crossings that took its instrument across and back, for its page to link.
An officer may cancel a loan recorded in error before its instrument crosses (a new status,
``cancelled``, with its reason and time), and record the payment of a taxable loan's
assessment: the receipt's reference and the amount, which must be the assessment's total.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = hetao.storage.types.UTCDateTime(timezone=True)
MONEY = hetao.storage.types.ScaledDecimal(precision=18, scale=2)
_STATUSES = ("recorded", "away", "overdue", "taxable", "returned")


def _in(*values: str) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("loans") as batch:
        batch.drop_constraint(op.f("ck_loans_loan_status"), type_="check")
        batch.alter_column(
            "status",
            existing_type=sa.String(length=8),
            type_=sa.String(length=9),
            existing_nullable=False,
        )
        batch.add_column(sa.Column("paid_reference", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("paid_total", MONEY, nullable=True))
        batch.add_column(sa.Column("paid_at", UTC, nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("cancelled_at", UTC, nullable=True))
        for column in ("crossed_event_id", "returned_event_id"):
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch.create_foreign_key(
                op.f(f"fk_loans_{column}_crossing_events"), "crossing_events", [column], ["id"]
            )
        batch.create_check_constraint(op.f("ck_loans_loan_status"), _in(*_STATUSES, "cancelled"))
        batch.create_check_constraint(
            op.f("ck_loans_cancelled_has_its_reason"),
            "(status = 'cancelled') = (cancelled_at IS NOT NULL AND cancel_reason IS NOT NULL)",
        )
        batch.create_check_constraint(
            op.f("ck_loans_paid_is_the_assessment"),
            "paid_reference IS NULL OR (tax_total IS NOT NULL AND paid_total = tax_total"
            " AND paid_at IS NOT NULL)",
        )


def downgrade() -> None:
    with op.batch_alter_table("loans") as batch:
        batch.drop_constraint(op.f("ck_loans_paid_is_the_assessment"), type_="check")
        batch.drop_constraint(op.f("ck_loans_cancelled_has_its_reason"), type_="check")
        batch.drop_constraint(op.f("ck_loans_loan_status"), type_="check")
        for column in ("returned_event_id", "crossed_event_id"):
            batch.drop_constraint(op.f(f"fk_loans_{column}_crossing_events"), type_="foreignkey")
            batch.drop_column(column)
        batch.drop_column("cancelled_at")
        batch.drop_column("cancel_reason")
        batch.drop_column("paid_at")
        batch.drop_column("paid_total")
        batch.drop_column("paid_reference")
        batch.alter_column(
            "status",
            existing_type=sa.String(length=9),
            type_=sa.String(length=8),
            existing_nullable=False,
        )
        batch.create_check_constraint(op.f("ck_loans_loan_status"), _in(*_STATUSES))
