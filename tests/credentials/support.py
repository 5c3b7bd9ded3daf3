"""Whitelisted persons and keys for the credential tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from factories import make_application, make_party, make_person
from hetao.audit.service import Actor
from hetao.credentials import tokens as credentials
from hetao.credentials.tokens import Claims, SigningKey
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.registry.models import Person, WhitelistEntry

NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def whitelisted(
    session: Session, actor: Actor, profile: ZoneProfile, **application: Any
) -> tuple[Person, WhitelistEntry]:
    """A researcher with an approved (active, valid today) individual whitelist entry."""
    party = make_party(session, actor)
    person = make_person(session, actor, party.id)
    values: dict[str, Any] = {
        "subject_kind": "individual",
        "person_id": person.id,
        "party_id": party.id,
        "flows": ["people", "goods"],
        "lines": ["first", "second"],
        "exemptions": [],
    }
    values.update(application)
    draft = make_application(session, actor, profile, **values)
    registry.submit(session, draft, actor=actor)
    entry = registry.approve(session, draft, profile=profile, actor=actor)
    return person, entry


def claims_for(key: SigningKey, **overrides: Any) -> Claims:
    """Claims valid for a year around NOW, for zone hetao."""
    values: dict[str, Any] = {
        "key_id": key.key_id,
        "zone": "hetao",
        "flows": ["people"],
        "lines": ["first", "second"],
        "issued_at": NOW,
        "not_before": NOW - dt.timedelta(days=1),
        "not_after": NOW + dt.timedelta(days=365),
    }
    values.update(overrides)
    return credentials.make_claims(**values)


def token_for(key: SigningKey, **overrides: Any) -> tuple[Claims, str]:
    claims = claims_for(key, **overrides)
    return claims, credentials.sign_token(claims, key)


def revocation_list(
    key: SigningKey, revoked: set[str], *, issued_at: dt.datetime = NOW, **overrides: Any
) -> credentials.SignedRevocationList:
    values: dict[str, Any] = {
        "zone": "hetao",
        "sequence": 7,
        "issued_at": issued_at,
        "key_id": key.key_id,
        "revoked": frozenset(revoked),
        "next_update": issued_at + credentials.REVOCATION_LIST_REFRESH,
    }
    values.update(overrides)
    return credentials.sign_revocation_list(credentials.RevocationList(**values), key)
