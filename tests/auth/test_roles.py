"""Changing a user's role: the enterprise user keeps a party, others none; audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import make_party
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth import roles, service
from hetao.auth.models import User
from hetao.auth.principal import Role
from hetao.errors import TransitionForbidden, ValidationFailed

PASSWORD = "correct horse battery"


def officer(session: Session, actor: Actor) -> User:
    return service.create_user(
        session,
        username="lin.mei",
        display_name="Lin Mei",
        password=PASSWORD,
        role=Role.FIRST_LINE_OFFICER,
        party_id=None,
        actor=actor,
    )


@pytest.mark.usefixtures("cheap_hashing")
class TestChangeRole:
    def test_changes_the_role_and_records_the_previous_one(
        self, session: Session, actor: Actor
    ) -> None:
        user = officer(session, actor)
        roles.change_role(session, user, role=Role.AUDITOR, party_id=None, actor=actor)
        assert user.role is Role.AUDITOR
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.tag == "auth:user:change_role")
        ).one()
        assert event.data["previous_role"] == "first_line_officer"
        assert event.data["role"] == "auditor"

    def test_an_enterprise_user_needs_a_party(self, session: Session, actor: Actor) -> None:
        user = officer(session, actor)
        with pytest.raises(ValidationFailed) as refused:
            roles.change_role(session, user, role=Role.ENTERPRISE_USER, party_id=None, actor=actor)
        assert refused.value.problems[0].rule == "user.party_required"

    def test_a_staff_role_takes_no_party(self, session: Session, actor: Actor) -> None:
        party = make_party(session, actor)
        user = officer(session, actor)
        with pytest.raises(ValidationFailed) as refused:
            roles.change_role(session, user, role=Role.AUDITOR, party_id=party.id, actor=actor)
        assert refused.value.problems[0].rule == "user.party_forbidden"

    def test_becomes_an_enterprise_user_of_an_existing_party(
        self, session: Session, actor: Actor
    ) -> None:
        party = make_party(session, actor)
        user = officer(session, actor)
        roles.change_role(session, user, role=Role.ENTERPRISE_USER, party_id=party.id, actor=actor)
        assert (user.role, user.party_id) == (Role.ENTERPRISE_USER, party.id)
        roles.change_role(session, user, role=Role.AUDITOR, party_id=None, actor=actor)
        assert (user.role, user.party_id) == (Role.AUDITOR, None)

    def test_refuses_a_device_role_and_the_same_role(self, session: Session, actor: Actor) -> None:
        user = officer(session, actor)
        for role in (Role.GATE_DEVICE, Role.FIRST_LINE_OFFICER):
            with pytest.raises(ValidationFailed):
                roles.change_role(session, user, role=role, party_id=None, actor=actor)

    def test_refuses_an_inactive_user(self, session: Session, actor: Actor) -> None:
        user = officer(session, actor)
        service.deactivate_user(session, user, actor=actor)
        with pytest.raises(TransitionForbidden):
            roles.change_role(session, user, role=Role.AUDITOR, party_id=None, actor=actor)
