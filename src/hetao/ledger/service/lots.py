"""Lots: admission opens one, an in-zone transfer splits one off, a transformation makes one.

Each verb writes its movements with the client's idempotency key (see ``movements``) and records
an audit event in the same transaction; services never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import LedgerTag
from hetao.errors import FieldProblem, RuleViolation, ValidationFailed
from hetao.ledger import repository as repo
from hetao.ledger.models import CustomsStatus, Lot, LotParent, Movement, MovementKind
from hetao.ledger.service.checks import (
    DERIVED_KEY_MARK,
    FEN,
    REF_MAX_LENGTH,
    check_goods,
    check_key,
    check_quantity,
    check_ref,
    check_required,
    check_status,
    hash_request,
)
from hetao.ledger.service.postings import (
    first_movement,
    new_correlation_key,
    new_movement,
    take,
)
from hetao.profiles import SupervisionClass, TransferExemptReason, ZoneProfile
from hetao.registry.models import BENEFICIARY_KINDS, Party
from hetao.registry.standings import assert_exemption_claimable
from hetao.storage.types import utcnow
from hetao.timeutil import add_months, zone_today
from hetao.workflow import audit_present

#: R5: goods kinds with a supervision period; consumables, reagents, samples and animals used up
#: in research have none. (The profile names the kinds but not this split yet.)
SUPERVISED_GOODS_KINDS = frozenset(
    {"equipment", "instruments", "repair_parts", "literature", "specimens", "vehicles"}
)
#: HS chapters of aircraft (88) and ships (89): the 8-year class of R5 (S24).
SHIPS_AIRCRAFT_CHAPTERS = frozenset({"88", "89"})
#: HS headings of motor vehicles (tractors, buses, cars, lorries, special vehicles, motorcycles).
MOTOR_VEHICLE_HEADINGS = frozenset({"8701", "8702", "8703", "8704", "8705", "8711"})

#: An R&D product takes the most supervised status among its inputs (R7: exempt inputs and
#: their products stay under customs control until they leave; bonded ones all the more).
STATUS_PRECEDENCE = (
    CustomsStatus.BONDED,
    CustomsStatus.DUTY_FREE_RESEARCH,
    CustomsStatus.DUTY_PAID,
    CustomsStatus.DOMESTIC,
)


@dataclass(frozen=True, slots=True)
class Transfer:
    """The two legs of an in-zone transfer and the receiver's new lot."""

    outgoing: Movement
    incoming: Movement
    lot: Lot


@dataclass(frozen=True, slots=True)
class Transformation:
    """The inputs used (one movement per input lot) and the R&D product lot made of them."""

    inputs: tuple[Movement, ...]
    output: Movement
    product: Lot


# --- admission -----------------------------------------------------------------------------------


def supervision_class_of(hs_code: str, goods_kind: str) -> SupervisionClass:
    """R5 (S24): ships and aircraft 8 years, motor vehicles 6, other goods 3."""
    if hs_code[:2] in SHIPS_AIRCRAFT_CHAPTERS:
        return SupervisionClass.SHIPS_AIRCRAFT
    if goods_kind == "vehicles" or hs_code[:4] in MOTOR_VEHICLE_HEADINGS:
        return SupervisionClass.MOTOR_VEHICLES
    return SupervisionClass.OTHER


def _supervision_end(
    *,
    status: CustomsStatus,
    hs_code: str,
    goods_kind: str,
    released_on: dt.date,
    supervision_class: SupervisionClass | None,
    profile: ZoneProfile,
) -> dt.date | None:
    """Exempt equipment, instruments, parts, literature, specimens: N years from release (R5)."""
    if status is not CustomsStatus.DUTY_FREE_RESEARCH:
        return None
    if supervision_class is None:
        if goods_kind not in SUPERVISED_GOODS_KINDS:
            return None
        supervision_class = supervision_class_of(hs_code, goods_kind)
    years = profile.supervision_periods.years_for(supervision_class)
    return add_months(released_on, 12 * years)


