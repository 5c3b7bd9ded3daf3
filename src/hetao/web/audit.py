"""The audit log for auditors: the latest events, one event and its inclusion proof."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from hetao.api.audit import StoreDep, event_with_proof
from hetao.api.deps import CursorQuery, SessionDep
from hetao.api.security import Allow
from hetao.audit.checkpoints import SignedCheckpoint
from hetao.audit.repository import event_by_seq, latest_events
from hetao.errors import NotFound
from hetao.storage.pagination import decode_cursor, encode_cursor
from hetao.web.rendering import AUDIT_ROLES, render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)
AUDITORS = Depends(Allow(*AUDIT_ROLES))
#: Sequence numbers are 64-bit; anything larger is no event (and would overflow the driver).
SeqPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
TAG_MAX = 80  # the column's width


@router.get("/audit/events", dependencies=[AUDITORS])
def events(
    request: Request,
    session: SessionDep,
    tag: Annotated[str | None, Query(max_length=TAG_MAX)] = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = PAGE_SIZE,
) -> Response:
    """The latest events, filtered by tag, with a link to older ones."""
    tag = (tag or "").strip() or None
    # The cursor names the last seq shown; in newest-first order the next page lies below it.
    rows, last = latest_events(session, tag=tag, before=decode_cursor(cursor), limit=limit)
    older: dict[str, Any] | None = None
    if last is not None:
        older = {"cursor": encode_cursor(last)}
        if tag:
            older["tag"] = tag
        if limit != PAGE_SIZE:
            older["limit"] = limit
    return render(
        request,
        "audit/events.html",
        events=rows,
        tag=tag,
        older=older,
        paged=cursor is not None,
    )


@router.get("/audit/events/{seq}", dependencies=[AUDITORS])
def event(request: Request, seq: SeqPath, session: SessionDep, store: StoreDep) -> Response:
    """One event, its hashes, and its inclusion proof checked against the exported public key."""
    proof = checkpoint = None
    pending: str | None = None
    # The proof first: it names a damaged event (409) where loading the row would fail.
    try:
        proof = event_with_proof(session, store, seq)
    except NotFound as missing:
        pending = missing.detail  # no exported checkpoint covers the event yet
    else:
        signed = proof.proof["checkpoint"]
        checkpoint = SignedCheckpoint(body=signed["body"], signature=signed["signature"]).fields
    row = event_by_seq(session, seq)
    if row is None:
        raise NotFound(f"audit event {seq} does not exist")
    return render(
        request,
        "audit/event.html",
        event=row,
        leaf_hash=bytes(row.leaf_hash).hex(),
        chain_hash=bytes(row.chain_hash).hex(),
        proof=proof,
        checkpoint=checkpoint,
        pending=pending,
    )


@router.get("/audit/events/{seq}/proof.json", dependencies=[AUDITORS])
def proof_document(seq: SeqPath, session: SessionDep, store: StoreDep) -> Response:
    """The proof document `hetao audit check-proof` verifies offline."""
    document = event_with_proof(session, store, seq).proof
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="proof.json"'},
    )
