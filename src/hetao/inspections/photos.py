"""Photos taken at the goods: checked to be images by their first bytes, bounded, hashed.

The content type is the one the bytes show (never the one the browser claims): a photo is
served back with it and ``nosniff``, so a file that is not an image is never kept at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from hetao.errors import ValidationFailed

#: The largest photo kept, in bytes: a tablet's camera at its usual JPEG quality stays below.
PHOTO_MAX_BYTES = 3 * 1024 * 1024
#: Photos per result: the goods, the seals, the discrepancy; all of them within the bulk body.
PHOTOS_MAX = 4
#: The form field photos come in: the page names it in a refusal.
FIELD = "photos"

# (first bytes, content type); WebP also needs "WEBP" at offset 8.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo as kept: its bytes, the type they show, their size and SHA-256."""

    data: bytes
    content_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def image_type(data: bytes) -> str | None:
    """The image type ``data`` starts like, or None when it is no image kept here."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo(data: bytes, *, index: int) -> Photo:
    """A photo from uploaded bytes, or a refusal naming the field and the rule broken."""
    field = f"{FIELD}[{index}]"
    if not data:
        raise ValidationFailed.single(field, "inspection.photo_empty", "the file is empty")
    if len(data) > PHOTO_MAX_BYTES:
        raise ValidationFailed.single(
            field,
            "inspection.photo_too_large",
            f"{len(data)} bytes; a photo is at most {PHOTO_MAX_BYTES} bytes",
        )
    content_type = image_type(data)
    if content_type is None:
        raise ValidationFailed.single(
            field, "inspection.photo_not_image", "is not a JPEG, PNG, GIF or WebP image"
        )
    return Photo(data=data, content_type=content_type, sha256=hashlib.sha256(data).hexdigest())


def photos(uploads: list[bytes]) -> list[Photo]:
    """Every photo of a result, checked; more than PHOTOS_MAX is refused."""
    if len(uploads) > PHOTOS_MAX:
        raise ValidationFailed.single(
            FIELD, "inspection.photo_count", f"at most {PHOTOS_MAX} photos per result"
        )
    return [photo(data, index=index) for index, data in enumerate(uploads)]
