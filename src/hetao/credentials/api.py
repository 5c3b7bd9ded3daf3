"""Zone credential endpoints under /api/v1: issue, show, revoke, keys, revocation list, verify.

Who may do what (also in docs/access.md):
- issue: zone reviewers and administrators; an enterprise user for a person affiliated with
  its own party (the zone already approved that person's whitelist entry, so issuing adds no
  privilege; another party's person answers 404);
- show: staff, and enterprise users for their own affiliated persons;
- revoke: zone reviewers, administrators and customs officers (an officer who finds a misused
  credential stops it at once);
- keys: every authenticated caller (public keys are public; gates need them);
- revocation list: gate devices and staff;
- verify online: gate devices, customs officers and administrators.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.idempotency import shown_once
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import Allow
from hetao.api.state import app_state
from hetao.auth.principal import Principal, Role
from hetao.credentials import service
from hetao.credentials.models import ZoneCredential
from hetao.credentials.tokens import SigningKey
from hetao.errors import PermissionDenied
from hetao.inputs import Id, InputModel
from hetao.registry import repository as registry_repo
from hetao.registry.access import STAFF, check_person, party_scope
from hetao.registry.models import Person
from hetao.storage.types import utcnow

router = APIRouter(route_class=UnitOfWorkRoute)
R = Role
OFFICERS = (R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER)

#: Issue a credential: the zone administration, or an enterprise for its own people.
Issuers = Annotated[Principal, Depends(Allow(R.ZONE_REVIEWER, R.ADMINISTRATOR, R.ENTERPRISE_USER))]
#: Read a credential's record: staff, and enterprises for their own people.
Readers = Annotated[Principal, Depends(Allow(*STAFF, R.ENTERPRISE_USER))]
#: Revoke: the zone administration and customs officers.
Revokers = Annotated[Principal, Depends(Allow(R.ZONE_REVIEWER, R.ADMINISTRATOR, *OFFICERS))]
#: Public keys: anyone signed in, devices included.
KEY_READERS = Depends(Allow(*Role))
#: The signed revocation list: gate devices and staff.
LIST_READERS = Depends(Allow(R.GATE_DEVICE, *STAFF))
#: Online verification: gates, officers, administrators.
VERIFIERS = Depends(Allow(R.GATE_DEVICE, *OFFICERS, R.ADMINISTRATOR))

CredentialIdPath = Annotated[
    str, Path(min_length=22, max_length=22, pattern=r"^[A-Za-z0-9_-]{22}$")
]


def _signing_key(request: Request) -> SigningKey:
    """The process's signing key, loaded (or created) with the application (hetao.app)."""
    key = app_state(request).credential_signing_key
    if not isinstance(key, SigningKey):
        raise TypeError(f"the credential signing key is a {type(key).__name__}")
    return key


SigningKeyDep = Annotated[SigningKey, Depends(_signing_key)]


# --- shapes ---------------------------------------------------------------------------------


class CredentialCreate(InputModel):
    """Issue a credential to a whitelisted person."""

    model_config = ConfigDict(extra="forbid")

    person_id: Id
    crossing_points: list[str] = Field(
        default_factory=list, max_length=20, description="Restrict to these points; empty: any"
    )
    valid_days: int | None = Field(
        None, ge=1, le=3650, description="Capped by the whitelist entry; default 365"
    )


