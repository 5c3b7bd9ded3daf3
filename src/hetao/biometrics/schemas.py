"""Input and output shapes of face enrolment (API, pages). A template never leaves hetao."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
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
