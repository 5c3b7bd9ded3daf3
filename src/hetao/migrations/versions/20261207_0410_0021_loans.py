"""instruments lent across the first line and due back (issue 20)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:00:00+00:00

A loan records one instrument (a zone party's lot and serial, or a Hong Kong instrument admitted
temporarily), the Hong Kong institution, the purpose and the due date; the gate moves it on as
the instrument crosses, and the daily job flags it overdue, then taxable with its assessment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = hetao.storage.types.UTCDateTime(timezone=True)
MONEY = hetao.storage.types.ScaledDecimal(precision=18, scale=2)


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
        "loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", _enum("loan_direction", "out", "in"), nullable=False),
        sa.Column(
            "status",
            _enum("loan_status", "recorded", "away", "overdue", "taxable", "returned"),
            nullable=False,
        ),
        sa.Column("zone_party_id", sa.Integer(), nullable=False),
        sa.Column("hk_party_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("customs_value", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("crossed_at", UTC, nullable=True),
        sa.Column("returned_at", UTC, nullable=True),
        sa.Column("overdue_on", sa.Date(), nullable=True),
        sa.Column("taxable_on", sa.Date(), nullable=True),
        sa.Column("taxable_reason", sa.JSON(), nullable=True),
        sa.Column("assessment", sa.JSON(), nullable=True),
        sa.Column("tax_total", MONEY, nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "direction <> 'out' OR lot_id IS NOT NULL", name=op.f("ck_loans_out_names_its_lot")
        ),
        sa.CheckConstraint("customs_value >= 0", name=op.f("ck_loans_customs_value_not_negative")),
        sa.CheckConstraint("due_on >= recorded_on", name=op.f("ck_loans_due_after_recorded")),
        sa.ForeignKeyConstraint(
            ["zone_party_id"], ["parties.id"], name=op.f("fk_loans_zone_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["hk_party_id"], ["parties.id"], name=op.f("fk_loans_hk_party_id_parties")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["ledger_lots.id"], name=op.f("fk_loans_lot_id_ledger_lots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
    )
    op.create_index(op.f("ix_loans_zone_party_id"), "loans", ["zone_party_id"])
    op.create_index(op.f("ix_loans_hk_party_id"), "loans", ["hk_party_id"])
    op.create_index(op.f("ix_loans_lot_id"), "loans", ["lot_id"])
    op.create_index("ix_loans_status_due_on", "loans", ["status", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_loans_status_due_on", table_name="loans")
    op.drop_index(op.f("ix_loans_lot_id"), table_name="loans")
    op.drop_index(op.f("ix_loans_hk_party_id"), table_name="loans")
    op.drop_index(op.f("ix_loans_zone_party_id"), table_name="loans")
    op.drop_table("loans")
