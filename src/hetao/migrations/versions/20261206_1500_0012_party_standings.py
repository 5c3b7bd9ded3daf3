"""party standings: bankruptcy, deregistration and credit level, each from a date

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 15:00:00+00:00

R8's exception for in-zone transfers turns on the transferor's standing on the transfer's date,
so a party's standing becomes a history: one row per change, with its date and document.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "party_standings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "registered",
                "active",
                "suspended",
                "deregistered",
                "bankrupt",
                name="party_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "credit_level",
            sa.Enum(
                "advanced_certified",
                "certified",
                "regular",
                "dishonest",
                "seriously_dishonest",
                name="credit_level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("document_ref", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_party_standings_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_standings")),
    )
    with op.batch_alter_table("party_standings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_party_standings_party_id"), ["party_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("party_standings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_party_standings_party_id"))
    op.drop_table("party_standings")
