"""a partial index of movements' declaration references

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 04:00:00+00:00

Most movements (a stocktake's adjustments, a consumption) carry no declaration reference; the
index of the references held an entry for each of them, a page more for every commit of a
movement to write. Indexing only the references given keeps every lookup by a reference (which
implies it is not null) and spares the rest (issue 19, ADR 0015).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_ledger_movements_declaration_ref"
_GIVEN = sa.text("declaration_ref IS NOT NULL")


def upgrade() -> None:
    op.drop_index(_NAME, table_name="ledger_movements")
    op.create_index(
        _NAME,
        "ledger_movements",
        ["declaration_ref"],
        sqlite_where=_GIVEN,
        postgresql_where=_GIVEN,
    )


def downgrade() -> None:
    op.drop_index(_NAME, table_name="ledger_movements")
    op.create_index(_NAME, "ledger_movements", ["declaration_ref"])
