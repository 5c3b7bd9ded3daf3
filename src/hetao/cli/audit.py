"""`hetao audit ...`: the tamper-evident audit log, its checkpoints and proofs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from cryptography.exceptions import UnsupportedAlgorithm

from hetao.audit.checkpoints import (
    CheckpointStore,
    DamagedCheckpoints,
    DamagedEvidence,
    SignedCheckpoint,
    load_public_key,
)
from hetao.cli.runner import (
    EXIT_TAMPERED,
    bad_input,
    platform,
    print_json,
    settings,
    tampered,
    transaction,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from hetao.audit.proofs import ProofVerdict
    from hetao.profiles import ZoneProfile

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def _checkpoint_store(profile: ZoneProfile, directory: Path | None) -> CheckpointStore:
    return CheckpointStore(directory or settings().resolve(profile.audit.checkpoint_store))


def _public_key(store: CheckpointStore, path: Path | None) -> Ed25519PublicKey | None:
    return store.public_key() if path is None else _trusted_key(path)


def _trusted_key(path: Path) -> Ed25519PublicKey:
    """The key the operator names: one that does not read is bad input, not tampering."""
    try:
        return load_public_key(path.read_bytes())
    except (OSError, ValueError, UnsupportedAlgorithm) as error:
        bad_input(f"cannot read the public key {path}: {error}")


@contextmanager
def _tampering_exits() -> Iterator[None]:
    """Damaged audit evidence is an audit command's verdict, not bad input: exit 3 naming it."""
    try:
        yield
    except DamagedCheckpoints as error:
        tampered(str(file) for file in error.damaged)
    except DamagedEvidence as error:
        tampered([error.detail])


def _print_checks(verdict: ProofVerdict) -> None:
    """One line per check of a proof; exit 3 when one failed."""
    for label, ok in verdict.checks:
        typer.echo(f"{'ok  ' if ok else 'FAIL'} {label}")
    if not verdict.ok:
        raise typer.Exit(EXIT_TAMPERED)


CheckpointsOption = Annotated[
    Path | None,
    typer.Option(help="Directory of exported checkpoints (default: the profile's store)."),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option(help="PEM public key to trust (default: the one exported with the checkpoints)."),
]


@app.command("verify")
def audit_verify(checkpoints: CheckpointsOption = None, public_key: PublicKeyOption = None) -> None:
    """Check every event against the hash chain, the Merkle tree and the signed checkpoints,
    and the ledger's movements against the digests their batch events recorded.

    Exits 0 when the log holds; 3 naming the first bad event, and each exported file that
    does not read, when it does not.
    """
    from hetao.audit.verify import verify_database
    from hetao.ledger.service.digest import CONTENT_CHECKS

    with transaction() as (session, profile):
        exported = _checkpoint_store(profile, checkpoints).read()
        key = exported.public_key if public_key is None else _trusted_key(public_key)
        report = verify_database(
            session,
            exported.checkpoints,
            key,
            damaged=exported.damaged,
            content_checks=CONTENT_CHECKS,
        )
    for note in report.notes:
        typer.echo(f"note: {note}")
    verdict = f"{report.events} events chain and match {report.checkpoints} signed checkpoints"
    if report.ok:
        typer.echo(f"ok: {verdict}")
        return
    findings = [str(file) for file in report.damaged]
    if report.problem is None:
        typer.echo(f"the events hold: {verdict} (damaged files left out)")
    else:
        bad = f"first bad event: {report.first_bad_seq}; " if report.first_bad_seq else ""
        findings.append(f"{bad}{report.problem}")
    tampered(findings)


@app.command("prove")
def audit_prove(
    seq: Annotated[int, typer.Argument(help="Sequence number of the event.")],
    checkpoints: CheckpointsOption = None,
) -> None:
    """Print an inclusion proof of one event against the first exported checkpoint covering it."""
    from hetao.audit.proofs import inclusion_document
    from hetao.audit.verify import prove_inclusion

    with transaction() as (session, profile):
        store = _checkpoint_store(profile, checkpoints)
        with _tampering_exits():
            proof = prove_inclusion(session, seq=seq, checkpoints=store.load())
        document = inclusion_document(proof)
    print_json(document)


@app.command("check-proof")
def audit_check_proof(
    file: Annotated[Path, typer.Argument(help="Proof document printed by `hetao audit prove`.")],
    public_key: Annotated[Path, typer.Option(help="PEM public key of the platform.")],
) -> None:
    """Verify an inclusion proof without the database: only the proof and the public key."""
    from hetao.audit.proofs import check_inclusion_document

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        key = load_public_key(public_key.read_bytes())
    except (OSError, ValueError) as error:
        bad_input(str(error))
    verdict = check_inclusion_document(document, key)
    _print_checks(verdict)


@app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign and export a checkpoint of the log now (run it from cron to bound the unsigned tail)."""
    from hetao.audit.repository import checkpoints_in_order
    from hetao.audit.service import checkpoint_now

    configured = platform()
    policy = configured.checkpoint_policy()
    with transaction(configured, policy=policy) as (session, _profile):
        signed = checkpoint_now(session, policy)
    # Re-export every committed checkpoint: heals an export that failed after a commit.
    with transaction(configured, policy=policy) as (session, _profile):
        for row in checkpoints_in_order(session):
            policy.store.export(
                SignedCheckpoint(body=row.body, signature=row.signature),
                policy.signer.public_key,
            )
    if signed is None:
        typer.echo("no new events since the last checkpoint")
    else:
        typer.echo(f"signed checkpoint {signed.tree_size} into {policy.store.directory}")


@app.command("consistency")
def audit_consistency(
    old_size: Annotated[int, typer.Argument(help="Tree size of the older checkpoint.")],
    new_size: Annotated[int, typer.Argument(help="Tree size of the newer checkpoint.")],
    checkpoints: CheckpointsOption = None,
    public_key: PublicKeyOption = None,
) -> None:
    """Prove that checkpoint NEW extends checkpoint OLD, and check the proof."""
    from hetao.audit.proofs import check_consistency
    from hetao.audit.verify import consistency_between

    with transaction() as (session, profile):
        store = _checkpoint_store(profile, checkpoints)
        with _tampering_exits():
            signed = {c.tree_size: c for c in store.load()}
            key = _public_key(store, public_key)
            if old_size not in signed or new_size not in signed:
                bad_input(f"no exported checkpoint of size {old_size} and {new_size}")
            proof = consistency_between(session, old_size=old_size, new_size=new_size)
        if key is None:
            bad_input("no public key to check the checkpoints with")
        verdict = check_consistency(signed[old_size], signed[new_size], proof, key)
    print_json({"old_size": old_size, "new_size": new_size, "proof": [h.hex() for h in proof]})
    _print_checks(verdict)
