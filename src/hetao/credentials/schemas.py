"""Request and response shapes of the zone credential endpoints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hetao.api.idempotency import shown_once
from hetao.credentials import service
from hetao.credentials.models import ZoneCredential
from hetao.inputs import Id, InputModel


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
