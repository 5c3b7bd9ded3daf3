"""zone credentials and their revocations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 08:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credential_keys",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_credential_keys")),
    )
    op.create_table(
        "zone_credentials",
        sa.Column("id", sa.String(length=22), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("whitelist_entry_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("claims", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "revoked",
                name="credential_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("issued_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_before", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("superseded_by", sa.String(length=22), nullable=True),
        sa.CheckConstraint(
            "not_after > not_before", name=op.f("ck_zone_credentials_window_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["credential_keys.key_id"],
            name=op.f("fk_zone_credentials_key_id_credential_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_zone_credentials_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["whitelist_entry_id"],
            ["whitelist_entries.id"],
            name=op.f("fk_zone_credentials_whitelist_entry_id_whitelist_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_credentials")),
    )
    op.create_index(
        op.f("ix_zone_credentials_not_after"), "zone_credentials", ["not_after"], unique=False
    )
    op.create_index(
        "ix_zone_credentials_person_id_status",
        "zone_credentials",
        ["person_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_zone_credentials_status"), "zone_credentials", ["status"], unique=False
    )
    op.create_index(
        op.f("ix_zone_credentials_whitelist_entry_id"),
        "zone_credentials",
        ["whitelist_entry_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_zone_credentials_whitelist_entry_id"), table_name="zone_credentials")
    op.drop_index(op.f("ix_zone_credentials_status"), table_name="zone_credentials")
    op.drop_index("ix_zone_credentials_person_id_status", table_name="zone_credentials")
    op.drop_index(op.f("ix_zone_credentials_not_after"), table_name="zone_credentials")
    op.drop_table("zone_credentials")
    op.drop_table("credential_keys")
