"""uploaded versions of the reference tables (tariff, exchange rates, exclusions)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:10:00+00:00

An administrator uploads a new version of a reference table as CSV; it is validated, kept
beside the older versions, and in force from its day until a newer one takes effect.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reference_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "tariff",
                "rates",
                "exclusions",
                name="reference_table_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rate_kind", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_versions")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_reference_versions_kind_version")),
    )
    with op.batch_alter_table("reference_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reference_versions_kind_effective_from", ["kind", "effective_from"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("reference_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_reference_versions_kind_effective_from")
    op.drop_table("reference_versions")
