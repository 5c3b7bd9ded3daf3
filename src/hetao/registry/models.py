"""Whitelist registry tables: parties and their standings, persons, vehicles, applications,
entries, waivers, and the approvals register (R11, R41)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The profile owns the vocabulary of whitelist subjects; the registry stores it.
from hetao.profiles import SubjectKind
from hetao.storage.types import Base, ScaledDecimal, UTCDateTime, enum_type, utcnow

__all__ = ["SubjectKind"]  # re-exported: callers import it with the other registry enums
from hetao.registry.identifiers import DocumentKind


class PartyKind(StrEnum):
    """Kinds of party the registry knows (REGIME R2 plus the zone's other actors)."""

    CSA_ENTERPRISE = "csa_enterprise"
    """Independent-legal-person enterprise registered in the customs-supervised area (R2a)."""
    CSA_PUBLIC_INSTITUTION = "csa_public_institution"
    """Public institution (shiye danwei) doing research in the customs-supervised area (R2b)."""
    ST_PRIVATE_NON_ENTERPRISE = "st_private_non_enterprise"
    """Science and technology private non-enterprise unit registered in the area (R2c)."""
    HK_INSTITUTION = "hk_institution"
    """Hong Kong university, research institution or company (managed as a foreign party)."""
    BROKER = "broker"
    """Customs broker declaring for others."""
    CARRIER = "carrier"
    """Transport operator moving goods or people across the lines."""


#: The kinds that can be tax beneficiaries under Cai Guan Shui [2026] No. 1 (R2, R4).
BENEFICIARY_KINDS = frozenset(
    {
        PartyKind.CSA_ENTERPRISE,
        PartyKind.CSA_PUBLIC_INSTITUTION,
        PartyKind.ST_PRIVATE_NON_ENTERPRISE,
    }
)


class CreditLevel(StrEnum):
    """China customs credit levels from 2026-04-01 (Decree 282, R26)."""

    ADVANCED_CERTIFIED = "advanced_certified"
    """Advanced certified enterprise (AEO)."""
    CERTIFIED = "certified"
    """Certified enterprise (AEO)."""
    REGULAR = "regular"
    """Regular enterprise: the default."""
    DISHONEST = "dishonest"
    """Dishonest enterprise."""
    SERIOUSLY_DISHONEST = "seriously_dishonest"
    """Seriously dishonest enterprise."""


class PartyStatus(StrEnum):
    """Lifecycle of a party (REGIME (b)1); bankruptcy matters for in-zone transfers (R8)."""

    REGISTERED = "registered"
    """Known to the registry, not yet operating in the zone."""
    ACTIVE = "active"
    """Operating."""
    SUSPENDED = "suspended"
    """Operations suspended by the zone or customs."""
    DEREGISTERED = "deregistered"
    """Deregistered (institutions) or dissolved."""
    BANKRUPT = "bankrupt"
    """Declared bankrupt."""


class Residency(StrEnum):
    """Where a person is resident; decides which identity documents apply."""

    MAINLAND = "mainland"
    """Resident of the mainland customs territory."""
    HONG_KONG = "hong_kong"
    """Hong Kong resident."""
    MACAO = "macao"
    """Macao resident."""
    TAIWAN = "taiwan"
    """Taiwan resident."""
    FOREIGN = "foreign"
    """Any other nationality or residence."""


class PlateRegion(StrEnum):
    """Registration of a vehicle plate."""

    HONG_KONG = "hong_kong"
    """Hong Kong plate only."""
    MAINLAND = "mainland"
    """Mainland plate only."""
    CROSS_BOUNDARY = "cross_boundary"
    """Guangdong cross-boundary plate (Yue Z ... Gang/Ao), carried with a Hong Kong plate."""


class VehicleKind(StrEnum):
    """Vehicle categories the zone manages (REGIME (b)4)."""

    CHANNEL1_CAR = "channel1_car"
    """Car of a whitelisted institution, with a Channel No. 1 permit card (R15)."""
    SHUTTLE_BUS = "shuttle_bus"
    """Research shuttle bus (e.g. to Hong Kong Science Park and HKU, R15)."""
    GOODS_VEHICLE = "goods_vehicle"
    """Goods vehicle."""


class ApplicationStatus(StrEnum):
    """Review workflow of a whitelist application."""

    DRAFT = "draft"
    """Being prepared by the applicant."""
    SUBMITTED = "submitted"
    """Waiting for a zone reviewer."""
    INFORMATION_REQUESTED = "information_requested"
    """The reviewer asked the applicant for more information."""
    RESUBMITTED = "resubmitted"
    """The applicant answered; waiting for the reviewer again."""
    APPROVED = "approved"
    """Approved; an entry was made."""
    DECLINED = "declined"
    """Declined with a reason."""


class EntryStatus(StrEnum):
    """Lifecycle of a whitelist entry."""

    ACTIVE = "active"
    """In force within its validity window."""
    SUSPENDED = "suspended"
    """Temporarily not in force; may be reinstated."""
    REVOKED = "revoked"
    """Ended for good by a decision (also when superseded by a newer entry)."""
    EXPIRED = "expired"
    """Ended because its validity window closed."""


class Party(Base):
    """An enterprise, institution, broker or carrier."""

    __tablename__ = "parties"
    __table_args__ = (
        CheckConstraint("uscc IS NOT NULL OR hk_br IS NOT NULL", name="has_registration_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PartyKind] = mapped_column(enum_type(PartyKind, name="party_kind"))
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    hk_br: Mapped[str | None] = mapped_column(String(8), unique=True)
    industry: Mapped[str | None] = mapped_column(String(40))
    registered_in_csa: Mapped[bool] = mapped_column(default=False)
    credit_level: Mapped[CreditLevel] = mapped_column(
        enum_type(CreditLevel, name="credit_level"), default=CreditLevel.REGULAR
    )
    status: Mapped[PartyStatus] = mapped_column(
        enum_type(PartyStatus, name="party_status"), default=PartyStatus.ACTIVE
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Person(Base):
    """A researcher or other individual who crosses the lines."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    residency: Mapped[Residency] = mapped_column(enum_type(Residency, name="residency"))
    nationality: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    documents: Mapped[list[IdentityDocument]] = relationship(
        back_populates="person", order_by="IdentityDocument.id", cascade="all, delete-orphan"
    )
    affiliations: Mapped[list[Affiliation]] = relationship(
        back_populates="person", order_by="Affiliation.id", cascade="all, delete-orphan"
    )


class IdentityDocument(Base):
    """An identity document of a person, validated by its published check rule."""

    __tablename__ = "identity_documents"
    __table_args__ = (
        UniqueConstraint("kind", "issuing_country", "number"),
        # Gates may present a document without its country (a mainland resident id): without
        # this index such a lookup walks every document of the kind.
        Index("ix_identity_documents_kind_number", "kind", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_type(DocumentKind, name="document_kind"))
    number: Mapped[str] = mapped_column(String(20))
    issuing_country: Mapped[str] = mapped_column(String(2))
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)
    mrz_line1: Mapped[str | None] = mapped_column(String(44))
    mrz_line2: Mapped[str | None] = mapped_column(String(44))

    person: Mapped[Person] = relationship(back_populates="documents")


class Affiliation(Base):
    """A person's link to a party (employer, host institution)."""

    __tablename__ = "affiliations"
    __table_args__ = (UniqueConstraint("person_id", "party_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(80))
    since: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship(back_populates="affiliations")


class Vehicle(Base):
    """A vehicle crossing the lines, owned by a party."""

    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("plate_region", "plate"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate: Mapped[str] = mapped_column(String(16))
    plate_region: Mapped[PlateRegion] = mapped_column(enum_type(PlateRegion, name="plate_region"))
    hk_plate: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[VehicleKind] = mapped_column(enum_type(VehicleKind, name="vehicle_kind"))
    owner_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    permits: Mapped[list[VehiclePermit]] = relationship(
        back_populates="vehicle", order_by="VehiclePermit.id", cascade="all, delete-orphan"
    )


class VehiclePermit(Base):
    """A permit for a vehicle at named crossing points (e.g. the Channel No. 1 permit card)."""

    __tablename__ = "vehicle_permits"
    __table_args__ = (CheckConstraint("valid_until >= valid_from", name="window_ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    crossing_points: Mapped[list[str]] = mapped_column(JSON)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)

    vehicle: Mapped[Vehicle] = relationship(back_populates="permits")


class _Subject:
    """Columns naming what an application or entry is about (exactly one is set per kind)."""

    subject_kind: Mapped[SubjectKind] = mapped_column(enum_type(SubjectKind, name="subject_kind"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"), index=True)
    industry: Mapped[str | None] = mapped_column(String(40))
    flows: Mapped[list[str]] = mapped_column(JSON)
    lines: Mapped[list[str]] = mapped_column(JSON)
    exemptions: Mapped[list[str]] = mapped_column(JSON)


class WhitelistApplication(_Subject, Base):
    """A request to put a subject on the whitelist, with its review workflow."""

    __tablename__ = "whitelist_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_type(ApplicationStatus, name="application_status"),
        default=ApplicationStatus.DRAFT,
        index=True,
    )
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    justification: Mapped[str] = mapped_column(Text, default="")
    reviewer_note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WhitelistEntry(_Subject, Base):
    """A subject in force on the whitelist, with its scopes and validity window."""

    __tablename__ = "whitelist_entries"
    __table_args__ = (CheckConstraint("valid_until >= valid_from", name="window_ordered"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("whitelist_applications.id"), unique=True
    )
    status: Mapped[EntryStatus] = mapped_column(
        enum_type(EntryStatus, name="entry_status"), default=EntryStatus.ACTIVE, index=True
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExemptionWaiver(Base):
    """A beneficiary's election to pay import taxes on a kind of goods (R6)."""

    __tablename__ = "exemption_waivers"
    __table_args__ = (CheckConstraint("lockout_until > waived_on", name="lockout_after_waiver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    goods_kind: Mapped[str] = mapped_column(String(40))
    waived_on: Mapped[dt.date] = mapped_column(Date)
    #: First day the party may claim the exemption for this kind again (36 months later, R6).
    lockout_until: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PartyStanding(Base):
    """A party's standing from a date, as a zone reviewer recorded it from a document: its
    status (bankrupt, deregistered: R8's exception) and its customs credit level (R26)."""

    __tablename__ = "party_standings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    status: Mapped[PartyStatus] = mapped_column(enum_type(PartyStatus, name="party_status"))
    credit_level: Mapped[CreditLevel] = mapped_column(enum_type(CreditLevel, name="credit_level"))
    #: The first day the standing holds (the court ruling's or the deregistration's date).
    effective_on: Mapped[dt.date] = mapped_column(Date)
    #: The ruling, deregistration notice or credit decision it rests on.
    document_ref: Mapped[str] = mapped_column(String(80))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApprovalKind(StrEnum):
    """The approvals a declaration line may rest on, each the approval of one rule."""

    SPECIAL_ARTICLE_QUARANTINE = "special_article_quarantine"
    """Quarantine approval of special articles: microbes, human tissue, biologics, blood (R11)."""
    HUMAN_GENETIC_RESOURCES = "human_genetic_resources"
    """Approval of international collaboration using human genetic resources (R41)."""

    @property
    def rule(self) -> str:
        """The rule of the regime the approval is required by."""
        return "R11" if self is ApprovalKind.SPECIAL_ARTICLE_QUARANTINE else "R41"


class Approval(Base):
    """An approval as issued: to one party, for goods within its scope, up to a quantity, in a
    window. Clearing a declaration line that names it draws the line's quantity from it."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("kind", "number"),
        CheckConstraint("valid_until >= valid_from", name="window_ordered"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("drawn >= 0 AND drawn <= quantity", name="drawn_within_quantity"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ApprovalKind] = mapped_column(enum_type(ApprovalKind, name="approval_kind"))
    #: The number the issuer gave it; unique within its kind.
    number: Mapped[str] = mapped_column(String(80))
    issuer: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    #: HS codes or headings (a line is in scope when its code starts with one); empty: any.
    hs_codes: Mapped[list[str]] = mapped_column(JSON)
    #: Goods kinds of the profile the approval covers; empty: any.
    article_kinds: Mapped[list[str]] = mapped_column(JSON)
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(20, 3))
    unit: Mapped[str] = mapped_column(String(16))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    #: What cleared declarations have drawn so far; never above ``quantity``.
    drawn: Mapped[Decimal] = mapped_column(ScaledDecimal(20, 3), default=Decimal(0))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def remaining(self) -> Decimal:
        """The quantity still to be drawn."""
        return self.quantity - self.drawn
