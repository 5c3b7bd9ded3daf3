"""each user's language for the pages

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 20:00:00+00:00

The console speaks English, Traditional and Simplified Chinese; a user's choice is kept with the
user, so it follows them to another browser and survives signing out. NULL: no choice yet, the
browser's Accept-Language decides.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_users") as batch:
        batch.drop_column("language")
