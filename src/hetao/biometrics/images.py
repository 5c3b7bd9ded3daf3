"""Face images as they arrive (enrolment photos, gate probes): bounded, decoded safely, never kept.

Pillow reads the header first; the pixel count is checked before any pixel is decoded, so a
small file that claims a huge canvas (a decompression bomb) is refused without being expanded.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from hetao.errors import ValidationFailed

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: The largest image accepted, in bytes: a face photo needs far less, and its base64 (683 kB)
#: fits in a request body of the API's usual 1 MiB limit.
IMAGE_MAX_BYTES = 512 * 1024
#: The largest canvas decoded, in pixels (a 12-megapixel camera frame).
IMAGE_MAX_PIXELS = 12_000_000
#: Faces are found on images scaled down to this longest side: enough for a face at a gate.
WORKING_SIDE = 800
_FORMATS = ("JPEG", "PNG", "WEBP")


def refusal(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed.single(field, f"biometrics.{rule}", message)


def decode(data: bytes, *, field: str) -> npt.NDArray[np.uint8]:
    """An RGB pixel array from JPEG, PNG or WebP bytes, or a 422 naming ``field`` and the rule."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise refusal(field, "image_empty", "the image is empty")
    if len(data) > IMAGE_MAX_BYTES:
        raise refusal(
            field, "image_too_large", f"{len(data)} bytes; an image is at most {IMAGE_MAX_BYTES}"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            width, height = image.size
            if width * height > IMAGE_MAX_PIXELS:
                raise refusal(
                    field,
                    "image_too_many_pixels",
                    f"{width}x{height}; an image has at most {IMAGE_MAX_PIXELS} pixels",
                )
            image.thumbnail((WORKING_SIDE, WORKING_SIDE))
            pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise refusal(field, "image_unreadable", "is not a readable JPEG, PNG or WebP image") from (
            error
        )
    except Image.DecompressionBombWarning as error:
        raise refusal(field, "image_too_many_pixels", "the image claims too many pixels") from (
            error
        )
    return np.ascontiguousarray(pixels)
