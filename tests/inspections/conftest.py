"""Fixtures of the inspection tests: officers are users, made with cheap password hashing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from declarations.support import admitted
from factories import make_party
from hetao.audit.service import Actor
from hetao.ledger.models import Lot
from hetao.profiles import ZoneProfile


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Officers are real users; argon2 at full cost would dominate these tests."""


@pytest.fixture
def lot(session: Session, actor: Actor, profile: ZoneProfile) -> Lot:
    """Ten bonded reagent kits of a beneficiary party, admitted by a cleared first-line entry:
    a crossing of that declaration's goods (``decided(carrying=[lot])``) covers the lot."""
    return admitted(session, make_party(session, actor), profile, actor, bonded=True)
