"""Parties, a lot and API roles shared by the declaration and ledger tests.

Each folder's conftest imports the fixtures it needs, so both use one definition.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from declarations.support import admitted
from factories import bearer, hk_br, make_entry, make_party
from hetao.audit.service import Actor
from hetao.auth.principal import Role
from hetao.ledger.models import Lot
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party

V = "/api/v1"
PROBLEM = "application/problem+json"
Tokens = Callable[..., str]


def as_role(token_for: Tokens, role: Role, party: Party | None = None) -> dict[str, str]:
    return bearer(token_for(role, party_id=party.id if party else None))


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


@pytest.fixture
def lot(session: Session, actor: Actor, profile: ZoneProfile, party: Party) -> Lot:
    """Ten duty-free reagent kits of ``party``, committed for the app to see."""
    found = admitted(session, party, profile, actor, research_own_use=True)
    session.commit()
    return found
