"""Input and output shapes of the registry, shared by the API, the CLI and the bulk import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hetao.errors import ValidationFailed
from hetao.inputs import Id, InputModel, decimal_within
from hetao.reference.countries import alpha2_of_mrz_state, check_country
from hetao.reference.industries import check_industry
from hetao.registry import identifiers
from hetao.registry.identifiers import DocumentKind, InvalidIdentifier
from hetao.registry.models import (
    BENEFICIARY_KINDS,
    ApplicationStatus,
    ApprovalKind,
    CreditLevel,
    EntryStatus,
    PartyKind,
    PartyStatus,
    PlateRegion,
    Residency,
    SubjectKind,
    VehicleKind,
)
from hetao.registry.plates import check_plate
from hetao.tax.schemas import HsCode, Quantity, Slug, Unit

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


def _identifier(check: Callable[[str], str]) -> AfterValidator:
    """Run a published check rule; its rule name becomes the pydantic error type."""

    def run(value: str) -> str:
        try:
            return check(value)
        except InvalidIdentifier as exc:
            raise PydanticCustomError(exc.rule, exc.message) from None

    return AfterValidator(run)


def _reference(check: Callable[..., str]) -> AfterValidator:
    def run(value: str) -> str:
        try:
            return check(value)
        except ValidationFailed as exc:
            problem = exc.problems[0]
            raise PydanticCustomError(problem.rule, problem.message) from None

    return AfterValidator(run)


Uscc = Annotated[str, _identifier(identifiers.check_uscc)]
HkBr = Annotated[str, _identifier(identifiers.check_hk_br)]
Country = Annotated[str, _reference(check_country)]
Industry = Annotated[str, _reference(check_industry)]


class _In(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _fail(rule: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(rule, message)


# --- parties -------------------------------------------------------------------------------


class PartyCreate(_In):
    """A new party; beneficiary kinds need a unified social credit code (R2)."""

    kind: PartyKind
    name_en: Name
    name_zh: Name | None = None
    uscc: Uscc | None = Field(None, description="Mainland unified social credit code")
    hk_br: HkBr | None = Field(None, description="Hong Kong business registration number")
    industry: Industry | None = Field(None, description="Focus field code, see /reference")
    registered_in_csa: bool = Field(
        False, description="Registered in the customs-supervised area (R2)"
    )
    credit_level: CreditLevel = CreditLevel.REGULAR

    @model_validator(mode="after")
    def _registration_fits_kind(self) -> PartyCreate:
        if self.kind in BENEFICIARY_KINDS:
            if self.uscc is None:
                raise _fail("R2.beneficiary_needs_uscc", f"uscc is required for a {self.kind}")
            if not self.registered_in_csa:
                raise _fail(
                    "R2.beneficiary_registered_in_csa",
                    f"a {self.kind} must be registered in the customs-supervised area",
                )
        elif self.kind is PartyKind.HK_INSTITUTION and self.hk_br is None:
            raise _fail(
                "party.hk_institution_needs_hk_br", "hk_br is required for a HK institution"
            )
        elif self.uscc is None and self.hk_br is None:
            raise _fail("party.registration_number", "give uscc or hk_br")
        return self


class PartyOut(_Out):
    id: int
    kind: PartyKind
    name_en: str
    name_zh: str | None
    uscc: str | None
    hk_br: str | None
    industry: str | None
    registered_in_csa: bool
    credit_level: CreditLevel
    status: PartyStatus
    created_at: dt.datetime


# --- persons -------------------------------------------------------------------------------


class DocumentIn(_In):
    """An identity document; an MRZ (both lines) is checked digit by digit when given."""

    kind: DocumentKind
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    issuing_country: Country
    expiry_date: dt.date | None = None
    mrz_line1: str | None = Field(None, max_length=44)
    mrz_line2: str | None = Field(None, max_length=44)

    @model_validator(mode="after")
    def _check_rule(self) -> DocumentIn:
        if (self.mrz_line1 is None) != (self.mrz_line2 is None):
            raise _fail("ICAO9303.mrz_two_lines", "give both MRZ lines or neither")
        mrz = (self.mrz_line1, self.mrz_line2) if self.mrz_line1 and self.mrz_line2 else None
        if mrz is not None and self.kind is not DocumentKind.PASSPORT:
            raise _fail("ICAO9303.mrz_passport_only", "an MRZ is accepted for passports only")
        try:
            self.number = identifiers.check_document(self.kind, self.number, mrz=mrz)
        except InvalidIdentifier as exc:
            raise _fail(exc.rule, exc.message) from None
        if mrz is not None:
            issuer = alpha2_of_mrz_state(identifiers.check_mrz_td3(*mrz).issuing_state)
            if issuer != self.issuing_country:
                raise _fail(
                    "ICAO9303.issuing_state_matches",
                    f"the MRZ names issuing state {issuer}, not {self.issuing_country}",
                )
        expected_issuer = _ISSUER_OF.get(self.kind)
        if expected_issuer and self.issuing_country != expected_issuer:
            raise _fail(
                "document.issuing_country",
                f"a {self.kind} is issued by {expected_issuer}, not {self.issuing_country}",
            )
        return self


_ISSUER_OF = {
    DocumentKind.MAINLAND_RESIDENT_ID: "CN",
    DocumentKind.HK_IDENTITY_CARD: "HK",
    DocumentKind.MAINLAND_TRAVEL_PERMIT_HK_MACAO: "CN",
}


class AffiliationIn(_In):
    party_id: Id
    role: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    since: dt.date | None = None


#: An earlier birth date is a typing error, not a person who may still cross.
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def _birth_date(value: dt.date) -> dt.date:
    if value < EARLIEST_BIRTH_DATE:
        raise _fail("person.birth_date_floor", f"must be on or after {EARLIEST_BIRTH_DATE}")
    if value > identifiers.boundary_today():
        raise _fail("person.birth_date_future", "must not be after today at the zone")
    return value


class PersonCreate(_In):
    """A person with at least one identity document."""

    family_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    given_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    name_zh: str | None = Field(None, max_length=100)
    birth_date: Annotated[dt.date, AfterValidator(_birth_date)]
    residency: Residency
    nationality: Country
    documents: list[DocumentIn] = Field(min_length=1)
    affiliations: list[AffiliationIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _documents_agree_with_person(self) -> PersonCreate:
        for doc in self.documents:
            if doc.mrz_line1 and doc.mrz_line2:
                mrz = identifiers.check_mrz_td3(doc.mrz_line1, doc.mrz_line2)
                if alpha2_of_mrz_state(mrz.nationality) != self.nationality:
                    raise _fail(
                        "ICAO9303.nationality_matches_person",
                        f"the MRZ says nationality {mrz.nationality}, "
                        f"the person {self.nationality}",
                    )
            embedded = _birth_date_in(doc)
            if embedded is not None and embedded != self.birth_date:
                raise _fail(
                    "document.birth_date_matches_person",
                    f"the {doc.kind} says born {embedded}, the person {self.birth_date}",
                )
        return self


def _birth_date_in(doc: DocumentIn) -> dt.date | None:
    """The birth date a document itself carries, so a mismatch with the person is caught."""
    if doc.kind is DocumentKind.MAINLAND_RESIDENT_ID:
        return dt.datetime.strptime(doc.number[6:14], "%Y%m%d").date()  # noqa: DTZ007 (a date)
    if doc.mrz_line1 and doc.mrz_line2:
        return identifiers.check_mrz_td3(doc.mrz_line1, doc.mrz_line2).birth_date
    return None


class DocumentOut(_Out):
    kind: DocumentKind
    number: str
    issuing_country: str
    expiry_date: dt.date | None


class AffiliationOut(_Out):
    party_id: int
    role: str
    since: dt.date | None


class PersonOut(_Out):
    id: int
    family_name: str
    given_name: str
    name_zh: str | None
    birth_date: dt.date
    residency: Residency
    nationality: str
    documents: list[DocumentOut]
    affiliations: list[AffiliationOut]
    created_at: dt.datetime


# --- vehicles ------------------------------------------------------------------------------


class PermitIn(_In):
    """A vehicle permit valid at the named crossing points for a window of days."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    crossing_points: list[str] = Field(min_length=1)
    valid_from: dt.date
    valid_until: dt.date

    @model_validator(mode="after")
    def _window_ordered(self) -> PermitIn:
        if self.valid_until < self.valid_from:
            raise _fail("permit.window_ordered", "valid_until is before valid_from")
        return self


