"""no secret at rest: derived CSRF tokens, replay records without secrets, purged by age

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 14:00:00+00:00

The CSRF token of a web session is now derived from its cookie's secret, so the column that held
it in clear goes. Stored replays may hold secrets (bearer tokens, credential tokens, CSRF tokens)
and unkeyed fingerprints: they are deleted. A client retrying across the upgrade gets its
request run afresh, as after the retention period.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM idempotency_records"))
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withheld", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_idempotency_records_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("auth_web_sessions", schema=None) as batch_op:
        batch_op.drop_column("csrf_token")


def downgrade() -> None:
    # Sessions opened since cannot get their derived token back: every one of them ends.
    op.execute(sa.text("DELETE FROM auth_web_sessions"))
    with op.batch_alter_table("auth_web_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("csrf_token", sa.String(length=64), nullable=False, server_default="")
        )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_records_created_at")
        batch_op.drop_column("withheld")
