"""`hetao users ...` and `hetao tokens ...`: who may sign in, and with what."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from hetao.auth.principal import Role
from hetao.cli.runner import actor, transaction

users_app = typer.Typer(help="Users of the console and portal.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for devices and integrations.", no_args_is_help=True)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name (lower case).")],
    role: Annotated[Role, typer.Option(help="The user's one role.")],
    party: Annotated[int | None, typer.Option(help="Party id: enterprise users only.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in pages.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user (the first administrator, for instance); asks for the password."""
    from hetao.auth import service as auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)

    with transaction() as (session, _profile):
        user = auth.create_user(
            session,
            username=username,
            display_name=display_name or username,
            password=password,
            role=role,
            party_id=party,
            actor=actor(),
        )
    typer.echo(f"created user {user.id} {user.username} ({user.role})")


@tokens_app.command("issue")
def tokens_issue(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'Channel 1 gate 3'.")],
    device: Annotated[str | None, typer.Option(help="Device name (gate devices).")] = None,
    user: Annotated[int | None, typer.Option(help="User id (a person's integration).")] = None,
    role: Annotated[list[Role] | None, typer.Option(help="Role(s) the token carries.")] = None,
    crossing_point: Annotated[
        list[str] | None, typer.Option(help="Crossing point code(s) a gate stands at.")
    ] = None,
    days: Annotated[int, typer.Option(help="Days until it expires (at most 365).")] = 90,
) -> None:
    """Issue an API token and print it once; only its hash is stored."""
    from hetao.auth import service as auth
    from hetao.storage.types import utcnow

    roles = role or ([Role.GATE_DEVICE] if device else [])

    with transaction() as (session, profile):
        token, raw = auth.issue_token(
            session,
            name=name,
            roles=roles,
            user_id=user,
            device_name=device,
            crossing_points=crossing_point,
            expires_at=utcnow() + dt.timedelta(days=days),
            actor=actor(),
            profile=profile,
        )
    typer.echo(
        f"token {token.id} expires {token.expires_at:%Y-%m-%d}; keep it now, it is not shown again:"
    )
    typer.echo(raw)
