"""The principal handed to services and views (pure)."""

from __future__ import annotations

from hetao.audit.service import Actor
from hetao.auth.principal import Principal, Role


def _gate() -> Principal:
    return Principal(
        kind="device",
        id=7,
        name="huanggang-lane-3",
        roles=frozenset({Role.GATE_DEVICE}),
        party_id=None,
        crossing_points=frozenset({"HUANGGANG"}),
        via="token",
    )


class TestPrincipal:
    def test_acts_in_the_audit_log_as_its_kind_and_name(self) -> None:
        assert _gate().actor == Actor("device", "huanggang-lane-3")
        assert str(_gate().actor) == "device:huanggang-lane-3"

    def test_has_only_the_roles_it_holds(self) -> None:
        gate = _gate()
        assert gate.has(Role.GATE_DEVICE)
        assert not gate.has(Role.ADMINISTRATOR)
        assert gate.has_any(Role.AUDITOR, Role.GATE_DEVICE)
        assert not gate.has_any(Role.AUDITOR, Role.ADMINISTRATOR)

    def test_roles_are_stored_by_their_lower_case_value(self) -> None:
        assert {r.value for r in Role} == {
            "zone_reviewer",
            "first_line_officer",
            "second_line_officer",
            "enterprise_user",
            "auditor",
            "administrator",
            "gate_device",
        }
