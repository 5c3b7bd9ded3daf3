"""Signed checkpoints of the audit log, exported outside the database.

A checkpoint says "the log had N events and this Merkle root", signed with the platform's
Ed25519 key. Auditors keep the exported files and the public key: with them, any later
alteration of the first N events, or their loss, is detected without trusting the database.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hetao.errors import Conflict
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


#: Length of an Ed25519 signature.
SIGNATURE_BYTES = 64
#: Sequence numbers, hence tree sizes, are 64-bit integers in the database.
MAX_TREE_SIZE = 2**63 - 1
_HASH_HEX = re.compile(r"[0-9a-f]{64}")


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{what} is not JSON ({error})") from error


def _is_utc_instant(value: Any) -> bool:
    """Whether ``value`` is ISO 8601 text of a UTC instant, as the signer writes issued_at."""
    if not isinstance(value, str):
        return False
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return instant.utcoffset() == dt.timedelta(0)


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and _HASH_HEX.fullmatch(value) is not None


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


#: Each field of a checkpoint body: whether a value fits it, and what fits, in words.
_BODY_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "v": (lambda value: type(value) is int and value == 1, "version 1"),
    "log": (_is_text, "text"),
    "tree_size": (
        lambda value: type(value) is int and 1 <= value <= MAX_TREE_SIZE,
        "a positive 64-bit integer",
    ),
    "root_hash": (_is_hash, "a hash in hex"),
    "chain_hash": (_is_hash, "a hash in hex"),
    "issued_at": (_is_utc_instant, "a UTC instant"),
    "key_id": (_is_text, "text"),
}


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
        """The checkpoint an exported file holds; ValueError saying what is wrong if it holds none.

        Every field is checked here, so the properties above never raise on a loaded checkpoint.
        """
        document = _json(text, "it")
        if not isinstance(document, dict) or sorted(document) != ["body", "signature"]:
            raise ValueError('it is not an object of exactly "body" and "signature"')
        body, signature = document["body"], document["signature"]
        if not isinstance(body, str) or not isinstance(signature, str):
            raise ValueError('its "body" and "signature" are not both text')
        try:
            raw_signature = base64.b64decode(signature, validate=True)
        except binascii.Error as error:
            raise ValueError(f"its signature is not base64 ({error})") from error
        if len(raw_signature) != SIGNATURE_BYTES:
            raise ValueError(
                f"its signature is {len(raw_signature)} bytes, not an Ed25519 signature's "
                f"{SIGNATURE_BYTES}"
            )
        fields = _json(body, "its body")
        if not isinstance(fields, dict):
            raise ValueError("its body is not a JSON object")
        for name, (fits, expected) in _BODY_FIELDS.items():
            if name not in fields:
                raise ValueError(f"its body has no {name}")
            if not fits(fields[name]):
                shown = json.dumps(fields[name], ensure_ascii=False)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                raise ValueError(f"its body's {name} is {shown}, not {expected}")
        return cls(body=body, signature=signature)


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


@dataclass(frozen=True, slots=True)
class DamagedFile:
    """An exported file that does not read as what it should hold: evidence of tampering."""

    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


class DamagedEvidence(Conflict):
    """Audit evidence that cannot be read: a proof or listing built on it would be a lie."""

    code = "audit-evidence-damaged"
    title = "Audit evidence is damaged"


class DamagedCheckpoints(DamagedEvidence):
    """Exported checkpoint files (or the public key beside them) that do not read.

    The detail names the files, not the server's directory; ``damaged`` has their paths.
    """

    def __init__(self, damaged: Sequence[DamagedFile]) -> None:
        named = "; ".join(f"{file.path.name}: {file.problem}" for file in damaged)
        super().__init__(
            f"exported checkpoint files are damaged (restore them from the auditors' copy): {named}"
        )
        self.damaged = tuple(damaged)


@dataclass(frozen=True, slots=True)
class ExportedCheckpoints:
    """What an export directory holds: the checkpoints and key that read, and the files that do
    not, which the verifier reports as tampering while it still checks the rest."""

    checkpoints: list[SignedCheckpoint]
    public_key: Ed25519PublicKey | None
    damaged: list[DamagedFile]


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
        target = self.directory / checkpoint_file_name(checkpoint.tree_size)
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

    def read(self) -> ExportedCheckpoints:
        """Every exported checkpoint (smallest tree first) and the public key, and each file
        that does not read; never raises for what a file holds."""
        checkpoints: list[SignedCheckpoint] = []
        damaged: list[DamagedFile] = []
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("checkpoint-*.json")):
                read = _read_checkpoint(path)
                if isinstance(read, DamagedFile):
                    damaged.append(read)
                else:
                    checkpoints.append(read)
        key = _read_public_key(self.directory / PUBLIC_KEY_FILE)
        if isinstance(key, DamagedFile):
            damaged.append(key)
            key = None
        return ExportedCheckpoints(checkpoints, key, damaged)

    def load(self) -> list[SignedCheckpoint]:
        """Every exported checkpoint, smallest tree first; DamagedCheckpoints naming each file
        that does not read (a proof must not quietly rest on what is left)."""
        exported = self.read()
        if exported.damaged:
            raise DamagedCheckpoints(exported.damaged)
        return exported.checkpoints

    def public_key(self) -> Ed25519PublicKey | None:
        """The exported public key (None before the first export); DamagedCheckpoints if it
        does not read."""
        key = _read_public_key(self.directory / PUBLIC_KEY_FILE)
        if isinstance(key, DamagedFile):
            raise DamagedCheckpoints([key])
        return key


def _read_checkpoint(path: Path) -> SignedCheckpoint | DamagedFile:
    try:
        checkpoint = SignedCheckpoint.from_json(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        return DamagedFile(path, f"it is not UTF-8 text ({error.reason} at byte {error.start})")
    except OSError as error:
        return DamagedFile(path, f"it cannot be read ({error.strerror or error})")
    except ValueError as error:
        return DamagedFile(path, str(error))
    # A copy under another checkpoint's name would pass for a checkpoint that is not there.
    if path.name != checkpoint_file_name(checkpoint.tree_size):
        return DamagedFile(path, f"its body is checkpoint {checkpoint.tree_size}'s")
    return checkpoint


def _read_public_key(path: Path) -> Ed25519PublicKey | DamagedFile | None:
    if not path.exists():
        return None
    try:
        return load_public_key(path.read_bytes())
    except OSError as error:
        return DamagedFile(path, f"it cannot be read ({error.strerror or error})")
    except (ValueError, UnsupportedAlgorithm) as error:
        return DamagedFile(path, f"it is not an Ed25519 public key in PEM ({error})")


def checkpoint_file_name(tree_size: int) -> str:
    return f"checkpoint-{tree_size:012d}.json"
