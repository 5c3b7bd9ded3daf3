"""Fixtures of the declaration, report and ledger API tests (defined in ``fixtures``)."""

from declarations.fixtures import lot, other, outsider, party

__all__ = ["lot", "other", "outsider", "party"]
