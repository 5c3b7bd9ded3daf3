"""Issuing, revoking and checking zone credentials online; signing the revocation list.

Re-issuing for a person whose entry already has a live credential revokes the earlier one
("superseded") and returns a new token: the token is never stored, so it cannot be handed out
twice, and one live credential per entry keeps the revocation list honest. A retried request
gets its first answer back through the API's Idempotency-Key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import CredentialTag
from hetao.credentials import repository, tokens
from hetao.credentials.models import CredentialKey, CredentialStatus, ZoneCredential
from hetao.credentials.tokens import Claims, Failure, SignedRevocationList, SigningKey, Verdict
from hetao.engine.facts import CredentialFacts
from hetao.errors import (
    FieldProblem,
    RuleViolation,
    ValidationFailed,
)
from hetao.profiles import SubjectKind, ZoneProfile
from hetao.registry import repository as registry_repo
from hetao.registry.models import EntryStatus, Person, WhitelistEntry
from hetao.storage import lookup
from hetao.workflow import Workflow, audit

DEFAULT_VALIDITY_DAYS = 365
"""How long a credential lasts when the issuer does not say (never beyond the whitelist entry).
Not published (REGIME (d)3: whitelist procedure not retrieved): a year, renewed by re-issuing."""

CREDENTIAL_TRANSITIONS = Workflow[CredentialStatus](
    "credential", {"revoke": ({CredentialStatus.ACTIVE}, CredentialStatus.REVOKED)}
)


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """A new credential and its token: the only time the token exists outside the holder."""

    credential: ZoneCredential
    token: str


@dataclass(frozen=True, slots=True)
class OnlineVerdict:
    """An online check: the verdict and the person it names (None before a valid signature)."""

    verdict: Verdict
    person_id: int | None
    credential: ZoneCredential | None


def _zone_midnight(day: dt.date, timezone: str) -> dt.datetime:
    """The instant a zone day starts, in UTC: validity windows are whole days at the gate."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


# --- keys -----------------------------------------------------------------------------------


def register_key(
    session: Session, key: SigningKey, *, now: dt.datetime, actor: Actor
) -> CredentialKey:
    """Publish ``key`` as the signing key; the keys before it are retired but still verify."""
    known = session.get(CredentialKey, key.key_id)
    if known is not None and known.retired_at is None:
        return known
    retired = repository.live_keys_except_for_update(session, key.key_id)
    for old in retired:
        old.retired_at = now
    if known is None:
        known = CredentialKey(key_id=key.key_id, public_key_pem=key.public_pem, created_at=now)
        session.add(known)
    else:
        known.retired_at = None  # an operator put a retired key back in service
    audit(
        session,
        CredentialTag.CREDENTIAL_KEY_REGISTER,
        key.key_id,
        actor,
        retired=sorted(k.key_id for k in retired),
    )
    return known


def published_keys(session: Session, current: SigningKey | None = None) -> list[CredentialKey]:
    """Every key gates must hold (retired ones verify older credentials), newest first."""
    keys = repository.keys_newest_first(session)
    if current is not None and all(k.key_id != current.key_id for k in keys):
        # Not registered yet (nothing issued since a rotation) but already signing lists.
        keys.insert(0, CredentialKey(key_id=current.key_id, public_key_pem=current.public_pem))
    return keys


@lru_cache(maxsize=64)
def _parsed(pem: str) -> Ed25519PublicKey:
    return tokens.keyring([pem]).popitem()[1]


def _ring(keys: Iterable[CredentialKey]) -> dict[str, Ed25519PublicKey]:
    return {k.key_id: _parsed(k.public_key_pem) for k in keys}


# --- issue and revoke -----------------------------------------------------------------------