def _assert_duty_free_allowed(
    session: Session, party: Party, *, goods_kind: str, on: dt.date, profile: ZoneProfile
) -> None:
    """Duty-free status: a first-line exemption of the profile (R4, R19, R23), beneficiaries only
    (R4), no R6 lockout."""
    if profile.first_line_exemption is None:
        raise RuleViolation(
            f"the {profile.zone.code} profile grants no duty-free status to goods",
            problems=[FieldProblem("customs_status", "profile.duty_free", "is not offered here")],
        )
    if party.kind not in BENEFICIARY_KINDS:
        raise RuleViolation(
            f"party {party.id} is a {party.kind}, not a beneficiary; it cannot hold duty-free "
            "research goods (R4)",
            problems=[
                FieldProblem("customs_status", "R4.beneficiaries_only", "party is not eligible")
            ],
        )
    assert_exemption_claimable(session, party_id=party.id, goods_kind=goods_kind, on=on)


def admit(
    session: Session,
    party: Party,
    *,
    hs_code: str,
    description: str,
    unit: str,
    quantity: Decimal,
    origin: str,
    goods_kind: str,
    customs_status: CustomsStatus,
    customs_value: Decimal,
    currency: str,
    admission_ref: str,
    admitted_on: dt.date,
    idempotency_key: str,
    profile: ZoneProfile,
    actor: Actor,
    supervision_class: SupervisionClass | None = None,
    now: dt.datetime | None = None,
) -> Lot:
    """Open a lot with its admission movement; its supervision period is set from the profile.

    ``now`` stamps the lot and its movement (default: the present; the demo replays past days).
    """
    key = check_key(idempotency_key)
    goods = check_goods(
        hs_code=hs_code,
        description=description,
        unit=unit,
        origin=origin,
        goods_kind=goods_kind,
        customs_value=customs_value,
        currency=currency,
        profile=profile,
    )
    amount = check_quantity(quantity)
    status = check_status(customs_status)
    ref = check_required(admission_ref, field="admission_ref", max_length=REF_MAX_LENGTH)
    request_hash = hash_request(
        "admit",
        party=party.id,
        quantity=amount,
        customs_status=status.value,
        admission_ref=ref,
        admitted_on=admitted_on,
        supervision_class=supervision_class,
        **asdict(goods),
    )
    first = first_movement(session, party_id=party.id, key=key, request_hash=request_hash)
    if first is not None:
        return first.lot
    if status is CustomsStatus.DUTY_FREE_RESEARCH:
        _assert_duty_free_allowed(
            session, party, goods_kind=goods.goods_kind, on=admitted_on, profile=profile
        )
    lot = Lot(
        party_id=party.id,
        **asdict(goods),
        customs_status=status,
        admission_ref=ref,
        admitted_on=admitted_on,
        supervision_ends_on=_supervision_end(
            status=status,
            hs_code=goods.hs_code,
            goods_kind=goods.goods_kind,
            released_on=admitted_on,
            supervision_class=supervision_class,
            profile=profile,
        ),
        initial_quantity=amount,
        balance=amount,
        reserved=Decimal(0),
        created_at=now or utcnow(),
    )
    session.add(lot)
    movement = new_movement(
        session,
        lot,
        kind=MovementKind.ADMIT,
        quantity=amount,
        key=key,
        request_hash=request_hash,
        correlation_key=new_correlation_key(),
        declaration_ref=ref,
        actor=actor,
        at=now,
    )
    session.flush()  # ids for the audit event
    audit_present(
        session,
        LedgerTag.LOT_ADMIT,
        lot.id,
        actor,
        party=party.id,
        movement=movement.id,
        quantity=amount,
        unit=lot.unit,
        hs_code=lot.hs_code,
        customs_status=status.value,
        admission_ref=lot.admission_ref,
        supervision_ends_on=lot.supervision_ends_on,
        idempotency_key=key,
    )
    return lot


# --- in-zone transfer ----------------------------------------------------------------------------


def _received_status(
    session: Session,
    lot: Lot,
    to_party: Party,
    exempt_reason: TransferExemptReason | None,
    profile: ZoneProfile,
) -> CustomsStatus:
    """The receiver's status (R8: exempt goods repay taxes, save bankruptcy/deregistration)."""
    if lot.customs_status is not CustomsStatus.DUTY_FREE_RESEARCH:
        if exempt_reason is not None:
            raise ValidationFailed.single(
                "exempt_reason",
                "R8.exempt_goods_only",
                f"lot {lot.id} is {lot.customs_status}; only exempt goods have taxes to waive",
            )
        return lot.customs_status
    if exempt_reason is None:
        return CustomsStatus.DUTY_PAID
    if to_party.kind not in BENEFICIARY_KINDS:
        raise RuleViolation(
            f"party {to_party.id} is a {to_party.kind}; the {exempt_reason} exception of R8 "
            "covers transfers to another beneficiary only",
            problems=[FieldProblem("to_party", "R8.to_beneficiary", "is not a beneficiary")],
        )
    _assert_duty_free_allowed(
        session,
        to_party,
        goods_kind=lot.goods_kind,
        on=zone_today(profile.zone.timezone),
        profile=profile,
    )
    return CustomsStatus.DUTY_FREE_RESEARCH


