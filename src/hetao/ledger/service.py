"""Ledger services: one function per verb, plain values in, model objects out.

Services never commit: the caller's unit of work does, and a failure anywhere rolls the whole
request back. Every movement carries the client's idempotency key: calling a verb again with
the same (party, key) returns the first result and writes nothing; the same key with other
arguments is a Conflict. Withdrawals are conditional updates in the database
(``repository.withdraw``); see that module for why READ COMMITTED is enough. Every change
records an audit event ``ledger:<subject>:<action>`` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor, json_stable, record_event
from hetao.errors import (
    Conflict,
    FieldProblem,
    RuleViolation,
    TransitionForbidden,
    ValidationFailed,
)
from hetao.inputs import DecimalFault, decimal_fault, text_fault
from hetao.ledger import repository as repo
from hetao.ledger.errors import InsufficientBalance
from hetao.ledger.models import (
    CustomsStatus,
    Hold,
    HoldStatus,
    Lot,
    LotParent,
    Movement,
    MovementKind,
)
from hetao.profiles import Exemption, SupervisionClass, TransferExemptReason, ZoneProfile
from hetao.reference.countries import check_country
from hetao.reference.currencies import check_currency
from hetao.reference.hs import check_hs_code
from hetao.registry.models import BENEFICIARY_KINDS, Party
from hetao.registry.service import assert_exemption_claimable
from hetao.storage.types import utcnow
from hetao.timeutil import add_months, zone_today

#: Client keys: 1-128 visible ASCII characters; "#" is kept for the legs the ledger derives.
KEY_MAX_LENGTH = 128
DERIVED_KEY_MARK = "#"
#: SQLite stores thousandths in a signed 64-bit integer; this bound keeps both databases alike.
MAX_QUANTITY = Decimal("1e15")
QUANTUM = Decimal("0.001")
FEN = Decimal("0.01")
#: Amounts the service takes from Python callers (the API's schemas keep below 10^15).
MAX_MONEY = Decimal("1e16")

#: R5: goods kinds with a supervision period; consumables, reagents, samples and animals used up
#: in research have none. (The profile names the kinds but not this split yet.)
SUPERVISED_GOODS_KINDS = frozenset(
    {"equipment", "instruments", "repair_parts", "literature", "specimens", "vehicles"}
)
#: HS chapters of aircraft (88) and ships (89): the 8-year class of R5 (S24).
SHIPS_AIRCRAFT_CHAPTERS = frozenset({"88", "89"})
#: HS headings of motor vehicles (tractors, buses, cars, lorries, special vehicles, motorcycles).
MOTOR_VEHICLE_HEADINGS = frozenset({"8701", "8702", "8703", "8704", "8705", "8711"})

#: The kinds a hold may be posted to: the outcomes of an inspection of goods leaving a lot.
POSTABLE_KINDS = frozenset(
    {
        MovementKind.CONSUME,
        MovementKind.RELEASE_SECOND_LINE,
        MovementKind.EXPORT_FIRST_LINE,
        MovementKind.DESTROY,
    }
)

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


# --- checking plain values ---------------------------------------------------------------------


def _quantity(value: Decimal, *, field: str = "quantity", signed: bool = False) -> Decimal:
    """A quantity in thousandths at most, not zero; positive unless ``signed``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationFailed.single(field, "quantity.decimal", "must be a Decimal, not a float")
    amount = Decimal(value)
    fault = decimal_fault(amount, below=MAX_QUANTITY, places=3)
    if fault is DecimalFault.NOT_FINITE or amount == 0 or (amount < 0 and not signed):
        rule = "quantity.not_zero" if signed else "quantity.positive"
        raise ValidationFailed.single(field, rule, f"{value} is not allowed here")
    if fault is DecimalFault.TOO_LARGE:
        raise ValidationFailed.single(field, "quantity.max", f"must be below {MAX_QUANTITY:,f}")
    if fault is DecimalFault.TOO_MANY_PLACES:
        raise ValidationFailed.single(field, "quantity.places", "has more than 3 decimal places")
    return amount.quantize(QUANTUM)


