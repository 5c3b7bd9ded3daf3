"""Input and output shapes of crossing events, decisions and rule sets (API, CLI, services).

A crossing event names its subject the way a gate sees it: a person by an identity document or
a zone credential, a vehicle by its plate (with driver, passengers and consignments), goods by
their declaration. The registry and the ledger turn these into facts (``gather``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from hetao.biometrics.schemas import FaceClaimIn
from hetao.engine.facts import Outcome, SubjectType
from hetao.inputs import Id, InputModel
from hetao.profiles import Direction
from hetao.registry.identifiers import DocumentKind
from hetao.registry.schemas import Country

#: A device's event id: visible ASCII, unique per device (the retry key).
EventId = Annotated[str, StringConstraints(pattern=r"^[!-~]{1,128}$")]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Approval = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
MAX_PASSENGERS = 60
MAX_CONSIGNMENTS = 20


class StrictInput(InputModel):
    """A request body: unknown keys refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RowOutput(BaseModel):
    """A response read from a stored row's attributes."""

    model_config = ConfigDict(from_attributes=True)


# --- input ------------------------------------------------------------------------------------


class DocumentRef(StrictInput):
    """An identity document as read at the gate; an unknown one is a fact, not an error."""

    kind: DocumentKind
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    issuing_country: Country | None = None


class PersonIn(StrictInput):
    """A traveller: an identity document, or a zone credential (e.g. the QR payload)."""

    document: DocumentRef | None = None
    credential: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None
    #: The gate's face match of the holder (issue 20); it confirms the holder, never replaces
    #: the document or credential.
    face: FaceClaimIn | None = None

    @model_validator(mode="after")
    def _one_way_to_identify(self) -> PersonIn:
        if (self.document is None) == (self.credential is None):
            raise PydanticCustomError(
                "crossing.person_identified_once", "give either a document or a credential"
            )
        return self


class LineApproval(StrictInput):
    """Approvals presented for one declaration line (R11 special articles, R41 HGR)."""

    line_no: Annotated[int, Field(ge=1)]
    special_article_approval: Approval | None = None
    hgr_approval: Approval | None = None


class LineQuantity(StrictInput):
    """How much of one declaration line a crossing carries."""

    line_no: Annotated[int, Field(ge=1)]
    quantity: Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=3)]


class ConsignmentIn(StrictInput):
    """Goods under one declaration: by its id, or by the declarant party and its reference."""

    declaration_id: Id | None = None
    party_id: Id | None = None
    reference: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    #: Carried by hand; defaults to what the declaration says.
    hand_carried: bool | None = None
    carrier: PersonIn | None = None
    approvals: Annotated[list[LineApproval], Field(max_length=500)] = Field(default_factory=list)
    #: The lines and quantities carried (a partial crossing); without it, all that is left.
    lines: Annotated[list[LineQuantity], Field(min_length=1, max_length=500)] | None = None
    #: An instrument crossing out or back on a recorded loan (issue 20): the loan stands for
    #: the declaration, and the serial is read off the instrument at the gate.
    loan_id: Id | None = None
    serial: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _one_way_to_name_the_declaration(self) -> ConsignmentIn:
        if self.loan_id is not None or self.serial is not None:
            named = (self.declaration_id, self.party_id, self.reference, self.lines)
            if self.loan_id is None or self.serial is None or any(v is not None for v in named):
                raise PydanticCustomError(
                    "crossing.loan_named_alone",
                    "an instrument on loan gives loan_id and serial, and no declaration",
                )
            return self
        by_reference = self.party_id is not None and self.reference is not None
        if (self.declaration_id is not None) == by_reference or (
            (self.party_id is None) != (self.reference is None)
        ):
            raise PydanticCustomError(
                "crossing.declaration_named_once",
                "give either declaration_id or both party_id and reference",
            )
        numbers = [line.line_no for line in self.lines or ()]
        if len(set(numbers)) != len(numbers):
            raise PydanticCustomError(
                "crossing.line_carried_once", "name each declaration line at most once"
            )
        return self


class PersonSubject(PersonIn):
    type: Literal["person"]


class VehicleSubject(StrictInput):
    type: Literal["vehicle"]
    plate: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
    driver: PersonIn | None = None
    passengers: Annotated[list[PersonIn], Field(max_length=MAX_PASSENGERS)] = Field(
        default_factory=list
    )
    consignments: Annotated[list[ConsignmentIn], Field(max_length=MAX_CONSIGNMENTS)] = Field(
        default_factory=list
    )


class ConsignmentSubject(ConsignmentIn):
    type: Literal["consignment"]


Subject = Annotated[
    PersonSubject | VehicleSubject | ConsignmentSubject, Field(discriminator="type")
]


class CrossingIn(StrictInput):
    """One crossing event as a gate device or an officer posts it."""

    event_id: EventId = Field(description="The device's own id of the event: the retry key")
    crossing_point: Code = Field(description="A crossing point code of the zone profile")
    direction: Direction
    occurred_at: AwareDatetime = Field(description="When it happened, by the device's clock")
    subject: Subject


class RuleSetIn(StrictInput):
    """A rule set document as ``hetao.engine.rules.load_rule_set`` reads it."""

    model_config = ConfigDict(extra="allow")


# --- output -----------------------------------------------------------------------------------


class ReasonOut(BaseModel):
    code: str
    rule: str
    outcome: Outcome
    subject: str
    text: dict[str, str] = Field(description="Keys en, zh-Hant, zh-Hans")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="The values the texts were rendered with (a text per language where the "
        "value itself is words); empty on decisions stored before reasons carried them",
    )


class DecisionOut(RowOutput):
    id: int
    outcome: Outcome
    lane: str
    risk_score: int
    rule_set_version: str
    profile_code: str
    reasons: list[ReasonOut]
    draw: dict[str, Any] | None
    seed: str
    decided_at: dt.datetime


class CrossingOut(RowOutput):
    """An event and its decision."""

    id: int
    device_name: str
    device_event_id: str
    crossing_point: str
    line: str
    direction: str
    subject_type: SubjectType
    person_id: int | None
    vehicle_id: int | None
    declaration_id: int | None
    party_id: int | None
    occurred_at: dt.datetime
    received_at: dt.datetime
    clock_skew_ms: int
    decision: DecisionOut


class CrossingDetail(CrossingOut):
    """An event with its decision, the submitted payload and the facts it was decided on."""

    payload: dict[str, Any]
    inputs: dict[str, Any] = Field(description="The facts: enough to replay the decision")


class ReplayOut(BaseModel):
    """A stored decision recomputed from its stored inputs, seed and rule set."""

    crossing_id: int
    matches: bool
    stored: dict[str, Any]
    replayed: dict[str, Any]
    differences: list[str]


class RuleSetOut(RowOutput):
    id: int
    version: str
    activates_at: dt.datetime
    sha256: str
    created_by: str
    created_at: dt.datetime


class RuleSetDetail(RuleSetOut):
    content: dict[str, Any]
