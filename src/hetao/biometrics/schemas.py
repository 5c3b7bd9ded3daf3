"""Input and output shapes of face enrolment (API, pages). A template never leaves hetao."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hetao.biometrics.images import IMAGE_MAX_BYTES
from hetao.biometrics.models import EnrolmentStatus
from hetao.inputs import InputModel

#: Base64 of the largest image accepted, with room for padding.
IMAGE_MAX_BASE64 = (IMAGE_MAX_BYTES + 2) // 3 * 4
Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Statement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


def image_bytes(value: str) -> bytes:
    """The bytes of a base64 image; a refusal that names the rule when it is not base64."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError("biometrics.image_not_base64", "is not base64") from None


class EnrolmentIn(InputModel):
    """A face enrolment: the photo taken at the desk, the purpose and the consent given."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    image: bytes = Field(
        description="The face photo, base64 JPEG, PNG or WebP, at most 512 KiB",
        json_schema_extra={"type": "string", "format": "byte"},
    )
    purpose: Purpose
    consent: bool = Field(description="The person consents; false is refused")
    consent_statement: Statement = Field(
        default="hetao-faces-v1", description="Which consent wording the person accepted"
    )

    @field_validator("image", mode="before")
    @classmethod
    def _decoded(cls, value: object) -> bytes:
        if not isinstance(value, str) or len(value) > IMAGE_MAX_BASE64:
            raise PydanticCustomError(
                "biometrics.image_too_large", "a base64 string of at most 512 KiB of image"
            )
        return image_bytes(value)


Label = Annotated[str, StringConstraints(pattern=r"^[ -~]{1,64}$")]


class FaceClaimIn(InputModel):
    """What a gate says about the face of the traveller it reads a document or credential of.

    Either its own 1:1 match result (``score``, ``device``, ``model_version``) or, where the
    zone's profile enables the built-in verifier, a ``probe_image`` hetao compares itself.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    liveness: bool = Field(description="The gate's liveness check passed")
    score: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = Field(
        default=None, description="The gate's own similarity score, 1 the same face"
    )
    device: Label | None = None
    model_version: Label | None = None
    probe_image: bytes | None = Field(
        default=None,
        description="The face as the gate's camera saw it, base64 JPEG, PNG or WebP, at most"
        " 512 KiB; kept only as its SHA-256",
        json_schema_extra={"type": "string", "format": "byte"},
    )

    @field_validator("probe_image", mode="before")
    @classmethod
    def _decoded(cls, value: object) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, str) or len(value) > IMAGE_MAX_BASE64:
            raise PydanticCustomError(
                "biometrics.image_too_large", "a base64 string of at most 512 KiB of image"
            )
        return image_bytes(value)

    @field_serializer("probe_image", when_used="json")
    def _kept_as_its_hash(self, value: bytes | None) -> dict[str, str] | None:
        return None if value is None else {"sha256": hashlib.sha256(value).hexdigest()}

    @model_validator(mode="after")
    def _one_kind_of_claim(self) -> FaceClaimIn:
        if (self.score is None) == (self.probe_image is None):
            raise PydanticCustomError(
                "biometrics.one_claim", "give either the gate's score or a probe_image"
            )
        if self.score is not None and (self.device is None or self.model_version is None):
            raise PydanticCustomError(
                "biometrics.match_named", "a gate's score names its device and model_version"
            )
        return self


class EnrolmentOut(BaseModel):
    """An enrolment as shown: its status, consent and retention, never the template."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    person_id: int
    status: EnrolmentStatus
    purpose: str
    consent_statement: str
    consented_at: dt.datetime
    model_version: str
    expires_at: dt.datetime
    ended_at: dt.datetime | None
