"""Signed checkpoints of the audit log, exported outside the database.

A checkpoint says "the log had N events and this Merkle root", signed with the platform's
Ed25519 key. Auditors keep the exported files and the public key: with them, any later
alteration of the first N events, or their loss, is detected without trusting the database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hetao.secretfiles import read_or_create

log = logging.getLogger("hetao.audit")

PUBLIC_KEY_FILE = "public-key.pem"


def _canonical(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key: names the key in every checkpoint."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_or_create_private_key(path: Path) -> tuple[Ed25519PrivateKey, bool]:
    """The Ed25519 key in the PEM file at ``path``, made (mode 0600) if there is none yet; and
    whether it was made now. Processes starting together all end up with the same key."""

    def new_pem() -> bytes:
        return Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    pem, created = read_or_create(path, new_pem)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key, created


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint body (canonical JSON) with its signature."""

    body: str
    signature: str

    @property
    def fields(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def tree_size(self) -> int:
        return int(self.fields["tree_size"])

    @property
    def root_hash(self) -> bytes:
        return bytes.fromhex(self.fields["root_hash"])

    @property
    def chain_hash(self) -> bytes:
        return bytes.fromhex(self.fields["chain_hash"])

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        """Whether the signature over the body holds for this key."""
        try:
            public_key.verify(base64.b64decode(self.signature, validate=True), self.body.encode())
        except (InvalidSignature, ValueError):
            return False
        return self.fields.get("key_id") == key_id(public_key)

    def to_json(self) -> str:
        return _canonical({"body": self.body, "signature": self.signature})

    @classmethod
    def from_json(cls, text: str) -> SignedCheckpoint:
        document = json.loads(text)
        return cls(body=str(document["body"]), signature=str(document["signature"]))


class Signer:
    """The platform's checkpoint signing key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def load_or_create(cls, path: Path) -> Signer:
        """Load the PEM key at ``path``, creating it (mode 0600) on first use."""
        key, created = load_or_create_private_key(path)
        if created:
            log.info("created audit signing key %s at %s", key_id(key.public_key()), path)
        return cls(key)

    def sign(
        self, *, log_id: str, tree_size: int, root_hash: bytes, chain_hash: bytes, issued_at: str
    ) -> SignedCheckpoint:
        body = _canonical(
            {
                "v": 1,
                "log": log_id,
                "tree_size": tree_size,
                "root_hash": root_hash.hex(),
                "chain_hash": chain_hash.hex(),
                "issued_at": issued_at,
                "key_id": self.key_id,
            }
        )
        signature = base64.b64encode(self._key.sign(body.encode())).decode()
        return SignedCheckpoint(body=body, signature=signature)


class CheckpointStore:
    """A directory of exported checkpoints (one file each) and the public key to check them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def export(self, checkpoint: SignedCheckpoint, public_key: Ed25519PublicKey) -> Path:
        """Write the checkpoint atomically; an existing file with other content is an alarm."""
        self.directory.mkdir(parents=True, exist_ok=True)
        key_file = self.directory / PUBLIC_KEY_FILE
        if not key_file.exists():
            key_file.write_bytes(public_key_pem(public_key))
        target = self.directory / f"checkpoint-{checkpoint.tree_size:012d}.json"
        text = checkpoint.to_json() + "\n"
        if target.exists():
            if target.read_text(encoding="utf-8") != text:
                raise RuntimeError(f"{target} exists with different content: refusing to replace")
            return target
        temporary = target.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        return target

    def load(self) -> list[SignedCheckpoint]:
        """Every exported checkpoint, smallest tree first."""
        if not self.directory.is_dir():
            return []
        files = sorted(self.directory.glob("checkpoint-*.json"))
        return [SignedCheckpoint.from_json(f.read_text(encoding="utf-8")) for f in files]

    def public_key(self) -> Ed25519PublicKey | None:
        key_file = self.directory / PUBLIC_KEY_FILE
        return load_public_key(key_file.read_bytes()) if key_file.exists() else None
