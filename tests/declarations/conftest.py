"""Fixtures of the declaration, report and ledger API tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from factories import hk_br, make_entry, make_party
from hetao.audit.service import Actor
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party


@pytest.fixture
def party(session: Session, actor: Actor, profile: ZoneProfile) -> Party:
    """A beneficiary: an enterprise registered in the zone (R2a) with an active entry (R3)."""
    beneficiary = make_party(session, actor)
    make_entry(session, actor, profile, beneficiary.id)
    return beneficiary


@pytest.fixture
def other(session: Session, actor: Actor, profile: ZoneProfile) -> Party:
    """A second beneficiary, whitelisted too."""
    beneficiary = make_party(session, actor, name_en="Huanggang Quantum Devices Ltd.")
    make_entry(session, actor, profile, beneficiary.id)
    return beneficiary


@pytest.fixture
def outsider(session: Session, actor: Actor) -> Party:
    """A Hong Kong institution: not a beneficiary (R2)."""
    return make_party(
        session, actor, kind="hk_institution", uscc=None, hk_br=hk_br(), registered_in_csa=False
    )
