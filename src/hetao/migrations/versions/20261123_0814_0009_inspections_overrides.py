"""inspections, assignments, results and officer overrides

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 08:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.ledger.models
import hetao.storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crossing_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("crossing_point", sa.String(length=40), nullable=False),
        sa.Column("line", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "assigned",
                "in_progress",
                "completed",
                "cancelled",
                name="inspection_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("assigned_to", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("completed_by", sa.Integer(), nullable=True),
        sa.Column(
            "result",
            sa.Enum(
                "conforms",
                "discrepancy",
                "seizure",
                name="inspection_result",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("opened_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'completed' AND result IS NOT NULL AND completed_by IS NOT NULL) OR (status <> 'completed' AND result IS NULL)",
            name=op.f("ck_crossing_inspections_result_iff_completed"),
        ),
        sa.CheckConstraint(
            "(status IN ('queued', 'cancelled')) OR assigned_to IS NOT NULL",
            name=op.f("ck_crossing_inspections_assigned_when_taken"),
        ),
        sa.CheckConstraint(
            "line IN ('first', 'second')", name=op.f("ck_crossing_inspections_line_known")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_to"],
            ["auth_users.id"],
            name=op.f("fk_crossing_inspections_assigned_to_auth_users"),
        ),
        sa.ForeignKeyConstraint(
            ["completed_by"],
            ["auth_users.id"],
            name=op.f("fk_crossing_inspections_completed_by_auth_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["crossing_decisions.id"],
            name=op.f("fk_crossing_inspections_decision_id_crossing_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by"],
            ["auth_users.id"],
            name=op.f("fk_crossing_inspections_started_by_auth_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crossing_inspections")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_crossing_inspections_decision_id")),
    )
    with op.batch_alter_table("crossing_inspections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crossing_inspections_assigned_to_status", ["assigned_to", "status"], unique=False
        )
        batch_op.create_index(
            "ix_crossing_inspections_crossing_point_status_opened_at",
            ["crossing_point", "status", "opened_at"],
            unique=False,
        )

    op.create_table(
        "crossing_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_outcome",
            sa.Enum(
                "release",
                "inspect",
                "refuse",
                name="override_from_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_outcome",
            sa.Enum(
                "release",
                "inspect",
                "refuse",
                name="override_to_outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "confirmed",
                "rejected",
                name="override_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status <> 'confirmed' OR from_outcome <> 'refuse' OR decided_by IS NOT NULL",
            name=op.f("ck_crossing_overrides_refuse_overturned_by_two"),
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR decided_by IS NOT NULL",
            name=op.f("ck_crossing_overrides_rejected_by_a_second_officer"),
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by",
            name=op.f("ck_crossing_overrides_second_officer_decides"),
        ),
        sa.CheckConstraint(
            "from_outcome <> to_outcome", name=op.f("ck_crossing_overrides_changes_the_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["auth_users.id"],
            name=op.f("fk_crossing_overrides_decided_by_auth_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["crossing_decisions.id"],
            name=op.f("fk_crossing_overrides_decision_id_crossing_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"],
            ["auth_users.id"],
            name=op.f("fk_crossing_overrides_proposed_by_auth_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crossing_overrides")),
    )
    with op.batch_alter_table("crossing_overrides", schema=None) as batch_op:
        batch_op.create_index(
            "ix_crossing_overrides_decision_id_status", ["decision_id", "status"], unique=False
        )

    op.create_table(
        "crossing_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column(
            "quantity", hetao.storage.types.ScaledDecimal(precision=20, scale=3), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "approved",
                "rejected",
                name="adjustment_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column(
            "movement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status = 'approved' AND movement_id IS NOT NULL) OR (status <> 'approved' AND movement_id IS NULL)",
            name=op.f("ck_crossing_adjustments_approved_has_its_movement"),
        ),
        sa.CheckConstraint(
            "(status = 'proposed' AND decided_by IS NULL) OR (status <> 'proposed' AND decided_by IS NOT NULL)",
            name=op.f("ck_crossing_adjustments_decided_when_not_proposed"),
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by",
            name=op.f("ck_crossing_adjustments_second_officer_decides"),
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_crossing_adjustments_quantity_not_zero")),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["auth_users.id"],
            name=op.f("fk_crossing_adjustments_decided_by_auth_users"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["crossing_inspections.id"],
            name=op.f("fk_crossing_adjustments_inspection_id_crossing_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["ledger_lots.id"], name=op.f("fk_crossing_adjustments_lot_id_ledger_lots")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["ledger_movements.id"],
            name=op.f("fk_crossing_adjustments_movement_id_ledger_movements"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"],
            ["auth_users.id"],
            name=op.f("fk_crossing_adjustments_proposed_by_auth_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crossing_adjustments")),
        sa.UniqueConstraint("movement_id", name=op.f("uq_crossing_adjustments_movement_id")),
    )
    with op.batch_alter_table("crossing_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crossing_adjustments_inspection_id"), ["inspection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crossing_adjustments_lot_id"), ["lot_id"], unique=False
        )

    op.create_table(
        "crossing_seizures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["ledger_holds.id"], name=op.f("fk_crossing_seizures_hold_id_ledger_holds")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["crossing_inspections.id"],
            name=op.f("fk_crossing_seizures_inspection_id_crossing_inspections"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["ledger_lots.id"], name=op.f("fk_crossing_seizures_lot_id_ledger_lots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crossing_seizures")),
        sa.UniqueConstraint("hold_id", name=op.f("uq_crossing_seizures_hold_id")),
    )
    with op.batch_alter_table("crossing_seizures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crossing_seizures_inspection_id"), ["inspection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_crossing_seizures_lot_id"), ["lot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("crossing_seizures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crossing_seizures_lot_id"))
        batch_op.drop_index(batch_op.f("ix_crossing_seizures_inspection_id"))

    op.drop_table("crossing_seizures")
    with op.batch_alter_table("crossing_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crossing_adjustments_lot_id"))
        batch_op.drop_index(batch_op.f("ix_crossing_adjustments_inspection_id"))

    op.drop_table("crossing_adjustments")
    with op.batch_alter_table("crossing_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_crossing_overrides_decision_id_status")

    op.drop_table("crossing_overrides")
    with op.batch_alter_table("crossing_inspections", schema=None) as batch_op:
        batch_op.drop_index("ix_crossing_inspections_crossing_point_status_opened_at")
        batch_op.drop_index("ix_crossing_inspections_assigned_to_status")

    op.drop_table("crossing_inspections")
