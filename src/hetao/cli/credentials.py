"""`hetao credentials ...`: zone credentials (QR tokens) for gates.

`verify` needs no database (a gate's view); it exits 0 for "valid" and 3 for any refusal,
printing the verdict as JSON either way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hetao.cli.runner import EXIT_TAMPERED, actor, bad_input, print_json, settings, transaction

if TYPE_CHECKING:
    from hetao.credentials.tokens import SigningKey

app = typer.Typer(help="Zone credentials (QR tokens) for gates.", no_args_is_help=True)


def _signing_key() -> SigningKey:
    from hetao.credentials.tokens import SigningKey, signing_key_path

    return SigningKey.load_or_create(signing_key_path(settings().data_dir))


@app.command("issue")
def credentials_issue(
    person_id: Annotated[int, typer.Argument(help="Registry id of the whitelisted person.")],
    crossing_point: Annotated[
        list[str] | None, typer.Option(help="Restrict to these crossing point code(s).")
    ] = None,
    days: Annotated[
        int | None, typer.Option(help="Days of validity (default 365; never past the entry).")
    ] = None,
) -> None:
    """Issue a credential and print its token (the QR payload) once, then its record."""
    from hetao.credentials import service as credential_service
    from hetao.storage.types import utcnow

    key = _signing_key()
    with transaction() as (session, profile):
        issued = credential_service.issue(
            session,
            person_id,
            key=key,
            profile=profile,
            actor=actor(),
            now=utcnow(),
            crossing_points=crossing_point or (),
            valid_days=days,
        )
        token, claims = issued.token, dict(issued.credential.claims)
    typer.echo(token)
    print_json(claims)


@app.command("revoke")
def credentials_revoke(
    credential_id: Annotated[str, typer.Argument(help="The credential id (22 characters).")],
    reason: Annotated[str, typer.Option(help="Why it is revoked (kept in the audit log).")],
) -> None:
    """Revoke a credential: online checks refuse it at once, offline gates with the next list."""
    from hetao.credentials import service as credential_service
    from hetao.storage.types import utcnow

    with transaction() as (session, _profile):
        credential = credential_service.get_credential(session, credential_id, for_update=True)
        credential_service.revoke(session, credential, reason=reason, actor=actor(), now=utcnow())
    typer.echo(f"credential {credential_id} revoked")


@app.command("public-key")
def credentials_public_key() -> None:
    """Print the current signing key's public half (PEM) for gates; no database."""
    typer.echo(_signing_key().public_pem, nl=False)


@app.command("rotate-key")
def credentials_rotate_key() -> None:
    """Start signing with a new key; the old one is set aside and still verifies what it signed."""
    from hetao.credentials import service as credential_service
    from hetao.credentials.tokens import rotate_signing_key, signing_key_path
    from hetao.storage.types import utcnow

    retired, key = rotate_signing_key(signing_key_path(settings().data_dir))
    with transaction() as (session, _profile):
        credential_service.register_key(session, key, now=utcnow(), actor=actor())
    typer.echo(f"signing with key {key.key_id}; retired {retired or 'none'}")


@app.command("revocations")
def credentials_revocations(
    out: Annotated[Path, typer.Option(help="File to write the signed list to (JSON).")],
) -> None:
    """Sign the revocation list as of now and write it for offline gates."""
    from hetao.credentials import service as credential_service
    from hetao.storage.types import utcnow

    key = _signing_key()
    with transaction() as (session, profile):
        signed = credential_service.revocation_list(session, key=key, profile=profile, now=utcnow())
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(signed.to_json() + "\n", encoding="utf-8")
    temporary.replace(out)
    typer.echo(f"wrote {out} (sha256 {credential_service.list_digest(signed)})")


@app.command("verify")
def credentials_verify(
    token: Annotated[str, typer.Argument(help="The presented token (QR payload).")],
    public_key: Annotated[
        list[Path], typer.Option(help="PEM public key(s) of the zone; repeat after a rotation.")
    ],
    revocations: Annotated[
        Path | None, typer.Option(help="Signed revocation list; without one: status unknown.")
    ] = None,
    max_age_hours: Annotated[
        float | None, typer.Option(help="Oldest revocation list trusted (default 24).")
    ] = None,
    zone: Annotated[str | None, typer.Option(help="Refuse credentials of another zone.")] = None,
) -> None:
    """Verify a credential OFFLINE, as a gate does: keys and revocation list only, no database."""
    from hetao.credentials import tokens as credentials
    from hetao.storage.types import utcnow

    try:
        ring = credentials.keyring(path.read_bytes() for path in public_key)
        listed = (
            None
            if revocations is None
            else credentials.SignedRevocationList.from_json(revocations.read_text("utf-8"))
        )
    except (OSError, ValueError) as error:
        bad_input(str(error))
    max_age = (
        credentials.MAX_REVOCATION_LIST_AGE
        if max_age_hours is None
        else dt.timedelta(hours=max_age_hours)
    )
    verdict = credentials.verify_offline(
        token, keys=ring, at=utcnow(), revocations=listed, zone=zone, max_age=max_age
    )
    print_json(verdict.to_json())
    if not verdict.valid:
        raise typer.Exit(EXIT_TAMPERED)
