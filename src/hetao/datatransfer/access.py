"""Who may see and change data transfers: the one place these rules live.

Staff read every exporter's applications and channel log; an enterprise user reads and acts for
its own party only, and another party's applications answer as if they did not exist. The zone
records the authority's decisions; devices (and staff) post channel batches.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.datatransfer.models import DataTransferApplication
from hetao.errors import PermissionDenied
from hetao.registry.access import STAFF, party_scope

R = Role

#: Route a transfer (pure) and read applications and batches: staff and enterprises.
READERS = Allow(*STAFF, R.ENTERPRISE_USER)
Readers = Annotated[Principal, Depends(READERS)]
#: Act as the exporter (create, self-assess, file, apply, extend): the enterprise or an admin.
Exporters = Annotated[Principal, Depends(Allow(R.ENTERPRISE_USER, R.ADMINISTRATOR))]
#: Record the authority's decisions (approve, reject, activate): the zone administration.
Reviewers = Annotated[Principal, Depends(Allow(R.ZONE_REVIEWER, R.ADMINISTRATOR))]
#: Post channel batches: the channel's device or integration token, or the zone administration.
Channel = Annotated[Principal, Depends(Allow(R.GATE_DEVICE, R.ZONE_REVIEWER, R.ADMINISTRATOR))]


def check_application(
    principal: Principal, application: DataTransferApplication
) -> DataTransferApplication:
    """An enterprise user reaches its own party's applications; others' answer as not found."""
    scope = party_scope(principal)
    if scope is not None and application.exporter_party_id != scope:
        raise PermissionDenied(
            f"data transfer application {application.id} does not exist", hidden=True
        )
    return application


def check_new_application(principal: Principal, exporter_party_id: int) -> None:
    """An enterprise applies as the exporter for itself only."""
    scope = party_scope(principal)
    if scope is not None and exporter_party_id != scope:
        raise PermissionDenied(f"party {scope} may apply as the exporter for itself only")


def scoped(principal: Principal, requested: int | None) -> int | None:
    """A list filter: an enterprise user's own party, whatever it asked for."""
    own = party_scope(principal)
    if own is None:
        return requested
    if requested is not None and requested != own:
        return -1  # another party's applications: an empty page, as if there were none
    return own
