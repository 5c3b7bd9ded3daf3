"""Zone credentials: compact Ed25519-signed tokens a gate verifies offline, and revocation lists.

A token is ``HZC1.<base64url(payload)>.<base64url(signature)>`` and is the whole QR payload.
The payload is a fixed binary header (version, credential id, key id, issued / not before /
not after as Unix seconds) followed by an ASCII trailer ``zone|flows|lines|points`` (lists
comma-separated, sorted): about 60 bytes for a usual scope, so a token is about 170 characters
(docs/decisions/0004-zone-credential-tokens.md). It names no person: the random credential id
is the only reference, so a photographed QR code gives nothing away.

The signature covers the token's text up to its last dot, so the ``HZC1`` prefix separates
credentials from revocation lists (signed over ``HZR1.<body>``) made with the same key.
Everything here is pure: no database, no clock (callers pass ``at``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import logging
import os
import re
import secrets
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hetao.audit.checkpoints import key_id as _key_id
from hetao.audit.checkpoints import load_or_create_private_key, load_public_key, public_key_pem

log = logging.getLogger("hetao.credentials.tokens")

TOKEN_PREFIX = "HZC1"  # noqa: S105 - a format tag, not a secret
REVOCATION_PREFIX = "HZR1"
FORMAT_VERSION = 1
#: Characters a token may use so that a QR code of it stays small (version 10 at level M
#: holds 213 bytes; the ceiling below leaves room for wide scopes).
QR_BUDGET = 300
#: version, credential id (16 random bytes), key id (8 bytes), issued_at, not_before, not_after.
_HEADER = struct.Struct(">B16s8sIII")
_NAME = re.compile(r"^[A-Za-z0-9_]{1,40}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MAX_SECONDS = 2**32 - 1

MAX_REVOCATION_LIST_AGE = dt.timedelta(hours=24)
"""How old a revocation list a gate still trusts: older, the gate answers "revocation status
unknown". Not published anywhere (REGIME (d)): a revoked credential may still clear an offline
gate for at most this long, so it trades safety against gates that lose their network."""

REVOCATION_LIST_REFRESH = dt.timedelta(hours=1)
"""How often the server re-signs an unchanged revocation list (its ``next_update``); a change
is published at once. Not published (REGIME (d)); well inside MAX_REVOCATION_LIST_AGE."""

KEY_FILE = Path("credentials") / "signing-key.pem"
"""Where the signing key lives inside the data directory (beside the audit key)."""

CLOCK_TOLERANCE = dt.timedelta(minutes=5)
"""Gate clocks drift: a list issued up to this far in the gate's future is still accepted."""


class Failure(StrEnum):
    """Why a presented credential does not clear the gate (the CredentialFacts status)."""

    MALFORMED = "malformed"
    """Not a token of this format (wrong prefix, bad base64, bad layout, non-canonical)."""
    UNKNOWN_KEY = "unknown_key"
    """Signed by a key the verifier does not hold (another zone, a forged or withdrawn key)."""
    INVALID_SIGNATURE = "invalid_signature"
    """The signature does not hold for the payload: altered or forged."""
    WRONG_ZONE = "wrong_zone"
    """Issued for another zone."""
    NOT_YET_VALID = "not_yet_valid"
    """Before the first valid instant."""
    EXPIRED = "expired"
    """After the last valid instant."""
    REVOKED = "revoked"
    """Revoked (explicitly, superseded, or its whitelist entry is no longer active)."""
    UNKNOWN_CREDENTIAL = "unknown_credential"
    """Online only: well signed but not in the database (e.g. issued by a restored backup)."""
    REVOCATION_UNKNOWN = "revocation_unknown"
    """Offline: no trustworthy, fresh revocation list, so the gate cannot say "valid"."""


VALID = "valid"


