"""Input and output shapes of data transfers (API, CLI and services)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from hetao.datatransfer.models import ApplicationStatus, BatchStatus
from hetao.datatransfer.routing import (
    MAINLAND,
    Ground,
    Purpose,
    Route,
    Routing,
    TransferFacts,
    known_exporter_region,
)
from hetao.errors import ValidationFailed
from hetao.inputs import MAX_INTEGER, Id, InputModel
from hetao.reasons import ReasonRecordOut, stored_reasons
from hetao.reference.countries import check_country
from hetao.tax.schemas import problems_of

Persons = Annotated[int, Field(strict=True, ge=0, le=MAX_INTEGER)]
"""A number of persons: a JSON integer, not negative (booleans and strings are refused); the
columns that keep it are INTEGER."""
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reference = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$", max_length=64)
]
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def _exporter_region(value: str) -> str:
    cleaned = value.strip()
    if cleaned.upper() == MAINLAND:
        return MAINLAND
    if not known_exporter_region(cleaned):
        raise PydanticCustomError(
            "data.exporter_region",
            "must be a mainland city in English (e.g. Shenzhen),"
            " or CN for elsewhere in the mainland",
        )
    return cleaned


def _recipient_region(value: str) -> str:
    try:
        code = check_country(value, field="recipient_region")
    except ValidationFailed:
        raise PydanticCustomError(
            "iso3166.alpha2", "must be HK, MO or an ISO 3166-1 alpha-2 code"
        ) from None
    if code == MAINLAND:
        raise PydanticCustomError(
            "data.recipient_abroad", "must be outside the mainland (HK, MO or another country)"
        )
    return code


def _digest(value: str) -> str:
    if not _HEX64.fullmatch(value):
        raise PydanticCustomError("sha256.hex", "must be a SHA-256 digest: 64 hexadecimal digits")
    return value.lower()


def _categories(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("must_be_unique", "lists a category twice")
    return values


ExporterRegion = Annotated[str, AfterValidator(_exporter_region)]
RecipientRegion = Annotated[str, AfterValidator(_recipient_region)]
Digest = Annotated[str, AfterValidator(_digest)]
Categories = Annotated[tuple[Slug, ...], Field(min_length=1), AfterValidator(_categories)]


class _In(InputModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class YearToDate(_In):
    """Persons already sent by the exporter since 1 January."""

    personal_info_subjects: Persons
    sensitive_personal_info_subjects: Persons


class RouteRequest(_In):
    """The facts the routing needs (the keys of `hetao data route FILE.json`)."""

    cii_operator: StrictBool
    important_data: StrictBool
    personal_info_subjects: Persons
    sensitive_personal_info_subjects: Persons
    year_to_date: YearToDate
    exporter_region: ExporterRegion
    recipient_region: RecipientRegion
    purpose: Purpose

    def facts(self) -> TransferFacts:
        return TransferFacts(
            cii_operator=self.cii_operator,
            important_data=self.important_data,
            personal_info_subjects=self.personal_info_subjects,
            sensitive_personal_info_subjects=self.sensitive_personal_info_subjects,
            ytd_personal_info_subjects=self.year_to_date.personal_info_subjects,
            ytd_sensitive_personal_info_subjects=self.year_to_date.sensitive_personal_info_subjects,
            exporter_region=self.exporter_region,
            recipient_region=self.recipient_region,
            purpose=self.purpose,
        )


def parse_route_request(document: object) -> RouteRequest:
    """Validate a JSON-like route request; ValidationFailed names every bad key and its rule."""
    if not isinstance(document, Mapping):
        raise ValidationFailed.single("(root)", "object_required", "must be a JSON object")
    try:
        return RouteRequest.model_validate(dict(document))
    except ValidationError as error:
        problems = problems_of(error)
        first = problems[0]
        raise ValidationFailed(
            f"route request refused: {first.field}: {first.message} [{first.rule}]",
            problems=problems,
        ) from None


class ApplicationCreate(_In):
    """A new application; the route is decided at self-assessment."""

    exporter_party_id: Id
    exporter_region: ExporterRegion
    recipient_name: Name
    recipient_region: RecipientRegion
    data_categories: Categories
    personal_info_subjects: Persons
    sensitive_personal_info_subjects: Persons
    important_data: StrictBool
    cii_operator: StrictBool
    purpose: Purpose


class FilingIn(_In):
    """The number the authority gave the filing or the assessment application."""

    reference: Reference


class ApprovalIn(_In):
    """The authority's decision reference and an optional note."""

    reference: Reference
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class RejectionIn(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ActivationIn(_In):
    """The day the approval takes effect; today at the zone when left out."""

    valid_from: dt.date | None = None


class ExtensionIn(_In):
    """R36: the volume for the next period, and whether a major incident occurred."""

    personal_info_subjects: Persons
    sensitive_personal_info_subjects: Persons
    major_incident: StrictBool = False


class BatchIn(_In):
    """One batch as the dedicated channel saw it; the data itself never comes here."""

    batch_id: Reference
    digest: Digest
    size_bytes: Annotated[int, Field(strict=True, ge=0, le=2**62)]
    record_counts: Annotated[dict[Slug, Persons], Field(min_length=1, max_length=200)]
    personal_info_subjects: Persons = 0
    sensitive_personal_info_subjects: Persons = 0
    recipient_region: RecipientRegion
    recipient_name: Name


# --- outputs --------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RoutingOut(_Out):
    """The route and why; ``cumulative`` is this application plus the year to date."""

    route: Route
    alternatives: list[Route]
    rule: str
    ground: Ground | None
    reasons: list[ReasonRecordOut]
    cumulative: dict[str, int]
    gba_eligible: bool

    @classmethod
    def of(cls, routing: Routing) -> RoutingOut:
        return cls(
            route=routing.route,
            alternatives=list(routing.alternatives),
            rule=routing.rule,
            ground=routing.ground,
            reasons=[ReasonRecordOut.of(r) for r in routing.reasons],
            cumulative={
                "personal_info_subjects": routing.cumulative_personal_info_subjects,
                "sensitive_personal_info_subjects": (
                    routing.cumulative_sensitive_personal_info_subjects
                ),
            },
            gba_eligible=routing.gba_eligible,
        )


class ApplicationOut(_Out):
    id: int
    exporter_party_id: int
    exporter_region: str
    recipient_name: str
    recipient_region: str
    data_categories: list[str]
    personal_info_subjects: int
    sensitive_personal_info_subjects: int
    important_data: bool
    cii_operator: bool
    purpose: Purpose
    status: ApplicationStatus
    route: Route | None
    route_rule: str | None
    ground: Ground | None
    routing: dict[str, Any] | None
    assessed_year: int | None
    filing_reference: str | None
    approval_reference: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    renewal_window_opens_on: dt.date | None
    extensions: int
    status_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @field_validator("routing")
    @classmethod
    def _reasons_of_one_shape(cls, routing: dict[str, Any] | None) -> dict[str, Any] | None:
        """A routing stored before reasons had one shape reads in the shape of today."""
        if routing is None or "reasons" not in routing:
            return routing
        return {**routing, "reasons": [r.as_json() for r in stored_reasons(routing["reasons"])]}


class BatchOut(_Out):
    id: int
    application_id: int
    batch_id: str
    digest: str
    size_bytes: int
    record_counts: dict[str, int]
    personal_info_subjects: int
    sensitive_personal_info_subjects: int
    recipient_region: str
    recipient_name: str
    status: BatchStatus
    reasons: list[ReasonRecordOut]
    recorded_on: dt.date
    recorded_by: str
    created_at: dt.datetime

    @field_validator("reasons", mode="before")
    @classmethod
    def _stored(cls, stored: list[Any] | None) -> list[dict[str, Any]]:
        return [r.as_json() for r in stored_reasons(stored)]