def _pro_rata(lot: Lot, quantity: Decimal) -> Decimal:
    """The customs value of part of a lot, to the fen (half up)."""
    return (lot.customs_value * quantity / lot.initial_quantity).quantize(FEN, ROUND_HALF_UP)


def _transfer_of(session: Session, first: Movement) -> Transfer:
    legs = {leg.kind: leg for leg in repo.correlated(session, first.correlation_key)}
    incoming = legs[MovementKind.TRANSFER_IN]
    return Transfer(outgoing=legs[MovementKind.TRANSFER_OUT], incoming=incoming, lot=incoming.lot)


def transfer(
    session: Session,
    lot: Lot,
    *,
    to_party: Party,
    quantity: Decimal,
    idempotency_key: str,
    profile: ZoneProfile,
    actor: Actor,
    exempt_reason: TransferExemptReason | None = None,
    declaration_ref: str | None = None,
    now: dt.datetime | None = None,
) -> Transfer:
    """Move part of a lot to another party: a transfer_out, and a transfer_in opening a new lot
    (both stamped ``now``, default the present)."""
    # The receiver always gets a new lot split off the source (source_lot_id): it keeps the
    # admission reference, origin and release date, with its own status and value (R8).
    key = check_key(idempotency_key)
    amount = check_quantity(quantity)
    ref = check_ref(declaration_ref)
    if to_party.id == lot.party_id:
        raise ValidationFailed.single(
            "to_party", "transfer.other_party", "a transfer goes to another party"
        )
    request_hash = hash_request(
        "transfer",
        lot=lot.id,
        to_party=to_party.id,
        quantity=amount,
        exempt_reason=exempt_reason,
        declaration_ref=ref,
    )
    first = first_movement(session, party_id=lot.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return _transfer_of(session, first)
    status = _received_status(session, lot, to_party, exempt_reason, profile)
    take(session, lot, amount)
    received = Lot(
        party_id=to_party.id,
        hs_code=lot.hs_code,
        description=lot.description,
        unit=lot.unit,
        origin=lot.origin,
        goods_kind=lot.goods_kind,
        customs_status=status,
        customs_value=_pro_rata(lot, amount),
        currency=lot.currency,
        admission_ref=lot.admission_ref,
        admitted_on=lot.admitted_on,
        # Taxes repaid end the exemption's supervision; an exempt transfer keeps the clock.
        supervision_ends_on=lot.supervision_ends_on
        if status is CustomsStatus.DUTY_FREE_RESEARCH
        else None,
        initial_quantity=amount,
        source_lot_id=lot.id,
        balance=amount,
        reserved=Decimal(0),
        created_at=now or utcnow(),
    )
    session.add(received)
    correlation = new_correlation_key()
    common: dict[str, Any] = {
        "request_hash": request_hash,
        "correlation_key": correlation,
        "declaration_ref": ref,
        "reason": str(exempt_reason) if exempt_reason else None,
        "actor": actor,
        "at": now,
    }
    outgoing = new_movement(
        session, lot, kind=MovementKind.TRANSFER_OUT, quantity=-amount, key=key, **common
    )
    incoming = new_movement(
        session,
        received,
        kind=MovementKind.TRANSFER_IN,
        quantity=amount,
        key=f"{correlation}{DERIVED_KEY_MARK}in",
        **common,
    )
    session.flush()  # ids for the audit event
    audit_present(
        session,
        LedgerTag.MOVEMENT_TRANSFER,
        outgoing.id,
        actor,
        lot=lot.id,
        to_lot=received.id,
        from_party=lot.party_id,
        to_party=to_party.id,
        quantity=amount,
        incoming=incoming.id,
        customs_status=lot.customs_status.value,
        received_status=status.value,
        exempt_reason=str(exempt_reason) if exempt_reason else None,
        idempotency_key=key,
        correlation_key=correlation,
    )
    return Transfer(outgoing=outgoing, incoming=incoming, lot=received)


# --- transformation into an R&D product ----------------------------------------------------


def _transformation_of(session: Session, first: Movement) -> Transformation:
    legs = repo.correlated(session, first.correlation_key)
    return Transformation(
        inputs=tuple(leg for leg in legs if leg.kind is MovementKind.TRANSFORM_OUT),
        output=first,
        product=first.lot,
    )


def transform(
    session: Session,
    inputs: Sequence[tuple[Lot, Decimal]],
    *,
    hs_code: str,
    description: str,
    unit: str,
    quantity: Decimal,
    origin: str,
    goods_kind: str,
    customs_value: Decimal,
    currency: str,
    declaration_ref: str,
    made_on: dt.date,
    idempotency_key: str,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Transformation:
    """Use input lots to make an R&D product lot, which records its parent lots (R7); the
    movements and the lot are stamped ``now`` (default the present)."""
    key = check_key(idempotency_key)
    if not inputs:
        raise ValidationFailed.single("inputs", "transform.inputs_required", "name an input lot")
    used = [
        (lot, check_quantity(amount, field=f"inputs[{i}].quantity"))
        for i, (lot, amount) in enumerate(inputs)
    ]
    owners = {lot.party_id for lot, _ in used}
    if len(owners) != 1:
        raise RuleViolation(
            "an R&D product is made from one party's own lots; transfer the others first",
            problems=[FieldProblem("inputs", "transform.one_party", "belong to several parties")],
        )
    if len({lot.id for lot, _ in used}) != len(used):
        raise ValidationFailed.single("inputs", "transform.distinct_lots", "names a lot twice")
    party_id = owners.pop()
    goods = check_goods(
        hs_code=hs_code,
        description=description,
        unit=unit,
        origin=origin,
        goods_kind=goods_kind,
        customs_value=customs_value,
        currency=currency,
        profile=profile,
    )
    amount = check_quantity(quantity)
    ref = check_required(declaration_ref, field="declaration_ref", max_length=REF_MAX_LENGTH)
    request_hash = hash_request(
        "transform",
        inputs=[[lot.id, used_amount] for lot, used_amount in used],
        quantity=amount,
        declaration_ref=ref,
        made_on=made_on,
        **asdict(goods),
    )
    first = first_movement(session, party_id=party_id, key=key, request_hash=request_hash)
    if first is not None:
        return _transformation_of(session, first)
    # The most supervised status of the inputs: R7 keeps exempt inputs' products under control
    # until they leave, and bonded inputs all the more. No supervision period of its own.
    statuses = {lot.customs_status for lot, _ in used}
    status = next(s for s in STATUS_PRECEDENCE if s in statuses)
    correlation = new_correlation_key()
    product = Lot(
        party_id=party_id,
        **asdict(goods),
        customs_status=status,
        admission_ref=ref,
        admitted_on=made_on,
        supervision_ends_on=None,
        initial_quantity=amount,
        balance=amount,
        reserved=Decimal(0),
        created_at=now or utcnow(),
    )
    session.add(product)
    common: dict[str, Any] = {
        "request_hash": request_hash,
        "correlation_key": correlation,
        "declaration_ref": ref,
        "actor": actor,
        "at": now,
    }
    consumed: list[Movement] = []
    # Ascending lot ids: the one lock order, so two transformations cannot deadlock.
    for lot, used_amount in sorted(used, key=lambda pair: pair[0].id):
        take(session, lot, used_amount)
        consumed.append(
            new_movement(
                session,
                lot,
                kind=MovementKind.TRANSFORM_OUT,
                quantity=-used_amount,
                key=f"{correlation}{DERIVED_KEY_MARK}out-{lot.id}",
                **common,
            )
        )
    output = new_movement(
        session,
        product,
        kind=MovementKind.TRANSFORM_IN,
        quantity=amount,
        key=key,
        **common,
    )
    session.flush()  # the product's id for its parent rows and the audit event
    session.add_all(
        LotParent(product_lot_id=product.id, input_lot_id=lot.id, quantity=used_amount)
        for lot, used_amount in used
    )
    audit_present(
        session,
        LedgerTag.LOT_TRANSFORM,
        product.id,
        actor,
        party=party_id,
        movement=output.id,
        quantity=amount,
        inputs={str(lot.id): used_amount for lot, used_amount in used},
        customs_status=status.value,
        declaration_ref=ref,
        idempotency_key=key,
        correlation_key=correlation,
    )
    return Transformation(inputs=tuple(consumed), output=output, product=product)
