"""Who may post, read and replay crossings and manage rule sets: the one place these rules live.

A gate device posts only at the crossing points its token names; an officer posts at the points
of their own line; an administrator anywhere. Crossings concern people and goods of every party,
so enterprise users see none of them (their own goods are in the ledger).
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.crossing.intake import Device
from hetao.errors import PermissionDenied
from hetao.profiles import CrossingPoint, Line
from hetao.registry.access import STAFF

#: Post crossing events: gate devices, officers (of the point's line) and administrators.
POSTERS = (
    Role.GATE_DEVICE,
    Role.FIRST_LINE_OFFICER,
    Role.SECOND_LINE_OFFICER,
    Role.ADMINISTRATOR,
)
#: Read crossings, decisions and rule sets: the staff roles.
READERS = STAFF
#: Replay a stored decision: officers, auditors and administrators.
REPLAYERS = (Role.FIRST_LINE_OFFICER, Role.SECOND_LINE_OFFICER, Role.AUDITOR, Role.ADMINISTRATOR)
#: Add rule sets: administrators.
RULE_ADMINS = (Role.ADMINISTRATOR,)

_OFFICER_OF = {Line.FIRST: Role.FIRST_LINE_OFFICER, Line.SECOND: Role.SECOND_LINE_OFFICER}


def device_of(principal: Principal) -> Device:
    """The poster as a device: its key scopes the device event ids."""
    return Device(
        key=f"{principal.kind}:{principal.id}",
        name=principal.name,
        crossing_points=principal.crossing_points if principal.kind == "device" else None,
    )


def check_post(principal: Principal, point: CrossingPoint | None) -> Device:
    """A gate posts at its own points, an officer at their line's points, an admin anywhere."""
    device = device_of(principal)
    if point is None or principal.has(Role.ADMINISTRATOR):
        return device  # an unknown point is the service's validation error
    if principal.has(Role.GATE_DEVICE):
        if device.crossing_points is None or point.code not in device.crossing_points:
            allowed = ", ".join(sorted(device.crossing_points or ()))
            raise PermissionDenied(
                f"device {principal.name} may report crossings at {allowed} only, not {point.code}"
            )
        return device
    if not principal.has(_OFFICER_OF[point.line]):
        raise PermissionDenied(
            f"crossings at {point.code} ({point.line} line) are posted by:"
            f" {_OFFICER_OF[point.line]}, gate devices of the point, administrators"
        )
    return device
