"""The demo's sign-ins: one user per role that people hold."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.auth import service as auth
from hetao.auth.principal import Role

#: The demo's one password, printed in the README: a demo zone is not for real data.
DEMO_PASSWORD = "hetao-demo-2026"  # noqa: S105 (published on purpose)


def demo_users(session: Session, *, enterprise_party_id: int, actor: Actor) -> list[str]:
    """One sign-in per role that people hold, named after the role."""
    names = []
    for role in Role:
        if role is Role.GATE_DEVICE:
            continue  # devices get tokens, never passwords
        username = f"demo-{role.value.replace('_', '-')}"
        auth.create_user(
            session,
            username=username,
            display_name=f"Demo {role.value.replace('_', ' ')}",
            password=DEMO_PASSWORD,
            role=role,
            party_id=enterprise_party_id if role is Role.ENTERPRISE_USER else None,
            actor=actor,
        )
        names.append(username)
    return names
