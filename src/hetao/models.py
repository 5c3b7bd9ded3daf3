"""Imports every model so that ``Base.metadata`` is complete (Alembic and the schema test).

The crossing, funds and data-transfer packages are imported whole: their models register
themselves on ``Base.metadata``.
"""

import hetao.biometrics.models
import hetao.crossing.models
import hetao.datatransfer.models
import hetao.funds.models
import hetao.loans.models
import hetao.notifications.models  # noqa: F401
from hetao.api.models import IdempotencyRecord
from hetao.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from hetao.auth.models import ApiToken, LoginAttempt, User, WebSession
from hetao.declarations.models import Declaration, DeclarationLine
from hetao.ledger.models import Hold, Lot, LotParent, Movement
from hetao.reference_versions.models import ReferenceVersion
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
from hetao.storage.types import Base

metadata = Base.metadata

__all__ = [
    "Affiliation",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditHead",
    "Declaration",
    "DeclarationLine",
    "ExemptionWaiver",
    "Hold",
    "IdempotencyRecord",
    "IdentityDocument",
    "LoginAttempt",
    "Lot",
    "LotParent",
    "Movement",
    "Party",
    "Person",
    "ReferenceVersion",
    "User",
    "Vehicle",
    "VehiclePermit",
    "WebSession",
    "WhitelistApplication",
    "WhitelistEntry",
    "metadata",
]
