"""Proof documents an auditor can check without the database, only with the public key."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hetao.audit.chain import canonical_bytes
from hetao.audit.checkpoints import SignedCheckpoint
from hetao.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from hetao.audit.verify import InclusionProof


def inclusion_document(proof: InclusionProof) -> dict[str, Any]:
    """A self-contained JSON document: the event's canonical bytes, the path, the checkpoint."""
    canonical = canonical_bytes(proof.event.facts).decode("utf-8")
    return {
        "kind": "hetao.audit.inclusion_proof.v1",
        "event": json.loads(canonical),
        "canonical_event": canonical,
        "leaf_index": proof.leaf_index,
        "tree_size": proof.checkpoint.tree_size,
        "audit_path": [h.hex() for h in proof.path],
        "checkpoint": {"body": proof.checkpoint.body, "signature": proof.checkpoint.signature},
    }


@dataclass(frozen=True, slots=True)
class ProofVerdict:
    """Whether a proof holds, and each check that did or did not."""

    ok: bool
    checks: list[tuple[str, bool]]


def check_inclusion_document(
    document: dict[str, Any], public_key: Ed25519PublicKey
) -> ProofVerdict:
    """Verify a proof document: signature, event bytes, leaf index and audit path to the root."""
    checks: list[tuple[str, bool]] = []
    try:
        checkpoint = SignedCheckpoint(
            body=str(document["checkpoint"]["body"]),
            signature=str(document["checkpoint"]["signature"]),
        )
        checks.append(
            ("checkpoint signature holds for the given public key", checkpoint.verify(public_key))
        )
        canonical = str(document["canonical_event"])
        same_event = json.loads(canonical) == document["event"]
        checks.append(("the event shown is the event hashed", same_event))
        index = int(document["leaf_index"])
        checks.append(
            (
                "leaf index matches the event's sequence number",
                index == json.loads(canonical)["seq"] - 1,
            )
        )
        size = int(document["tree_size"])
        checks.append(("tree size matches the checkpoint", size == checkpoint.tree_size))
        path = [bytes.fromhex(h) for h in document["audit_path"]]
        included = verify_inclusion(
            leaf=leaf_hash(canonical.encode("utf-8")),
            index=index,
            tree_size=size,
            proof=path,
            root=checkpoint.root_hash,
        )
        checks.append(("the audit path leads from the event to the signed root", included))
    except (KeyError, TypeError, ValueError) as error:
        checks.append((f"the document is well formed ({error})", False))
    return ProofVerdict(ok=all(ok for _, ok in checks) and bool(checks), checks=checks)


def check_consistency(
    old: SignedCheckpoint,
    new: SignedCheckpoint,
    proof: list[bytes],
    public_key: Ed25519PublicKey,
) -> ProofVerdict:
    """Verify that the log of ``new`` extends the log of ``old`` without changing it."""
    checks = [
        ("old checkpoint signature holds", old.verify(public_key)),
        ("new checkpoint signature holds", new.verify(public_key)),
        (
            "the consistency proof links the two roots",
            verify_consistency(
                old_size=old.tree_size,
                new_size=new.tree_size,
                old_root=old.root_hash,
                new_root=new.root_hash,
                proof=proof,
            ),
        ),
    ]
    return ProofVerdict(ok=all(ok for _, ok in checks), checks=checks)
