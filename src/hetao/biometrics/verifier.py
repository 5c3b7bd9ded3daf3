"""The one interface a face verifier offers hetao, and the score it is judged by.

A verifier turns a face image into a template and compares a template with a probe image; the
gate decision only reads the resulting score, so another verifier can replace the built-in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class NoFace(Exception):
    """The image shows no face the verifier can find."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """One 1:1 comparison: a similarity score in [0, 1] (1 the same face) and its model."""

    score: float
    model_version: str


class FaceVerifier(Protocol):
    """Makes templates and compares probes with them; offline, deterministic for one model."""

    @property
    def model_version(self) -> str:
        """Names the model: a template made by one model is compared only by the same one."""
        ...

    def template(self, image: bytes, *, field: str) -> bytes:
        """The template of the one face in ``image``; NoFace, or a 422 naming ``field``."""
        ...

    def compare(self, template: bytes, probe: bytes, *, field: str) -> Comparison:
        """How alike the face in ``probe`` is to ``template``; NoFace, or a 422 naming ``field``."""
        ...
