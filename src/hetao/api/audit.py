"""The audit log for auditors: events, signed checkpoints and inclusion proofs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, WithJsonSchema
from sqlalchemy.orm import Session

from hetao.api.deps import DEFAULT_PAGE_SIZE, CursorQuery, LimitQuery, SessionDep
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.schemas import Page
from hetao.api.security import Allow
from hetao.api.state import app_state
from hetao.audit import repository
from hetao.audit.checkpoints import CheckpointStore, SignedCheckpoint
from hetao.audit.models import AuditEvent
from hetao.audit.proofs import check_inclusion_document, inclusion_document
from hetao.audit.verify import prove_inclusion
from hetao.auth.principal import Role
from hetao.inputs import BigId

router = APIRouter(route_class=UnitOfWorkRoute, tags=["audit"])
#: The audit log is for auditors and administrators only.
AUDITORS = Depends(Allow(Role.AUDITOR, Role.ADMINISTRATOR))


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    tag: str
    subject_type: str
    subject_id: str
    actor: str
    request_id: str | None
    occurred_at: dt.datetime
    data: dict[str, Any]
    leaf_hash: str
    chain_hash: str

    @classmethod
    def of(cls, row: AuditEvent) -> EventOut:
        return cls(
            id=row.id,
            seq=row.seq,
            tag=row.tag,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            actor=row.actor,
            request_id=row.request_id,
            occurred_at=row.occurred_at,
            data=row.data,
            leaf_hash=bytes(row.leaf_hash).hex(),
            chain_hash=bytes(row.chain_hash).hex(),
        )


#: One check of a proof: [what was checked, whether it held]. Described without prefixItems,
#: which OpenAPI tools (Schemathesis among them) rewrite into an invalid draft-4 tuple.
CheckOut = Annotated[
    tuple[str, bool],
    WithJsonSchema(
        {
            "type": "array",
            "description": "[what was checked (string), whether it held (boolean)]",
            "items": {"type": ["string", "boolean"]},
            "minItems": 2,
            "maxItems": 2,
        }
    ),
]


class ProofOut(BaseModel):
    """An inclusion proof with the server's own check of it; auditors re-check it offline."""

    proof: dict[str, Any]
    checks: list[CheckOut]
    ok: bool


def checkpoint_store(request: Request) -> CheckpointStore:
    directory: FilePath = app_state(request).checkpoint_dir
    return CheckpointStore(directory)


StoreDep = Annotated[CheckpointStore, Depends(checkpoint_store)]


#: What the proof and checkpoint answers say when the evidence itself no longer reads.
EVIDENCE_DAMAGED: dict[str, Any] = {
    "description": "Tampering: an exported checkpoint file or an event row no longer reads "
    "(audit-evidence-damaged, naming it)"
}


@router.get("/audit/events", summary="List audit events", dependencies=[AUDITORS])
def list_events(
    session: SessionDep,
    tag: Annotated[str | None, Query(description="e.g. registry:entry:suspend")] = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Page[EventOut]:
    """The log in order, filtered by tag or subject."""
    page = repository.page_events(
        session,
        tag=tag,
        subject_type=subject_type,
        subject_id=subject_id,
        cursor=cursor,
        limit=limit,
    )
    return Page(items=[EventOut.of(row) for row in page.items], next_cursor=page.next_cursor)


def event_with_proof(session: Session, store: CheckpointStore, seq: int) -> ProofOut:
    """The proof document of one event and the verdict of checking it with the exported key."""
    document = inclusion_document(prove_inclusion(session, seq=seq, checkpoints=store.load()))
    key = store.public_key()
    if key is None:
        return ProofOut(proof=document, checks=[("a public key was exported", False)], ok=False)
    verdict = check_inclusion_document(document, key)
    return ProofOut(proof=document, checks=verdict.checks, ok=verdict.ok)


@router.get(
    "/audit/events/{seq}/proof",
    summary="Inclusion proof of an event",
    dependencies=[AUDITORS],
    responses={409: EVIDENCE_DAMAGED},
)
def event_proof(seq: BigId, session: SessionDep, store: StoreDep) -> ProofOut:
    """Proof against the first exported checkpoint covering the event (checkable offline)."""
    return event_with_proof(session, store, seq)


@router.get(
    "/audit/checkpoints",
    summary="Exported signed checkpoints",
    dependencies=[AUDITORS],
    responses={409: EVIDENCE_DAMAGED},
)
def checkpoints(store: StoreDep) -> list[dict[str, Any]]:
    """Every exported checkpoint, smallest first, with its signature."""
    return [_checkpoint(c) for c in store.load()]


def _checkpoint(signed: SignedCheckpoint) -> dict[str, Any]:
    return {"body": signed.fields, "signature": signed.signature}
