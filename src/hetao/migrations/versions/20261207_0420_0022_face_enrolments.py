"""face enrolments: consent, purpose, retention and the sealed template

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 04:00:00+00:00

A whitelisted researcher may enrol a face for verification at the gate. One row per person
records the consent and the retention period; the template (sealed, AES-256-GCM) is kept only
while consent is in force and the period runs, which a CHECK constraint holds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "face_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "enrolled",
                "withdrawn",
                "expired",
                name="face_enrolment_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("consent_statement", sa.String(length=40), nullable=False),
        sa.Column("consented_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("template_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("template_sha256", sa.String(length=64), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("expires_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'enrolled') = (template_sealed IS NOT NULL)",
            name=op.f("ck_face_enrolments_template_only_while_enrolled"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_face_enrolments_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["auth_users.id"],
            name=op.f("fk_face_enrolments_recorded_by_auth_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_enrolments")),
        sa.UniqueConstraint("person_id", name=op.f("uq_face_enrolments_person_id")),
    )


def downgrade() -> None:
    op.drop_table("face_enrolments")
