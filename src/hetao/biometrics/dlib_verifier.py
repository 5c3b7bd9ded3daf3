"""The built-in verifier: dlib's ResNet face descriptor (128 numbers), models from PyPI.

The models come from the ``face-recognition-models`` package, installed with hetao (extra
``faces``): nothing is downloaded at run time. The score is 1 - the Euclidean distance between
descriptors, clamped to [0, 1]; dlib's authors separate people at distance 0.6 (score 0.4).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hetao.biometrics import images
from hetao.biometrics.verifier import Comparison, NoFace

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

DESCRIPTOR_LENGTH = 128
_DTYPE = "<f4"  # little-endian float32: 512 bytes per template
MODEL_VERSION = "dlib-resnet-v1+shape68"


def model_file(name: str) -> str:
    """A model file of the installed ``face-recognition-models`` package.

    Found without importing the package: its ``__init__`` needs ``pkg_resources``, which
    current setuptools no longer ships.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face-recognition-models is not installed (pip install hetao[faces])")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise RuntimeError(f"{path} is missing from face-recognition-models")
    return str(path)


class _Models:
    """dlib's detector, landmark predictor and descriptor network, loaded once per process."""

    def __init__(self) -> None:
        import dlib

        self.detector: Any = dlib.get_frontal_face_detector()
        self.shapes: Any = dlib.shape_predictor(model_file("shape_predictor_68_face_landmarks.dat"))
        self.network: Any = dlib.face_recognition_model_v1(
            model_file("dlib_face_recognition_resnet_model_v1.dat")
        )
        # dlib's objects are not documented as safe to share between threads.
        self.lock = threading.Lock()


@functools.cache
def _models() -> _Models:
    return _Models()


class DlibVerifier:
    """``FaceVerifier`` on dlib: the largest face found in an image is the one compared."""

    model_version = MODEL_VERSION

    def descriptor(self, image: bytes, *, field: str) -> npt.NDArray[np.float32]:
        import numpy as np

        pixels = images.decode(image, field=field)
        models = _models()
        with models.lock:
            faces = list(models.detector(pixels, 1))
            if not faces:
                raise NoFace(field)
            face = max(faces, key=lambda box: box.width() * box.height())
            shape = models.shapes(pixels, face)
            values = models.network.compute_face_descriptor(pixels, shape)
        return np.asarray(values, dtype=_DTYPE)

    def template(self, image: bytes, *, field: str) -> bytes:
        return self.descriptor(image, field=field).tobytes()

    def compare(self, template: bytes, probe: bytes, *, field: str) -> Comparison:
        import numpy as np

        enrolled = np.frombuffer(template, dtype=_DTYPE)
        if enrolled.shape != (DESCRIPTOR_LENGTH,):
            raise ValueError("the template was not made by this verifier")
        distance = float(np.linalg.norm(enrolled - self.descriptor(probe, field=field)))
        return Comparison(score=max(0.0, min(1.0, 1.0 - distance)), model_version=MODEL_VERSION)
