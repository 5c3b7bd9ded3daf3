"""data transfers: applications and the dedicated channel log

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 08:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_transfer_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exporter_party_id", sa.Integer(), nullable=False),
        sa.Column("exporter_region", sa.String(length=40), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("recipient_region", sa.String(length=2), nullable=False),
        sa.Column("data_categories", sa.JSON(), nullable=False),
        sa.Column("personal_info_subjects", sa.Integer(), nullable=False),
        sa.Column("sensitive_personal_info_subjects", sa.Integer(), nullable=False),
        sa.Column("important_data", sa.Boolean(), nullable=False),
        sa.Column("cii_operator", sa.Boolean(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "academic_cooperation",
                "contract",
                "hr",
                "research",
                "trade",
                "transport",
                "manufacturing",
                "emergency",
                "other",
                name="data_purpose",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "self_assessed",
                "filed",
                "applied",
                "approved",
                "rejected",
                "active",
                "expiring",
                "extended",
                "expired",
                name="data_application_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "route",
            sa.Enum(
                "exempt",
                "standard_contract",
                "gba_standard_contract",
                "certification",
                "security_assessment",
                name="data_route",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("route_rule", sa.String(length=8), nullable=True),
        sa.Column(
            "ground",
            sa.Enum(
                "no_personal_information",
                "contract_performance",
                "human_resources",
                "emergency",
                "below_thresholds",
                name="data_exempt_ground",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("routing", sa.JSON(), nullable=True),
        sa.Column("assessed_year", sa.Integer(), nullable=True),
        sa.Column("filing_reference", sa.String(length=64), nullable=True),
        sa.Column("approval_reference", sa.String(length=64), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("renewal_window_opens_on", sa.Date(), nullable=True),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "personal_info_subjects >= 0",
            name=op.f("ck_data_transfer_applications_pi_not_negative"),
        ),
        sa.CheckConstraint(
            "sensitive_personal_info_subjects >= 0",
            name=op.f("ck_data_transfer_applications_sensitive_not_negative"),
        ),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from",
            name=op.f("ck_data_transfer_applications_validity_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["exporter_party_id"],
            ["parties.id"],
            name=op.f("fk_data_transfer_applications_exporter_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_transfer_applications")),
    )
    op.create_index(
        op.f("ix_data_transfer_applications_exporter_party_id"),
        "data_transfer_applications",
        ["exporter_party_id"],
        unique=False,
    )
    op.create_index(
        "ix_data_transfer_applications_exporter_year",
        "data_transfer_applications",
        ["exporter_party_id", "assessed_year"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_transfer_applications_renewal_window_opens_on"),
        "data_transfer_applications",
        ["renewal_window_opens_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_transfer_applications_status"),
        "data_transfer_applications",
        ["status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_data_transfer_applications_valid_until"),
        "data_transfer_applications",
        ["valid_until"],
        unique=False,
    )
    op.create_table(
        "data_channel_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("exporter_party_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "size_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("record_counts", sa.JSON(), nullable=False),
        sa.Column("personal_info_subjects", sa.Integer(), nullable=False),
        sa.Column("sensitive_personal_info_subjects", sa.Integer(), nullable=False),
        sa.Column("recipient_region", sa.String(length=2), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "recorded",
                "refused",
                name="data_batch_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "personal_info_subjects >= 0", name=op.f("ck_data_channel_log_pi_not_negative")
        ),
        sa.CheckConstraint(
            "sensitive_personal_info_subjects >= 0",
            name=op.f("ck_data_channel_log_sensitive_not_negative"),
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_data_channel_log_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["data_transfer_applications.id"],
            name=op.f("fk_data_channel_log_application_id_data_transfer_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["exporter_party_id"],
            ["parties.id"],
            name=op.f("fk_data_channel_log_exporter_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_channel_log")),
        sa.UniqueConstraint(
            "application_id", "batch_id", name=op.f("uq_data_channel_log_application_id_batch_id")
        ),
    )
    op.create_index(
        "ix_data_channel_log_exporter_recorded_on",
        "data_channel_log",
        ["exporter_party_id", "recorded_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_data_channel_log_exporter_recorded_on", table_name="data_channel_log")
    op.drop_table("data_channel_log")
    op.drop_index(
        op.f("ix_data_transfer_applications_valid_until"), table_name="data_transfer_applications"
    )
    op.drop_index(
        op.f("ix_data_transfer_applications_status"), table_name="data_transfer_applications"
    )
    op.drop_index(
        op.f("ix_data_transfer_applications_renewal_window_opens_on"),
        table_name="data_transfer_applications",
    )
    op.drop_index(
        "ix_data_transfer_applications_exporter_year", table_name="data_transfer_applications"
    )
    op.drop_index(
        op.f("ix_data_transfer_applications_exporter_party_id"),
        table_name="data_transfer_applications",
    )
    op.drop_table("data_transfer_applications")