class VehicleCreate(_In):
    """A vehicle with its plate(s) and permits."""

    plate: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    plate_region: PlateRegion
    hk_plate: str | None = Field(
        None, max_length=16, description="Hong Kong plate of a cross-boundary vehicle"
    )
    kind: VehicleKind
    owner_party_id: Id
    permits: list[PermitIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _plates_valid(self) -> VehicleCreate:
        try:
            self.plate = check_plate(self.plate, self.plate_region)
            if self.plate_region is PlateRegion.CROSS_BOUNDARY:
                if self.hk_plate is None:
                    raise _fail(
                        "plate.cross_boundary_needs_hk_plate",
                        "a cross-boundary vehicle also carries a Hong Kong plate",
                    )
                self.hk_plate = check_plate(self.hk_plate, PlateRegion.HONG_KONG)
            elif self.hk_plate is not None:
                raise _fail(
                    "plate.hk_plate_cross_boundary_only", "hk_plate is for cross-boundary vehicles"
                )
        except InvalidIdentifier as exc:
            raise _fail(exc.rule, exc.message) from None
        return self


class PermitOut(_Out):
    number: str
    crossing_points: list[str]
    valid_from: dt.date
    valid_until: dt.date


class VehicleOut(_Out):
    id: int
    plate: str
    plate_region: PlateRegion
    hk_plate: str | None
    kind: VehicleKind
    owner_party_id: int
    permits: list[PermitOut]
    created_at: dt.datetime


# --- whitelist -----------------------------------------------------------------------------


class Scopes(_In):
    """What an entry allows: which flows, on which lines, with which exemptions."""

    flows: list[str] = Field(min_length=1, description="people, goods, funds, data")
    lines: list[str] = Field(min_length=1, description="first, second")
    exemptions: list[str] = Field(default_factory=list)


class ApplicationCreate(Scopes):
    """A whitelist application; it starts as a draft."""

    subject_kind: SubjectKind
    party_id: Id | None = Field(
        None, description="The institution itself, or the sponsor of a person"
    )
    person_id: Id | None = None
    vehicle_id: Id | None = None
    industry: Industry | None = None
    valid_from: dt.date | None = Field(None, description="Defaults to the approval date")
    valid_until: dt.date | None = Field(
        None, description="Defaults to the profile's validity for the subject kind"
    )
    justification: str = Field("", max_length=4000)

    @model_validator(mode="after")
    def _subject_complete(self) -> ApplicationCreate:
        needed: dict[SubjectKind, tuple[str, ...]] = {
            SubjectKind.INSTITUTION: ("party_id",),
            SubjectKind.INDIVIDUAL: ("person_id", "party_id"),
            SubjectKind.VEHICLE: ("vehicle_id",),
            SubjectKind.INDUSTRY: ("industry",),
        }
        # A party may sponsor any subject but an industry, which no party owns.
        allowed = set(needed[self.subject_kind])
        if self.subject_kind is not SubjectKind.INDUSTRY:
            allowed.add("party_id")
        for name in ("party_id", "person_id", "vehicle_id", "industry"):
            value: Any = getattr(self, name)
            if name in needed[self.subject_kind] and value is None:
                raise _fail(
                    "application.subject_complete", f"{name} is required for a {self.subject_kind}"
                )
            if name not in allowed and value is not None:
                raise _fail(
                    "application.subject_complete", f"{name} is not used for a {self.subject_kind}"
                )
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise _fail("application.window_ordered", "valid_until is before valid_from")
        return self


class Resubmission(_In):
    """The applicant's answer to a request for information, optionally with amended scopes."""

    answer: Note
    flows: list[str] | None = Field(None, min_length=1)
    lines: list[str] | None = Field(None, min_length=1)
    exemptions: list[str] | None = None


class ReviewNote(_In):
    """A reviewer's or officer's reason, required for every negative decision."""

    note: Note


class OptionalNote(_In):
    note: str | None = Field(None, max_length=4000)


class ApplicationOut(_Out):
    id: int
    subject_kind: SubjectKind
    party_id: int | None
    person_id: int | None
    vehicle_id: int | None
    industry: str | None
    flows: list[str]
    lines: list[str]
    exemptions: list[str]
    status: ApplicationStatus
    valid_from: dt.date | None
    valid_until: dt.date | None
    justification: str
    reviewer_note: str | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class EntryOut(_Out):
    id: int
    application_id: int
    subject_kind: SubjectKind
    party_id: int | None
    person_id: int | None
    vehicle_id: int | None
    industry: str | None
    flows: list[str]
    lines: list[str]
    exemptions: list[str]
    status: EntryStatus
    valid_from: dt.date
    valid_until: dt.date
    status_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class WaiverCreate(_In):
    """An election to pay import taxes on a kind of goods; starts the lockout (R6)."""

    goods_kind: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ]
    waived_on: dt.date | None = Field(None, description="Defaults to today (UTC)")
    reason: str = Field("", max_length=4000)


