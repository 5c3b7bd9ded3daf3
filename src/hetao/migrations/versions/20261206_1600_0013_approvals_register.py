"""approvals register: R11 special-article and R41 human-genetic-resources approvals

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:00:00+00:00

An approval a declaration line names is looked up in a register (kind and number), checked on
the line's day against its party, scope, validity and quantity left, and drawn down as the line
clears. Declaration lines gain the two approval references; lines lodged before name none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "special_article_quarantine",
                "human_genetic_resources",
                name="approval_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("hs_codes", sa.JSON(), nullable=False),
        sa.Column("article_kinds", sa.JSON(), nullable=False),
        sa.Column(
            "quantity", hetao.storage.types.ScaledDecimal(precision=20, scale=3), nullable=False
        ),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column(
            "drawn", hetao.storage.types.ScaledDecimal(precision=20, scale=3), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "drawn >= 0 AND drawn <= quantity", name=op.f("ck_approvals_drawn_within_quantity")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_approvals_quantity_positive")),
        sa.CheckConstraint("valid_until >= valid_from", name=op.f("ck_approvals_window_ordered")),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_approvals_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint("kind", "number", name=op.f("uq_approvals_kind_number")),
    )
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approvals_party_id"), ["party_id"], unique=False)
    with op.batch_alter_table("ledger_declaration_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("special_article_approval", sa.String(length=80), nullable=True)
        )
        batch_op.add_column(sa.Column("hgr_approval", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_declaration_lines", schema=None) as batch_op:
        batch_op.drop_column("hgr_approval")
        batch_op.drop_column("special_article_approval")
    with op.batch_alter_table("approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approvals_party_id"))
    op.drop_table("approvals")
