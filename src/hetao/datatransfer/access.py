"""Who may see and change data transfers: the one place these rules live.

Staff read every exporter's applications and channel log; an enterprise user reads and acts for
its own party only, and another party's applications answer as if they did not exist. The zone
records the authority's decisions; devices (and staff) post channel batches. Each rule returns
None when allowed, otherwise the refusal; api.py wraps the role lists for FastAPI.
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.datatransfer.models import DataTransferApplication
from hetao.errors import PermissionDenied
from hetao.registry.access import STAFF, Verdict, enforce, hidden, party_scope

#: Route a transfer (pure) and read applications and batches: staff and enterprises.
READERS = (*STAFF, Role.ENTERPRISE_USER)
#: Act as the exporter (create, self-assess, file, apply, extend): the enterprise or an admin.
EXPORTERS = (Role.ENTERPRISE_USER, Role.ADMINISTRATOR)
#: Record the authority's decisions (approve, reject, activate): the zone administration.
REVIEWERS = (Role.ZONE_REVIEWER, Role.ADMINISTRATOR)
#: Post channel batches: the channel's device or integration token, or the zone administration.
CHANNEL = (Role.GATE_DEVICE, Role.ZONE_REVIEWER, Role.ADMINISTRATOR)


def can_see_application(principal: Principal, application: DataTransferApplication) -> Verdict:
    """An enterprise user reaches its own party's applications; others' answer as not found."""
    scope = party_scope(principal)
    if scope is not None and application.exporter_party_id != scope:
        return hidden("data transfer application", application.id)
    return None


def can_apply(principal: Principal, exporter_party_id: int) -> Verdict:
    """An enterprise applies as the exporter for itself only."""
    scope = party_scope(principal)
    if scope is not None and exporter_party_id != scope:
        return PermissionDenied(f"party {scope} may apply as the exporter for itself only")
    return None


def check_application(
    principal: Principal, application: DataTransferApplication
) -> DataTransferApplication:
    enforce(can_see_application(principal, application))
    return application


def scoped(principal: Principal, requested: int | None) -> int | None:
    """A list filter: an enterprise user's own party, whatever it asked for."""
    own = party_scope(principal)
    if own is None:
        return requested
    if requested is not None and requested != own:
        return -1  # another party's applications: an empty page, as if there were none
    return own
