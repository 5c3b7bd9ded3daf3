"""photos of an inspection's result, and the client's key of the result

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 23:30:00+00:00

An officer at the goods, on a tablet, attaches photos to an inspection's result; they are kept
in the database with their SHA-256 (recorded in the result's audit event). A result typed while
the network was down is sent again when it returns: the client's key kept with the result makes
the second sending an answer, not a second result.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("crossing_inspections") as batch:
        batch.add_column(sa.Column("result_key", sa.String(length=64), nullable=True))
    op.create_table(
        "crossing_inspection_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size > 0", name=op.f("ck_crossing_inspection_photos_size_positive")),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["crossing_inspections.id"],
            name=op.f("fk_crossing_inspection_photos_inspection_id_crossing_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["auth_users.id"],
            name=op.f("fk_crossing_inspection_photos_uploaded_by_auth_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crossing_inspection_photos")),
    )
    with op.batch_alter_table("crossing_inspection_photos") as batch:
        batch.create_index(
            batch.f("ix_crossing_inspection_photos_inspection_id"), ["inspection_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("crossing_inspection_photos") as batch:
        batch.drop_index(batch.f("ix_crossing_inspection_photos_inspection_id"))
    op.drop_table("crossing_inspection_photos")
    with op.batch_alter_table("crossing_inspections") as batch:
        batch.drop_column("result_key")