class WaiverOut(_Out):
    id: int
    party_id: int
    goods_kind: str
    waived_on: dt.date
    lockout_until: dt.date
    reason: str
    created_at: dt.datetime


class StandingChange(StrEnum):
    """What a standing record changes: a status of R8's exception, or the credit level (R26)."""

    BANKRUPT = "bankrupt"
    """Declared bankrupt by a court."""
    DEREGISTERED = "deregistered"
    """Deregistered (an institution) or dissolved."""
    CREDIT_LEVEL = "credit_level"
    """A new customs credit level (Decree 282)."""


class StandingCreate(_In):
    """A change of a party's standing from a date, with the document it rests on."""

    change: StandingChange
    effective_on: dt.date = Field(description="First day the standing holds, at the zone")
    document_ref: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)
    ] = Field(description="Court ruling, deregistration notice or credit decision")
    credit_level: CreditLevel | None = Field(
        None, description="The new level; for, and only for, a credit_level change"
    )
    note: str = Field("", max_length=4000)

    @model_validator(mode="after")
    def _credit_level_fits_change(self) -> StandingCreate:
        if (self.change is StandingChange.CREDIT_LEVEL) != (self.credit_level is not None):
            raise _fail(
                "standing.credit_level", "credit_level is required for, and only for, that change"
            )
        return self


