"""Sample goods for ledger tests, admitted through the real service."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.ledger import service
from hetao.ledger.models import CustomsStatus, Hold, Lot, LotParent, Movement
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party

_serial = itertools.count(1)

RELEASED_ON = dt.date(2026, 3, 16)


def key(prefix: str = "k") -> str:
    """A fresh client idempotency key."""
    return f"{prefix}-{next(_serial)}"


def goods(**overrides: Any) -> dict[str, Any]:
    """Arguments of ``admit`` for 10 units of a bonded laboratory reagent from Hong Kong."""
    values: dict[str, Any] = {
        "hs_code": "3822.19",
        "description": "Diagnostic reagent kit",
        "unit": "kit",
        "quantity": Decimal(10),
        "origin": "HK",
        "goods_kind": "reagents",
        "customs_status": CustomsStatus.BONDED,
        "customs_value": Decimal("12000.00"),
        "currency": "HKD",
        "admission_ref": "FL-2026-000123",
        "admitted_on": RELEASED_ON,
    }
    values.update(overrides)
    return values


def admit(
    session: Session, party: Party, profile: ZoneProfile, actor: Actor, **overrides: Any
) -> Lot:
    """Admit sample goods under a fresh key unless one is given."""
    values = goods(**overrides)
    values.setdefault("idempotency_key", key("admit"))
    return service.admit(session, party, profile=profile, actor=actor, **values)


def product(**overrides: Any) -> dict[str, Any]:
    """Arguments of ``transform`` (besides the inputs) for an R&D product."""
    values: dict[str, Any] = {
        "hs_code": "3002.49",
        "description": "Engineered cell line, research grade",
        "unit": "vial",
        "quantity": Decimal(4),
        "origin": "CN",
        "goods_kind": "samples",
        "customs_value": Decimal("30000.00"),
        "currency": "CNY",
        "declaration_ref": "RD-2026-0042",
        "made_on": dt.date(2026, 5, 4),
    }
    values.update(overrides)
    return values


def counts(session: Session) -> tuple[int, int, int, int, int]:
    """Rows in the ledger's tables and audit events: what a replay must leave unchanged."""
    row = session.execute(
        select(
            *(
                select(func.count()).select_from(table).scalar_subquery()
                for table in (Lot, Movement, Hold, LotParent, AuditEvent)
            )
        )
    ).one()
    return (row[0], row[1], row[2], row[3], row[4])


def tags_since(session: Session, seq: int) -> list[str]:
    """Audit tags written after event ``seq``, in order."""
    return list(
        session.scalars(select(AuditEvent.tag).where(AuditEvent.seq > seq).order_by(AuditEvent.seq))
    )


def last_seq(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0))) or 0
