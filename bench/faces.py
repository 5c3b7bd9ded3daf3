"""Face verification speed: seconds per probe with the built-in verifier, and template size.

Each probe's time is printed beside the floor measured in the same run: decoding the same
probe image alone (``hetao.biometrics.images.decode``), which any verifier has to do. The faces
are real and come from scikit-image's wheel (tests/biometrics/real_faces.py); nothing is fetched.

    .venv/bin/python bench/faces.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hetao.biometrics import images
from hetao.biometrics.dlib_verifier import DlibVerifier
from hetao.biometrics.verifier import NoFace

# The real faces are made from installed packages by the tests' helper.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from biometrics import real_faces


def timed(action: Callable[[], object], rounds: int) -> float:
    """The median seconds of ``rounds`` calls of ``action``."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    verifier = DlibVerifier()
    template = verifier.template(real_faces.astronaut(), field="image")
    probe = real_faces.astronaut_at_the_gate()[0]
    verifier.compare(template, probe, field="probe")  # loads the models: not a probe's cost
    per_probe = timed(lambda: verifier.compare(template, probe, field="probe"), rounds)
    floor = timed(lambda: images.decode(probe, field="probe"), rounds)
    print(f"model {verifier.model_version}; template {len(template)} bytes")
    print(f"probe ({len(probe)} bytes JPEG, 300x300): {per_probe * 1000:.0f} ms per verification")
    print(f"floor, decoding the same probe alone: {floor * 1000:.1f} ms")
    enrolled = verifier.descriptor(real_faces.astronaut(), field="image")

    def distance(image: bytes) -> float:
        return float(np.linalg.norm(enrolled - verifier.descriptor(image, field="probe")))

    genuine = [distance(p) for p in real_faces.astronaut_at_the_gate()]
    impostors = []
    for other in real_faces.other_people():
        try:
            impostors.append(distance(other))
        except NoFace:
            continue
    print(f"genuine distances: {', '.join(f'{d:.2f}' for d in genuine)}")
    print(
        f"impostor distances ({len(impostors)} LFW faces found of {real_faces.LFW_FACES}):"
        f" {min(impostors):.2f} to {max(impostors):.2f}"
    )


if __name__ == "__main__":
    main()
