"""Values sealed at rest under a key file of the data directory (AES-256-GCM).

Each kind of sealed value has its own key file and its own associated data, so a value sealed
for one purpose (a webhook secret) never opens as another (a face template), and destroying one
key file shreds every value of its kind and nothing else.
"""

from __future__ import annotations

import secrets
import weakref
from pathlib import Path
from typing import ClassVar, Self, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hetao.secretfiles import read_or_create

_NONCE = 12


class SealingBox:
    """Seals and opens bytes of one kind with a 256-bit key; subclasses name the kind."""

    #: The associated data: binds a sealed value to its kind.
    purpose: ClassVar[bytes] = b"hetao sealed value"
    #: What a value of this kind is called in an error.
    kind: ClassVar[str] = "sealed value"

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def load_or_create(cls, path: Path) -> Self:
        """The key at ``path``, made (mode 0600) on first use."""
        text, _ = read_or_create(path, lambda: secrets.token_bytes(32).hex().encode())
        return cls(bytes.fromhex(text.decode().strip()))

    def seal_bytes(self, plain: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead.encrypt(nonce, plain, self.purpose)

    def open_bytes(self, sealed: bytes) -> bytes:
        """The plain bytes; ValueError if sealed under another key, for another kind, or altered."""
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], self.purpose)
        except InvalidTag as error:
            raise ValueError(f"the {self.kind} does not open under this key") from error

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<key>)"


BoxT = TypeVar("BoxT", bound=SealingBox)

# Each application's boxes, set by create_app: AppState (hetao.api) knows no domain's boxes.
_BOXES: weakref.WeakKeyDictionary[object, dict[type[SealingBox], SealingBox]] = (
    weakref.WeakKeyDictionary()
)


def install(app: object, box: SealingBox) -> None:
    """Make ``box`` the one that seals and opens its kind of value for ``app``."""
    _BOXES.setdefault(app, {})[type(box)] = box


def box_of(app: object, kind: type[BoxT]) -> BoxT:
    """The box of type ``kind`` that ``install`` gave ``app``."""
    box = _BOXES.get(app, {}).get(kind)
    if not isinstance(box, kind):
        raise TypeError(f"the application has no {kind.kind} key (hetao.app)")
    return box
