"""centralised declaration periods and their lines (R10)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 16:10:00+00:00

Eligible goods of a party cross against an open centralised declaration for a period; the lines
recorded under it become one aggregate declaration when the period closes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_centralised_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("crossing_point", sa.String(length=40), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="centralised_period_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("declaration_id", sa.Integer(), nullable=True),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("closed_by", sa.String(length=120), nullable=True),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'closed' AND declaration_id IS NOT NULL AND closed_at IS NOT NULL)"
            " OR (status <> 'closed' AND declaration_id IS NULL AND closed_at IS NULL)",
            name=op.f("ck_ledger_centralised_periods_closed_has_its_declaration"),
        ),
        sa.CheckConstraint(
            "ends_on >= starts_on",
            name=op.f("ck_ledger_centralised_periods_ends_after_it_starts"),
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["ledger_declarations.id"],
            name=op.f("fk_ledger_centralised_periods_declaration_id_ledger_declarations"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_ledger_centralised_periods_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_centralised_periods")),
    )
    with op.batch_alter_table("ledger_centralised_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_centralised_periods_party_id"), ["party_id"], unique=False
        )

    op.create_table(
        "ledger_centralised_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("crossed_on", sa.Date(), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column(
            "quantity", hetao.storage.types.ScaledDecimal(precision=20, scale=3), nullable=False
        ),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column(
            "customs_value",
            hetao.storage.types.ScaledDecimal(precision=18, scale=2),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("origin", sa.String(length=2), nullable=False),
        sa.Column("goods_kind", sa.String(length=40), nullable=False),
        sa.Column("research_own_use", sa.Boolean(), nullable=False),
        sa.Column("bonded", sa.Boolean(), nullable=False),
        sa.Column("hgr_material", sa.Boolean(), nullable=False),
        sa.Column("supervised_equipment", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "customs_value >= 0",
            name=op.f("ck_ledger_centralised_lines_customs_value_not_negative"),
        ),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_ledger_centralised_lines_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["ledger_centralised_periods.id"],
            name=op.f("fk_ledger_centralised_lines_period_id_ledger_centralised_periods"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_centralised_lines")),
        sa.UniqueConstraint(
            "period_id", "line_no", name=op.f("uq_ledger_centralised_lines_period_id_line_no")
        ),
    )


def downgrade() -> None:
    op.drop_table("ledger_centralised_lines")
    with op.batch_alter_table("ledger_centralised_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_centralised_periods_party_id"))
    op.drop_table("ledger_centralised_periods")
