"""Roles and the authenticated principal every service and view is handed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from hetao.audit.service import Actor


class Role(StrEnum):
    """What a principal may do; a user holds exactly one, a token carries a subset."""

    ZONE_REVIEWER = "zone_reviewer"
    """Zone administration: reviews whitelist applications, suspends and revokes entries."""
    FIRST_LINE_OFFICER = "first_line_officer"
    """Customs officer at a port with Hong Kong: crossings, inspections, overrides."""
    SECOND_LINE_OFFICER = "second_line_officer"
    """Customs officer at a channel to the mainland: crossings plus tax assessments."""
    ENTERPRISE_USER = "enterprise_user"
    """Staff of an enterprise or institution, bound to exactly one party and seeing only it."""
    AUDITOR = "auditor"
    """Read-only access to history and the proofs that nothing was altered."""
    ADMINISTRATOR = "administrator"
    """Manages users, roles, the zone profile, rule sets and reference data."""
    GATE_DEVICE = "gate_device"
    """A machine at a port or channel posting crossing events, scoped to crossing points."""


PrincipalKind = Literal["user", "device"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a user (by session or token) or a device (by token)."""

    kind: PrincipalKind
    id: int
    name: str
    roles: frozenset[Role]
    party_id: int | None
    crossing_points: frozenset[str] | None
    via: Literal["session", "token"]

    @property
    def actor(self) -> Actor:
        """The audit actor for changes this principal causes."""
        return Actor(self.kind, self.name)

    def has(self, role: Role) -> bool:
        """Whether the principal holds ``role``."""
        return role in self.roles

    def has_any(self, *roles: Role) -> bool:
        """Whether the principal holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)
