"""Imports every model so that ``Base.metadata`` is complete (Alembic and the schema test)."""

from hetao.api.models import IdempotencyRecord
from hetao.audit.models import AuditEvent
from hetao.db import Base
from hetao.registry.models import (
    Affiliation,
    ExemptionWaiver,
    IdentityDocument,
    Party,
    Person,
    Vehicle,
    VehiclePermit,
    WhitelistApplication,
    WhitelistEntry,
)

metadata = Base.metadata

__all__ = [
    "Affiliation",
    "AuditEvent",
    "ExemptionWaiver",
    "IdempotencyRecord",
    "IdentityDocument",
    "Party",
    "Person",
    "Vehicle",
    "VehiclePermit",
    "WhitelistApplication",
    "WhitelistEntry",
    "metadata",
]