def _entry_in_force(session: Session, person_id: int, today: dt.date) -> WhitelistEntry:
    live = registry_repo.live_entries_for_subject(
        session, subject_kind=SubjectKind.INDIVIDUAL, subject_id=person_id
    )
    for entry in sorted(live, key=lambda e: e.valid_until, reverse=True):
        if entry.status is EntryStatus.ACTIVE and entry.valid_from <= today <= entry.valid_until:
            return entry
    raise RuleViolation(
        f"person {person_id} has no active whitelist entry valid on {today}",
        problems=[
            FieldProblem(
                "person_id",
                "credential.whitelist_entry_in_force",
                "needs an active individual whitelist entry valid today",
            )
        ],
    )


def _check_points(profile: ZoneProfile, points: Sequence[str]) -> None:
    known = {p.code for p in profile.crossing_points}
    unknown = sorted(set(points) - known)
    if unknown:
        raise ValidationFailed.single(
            "crossing_points",
            "crossing_point.known",
            f"not crossing points of zone {profile.zone.code}: {', '.join(unknown)}",
        )


def issue(
    session: Session,
    person_id: int,
    *,
    key: SigningKey,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime,
    crossing_points: Sequence[str] = (),
    valid_days: int | None = None,
) -> IssuedCredential:
    """A credential for a person with an active whitelist entry; supersedes the entry's last."""
    lookup.get(session, Person, person_id)
    today = now.astimezone(ZoneInfo(profile.zone.timezone)).date()
    entry = _entry_in_force(session, person_id, today)
    _check_points(profile, crossing_points)
    days = DEFAULT_VALIDITY_DAYS if valid_days is None else valid_days
    if days < 1:
        raise ValidationFailed.single(
            "valid_days", "credential.valid_days_positive", "must be >= 1"
        )
    # Never beyond the entry: the gate offline knows nothing else about the person.
    last_day = min(entry.valid_until, today + dt.timedelta(days=days - 1))
    register_key(session, key, now=now, actor=actor)
    claims = tokens.make_claims(
        key_id=key.key_id,
        zone=profile.zone.code,
        flows=entry.flows,
        lines=entry.lines,
        crossing_points=crossing_points,
        issued_at=now,
        not_before=_zone_midnight(today, profile.zone.timezone),
        not_after=_zone_midnight(last_day + dt.timedelta(days=1), profile.zone.timezone),
    )
    token = tokens.sign_token(claims, key)
    credential = ZoneCredential(
        id=claims.credential_id,
        person_id=person_id,
        whitelist_entry_id=entry.id,
        key_id=key.key_id,
        claims=claims.to_json(),
        status=CredentialStatus.ACTIVE,
        issued_at=claims.issued_at,
        not_before=claims.not_before,
        not_after=claims.not_after,
        issued_by=str(actor),
    )
    superseded = repository.live_for_entry(session, entry.id)
    for earlier in superseded:
        _revoke(session, earlier, reason=f"superseded by {credential.id}", actor=actor, now=now)
        earlier.superseded_by = credential.id
    session.add(credential)
    audit(
        session,
        CredentialTag.CREDENTIAL_ISSUE,
        credential.id,
        actor,
        person_id=person_id,
        whitelist_entry_id=entry.id,
        key_id=key.key_id,
        not_before=claims.not_before.isoformat(),
        not_after=claims.not_after.isoformat(),
        crossing_points=list(claims.crossing_points),
        superseded=[c.id for c in superseded],
    )
    return IssuedCredential(credential=credential, token=token)


def _revoke(
    session: Session, credential: ZoneCredential, *, reason: str, actor: Actor, now: dt.datetime
) -> None:
    before = CREDENTIAL_TRANSITIONS.move(credential, "revoke")
    credential.revoked_at = now
    credential.revoked_by = str(actor)
    credential.revocation_reason = reason
    audit(
        session,
        CredentialTag.CREDENTIAL_REVOKE,
        credential.id,
        actor,
        before=str(before),
        reason=reason,
        person_id=credential.person_id,
    )


def revoke(
    session: Session, credential: ZoneCredential, *, reason: str, actor: Actor, now: dt.datetime
) -> None:
    """Revoke a credential: online checks refuse it from this commit on, lists from the next."""
    if not reason.strip():
        raise ValidationFailed.single("reason", "credential.revoke_reason", "give a reason")
    _revoke(session, credential, reason=reason.strip(), actor=actor, now=now)


