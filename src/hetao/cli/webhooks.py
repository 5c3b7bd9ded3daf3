"""`hetao webhooks ...`: the enterprises' webhooks, from the operator's side."""

from __future__ import annotations

import typer

from hetao.cli.runner import actor, database, platform

app = typer.Typer(help="Webhooks that carry enterprises' notifications.", no_args_is_help=True)


@app.command("deliver")
def deliver() -> None:
    """Gather new notifications and attempt every due delivery once (the server does this every
    ten seconds; run this where no server runs, or to work a backlog off now)."""
    import hetao.models  # noqa: F401 (every table on Base.metadata, for the flushes)
    from hetao.audit.service import enable_checkpoints
    from hetao.notifications.delivery import SECRET_KEY_FILE, SecretBox
    from hetao.notifications.worker import run_once
    from hetao.storage.engine import session_factory

    on = platform()
    box = SecretBox.load_or_create(on.settings.resolve(SECRET_KEY_FILE))
    with database(on.settings.database_url) as engine:
        factory = session_factory(engine)
        enable_checkpoints(factory, on.checkpoint_policy())
        turn = run_once(factory, box, actor=actor())
    typer.echo(
        f"{turn.gathered.notifications} notifications gathered, "
        f"{turn.gathered.deliveries} deliveries queued"
    )
    for outcome, count in sorted(turn.attempts.items()):
        typer.echo(f"{count} attempts: {outcome}")
