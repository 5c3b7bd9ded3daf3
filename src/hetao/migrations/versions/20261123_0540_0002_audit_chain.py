"""audit chain: sequence, leaf and chain hashes, head, checkpoints, append-only guards

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:40:00+00:00

Existing events (from before the chain) are numbered in id order and chained here, so a
database migrated from 0001 verifies like a new one.
"""

import datetime as dt
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types
from hetao.audit.chain import GENESIS, EventFacts, chain_link, event_leaf
from hetao.audit.merkle import CompactRange

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: The role the platform connects as in production; it may add audit rows, never change them.
APP_ROLE = "hetao_app"
APPEND_ONLY = ("audit_events", "audit_checkpoints")


def _instant(value: str | dt.datetime) -> dt.datetime:
    """SQLite returns the stored text, PostgreSQL a datetime; both are UTC."""
    instant = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _backfill() -> tuple[int, bytes, list[str]]:
    """Number and chain the events written before this revision."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, tag, subject_type, subject_id, actor, request_id, occurred_at, data "
            "FROM audit_events ORDER BY id"
        )
    ).all()
    previous, frontier = GENESIS, CompactRange()
    for seq, row in enumerate(rows, start=1):
        data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
        facts = EventFacts(
            seq=seq,
            occurred_at=_instant(row.occurred_at),
            tag=row.tag,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            actor=row.actor,
            request_id=row.request_id,
            data=data,
        )
        leaf = event_leaf(facts)
        previous = chain_link(previous, leaf)
        frontier.append(leaf)
        bind.execute(
            sa.text(
                "UPDATE audit_events SET seq = :seq, leaf_hash = :leaf, chain_hash = :chain "
                "WHERE id = :id"
            ),
            {"seq": seq, "leaf": leaf, "chain": previous, "id": row.id},
        )
    return len(rows), previous, [p.hex() for p in frontier.peaks()]


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("seq", BigId, nullable=True))
        batch.add_column(sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=True))
        batch.add_column(sa.Column("chain_hash", sa.LargeBinary(length=32), nullable=True))
    size, chain, peaks = _backfill()
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("seq", existing_type=BigId, nullable=False)
        batch.alter_column("leaf_hash", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch.alter_column("chain_hash", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch.create_unique_constraint(op.f("uq_audit_events_seq"), ["seq"])

    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", BigId, nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("peaks", sa.JSON(), nullable=False),
        sa.Column("last_checkpoint_size", BigId, nullable=False),
        sa.Column(
            "last_checkpoint_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.bulk_insert(
        head,
        [
            {
                "id": 1,
                "size": size,
                "chain_hash": chain,
                "peaks": peaks,
                "last_checkpoint_size": 0,
                "last_checkpoint_at": None,
            }
        ],
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("tree_size", BigId, autoincrement=False, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=120), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("issued_at", hetao.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_audit_checkpoints")),
    )
    _guard_append_only()
    _grant_application_role()


def _guard_append_only() -> None:
    """Refuse UPDATE and DELETE of audit rows, whoever asks (defence beside the hashes)."""
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )
    if dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION hetao_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION hetao_refuse_change()"
            )


def _grant_application_role() -> None:
    """On PostgreSQL: the platform's role reads and writes, but only appends to audit tables."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
        f"THEN CREATE ROLE {APP_ROLE} NOLOGIN; END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    for table in APPEND_ONLY:
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {APP_ROLE}")
    # Tables created by later migrations get the same grants.
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("uq_audit_events_seq"), type_="unique")
        batch.drop_column("chain_hash")
        batch.drop_column("leaf_hash")
        batch.drop_column("seq")
