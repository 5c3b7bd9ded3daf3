"""the quantity of each declaration line crossed so far

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 16:20:00+00:00

A declaration is not used up twice: the gate counts what crosses against each line, and the
crossing committer adds to it with a conditional UPDATE that never passes the declared quantity.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hetao.storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_declaration_lines") as batch:
        batch.add_column(
            sa.Column(
                "quantity_crossed",
                hetao.storage.types.ScaledDecimal(precision=20, scale=3),
                server_default="0",
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger_declaration_lines") as batch:
        batch.drop_column("quantity_crossed")
