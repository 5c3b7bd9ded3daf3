"""A traveller's document is found by index, with or without its issuing country."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from hetao.registry.repository import HOLDERS_OF_DOCUMENT

PARAMETERS = {"kind": "passport", "number": "E12345678", "country": "GB"}


def plan(session: Session, with_country: bool) -> str:
    """The database's plan for the gate's document lookup, as one string."""
    connection = session.connection()
    statement = HOLDERS_OF_DOCUMENT[with_country].statement.params(PARAMETERS)
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        return " | ".join(str(row[-1]) for row in rows)
    # An empty table is cheapest to scan: ask PostgreSQL for its plan as if it were large.
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    return " | ".join(str(row[0]) for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


def test_a_document_without_its_country_is_looked_up_by_kind_and_number(session: Session) -> None:
    assert "ix_identity_documents_kind_number" in plan(session, with_country=False)


def test_a_document_with_its_country_is_looked_up_by_the_unique_key(session: Session) -> None:
    found = plan(session, with_country=True)
    assert "identity_documents" in found
    assert "SCAN identity_documents" not in found
    assert "Seq Scan on identity_documents" not in found
