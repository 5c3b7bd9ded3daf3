"""Who may see what in the ledger: the one place these rules live, without HTTP.

Staff read every party's goods; an enterprise user reads its own party's only, and another
party's objects answer as if they did not exist. Each rule takes the principal and the object
and returns it when allowed, or raises the reason; the routes' role wrappers are in ``api``.
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.errors import PermissionDenied
from hetao.ledger.models import Lot
from hetao.registry.access import STAFF, party_scope

#: Read lots and the ledger's reports: staff, and enterprise users for their own party.
READERS = (*STAFF, Role.ENTERPRISE_USER)


def check_owned(principal: Principal, noun: str, *, party_id: int, object_id: int) -> None:
    """An enterprise user reaches its own party's objects only; others' answer as not found."""
    scope = party_scope(principal)
    if scope is not None and party_id != scope:
        raise PermissionDenied(f"{noun} {object_id} does not exist", hidden=True)


def check_party_id(principal: Principal, party_id: int) -> int:
    """An enterprise user reaches its own party only; others' answer as not found."""
    check_owned(principal, "party", party_id=party_id, object_id=party_id)
    return party_id


def scoped(principal: Principal, requested: int | None) -> int | None:
    """A list filter: an enterprise user's own party, whatever it asked for."""
    own = party_scope(principal)
    if own is None:
        return requested
    if requested is not None and requested != own:
        return -1  # another party's objects: an empty page, as if there were none
    return own


def check_lot(principal: Principal, lot: Lot) -> Lot:
    """A lot is its party's: another party's answers as not found."""
    check_owned(principal, "lot", party_id=lot.party_id, object_id=lot.id)
    return lot
