"""Changing a user's role: the enterprise user keeps a party, others none; audited. The zone
keeps an active administrator, and no administrator removes their own administration."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from factories import make_party
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.auth import roles, service
from hetao.auth.models import User
from hetao.auth.principal import Role
from hetao.errors import Conflict, TransitionForbidden, ValidationFailed

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


def administrator(session: Session, actor: Actor, username: str) -> User:
    return service.create_user(
        session,
        username=username,
        display_name=username.title(),
        password=PASSWORD,
        role=Role.ADMINISTRATOR,
        party_id=None,
        actor=actor,
    )


def as_user(user: User) -> Actor:
    """The audit actor of ``user`` signed in, as the pages and the API name it."""
    return Actor("user", user.username)


def refused_rule(refusal: pytest.ExceptionInfo[Conflict]) -> tuple[str, str]:
    [problem] = refusal.value.problems
    return problem.field, problem.rule


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


@pytest.mark.usefixtures("cheap_hashing")
class TestKeepAdministration:
    def test_an_administrator_cannot_deactivate_themselves(
        self, session: Session, actor: Actor
    ) -> None:
        ada = administrator(session, actor, "ada")
        administrator(session, actor, "grace")
        with pytest.raises(Conflict) as refused:
            service.deactivate_user(session, ada, actor=as_user(ada))
        assert refused_rule(refused) == ("status", "user.own_administration")
        assert ada.active

    def test_an_administrator_cannot_give_themselves_another_role(
        self, session: Session, actor: Actor
    ) -> None:
        ada = administrator(session, actor, "ada")
        administrator(session, actor, "grace")
        with pytest.raises(Conflict) as refused:
            roles.change_role(session, ada, role=Role.AUDITOR, party_id=None, actor=as_user(ada))
        assert refused_rule(refused) == ("role", "user.own_administration")
        assert ada.role is Role.ADMINISTRATOR

    def test_another_administrator_may_deactivate_or_move_one(
        self, session: Session, actor: Actor
    ) -> None:
        ada = administrator(session, actor, "ada")
        grace = administrator(session, actor, "grace")
        linus = administrator(session, actor, "linus")
        roles.change_role(session, grace, role=Role.AUDITOR, party_id=None, actor=as_user(ada))
        service.deactivate_user(session, linus, actor=as_user(ada))
        assert grace.role is Role.AUDITOR
        assert not linus.active

    def test_the_last_active_administrator_stays_one(self, session: Session, actor: Actor) -> None:
        ada = administrator(session, actor, "ada")
        grace = administrator(session, actor, "grace")
        service.deactivate_user(session, grace, actor=as_user(ada))
        # Only ada is left: not even the command line (or another kind of actor) removes her.
        with pytest.raises(Conflict) as deactivation:
            service.deactivate_user(session, ada, actor=actor)
        with pytest.raises(Conflict) as role_change:
            roles.change_role(session, ada, role=Role.AUDITOR, party_id=None, actor=actor)
        assert refused_rule(deactivation) == ("status", "user.last_administrator")
        assert refused_rule(role_change) == ("role", "user.last_administrator")
        assert ada.active
        assert ada.role is Role.ADMINISTRATOR
        # Once grace is back, ada may go.
        service.reactivate_user(session, grace, actor=actor)
        service.deactivate_user(session, ada, actor=as_user(grace))
        assert not ada.active

    def test_other_roles_are_not_held_back(self, session: Session, actor: Actor) -> None:
        user = officer(session, actor)
        service.deactivate_user(session, user, actor=as_user(user))
        assert not user.active


class TestKeepAdministrationOverTheApi:
    def test_deactivating_ones_own_account_is_a_409_naming_the_field_and_the_rule(
        self, client: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        me = client.get("/api/v1/auth/me").json()
        refused = client.post(f"/api/v1/users/{me['id']}/deactivate")
        assert refused.status_code == 409, refused.text
        body = refused.json()
        assert [(p["field"], p["rule"]) for p in body["errors"]] == [
            ("status", "user.own_administration")
        ]
        with session_maker() as s:
            assert s.get_one(User, me["id"]).active
