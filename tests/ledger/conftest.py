"""The beneficiaries and lot the ledger API and report tests share with the declaration tests."""

from declarations.fixtures import lot, other, party

__all__ = ["lot", "other", "party"]