class StandingOut(_Out):
    id: int
    party_id: int
    status: PartyStatus
    credit_level: CreditLevel
    effective_on: dt.date
    document_ref: str
    note: str
    created_at: dt.datetime


ApprovalNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)
]
"""An approval's number as its issuer wrote it (the key, with its kind, a line names)."""
_APPROVAL_QUANTITY_BOUND = decimal_within(
    below=Decimal("1e15"), places=3, size_rule="quantity.max", places_rule="quantity.places"
)
ApprovalQuantity = Annotated[Quantity, _APPROVAL_QUANTITY_BOUND]


def _not_a_float(value: object) -> object:
    if isinstance(value, float):
        raise _fail("decimal_string_required", 'write a quantity as a decimal string, e.g. "2.5"')
    return value


DrawnQuantity = Annotated[
    Decimal, BeforeValidator(_not_a_float), Field(ge=0), _APPROVAL_QUANTITY_BOUND
]
"""What was drawn from an approval: zero or more, in thousandths at most."""


class ApprovalCreate(_In):
    """An approval as issued (R11 quarantine of special articles, R41 human genetic resources)."""

    kind: ApprovalKind
    number: ApprovalNumber
    issuer: Name
    party_id: Id = Field(description="The party the approval was issued to")
    hs_codes: list[HsCode] = Field(
        default_factory=list,
        max_length=100,
        description="HS codes or headings in scope (a line's code starts with one)",
    )
    article_kinds: list[Slug] = Field(
        default_factory=list, max_length=50, description="Goods kinds of the profile in scope"
    )
    quantity: ApprovalQuantity = Field(description="Decimal string: the quantity approved")
    unit: Unit
    drawn: DrawnQuantity = Field(
        Decimal(0), description="Already drawn when recorded (an approval in use before)"
    )
    valid_from: dt.date
    valid_until: dt.date
    note: str = Field("", max_length=4000)

    @model_validator(mode="after")
    def _scope_and_window(self) -> ApprovalCreate:
        if not self.hs_codes and not self.article_kinds:
            raise _fail("approval.scope", "give hs_codes, article_kinds or both")
        if self.valid_until < self.valid_from:
            raise _fail("approval.window", "valid_until is before valid_from")
        if self.drawn > self.quantity:
            raise _fail("approval.drawn", "drawn is more than the quantity approved")
        return self


class ApprovalOut(_Out):
    id: int
    kind: ApprovalKind
    number: str
    issuer: str
    party_id: int
    hs_codes: list[str]
    article_kinds: list[str]
    quantity: Decimal
    unit: str
    valid_from: dt.date
    valid_until: dt.date
    drawn: Decimal
    remaining: Decimal
    note: str
    created_at: dt.datetime
