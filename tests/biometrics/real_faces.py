"""Real faces from installed packages, made into image files at test time (none is committed).

scikit-image bundles in its wheel (never fetched by pooch) the astronaut Eileen Collins and a
subset of Labeled Faces in the Wild: small grey crops of other people's faces, the impostors.
"""

from __future__ import annotations

import functools
import io

import numpy as np
import numpy.typing as npt
from PIL import Image
from skimage import data

#: The first half of ``lfw_subset`` are faces; the rest are not.
LFW_FACES = 100
#: LFW crops are 25 pixels wide: scaled up so a face detector meant for gates finds them.
LFW_SIDE = 150


def encoded(pixels: npt.NDArray[np.uint8], *, image_format: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).convert("RGB").save(buffer, format=image_format)
    return buffer.getvalue()


@functools.cache
def astronaut() -> bytes:
    """The enrolment photo: the astronaut as skimage ships it."""
    return encoded(data.astronaut())


def astronaut_at_the_gate() -> list[bytes]:
    """The same face as a gate camera might see it: smaller, darker, brighter, mirrored, JPEG."""
    original = Image.fromarray(data.astronaut())
    small = np.asarray(original.resize((300, 300)), dtype=np.float64)
    darker = np.clip(small * 0.7 + 20, 0, 255).astype(np.uint8)
    brighter = np.clip(small * 1.2 + 10, 0, 255).astype(np.uint8)
    mirrored = np.ascontiguousarray(np.asarray(original)[:, ::-1])
    return [
        encoded(darker, image_format="JPEG"),
        encoded(brighter, image_format="WEBP"),
        encoded(mirrored, image_format="JPEG"),
    ]


def other_people() -> list[bytes]:
    """Other people's faces from Labeled Faces in the Wild, as grey PNGs."""
    faces = data.lfw_subset()[:LFW_FACES]
    images = []
    for face in faces:
        grey = Image.fromarray((face * 255).astype(np.uint8)).resize(
            (LFW_SIDE, LFW_SIDE), Image.Resampling.BICUBIC
        )
        images.append(encoded(np.stack([np.asarray(grey)] * 3, axis=-1)))
    return images


def no_face() -> bytes:
    """A real photograph without a face (the coins)."""
    return encoded(data.coins())
