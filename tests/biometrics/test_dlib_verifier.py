"""The built-in verifier on real faces: genuine pairs pass the profile's threshold, others not."""

from __future__ import annotations

import functools
import io

import pytest
from PIL import Image

from biometrics import real_faces
from hetao.biometrics import images
from hetao.biometrics.dlib_verifier import DESCRIPTOR_LENGTH, DlibVerifier
from hetao.biometrics.verifier import FaceVerifier, NoFace
from hetao.errors import ValidationFailed
from hetao.profiles import load_profile

#: At least this many LFW impostors must be found and compared for the refusal to mean much.
MIN_IMPOSTORS = 50


@functools.cache
def verifier() -> DlibVerifier:
    return DlibVerifier()


@functools.cache
def enrolled() -> bytes:
    return verifier().template(real_faces.astronaut(), field="image")


def threshold() -> float:
    faces = load_profile("hetao").faces
    assert faces is not None
    return faces.default_threshold


class TestDlibVerifier:
    def test_is_a_face_verifier(self) -> None:
        chosen: FaceVerifier = verifier()
        assert chosen.model_version

    def test_a_template_is_128_float32_numbers(self) -> None:
        assert len(enrolled()) == DESCRIPTOR_LENGTH * 4

    def test_accepts_the_same_face_rescaled_relit_and_mirrored(self) -> None:
        for probe in real_faces.astronaut_at_the_gate():
            assert verifier().compare(enrolled(), probe, field="probe").score >= threshold()

    def test_refuses_other_peoples_faces(self) -> None:
        scores = []
        for probe in real_faces.other_people():
            try:
                scores.append(verifier().compare(enrolled(), probe, field="probe").score)
            except NoFace:
                continue
        assert len(scores) >= MIN_IMPOSTORS
        assert max(scores) < threshold()

    def test_finds_no_face_in_a_photo_of_coins(self) -> None:
        with pytest.raises(NoFace):
            verifier().template(real_faces.no_face(), field="image")


class TestImages:
    @pytest.mark.parametrize(
        ("data", "rule"),
        [
            (b"", "biometrics.image_empty"),
            (b"not an image at all", "biometrics.image_unreadable"),
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "biometrics.image_unreadable"),
            (b"GIF89a" + b"\x00" * 40, "biometrics.image_unreadable"),
            (b"\xff" * (images.IMAGE_MAX_BYTES + 1), "biometrics.image_too_large"),
        ],
    )
    def test_refuses_what_is_no_bounded_image_naming_the_field(
        self, data: bytes, rule: str
    ) -> None:
        with pytest.raises(ValidationFailed) as refused:
            images.decode(data, field="probe_image")
        (problem,) = refused.value.problems
        assert (problem.field, problem.rule) == ("probe_image", rule)

    def test_refuses_a_canvas_of_too_many_pixels_before_decoding_it(self) -> None:
        buffer = io.BytesIO()
        Image.new("L", (5000, 5000)).save(buffer, format="PNG")  # small file, 25 megapixels
        with pytest.raises(ValidationFailed) as refused:
            images.decode(buffer.getvalue(), field="probe_image")
        assert refused.value.problems[0].rule == "biometrics.image_too_many_pixels"
