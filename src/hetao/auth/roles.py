"""A user's role and party: the rule that binds them, and the administrator's change of role."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import AuthTag
from hetao.auth import repository as repo
from hetao.auth.models import User
from hetao.auth.principal import Role
from hetao.errors import Conflict, FieldProblem, TransitionForbidden, ValidationFailed
from hetao.workflow import audit

#: Roles of machines: they are held by tokens, never by a person's account.
DEVICE_ROLES = frozenset({Role.GATE_DEVICE})


def role_problems(session: Session, role: Role, party_id: int | None) -> list[FieldProblem]:
    """What is wrong with a person holding ``role`` for ``party_id``.

    An enterprise user is bound to one existing party; every other person to none.
    """
    problems: list[FieldProblem] = []
    if role in DEVICE_ROLES:
        problems.append(
            FieldProblem("role", "user.role_for_people", f"{role.value} is for machines (tokens)")
        )
    if role is Role.ENTERPRISE_USER and party_id is None:
        problems.append(
            FieldProblem("party_id", "user.party_required", "is required for an enterprise user")
        )
    elif role is not Role.ENTERPRISE_USER and party_id is not None:
        problems.append(
            FieldProblem(
                "party_id", "user.party_forbidden", f"must be empty for the role {role.value}"
            )
        )
    elif party_id is not None and not repo.party_exists(session, party_id):
        problems.append(
            FieldProblem("party_id", "party.exists", f"party {party_id} does not exist")
        )
    return problems


def keep_administration(session: Session, user: User, *, field: str, actor: Actor) -> None:
    """Refuse to take ``user``'s administration away if it is their own or the zone's last.

    Another administrator decides whether an administrator stays one (the four-eyes habit of
    overrides), and the zone always keeps one active: without one nobody could manage users,
    rule sets or reference data again, short of editing the database. A conflict (409) naming
    ``field`` either way.
    """
    if user.role is not Role.ADMINISTRATOR or not user.active:
        return
    if actor.kind == "user" and actor.name == user.username:
        raise Conflict(
            "an administrator's own role and access are changed by another administrator",
            problems=[
                FieldProblem(
                    field,
                    "user.own_administration",
                    "is your own administration: another administrator must change it",
                )
            ],
        )
    repo.lock_administrators(session)
    others = set(repo.active_users_of_role(session, Role.ADMINISTRATOR)) - {user.id}
    if not others:
        raise Conflict(
            f"{user.username} is the zone's last active administrator",
            problems=[
                FieldProblem(
                    field,
                    "user.last_administrator",
                    f"{user.username} is the last active administrator: make another first",
                )
            ],
        )


def change_role(
    session: Session, user: User, *, role: Role, party_id: int | None, actor: Actor
) -> None:
    """Give an active user another role (and party); the same role and party is refused.

    The user's sessions stay: each request reads the role afresh, and a token keeps only the
    roles its user still holds (``authenticate_token``).
    """
    role = Role(role)
    if not user.active:
        raise TransitionForbidden(
            subject="user", current="inactive", action="change_role", allowed_from=["active"]
        )
    problems = role_problems(session, role, party_id)
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    if user.role is role and user.party_id == party_id:
        raise ValidationFailed.single("role", "user.role_unchanged", "is the user's role already")
    if role is not Role.ADMINISTRATOR:
        keep_administration(session, user, field="role", actor=actor)
    previous, previous_party = user.role, user.party_id
    user.role, user.party_id = role, party_id
    audit(
        session,
        AuthTag.USER_CHANGE_ROLE,
        user.id,
        actor,
        role=role.value,
        party_id=party_id,
        previous_role=previous.value,
        previous_party_id=previous_party,
    )
