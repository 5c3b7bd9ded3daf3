"""the legal-inspection catalogue is a reference table with uploaded versions

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 19:00:00+00:00

An administrator uploads versions of the catalogue of goods legally inspected on entry (R12,
R10) as of the tariff and the exclusions: the table kind ``inspection`` joins the others.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("tariff", "rates", "exclusions")
_CONSTRAINT = "ck_reference_versions_reference_table_kind"


def _in(*values: str) -> str:
    return "kind IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    # "inspection" is no longer than "exclusions": the column keeps its length.
    with op.batch_alter_table("reference_versions") as batch:
        batch.drop_constraint(op.f(_CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(_CONSTRAINT), _in(*_KINDS, "inspection"))


def downgrade() -> None:
    # Uploaded catalogue versions are kept: while any remain, the new constraint refuses them.
    with op.batch_alter_table("reference_versions") as batch:
        batch.drop_constraint(op.f(_CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(_CONSTRAINT), _in(*_KINDS))
