"""Zone credential endpoints under /api/v1: issue, show, revoke, keys, revocation list, verify.

Who may do what: ``hetao.credentials.access`` (also in docs/access.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from hetao.api.deps import ProfileDep, SessionDep
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import Allow
from hetao.api.state import app_state
from hetao.auth.principal import Principal
from hetao.credentials import access, service
from hetao.credentials.models import ZoneCredential
from hetao.credentials.schemas import (
    CredentialCreate,
    CredentialIssued,
    CredentialOut,
    PresentedToken,
    PublicKeyOut,
    PublicKeys,
    Revocation,
    VerificationOut,
)
from hetao.credentials.tokens import SigningKey
from hetao.registry import repository as registry_repo
from hetao.registry.access import check_person, party_scope
from hetao.registry.models import Person
from hetao.storage import lookup
from hetao.storage.types import utcnow

router = APIRouter(route_class=UnitOfWorkRoute)
# Who may call each endpoint: the rules are in hetao.credentials.access.
Issuers = Annotated[Principal, Depends(Allow(*access.ISSUERS))]
Readers = Annotated[Principal, Depends(Allow(*access.READERS))]
Revokers = Annotated[Principal, Depends(Allow(*access.REVOKERS))]
KEY_READERS = Depends(Allow(*access.KEY_READERS))
LIST_READERS = Depends(Allow(*access.LIST_READERS))
VERIFIERS = Depends(Allow(*access.VERIFIERS))

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


# --- access ---------------------------------------------------------------------------------


def check_reach(
    session: SessionDep, principal: Principal, credential: ZoneCredential
) -> ZoneCredential:
    """The credential, if the principal may reach it (``access.check_credential``)."""
    scope = party_scope(principal)
    holder_affiliated = scope is None or registry_repo.is_affiliated(
        session, person_id=credential.person_id, party_id=scope
    )
    return access.check_credential(principal, credential, holder_affiliated=holder_affiliated)


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
    check_person(session, principal, lookup.get(session, Person, body.person_id))
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
    return CredentialOut.of(check_reach(session, principal, credential), utcnow())


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