def _money(value: Decimal, *, field: str = "customs_value") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationFailed.single(field, "money.decimal", "must be a Decimal, not a float")
    amount = Decimal(value)
    if decimal_fault(amount, below=MAX_MONEY, places=2) is not None or amount < 0:
        raise ValidationFailed.single(
            field, "money.format", f"{value} must be 0 or more with at most 2 decimals"
        )
    return amount.quantize(FEN)


def _text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str | None:
    cleaned = value.strip() if isinstance(value, str) else None
    if not cleaned:
        if required:
            raise ValidationFailed.single(field, "text.required", "must not be empty")
        return None
    if len(cleaned) > max_length:
        raise ValidationFailed.single(
            field, "text.max_length", f"must be at most {max_length} characters"
        )
    fault = text_fault(cleaned)
    if fault is not None:
        raise ValidationFailed.single(field, *fault)
    return cleaned


def _required(value: str, *, field: str, max_length: int) -> str:
    checked = _text(value, field=field, max_length=max_length)
    return checked or ""  # never empty: _text raises when a required value is missing


def _key(key: str) -> str:
    if (
        not isinstance(key, str)
        or not 0 < len(key) <= KEY_MAX_LENGTH
        or not all(33 <= ord(c) <= 126 for c in key)
        or DERIVED_KEY_MARK in key
    ):
        raise ValidationFailed.single(
            "idempotency_key",
            "idempotency.key_format",
            f"must be 1-{KEY_MAX_LENGTH} visible ASCII characters without '{DERIVED_KEY_MARK}'",
        )
    return key