def get_credential(
    session: Session, credential_id: str, *, for_update: bool = False
) -> ZoneCredential:
    return lookup.get(
        session, ZoneCredential, credential_id, for_update=for_update, noun="credential"
    )


def status_at(credential: ZoneCredential, at: dt.datetime) -> str:
    """ "active", "revoked" or "expired" (read from the window; never stored)."""
    if credential.status is CredentialStatus.REVOKED:
        return str(CredentialStatus.REVOKED)
    return "expired" if at >= credential.not_after else str(CredentialStatus.ACTIVE)


# --- revocation list ------------------------------------------------------------------------


#: Unexpired credentials a gate must refuse (a query: see the repository).
revoked_ids = repository.revoked_ids


def revocation_list(
    session: Session, *, key: SigningKey, profile: ZoneProfile, now: dt.datetime
) -> SignedRevocationList:
    """Sign the list as of now; its sequence is the audit log's size (monotonic, no writes)."""
    # Read the log size first: the ids read after it are at least as recent as the sequence.
    sequence = repository.audit_log_size(session)
    today = now.astimezone(ZoneInfo(profile.zone.timezone)).date()
    listed = tokens.RevocationList(
        zone=profile.zone.code,
        sequence=sequence,
        issued_at=now.replace(microsecond=0),
        key_id=key.key_id,
        revoked=frozenset(revoked_ids(session, now=now, today=today)),
        next_update=now.replace(microsecond=0) + tokens.REVOCATION_LIST_REFRESH,
    )
    return tokens.sign_revocation_list(listed, key)


def list_digest(signed: SignedRevocationList) -> str:
    """SHA-256 of the signed body, for logs and the response headers."""
    return hashlib.sha256(signed.body.encode()).hexdigest()


# --- online verification --------------------------------------------------------------------


def verify_online(
    session: Session, token: str, *, at: dt.datetime, zone: str | None = None
) -> OnlineVerdict:
    """Signature, key, window, revocation and the entry, against the database as it is now."""
    read = tokens.read_token(token)
    key_id = read[0].key_id if not isinstance(read, Verdict) else None
    known = [] if key_id is None else [k for k in [session.get(CredentialKey, key_id)] if k]
    verdict = tokens.verify_token(token, keys=_ring(known), at=at, zone=zone)
    claims: Claims | None = verdict.claims
    if claims is None or verdict.status in (Failure.UNKNOWN_KEY, Failure.INVALID_SIGNATURE):
        return OnlineVerdict(verdict, None, None)
    credential = session.get(ZoneCredential, claims.credential_id)
    if credential is None:
        missing = Verdict(Failure.UNKNOWN_CREDENTIAL, claims, "not issued by this database")
        return OnlineVerdict(missing, None, None)
    if not verdict.valid:
        return OnlineVerdict(verdict, credential.person_id, credential)
    if credential.status is CredentialStatus.REVOKED:
        revoked = Verdict(Failure.REVOKED, claims, credential.revocation_reason or "")
        return OnlineVerdict(revoked, credential.person_id, credential)
    entry = registry_repo.find_entry(session, credential.whitelist_entry_id)
    if entry is None or entry.status is not EntryStatus.ACTIVE:
        state = "missing" if entry is None else entry.status
        lapsed = Verdict(Failure.REVOKED, claims, f"whitelist entry is {state}")
        return OnlineVerdict(lapsed, credential.person_id, credential)
    return OnlineVerdict(verdict, credential.person_id, credential)


def verify_presented(
    session: Session, token: str, *, at: dt.datetime
) -> tuple[int | None, CredentialFacts]:
    """For gathering crossing facts: the person (None if unknown) and the credential's status."""
    online = verify_online(session, token, at=at)
    claims = online.verdict.claims
    credential_id = claims.credential_id if claims is not None else ""
    return online.person_id, CredentialFacts(
        credential_id=credential_id, status=str(online.verdict.status)
    )
