"""index identity documents by kind and number, for lookups without the issuing country

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 17:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_identity_documents_kind_number", "identity_documents", ["kind", "number"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_identity_documents_kind_number", table_name="identity_documents")
