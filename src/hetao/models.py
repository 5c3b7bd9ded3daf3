"""Imports every model so that ``Base.metadata`` is complete (Alembic and the schema test)."""

from hetao.api.models import IdempotencyRecord
from hetao.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from hetao.auth.models import ApiToken, LoginAttempt, User, WebSession
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
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "ExemptionWaiver",
    "IdempotencyRecord",
    "IdentityDocument",
    "LoginAttempt",
    "Party",
    "Person",
    "User",
    "Vehicle",
    "VehiclePermit",
    "WebSession",
    "WhitelistApplication",
    "WhitelistEntry",
    "metadata",
]