def _instant(value: dt.datetime, *, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValidationFailed.single(field, "instant.timezone", "must carry a time zone")
    return value


def _status(value: CustomsStatus | str) -> CustomsStatus:
    try:
        return CustomsStatus(value)
    except ValueError:
        allowed = ", ".join(CustomsStatus)
        raise ValidationFailed.single(
            "customs_status", "ledger.customs_status", f"must be one of: {allowed}"
        ) from None


def _goods_kind(value: str, profile: ZoneProfile) -> str:
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    if value not in kinds:
        raise ValidationFailed.single(
            "goods_kind", "profile.waiver_goods_kind", f"must be one of: {', '.join(sorted(kinds))}"
        )
    return value


@dataclass(frozen=True, slots=True)
class _Goods:
    """The checked description of the goods of a new lot."""

    hs_code: str
    description: str
    unit: str
    origin: str
    goods_kind: str
    customs_value: Decimal
    currency: str


def _goods(
    *,
    hs_code: str,
    description: str,
    unit: str,
    origin: str,
    goods_kind: str,
    customs_value: Decimal,
    currency: str,
    profile: ZoneProfile,
) -> _Goods:
    return _Goods(
        hs_code=check_hs_code(hs_code),
        description=_required(description, field="description", max_length=500),
        unit=_required(unit, field="unit", max_length=16),
        origin=check_country(origin, field="origin"),
        goods_kind=_goods_kind(goods_kind, profile),
        customs_value=_money(customs_value),
        currency=check_currency(currency),
    )


# --- idempotency -------------------------------------------------------------------------------


def _request_hash(operation: str, **arguments: Any) -> str:
    """What makes two calls 'the same request': the verb and every argument but the actor."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat()  # one instant, one form, whatever zone
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    body = {"operation": operation, **{k: plain(v) for k, v in arguments.items()}}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _first_movement(
    session: Session, *, party_id: int, key: str, request_hash: str
) -> Movement | None:
    """The movement an earlier call with this key wrote, or None; other arguments: Conflict."""
    repo.lock_key(session, party_id=party_id, key=key)
    first = repo.movement_by_key(session, party_id=party_id, key=key)
    if first is not None and first.request_hash != request_hash:
        raise _reused_key(key, party_id, f"movement {first.id}")
    return first


def _reused_key(key: str, party_id: int, what: str) -> Conflict:
    return Conflict(
        f"idempotency key {key!r} of party {party_id} was used with other arguments ({what})",
        problems=[
            FieldProblem(
                "idempotency_key", "idempotency.same_arguments", "was used with other arguments"
            )
        ],
    )


def _correlation() -> str:
    return uuid.uuid4().hex


# --- writing -------------------------------------------------------------------------------------


def _movement(
    session: Session,
    lot: Lot,
    *,
    kind: MovementKind,
    quantity: Decimal,
    key: str,
    request_hash: str,
    correlation_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
    reverses: Movement | None = None,
) -> Movement:
    movement = Movement(
        lot=lot,
        party_id=lot.party_id,
        kind=kind,
        quantity=quantity,
        idempotency_key=key,
        request_hash=request_hash,
        correlation_key=correlation_key,
        reverses_id=reverses.id if reverses is not None else None,
        declaration_ref=declaration_ref,
        reason=reason,
        actor=str(actor),
    )
    session.add(movement)
    return movement


def _take(session: Session, lot: Lot, quantity: Decimal) -> None:
    """Withdraw in the database, or raise InsufficientBalance with what is available now."""
    if not repo.withdraw(session, lot, quantity):
        balance, reserved = repo.current_amounts(session, lot.id)
        raise InsufficientBalance(lot_id=lot.id, asked=quantity, available=balance - reserved)


def _audit(session: Session, tag: str, subject_id: int, actor: Actor, **data: Any) -> None:
    record_event(
        session,
        tag,
        subject_type=tag.split(":")[1],
        subject_id=subject_id,
        actor=actor,
        data={k: json_stable(v) for k, v in data.items() if v is not None},
    )


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
    """Duty-free research status: enabled by the profile, beneficiaries only (R4), no R6 lockout."""
    offered = profile.tax.research_goods_exemption or (
        Exemption.DUTY_FREE_SELF_USE_EQUIPMENT in profile.whitelist.scopes.exemptions
    )
    if not offered:
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
) -> Lot:
    """Open a lot with its admission movement; its supervision period is set from the profile."""
    key = _key(idempotency_key)
    goods = _goods(
        hs_code=hs_code,
        description=description,
        unit=unit,
        origin=origin,
        goods_kind=goods_kind,
        customs_value=customs_value,
        currency=currency,
        profile=profile,
    )
    amount = _quantity(quantity)
    status = _status(customs_status)
    ref = _required(admission_ref, field="admission_ref", max_length=64)
    request_hash = _request_hash(
        "admit",
        party=party.id,
        quantity=amount,
        customs_status=status.value,
        admission_ref=ref,
        admitted_on=admitted_on,
        supervision_class=supervision_class,
        **asdict(goods),
    )
    first = _first_movement(session, party_id=party.id, key=key, request_hash=request_hash)
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
    )
    session.add(lot)
    movement = _movement(
        session,
        lot,
        kind=MovementKind.ADMIT,
        quantity=amount,
        key=key,
        request_hash=request_hash,
        correlation_key=_correlation(),
        declaration_ref=ref,
        actor=actor,
    )
    session.flush()  # ids for the audit event
    _audit(
        session,
        "ledger:lot:admit",
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
) -> Transfer:
    """Move part of a lot to another party: a transfer_out, and a transfer_in opening a new lot."""
    # The receiver always gets a new lot split off the source (source_lot_id): it keeps the
    # admission reference, origin and release date, with its own status and value (R8).
    key = _key(idempotency_key)
    amount = _quantity(quantity)
    ref = _text(declaration_ref, field="declaration_ref", max_length=64, required=False)
    if to_party.id == lot.party_id:
        raise ValidationFailed.single(
            "to_party", "transfer.other_party", "a transfer goes to another party"
        )
    request_hash = _request_hash(
        "transfer",
        lot=lot.id,
        to_party=to_party.id,
        quantity=amount,
        exempt_reason=exempt_reason,
        declaration_ref=ref,
    )
    first = _first_movement(session, party_id=lot.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return _transfer_of(session, first)
    status = _received_status(session, lot, to_party, exempt_reason, profile)
    _take(session, lot, amount)
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
    )
    session.add(received)
    correlation = _correlation()
    common: dict[str, Any] = {
        "request_hash": request_hash,
        "correlation_key": correlation,
        "declaration_ref": ref,
        "reason": str(exempt_reason) if exempt_reason else None,
        "actor": actor,
    }
    outgoing = _movement(
        session, lot, kind=MovementKind.TRANSFER_OUT, quantity=-amount, key=key, **common
    )
    incoming = _movement(
        session,
        received,
        kind=MovementKind.TRANSFER_IN,
        quantity=amount,
        key=f"{correlation}{DERIVED_KEY_MARK}in",
        **common,
    )
    session.flush()  # ids for the audit event
    _audit(
        session,
        "ledger:movement:transfer",
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


# --- withdrawals from one lot --------------------------------------------------------------------


def _withdrawal(
    session: Session,
    lot: Lot,
    *,
    kind: MovementKind,
    quantity: Decimal,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None,
    reason: str | None,
    reason_required: bool = False,
) -> Movement:
    key = _key(idempotency_key)
    amount = _quantity(quantity)
    ref = _text(declaration_ref, field="declaration_ref", max_length=64, required=False)
    why = _text(reason, field="reason", max_length=2000, required=reason_required)
    request_hash = _request_hash(
        kind.value, lot=lot.id, quantity=amount, declaration_ref=ref, reason=why
    )
    first = _first_movement(session, party_id=lot.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return first
    _take(session, lot, amount)
    movement = _movement(
        session,
        lot,
        kind=kind,
        quantity=-amount,
        key=key,
        request_hash=request_hash,
        correlation_key=_correlation(),
        declaration_ref=ref,
        reason=why,
        actor=actor,
    )
    session.flush()  # the id for the audit event
    _audit(
        session,
        f"ledger:movement:{kind.value}",
        movement.id,
        actor,
        lot=lot.id,
        party=lot.party_id,
        quantity=amount,
        declaration_ref=ref,
        reason=why,
        idempotency_key=key,
    )
    return movement


def consume(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
) -> Movement:
    """Record goods used up in research without forming an R&D product (R5)."""
    return _withdrawal(
        session,
        lot,
        kind=MovementKind.CONSUME,
        quantity=quantity,
        idempotency_key=idempotency_key,
        actor=actor,
        declaration_ref=declaration_ref,
        reason=reason,
    )


def release_second_line(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
) -> Movement:
    """Record goods leaving for the mainland through the second line (R7: taxed as imports)."""
    return _withdrawal(
        session,
        lot,
        kind=MovementKind.RELEASE_SECOND_LINE,
        quantity=quantity,
        idempotency_key=idempotency_key,
        actor=actor,
        declaration_ref=declaration_ref,
        reason=reason,
    )


def export_first_line(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
) -> Movement:
    """Record goods leaving for Hong Kong through the first line."""
    return _withdrawal(
        session,
        lot,
        kind=MovementKind.EXPORT_FIRST_LINE,
        quantity=quantity,
        idempotency_key=idempotency_key,
        actor=actor,
        declaration_ref=declaration_ref,
        reason=reason,
    )


def destroy(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
) -> Movement:
    """Record goods destroyed under supervision; the reason is required (R28)."""
    return _withdrawal(
        session,
        lot,
        kind=MovementKind.DESTROY,
        quantity=quantity,
        idempotency_key=idempotency_key,
        actor=actor,
        declaration_ref=declaration_ref,
        reason=reason,
        reason_required=True,
    )


def adjust(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
) -> Movement:
    """Record a stocktake difference: positive for an overage, negative for a shortage (R31)."""
    key = _key(idempotency_key)
    amount = _quantity(quantity, signed=True)
    why = _required(reason, field="reason", max_length=2000)
    ref = _text(declaration_ref, field="declaration_ref", max_length=64, required=False)
    request_hash = _request_hash(
        "adjust", lot=lot.id, quantity=amount, declaration_ref=ref, reason=why
    )
    first = _first_movement(session, party_id=lot.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return first
    if amount < 0:
        _take(session, lot, -amount)
    else:
        repo.deposit(session, lot, amount)
    movement = _movement(
        session,
        lot,
        kind=MovementKind.ADJUST,
        quantity=amount,
        key=key,
        request_hash=request_hash,
        correlation_key=_correlation(),
        declaration_ref=ref,
        reason=why,
        actor=actor,
    )
    session.flush()  # the id for the audit event
    _audit(
        session,
        "ledger:movement:adjust",
        movement.id,
        actor,
        lot=lot.id,
        party=lot.party_id,
        quantity=amount,
        reason=why,
        declaration_ref=ref,
        idempotency_key=key,
    )
    return movement


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
) -> Transformation:
    """Use input lots to make an R&D product lot, which records its parent lots (R7)."""
    key = _key(idempotency_key)
    if not inputs:
        raise ValidationFailed.single("inputs", "transform.inputs_required", "name an input lot")
    used = [
        (lot, _quantity(amount, field=f"inputs[{i}].quantity"))
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
    goods = _goods(
        hs_code=hs_code,
        description=description,
        unit=unit,
        origin=origin,
        goods_kind=goods_kind,
        customs_value=customs_value,
        currency=currency,
        profile=profile,
    )
    amount = _quantity(quantity)
    ref = _required(declaration_ref, field="declaration_ref", max_length=64)
    request_hash = _request_hash(
        "transform",
        inputs=[[lot.id, used_amount] for lot, used_amount in used],
        quantity=amount,
        declaration_ref=ref,
        made_on=made_on,
        **asdict(goods),
    )
    first = _first_movement(session, party_id=party_id, key=key, request_hash=request_hash)
    if first is not None:
        return _transformation_of(session, first)
    # The most supervised status of the inputs: R7 keeps exempt inputs' products under control
    # until they leave, and bonded inputs all the more. No supervision period of its own.
    statuses = {lot.customs_status for lot, _ in used}
    status = next(s for s in STATUS_PRECEDENCE if s in statuses)
    correlation = _correlation()
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
    )
    session.add(product)
    common: dict[str, Any] = {
        "request_hash": request_hash,
        "correlation_key": correlation,
        "declaration_ref": ref,
        "actor": actor,
    }
    consumed: list[Movement] = []
    # Ascending lot ids: the one lock order, so two transformations cannot deadlock.
    for lot, used_amount in sorted(used, key=lambda pair: pair[0].id):
        _take(session, lot, used_amount)
        consumed.append(
            _movement(
                session,
                lot,
                kind=MovementKind.TRANSFORM_OUT,
                quantity=-used_amount,
                key=f"{correlation}{DERIVED_KEY_MARK}out-{lot.id}",
                **common,
            )
        )
    output = _movement(
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
    _audit(
        session,
        "ledger:lot:transform",
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


# --- reversal -------------------------------------------------------------------------------------


def reverse(
    session: Session,
    movement: Movement,
    *,
    reason: str,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
) -> tuple[Movement, ...]:
    """Undo a movement and every leg sharing its correlation key; returns the reversals in order."""
    key = _key(idempotency_key)
    why = _required(reason, field="reason", max_length=2000)
    ref = _text(declaration_ref, field="declaration_ref", max_length=64, required=False)
    request_hash = _request_hash("reverse", movement=movement.id, reason=why, declaration_ref=ref)
    first = _first_movement(session, party_id=movement.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return tuple(repo.correlated(session, first.correlation_key))
    if movement.kind is MovementKind.REVERSAL:
        raise RuleViolation(
            f"movement {movement.id} is a reversal; record the original movement again instead",
            problems=[FieldProblem("movement", "ledger.reverse_a_reversal", "is a reversal")],
        )
    legs = repo.correlated(session, movement.correlation_key)
    for leg in legs:
        repo.lock_movement(session, leg)
    for leg in legs:
        done = repo.reversal_of(session, leg.id)
        if done is not None:
            raise Conflict(
                f"movement {leg.id} was already reversed by movement {done.id}",
                problems=[FieldProblem("movement", "ledger.reversed_once", "is already reversed")],
            )
    # Ascending lot ids: the one lock order (see repository).
    for leg in sorted(legs, key=lambda m: m.lot_id):
        if leg.quantity > 0:
            _take(session, leg.lot, leg.quantity)
        else:
            repo.deposit(session, leg.lot, -leg.quantity)
    correlation = _correlation()
    reversals = [
        _movement(
            session,
            leg.lot,
            kind=MovementKind.REVERSAL,
            quantity=-leg.quantity,
            key=key if leg.id == movement.id else f"{correlation}{DERIVED_KEY_MARK}rev-{leg.id}",
            request_hash=request_hash,
            correlation_key=correlation,
            declaration_ref=ref,
            reason=why,
            reverses=leg,
            actor=actor,
        )
        for leg in legs
    ]
    session.flush()  # ids for the audit event
    primary = next(r for r in reversals if r.reverses_id == movement.id)
    _audit(
        session,
        "ledger:movement:reverse",
        primary.id,
        actor,
        reverses=[leg.id for leg in legs],
        reversals=[r.id for r in reversals],
        lots=[leg.lot_id for leg in legs],
        quantities=[r.quantity for r in reversals],
        reason=why,
        declaration_ref=ref,
        idempotency_key=key,
        correlation_key=correlation,
    )
    return tuple(reversals)


# --- holds ----------------------------------------------------------------------------------------


def hold(
    session: Session,
    lot: Lot,
    *,
    quantity: Decimal,
    expires_at: dt.datetime,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Hold:
    """Reserve goods awaiting inspection until ``expires_at``; nothing else may withdraw them."""
    key = _key(idempotency_key)
    amount = _quantity(quantity)
    until = _instant(expires_at, field="expires_at")
    ref = _text(declaration_ref, field="declaration_ref", max_length=64, required=False)
    why = _text(reason, field="reason", max_length=2000, required=False)
    request_hash = _request_hash(
        "hold", lot=lot.id, quantity=amount, expires_at=until, declaration_ref=ref, reason=why
    )
    repo.lock_key(session, party_id=lot.party_id, key=key)
    first = repo.hold_by_key(session, party_id=lot.party_id, key=key)
    if first is not None:
        if first.request_hash != request_hash:
            raise _reused_key(key, lot.party_id, f"hold {first.id}")
        return first
    if until <= (now or utcnow()):
        raise ValidationFailed.single(
            "expires_at", "hold.expires_in_future", "is not in the future"
        )
    if not repo.reserve(session, lot, amount):
        balance, reserved = repo.current_amounts(session, lot.id)
        raise InsufficientBalance(lot_id=lot.id, asked=amount, available=balance - reserved)
    placed = Hold(
        lot=lot,
        party_id=lot.party_id,
        quantity=amount,
        status=HoldStatus.PENDING,
        expires_at=until,
        idempotency_key=key,
        request_hash=request_hash,
        declaration_ref=ref,
        reason=why,
        actor=str(actor),
    )
    session.add(placed)
    session.flush()  # the id for the audit event
    _audit(
        session,
        "ledger:hold:place",
        placed.id,
        actor,
        lot=lot.id,
        party=lot.party_id,
        quantity=amount,
        expires_at=until,
        declaration_ref=ref,
        idempotency_key=key,
    )
    return placed


def post(
    session: Session,
    pending: Hold,
    *,
    kind: MovementKind,
    idempotency_key: str,
    actor: Actor,
    declaration_ref: str | None = None,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Movement:
    """Turn a pending hold into a movement of ``kind`` (the goods leave as inspected)."""
    key = _key(idempotency_key)
    if kind not in POSTABLE_KINDS:
        allowed = ", ".join(sorted(POSTABLE_KINDS))
        raise ValidationFailed.single("kind", "hold.postable_kind", f"must be one of: {allowed}")
    ref = _text(declaration_ref, field="declaration_ref", max_length=64, required=False)
    why = _text(reason, field="reason", max_length=2000, required=kind is MovementKind.DESTROY)
    request_hash = _request_hash(
        "post", hold=pending.id, kind=kind.value, declaration_ref=ref, reason=why
    )
    first = _first_movement(session, party_id=pending.party_id, key=key, request_hash=request_hash)
    if first is not None:
        return first
    current = repo.lock_hold(session, pending)
    if current.status is not HoldStatus.PENDING:
        raise TransitionForbidden(
            subject="hold", current=current.status, action="post", allowed_from=["pending"]
        )
    instant = now or utcnow()
    if current.expires_at <= instant:
        raise RuleViolation(
            f"hold {current.id} expired at {current.expires_at.isoformat()}; it is voided, "
            "not posted",
            problems=[FieldProblem("hold", "hold.expired", "has expired")],
        )
    lot = current.lot
    if not repo.settle(session, lot, current.quantity):
        raise RuntimeError(f"lot {lot.id} reserves less than its hold {current.id}")
    movement = _movement(
        session,
        lot,
        kind=kind,
        quantity=-current.quantity,
        key=key,
        request_hash=request_hash,
        correlation_key=_correlation(),
        declaration_ref=ref or current.declaration_ref,
        reason=why,
        actor=actor,
    )
    session.flush()  # the movement's id, which the hold records
    current.status = HoldStatus.POSTED
    current.movement_id = movement.id
    current.resolved_at = instant
    _audit(
        session,
        "ledger:hold:post",
        current.id,
        actor,
        lot=lot.id,
        movement=movement.id,
        kind=kind.value,
        quantity=current.quantity,
        idempotency_key=key,
    )
    return movement


def _void(session: Session, current: Hold, *, instant: dt.datetime) -> None:
    if not repo.unreserve(session, current.lot, current.quantity):
        raise RuntimeError(f"lot {current.lot_id} reserves less than its hold {current.id}")
    current.status = HoldStatus.VOIDED
    current.resolved_at = instant


def void(
    session: Session,
    pending: Hold,
    *,
    actor: Actor,
    reason: str | None = None,
    now: dt.datetime | None = None,
) -> Hold:
    """Release a hold without a movement; voiding a voided hold again changes nothing."""
    why = _text(reason, field="reason", max_length=2000, required=False)
    current = repo.lock_hold(session, pending)
    if current.status is HoldStatus.VOIDED:
        return current
    if current.status is not HoldStatus.PENDING:
        raise TransitionForbidden(
            subject="hold", current=current.status, action="void", allowed_from=["pending"]
        )
    _void(session, current, instant=now or utcnow())
    _audit(
        session,
        "ledger:hold:void",
        current.id,
        actor,
        lot=current.lot_id,
        quantity=current.quantity,
        reason=why,
    )
    return current


def void_expired(session: Session, *, now: dt.datetime, actor: Actor) -> list[Hold]:
    """Void every pending hold whose time ran out by ``now``; returns them."""
    expired = repo.expired_holds(session, now=_instant(now, field="now"))
    # Lots in ascending id order: the one lock order (see repository).
    for current in sorted(expired, key=lambda h: (h.lot_id, h.id)):
        _void(session, current, instant=now)
    for current in expired:
        _audit(
            session,
            "ledger:hold:void",
            current.id,
            actor,
            lot=current.lot_id,
            quantity=current.quantity,
            reason="expired",
            expired_at=current.expires_at,
        )
    return expired