def encode_b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_b64(text: str) -> bytes:
    """Strict base64url without padding; a non-canonical spelling (spare bits set) is refused."""
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if encode_b64(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw


def _seconds(instant: dt.datetime) -> int:
    if instant.tzinfo is None:
        raise ValueError("naive datetime given; credentials carry UTC instants")
    seconds = int((instant - _EPOCH).total_seconds())
    if not 0 <= seconds <= _MAX_SECONDS:
        raise ValueError(f"{instant.isoformat()} does not fit a credential")
    return seconds


def _instant(seconds: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=seconds)


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 8 bytes of SHA-256 of the raw public key, in hex (the audit key's rule)."""
    return _key_id(public_key)


def new_credential_id() -> str:
    """128 random bits, base64url: unguessable, and names no one."""
    return encode_b64(secrets.token_bytes(16))


# --- claims ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claims:
    """What a credential tells the gate; nothing more."""

    credential_id: str
    key_id: str
    zone: str
    flows: tuple[str, ...]
    lines: tuple[str, ...]
    #: Empty: every crossing point the scope allows.
    crossing_points: tuple[str, ...]
    issued_at: dt.datetime
    #: First valid instant (start of the first valid day at the zone), UTC.
    not_before: dt.datetime
    #: First instant no longer valid (end of the last valid day at the zone), UTC.
    not_after: dt.datetime
    version: int = FORMAT_VERSION

    def to_json(self) -> dict[str, Any]:
        """JSON-stable form for the database, the API and the CLI."""
        return {
            "version": self.version,
            "credential_id": self.credential_id,
            "key_id": self.key_id,
            "zone": self.zone,
            "flows": list(self.flows),
            "lines": list(self.lines),
            "crossing_points": list(self.crossing_points),
            "issued_at": self.issued_at.isoformat(),
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
        }


def make_claims(
    *,
    key_id: str,
    zone: str,
    flows: Iterable[str],
    lines: Iterable[str],
    crossing_points: Iterable[str] = (),
    issued_at: dt.datetime,
    not_before: dt.datetime,
    not_after: dt.datetime,
    credential_id: str | None = None,
) -> Claims:
    """Claims in canonical form (sorted, unique scopes; whole seconds), checked to encode."""
    claims = Claims(
        credential_id=credential_id or new_credential_id(),
        key_id=key_id,
        zone=zone,
        flows=tuple(sorted(set(flows))),
        lines=tuple(sorted(set(lines))),
        crossing_points=tuple(sorted(set(crossing_points))),
        issued_at=_instant(_seconds(issued_at)),
        not_before=_instant(_seconds(not_before)),
        not_after=_instant(_seconds(not_after)),
    )
    if claims.not_after <= claims.not_before:
        raise ValueError("not_after must come after not_before")
    encode_payload(claims)
    return claims


def _names(values: tuple[str, ...], what: str) -> str:
    for value in values:
        if not _NAME.match(value):
            raise ValueError(f"{what} {value!r} is not a profile code")
    return ",".join(values)


def encode_payload(claims: Claims) -> bytes:
    """The fixed binary layout the signature covers."""
    header = _HEADER.pack(
        claims.version,
        decode_b64(claims.credential_id),
        bytes.fromhex(claims.key_id),
        _seconds(claims.issued_at),
        _seconds(claims.not_before),
        _seconds(claims.not_after),
    )
    if not _NAME.match(claims.zone):
        raise ValueError(f"zone {claims.zone!r} is not a profile code")
    trailer = "|".join(
        (
            claims.zone,
            _names(claims.flows, "flow"),
            _names(claims.lines, "line"),
            _names(claims.crossing_points, "crossing point"),
        )
    )
    return header + trailer.encode("ascii")


def _split(text: str) -> tuple[str, ...]:
    values = tuple(text.split(",")) if text else ()
    if any(not _NAME.match(v) for v in values) or list(values) != sorted(set(values)):
        raise ValueError("a scope list is not canonical")
    return values


def decode_payload(payload: bytes) -> Claims:
    """Claims from the binary layout; ValueError when it is not exactly that layout."""
    if len(payload) < _HEADER.size:
        raise ValueError("payload too short")
    version, raw_id, raw_key, issued, not_before, not_after = _HEADER.unpack_from(payload)
    if version != FORMAT_VERSION:
        raise ValueError(f"unknown credential version {version}")
    try:
        trailer = payload[_HEADER.size :].decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("trailer is not ASCII") from None
    parts = trailer.split("|")
    if len(parts) != 4 or not _NAME.match(parts[0]):
        raise ValueError("trailer is not zone|flows|lines|points")
    if not_after <= not_before:
        raise ValueError("empty validity window")
    return Claims(
        credential_id=encode_b64(raw_id),
        key_id=raw_key.hex(),
        zone=parts[0],
        flows=_split(parts[1]),
        lines=_split(parts[2]),
        crossing_points=_split(parts[3]),
        issued_at=_instant(issued),
        not_before=_instant(not_before),
        not_after=_instant(not_after),
        version=version,
    )


# --- keys -----------------------------------------------------------------------------------


def signing_key_path(data_dir: Path) -> Path:
    """HETAO_CREDENTIAL_SIGNING_KEY, or ``credentials/signing-key.pem`` in the data directory."""
    configured = os.environ.get("HETAO_CREDENTIAL_SIGNING_KEY")
    return Path(configured) if configured else data_dir / KEY_FILE


class SigningKey:
    """The zone's credential signing key (Ed25519); its public half goes to every gate."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """Load the PEM key at ``path``, creating it (mode 0600) on first use, as the audit key."""
        key, created = load_or_create_private_key(path)
        signing_key = cls(key)
        if created:
            log.info("created credential signing key %s at %s", signing_key.key_id, path)
        return signing_key

    @property
    def public_pem(self) -> str:
        return public_key_pem(self.public_key).decode("ascii")

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def rotate_signing_key(path: Path) -> tuple[str | None, SigningKey]:
    """Set the current key aside (``signing-key.<key id>.retired.pem``) and create a new one.

    Returns the retired key id (None when there was no key) and the new key. Tokens signed by
    the retired key keep verifying wherever its public key stays in the keyring.
    """
    retired: str | None = None
    if path.exists():
        old = SigningKey.load_or_create(path)
        retired = old.key_id
        path.rename(path.with_name(f"{path.stem}.{old.key_id}.retired{path.suffix}"))
    return retired, SigningKey.load_or_create(path)


Keyring = Mapping[str, Ed25519PublicKey]


def keyring(public_keys: Iterable[Ed25519PublicKey | str | bytes]) -> dict[str, Ed25519PublicKey]:
    """Public keys by key id (PEM text or key objects): the set a gate verifies against."""
    ring: dict[str, Ed25519PublicKey] = {}
    for item in public_keys:
        key = item if isinstance(item, Ed25519PublicKey) else _pem_key(item)
        ring[key_id(key)] = key
    return ring


def _pem_key(pem: str | bytes) -> Ed25519PublicKey:
    return load_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)


def _verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


# --- tokens ---------------------------------------------------------------------------------


def sign_token(claims: Claims, key: SigningKey) -> str:
    """The token (QR payload) for ``claims``, signed by ``key``."""
    if claims.key_id != key.key_id:
        raise ValueError(f"claims name key {claims.key_id}, signing with {key.key_id}")
    signed = f"{TOKEN_PREFIX}.{encode_b64(encode_payload(claims))}"
    return f"{signed}.{encode_b64(key.sign(signed.encode('ascii')))}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for a presented token: ``status`` is "valid" or a Failure value."""

    status: str
    claims: Claims | None = None
    detail: str = ""

    @property
    def valid(self) -> bool:
        return self.status == VALID

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "detail": self.detail,
            "claims": None if self.claims is None else self.claims.to_json(),
        }


def read_token(token: str) -> tuple[Claims, bytes, bytes] | Verdict:
    """Claims, signed text and signature from the token, or a MALFORMED verdict."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return Verdict(Failure.MALFORMED, detail=f"not a {TOKEN_PREFIX} token")
    try:
        payload, signature = decode_b64(parts[1]), decode_b64(parts[2])
        claims = decode_payload(payload)
    except (ValueError, binascii.Error, struct.error) as error:
        return Verdict(Failure.MALFORMED, detail=str(error))
    if len(signature) != 64:
        return Verdict(Failure.MALFORMED, detail="an Ed25519 signature has 64 bytes")
    return claims, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def verify_token(token: str, *, keys: Keyring, at: dt.datetime, zone: str | None = None) -> Verdict:
    """Format, key, signature, zone and validity window at ``at``; revocation is not checked.

    Order: malformed, unknown_key, invalid_signature, wrong_zone, not_yet_valid, expired.
    """
    read = read_token(token)
    if isinstance(read, Verdict):
        return read
    claims, signed, signature = read
    key = keys.get(claims.key_id)
    if key is None:
        return Verdict(Failure.UNKNOWN_KEY, claims, f"key {claims.key_id} is not in the keyring")
    if not _verify(key, signature, signed):
        return Verdict(Failure.INVALID_SIGNATURE, claims, "the signature does not hold")
    if zone is not None and claims.zone != zone:
        return Verdict(Failure.WRONG_ZONE, claims, f"issued for zone {claims.zone}, not {zone}")
    if at < claims.not_before:
        return Verdict(Failure.NOT_YET_VALID, claims, f"valid from {claims.not_before}")
    if at >= claims.not_after:
        return Verdict(Failure.EXPIRED, claims, f"valid until {claims.not_after}")
    return Verdict(VALID, claims)


# --- revocation lists -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RevocationList:
    """The credentials a zone has revoked, as of ``issued_at``."""

    zone: str
    sequence: int
    issued_at: dt.datetime
    key_id: str
    revoked: frozenset[str] = field(default_factory=frozenset)
    next_update: dt.datetime | None = None

    def body(self) -> str:
        """Canonical JSON of the list: the signed text."""
        document: dict[str, Any] = {
            "v": FORMAT_VERSION,
            "zone": self.zone,
            "sequence": self.sequence,
            "issued_at": self.issued_at.isoformat(),
            "next_update": None if self.next_update is None else self.next_update.isoformat(),
            "key_id": self.key_id,
            "revoked": sorted(self.revoked),
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True, slots=True)
class SignedRevocationList:
    """A revocation list body and its signature, as gates download it."""

    body: str
    signature: str

    def to_json(self) -> str:
        return json.dumps({"body": self.body, "signature": self.signature}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedRevocationList:
        document = json.loads(text)
        if not isinstance(document, dict) or set(document) != {"body", "signature"}:
            raise ValueError("a signed revocation list has exactly 'body' and 'signature'")
        body, signature = document["body"], document["signature"]
        if not isinstance(body, str) or not isinstance(signature, str):
            raise ValueError("'body' and 'signature' are strings")
        return cls(body=body, signature=signature)


class RevocationListRefused(Exception):
    """A revocation list that must not be trusted (``reason``: malformed, stale, ...)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def sign_revocation_list(revocations: RevocationList, key: SigningKey) -> SignedRevocationList:
    if revocations.key_id != key.key_id:
        raise ValueError(f"list names key {revocations.key_id}, signing with {key.key_id}")
    body = revocations.body()
    signature = key.sign(f"{REVOCATION_PREFIX}.{body}".encode())
    return SignedRevocationList(body=body, signature=encode_b64(signature))


def _parse_instant(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("an instant is an ISO 8601 string")
    instant = dt.datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise ValueError("an instant needs its UTC offset")
    return instant


def _parse_list(body: str) -> RevocationList:
    try:
        document = json.loads(body)
        if not isinstance(document, dict) or document.get("v") != FORMAT_VERSION:
            raise ValueError("not a version 1 revocation list")
        revoked = document["revoked"]
        sequence = document["sequence"]
        if not isinstance(revoked, list) or not all(isinstance(i, str) for i in revoked):
            raise ValueError("'revoked' is a list of credential ids")
        if not isinstance(sequence, int) or isinstance(sequence, bool):
            raise ValueError("'sequence' is an integer")
        next_update = document["next_update"]
        return RevocationList(
            zone=str(document["zone"]),
            sequence=sequence,
            issued_at=_parse_instant(document["issued_at"]),
            key_id=str(document["key_id"]),
            revoked=frozenset(revoked),
            next_update=None if next_update is None else _parse_instant(next_update),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise RevocationListRefused("malformed", str(error)) from None


def read_revocation_list(
    signed: SignedRevocationList, *, keys: Keyring, zone: str | None = None
) -> RevocationList:
    """The list if its signature holds for a key of the ring; its age is NOT checked here."""
    revocations = _parse_list(signed.body)
    key = keys.get(revocations.key_id)
    if key is None:
        raise RevocationListRefused("unknown_key", f"key {revocations.key_id} is not known")
    try:
        signature = decode_b64(signed.signature)
    except ValueError as error:
        raise RevocationListRefused("malformed", str(error)) from None
    if not _verify(key, signature, f"{REVOCATION_PREFIX}.{signed.body}".encode()):
        raise RevocationListRefused("invalid_signature", "the list's signature does not hold")
    if zone is not None and revocations.zone != zone:
        raise RevocationListRefused("wrong_zone", f"list of zone {revocations.zone}, not {zone}")
    return revocations


def check_freshness(
    revocations: RevocationList,
    *,
    at: dt.datetime,
    max_age: dt.timedelta = MAX_REVOCATION_LIST_AGE,
    min_sequence: int | None = None,
) -> None:
    """Refuse a list older than ``max_age``, from the future, or older than one already seen."""
    age = at - revocations.issued_at
    if age > max_age:
        raise RevocationListRefused("stale", f"the list is {age} old; the maximum is {max_age}")
    if age < -CLOCK_TOLERANCE:
        raise RevocationListRefused("from_the_future", f"issued at {revocations.issued_at}")
    if min_sequence is not None and revocations.sequence < min_sequence:
        raise RevocationListRefused(
            "rolled_back", f"sequence {revocations.sequence} is older than {min_sequence}"
        )


def verify_offline(
    token: str,
    *,
    keys: Keyring,
    at: dt.datetime,
    revocations: SignedRevocationList | RevocationList | None,
    zone: str | None = None,
    max_age: dt.timedelta = MAX_REVOCATION_LIST_AGE,
    min_sequence: int | None = None,
) -> Verdict:
    """What a gate with no network answers: "valid" only with a fresh, signed list.

    A listed id is revoked even when the list is stale (revocation is final); an unlisted id
    with no list, an untrusted list or a stale one is "revocation_unknown", never "valid".
    A gate checks a downloaded list once with `read_revocation_list` and passes the
    RevocationList it got (its age is still checked here, at every token).
    """
    verdict = verify_token(token, keys=keys, at=at, zone=zone)
    if not verdict.valid or verdict.claims is None:
        return verdict
    credential_id = verdict.claims.credential_id
    if revocations is None:
        return Verdict(Failure.REVOCATION_UNKNOWN, verdict.claims, "no revocation list")
    try:
        listed = (
            revocations
            if isinstance(revocations, RevocationList)
            else read_revocation_list(revocations, keys=keys, zone=zone)
        )
    except RevocationListRefused as refused:
        return Verdict(Failure.REVOCATION_UNKNOWN, verdict.claims, str(refused))
    if credential_id in listed.revoked:
        return Verdict(Failure.REVOKED, verdict.claims, f"listed in sequence {listed.sequence}")
    try:
        check_freshness(listed, at=at, max_age=max_age, min_sequence=min_sequence)
    except RevocationListRefused as refused:
        return Verdict(Failure.REVOCATION_UNKNOWN, verdict.claims, str(refused))
    return verdict