class Revocation(InputModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class PresentedToken(InputModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=1000, description="The QR payload, HZC1....")


class CredentialOut(BaseModel):
    """A credential's record (never its token)."""

    id: str
    person_id: int
    whitelist_entry_id: int
    key_id: str
    status: str = Field(description="active | revoked | expired (expiry read from not_after)")
    claims: dict[str, Any]
    issued_at: dt.datetime
    not_before: dt.datetime
    not_after: dt.datetime
    issued_by: str
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revocation_reason: str | None
    superseded_by: str | None

    @classmethod
    def of(cls, credential: ZoneCredential, at: dt.datetime) -> CredentialOut:
        return cls(
            id=credential.id,
            person_id=credential.person_id,
            whitelist_entry_id=credential.whitelist_entry_id,
            key_id=credential.key_id,
            status=service.status_at(credential, at),
            claims=credential.claims,
            issued_at=credential.issued_at,
            not_before=credential.not_before,
            not_after=credential.not_after,
            issued_by=credential.issued_by,
            revoked_at=credential.revoked_at,
            revoked_by=credential.revoked_by,
            revocation_reason=credential.revocation_reason,
            superseded_by=credential.superseded_by,
        )


class CredentialIssued(BaseModel):
    credential: CredentialOut
    token: str | None = shown_once("The QR payload; shown once, never stored")


class PublicKeyOut(BaseModel):
    key_id: str
    public_key_pem: str
    current: bool
    retired_at: dt.datetime | None


class PublicKeys(BaseModel):
    keys: list[PublicKeyOut]


class VerificationOut(BaseModel):
    status: str = Field(description="valid, or why not: revoked, expired, invalid_signature, ...")
    detail: str
    credential_id: str | None
    person_id: int | None
    claims: dict[str, Any] | None


# --- access ---------------------------------------------------------------------------------


def _check_credential(
    session: SessionDep, principal: Principal, credential: ZoneCredential
) -> ZoneCredential:
    """An enterprise user reaches credentials of its own affiliated persons; others are 404."""
    if party_scope(principal) is None:
        return credential
    person = registry_repo.get(session, Person, credential.person_id)
    try:
        check_person(session, principal, person)
    except PermissionDenied:
        raise PermissionDenied(f"credential {credential.id} does not exist", hidden=True) from None
    return credential


# --- endpoints ------------------------------------------------------------------------------


@router.post(
    "/credentials",
    tags=["credentials"],
    status_code=status.HTTP_201_CREATED,
    summary="Issue a zone credential (supersedes the entry's earlier one)",
)
def issue_credential(
    body: CredentialCreate,
    session: SessionDep,
    profile: ProfileDep,
    key: SigningKeyDep,
    principal: Issuers,
) -> CredentialIssued:
    """201 with the record and the token; the person needs an active whitelist entry."""
    check_person(session, principal, registry_repo.get(session, Person, body.person_id))
    now = utcnow()
    issued = service.issue(
        session,
        body.person_id,
        key=key,
        profile=profile,
        actor=principal.actor,
        now=now,
        crossing_points=body.crossing_points,
        valid_days=body.valid_days,
    )
    return CredentialIssued(credential=CredentialOut.of(issued.credential, now), token=issued.token)


@router.get(
    "/credentials/keys",
    tags=["credentials"],
    summary="Public keys for offline gates",
    dependencies=[KEY_READERS],
)
def public_keys(session: SessionDep, key: SigningKeyDep) -> PublicKeys:
    """The current signing key and the retired ones that still verify older credentials."""
    return PublicKeys(
        keys=[
            PublicKeyOut(
                key_id=k.key_id,
                public_key_pem=k.public_key_pem,
                current=k.key_id == key.key_id,
                retired_at=k.retired_at,
            )
            for k in service.published_keys(session, key)
        ]
    )


@router.get(
    "/credentials/revocations",
    tags=["credentials"],
    summary="The signed revocation list for offline gates",
    response_model=None,
    dependencies=[LIST_READERS],
)
def revocations(session: SessionDep, profile: ProfileDep, key: SigningKeyDep) -> Response:
    """``{"body": ..., "signature": ...}``; gates check the signature and the list's age."""
    signed = service.revocation_list(session, key=key, profile=profile, now=utcnow())
    return Response(
        content=signed.to_json(),
        media_type="application/json",
        headers={"ETag": f'"{service.list_digest(signed)}"', "Cache-Control": "no-store"},
    )


@router.post(
    "/credentials/verify",
    tags=["credentials"],
    summary="Verify a credential online",
    dependencies=[VERIFIERS],
)
def verify_credential(body: PresentedToken, session: SessionDep) -> VerificationOut:
    """Signature, key, validity, revocation and the whitelist entry, as of now."""
    online = service.verify_online(session, body.token, at=utcnow())
    claims = online.verdict.claims
    return VerificationOut(
        status=str(online.verdict.status),
        detail=online.verdict.detail,
        credential_id=None if claims is None else claims.credential_id,
        person_id=online.person_id,
        claims=None if claims is None else claims.to_json(),
    )


@router.get("/credentials/{credential_id}", tags=["credentials"], summary="Show a credential")
def get_credential(
    credential_id: CredentialIdPath, session: SessionDep, principal: Readers
) -> CredentialOut:
    """The credential's claims, status and validity; the token itself is never shown again."""
    credential = service.get_credential(session, credential_id)
    return CredentialOut.of(_check_credential(session, principal, credential), utcnow())


@router.post(
    "/credentials/{credential_id}/revoke",
    tags=["credentials"],
    summary="Revoke a credential (online at once; offline with the next list)",
)
def revoke_credential(
    credential_id: CredentialIdPath, body: Revocation, session: SessionDep, principal: Revokers
) -> CredentialOut:
    """Revoked at once for online checks; offline gates learn it from the next signed list."""
    credential = service.get_credential(session, credential_id, for_update=True)
    now = utcnow()
    service.revoke(session, credential, reason=body.reason, actor=principal.actor, now=now)
    return CredentialOut.of(credential, now)
