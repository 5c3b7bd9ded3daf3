"""Clearing a declaration: its ledger movements, line by line, and its tax assessment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.declarations.checks import (
    ENTRY_KINDS,
    REASON_KINDS,
    first_line_exemption_rule,
)
from hetao.declarations.inputs import imported_inputs
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import Declaration, DeclarationLine
from hetao.errors import ValidationFailed, at_field
from hetao.ledger import repository as ledger_repo
from hetao.ledger import service as ledger
from hetao.ledger.models import CustomsStatus, Lot, MovementKind
from hetao.profiles import Line, TransferExemptReason, ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.reference_versions import service as reference_versions
from hetao.registry import service as registry
from hetao.registry.models import Party
from hetao.storage import lookup
from hetao.tax import Assessment, Movement, TransferReason, assess, parse_request

#: The tax movement of each assessed kind; destruction and adjustments bear no import taxes here.
TAX_MOVEMENT: dict[DeclarationKind, Movement] = {
    DeclarationKind.FIRST_LINE_ENTRY: Movement.FIRST_LINE_ENTRY,
    DeclarationKind.FIRST_LINE_EXIT: Movement.FIRST_LINE_EXIT,
    DeclarationKind.SECOND_LINE_EXIT: Movement.SECOND_LINE_EXIT,
    DeclarationKind.SECOND_LINE_ENTRY: Movement.SECOND_LINE_ENTRY,
    DeclarationKind.IN_ZONE_TRANSFER: Movement.IN_ZONE_TRANSFER,
    DeclarationKind.RESEARCH_CONSUMPTION: Movement.RESEARCH_CONSUMPTION,
    DeclarationKind.TRANSFORMATION: Movement.RESEARCH_CONSUMPTION,
}
#: A declaration may be lodged ahead of the goods, but not dated further ahead than this: a
#: later date is a typing error (9999-12-31), not a plan. A platform bound; no source states it.


#: The ledger withdrawal each kind that takes goods out of a lot posts, line by line.
LEDGER_WITHDRAWAL: dict[DeclarationKind, MovementKind] = {
    DeclarationKind.FIRST_LINE_EXIT: MovementKind.EXPORT_FIRST_LINE,
    DeclarationKind.SECOND_LINE_EXIT: MovementKind.RELEASE_SECOND_LINE,
    DeclarationKind.RESEARCH_CONSUMPTION: MovementKind.CONSUME,
    DeclarationKind.DESTRUCTION: MovementKind.DESTROY,
}


def ledger_key(reference: str, line_no: int | str) -> str:
    """The ledger idempotency key of one line of a declaration."""
    return f"decl:{reference}:{line_no}"


def recheck_first_line_exemption(
    session: Session, declaration: Declaration, party: Party, *, profile: ZoneProfile
) -> None:
    """An entry suspended, revoked or expired since lodging takes the exemption away (R4, R19)."""
    if declaration.kind is not DeclarationKind.FIRST_LINE_ENTRY:
        return
    for line in declaration.lines:
        if line.customs_status is CustomsStatus.DUTY_FREE_RESEARCH:
            registry.assert_beneficiary_entry(
                session,
                party,
                on=declaration.declared_on,
                line=Line.FIRST,
                rule=first_line_exemption_rule(profile),
                field=f"lines[{line.line_no - 1}].research_own_use",
            )


def _lot(session: Session, line: DeclarationLine) -> Lot:
    if line.lot_id is None:  # pragma: no cover - submission requires it
        raise ValidationFailed.single("lot_id", "declaration.lot_required", "is required")
    return ledger_repo.get_lot(session, line.lot_id)


def post_lines(
    session: Session,
    declaration: Declaration,
    party: Party,
    *,
    transfer_exemption: TransferExemptReason | None,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime | None = None,
) -> None:
    """The ledger's side of a clearance: lots admitted, transferred or made, and withdrawals,
    each movement stamped ``now`` (default the present)."""
    kind, ref = declaration.kind, declaration.reference
    if kind is DeclarationKind.TRANSFORMATION:
        _transform(session, declaration, profile=profile, actor=actor, now=now)
        return
    # Lots in ascending id order: the ledger's one lock order.
    lines = sorted(declaration.lines, key=lambda x: (x.lot_id or 0, x.line_no))
    if kind is DeclarationKind.STOCKTAKE_ADJUSTMENT or kind in LEDGER_WITHDRAWAL:
        # A stocktake or a bulk clearance posts thousands of lines: one ledger batch.
        _post_movements(session, declaration, lines, actor=actor, now=now)
        return
    for line in lines:
        key = ledger_key(ref, line.line_no)
        common: dict[str, Any] = {
            "idempotency_key": key,
            "actor": actor,
            "declaration_ref": ref,
            "now": now,
        }
        with at_field(f"lines[{line.line_no - 1}]"):
            if kind in ENTRY_KINDS:
                line.result_lot_id = _admit(
                    session, declaration, party, line, key, profile, actor, now
                )
            elif kind is DeclarationKind.IN_ZONE_TRANSFER:
                line.result_lot_id = _transfer(
                    session, declaration, line, common, transfer_exemption, profile
                )


def _post_movements(
    session: Session,
    declaration: Declaration,
    lines: Sequence[DeclarationLine],
    *,
    actor: Actor,
    now: dt.datetime | None,
) -> None:
    """Each line's withdrawal, or its stocktake adjustment (R31), as one all-or-nothing batch."""
    kind, ref = declaration.kind, declaration.reference
    adjusting = kind is DeclarationKind.STOCKTAKE_ADJUSTMENT
    movement = MovementKind.ADJUST if adjusting else LEDGER_WITHDRAWAL[kind]
    reason = (declaration.reason or "") if adjusting or kind in REASON_KINDS else None
    lots = ledger_repo.lots_by_id(session, {line.lot_id for line in lines if line.lot_id})
    orders, fields = [], []
    for line in lines:
        field = f"lines[{line.line_no - 1}]"
        with at_field(field):
            lot = lots.get(line.lot_id or 0) or _lot(session, line)
        orders.append(
            ledger.MovementOrder(
                lot, movement, line.quantity, ledger_key(ref, line.line_no), ref, reason
            )
        )
        fields.append(field)
    ledger.post_movements(session, orders, actor=actor, fields=fields, now=now)


def _admit(
    session: Session,
    declaration: Declaration,
    party: Party,
    line: DeclarationLine,
    key: str,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime | None,
) -> int:
    # The flag forces a supervision period even for goods kinds the ledger would not supervise.
    supervision = (
        ledger.supervision_class_of(line.hs_code, line.goods_kind)
        if line.supervised_equipment
        else None
    )
    lot = ledger.admit(
        session,
        party,
        hs_code=line.hs_code,
        description=line.description,
        unit=line.unit,
        quantity=line.quantity,
        origin=line.origin,
        goods_kind=line.goods_kind,
        customs_status=line.customs_status,
        customs_value=line.customs_value,
        currency=line.currency,
        admission_ref=declaration.reference,
        admitted_on=declaration.declared_on,
        idempotency_key=key,
        profile=profile,
        actor=actor,
        supervision_class=supervision,
        now=now,
    )
    return lot.id


def _transfer(
    session: Session,
    declaration: Declaration,
    line: DeclarationLine,
    common: dict[str, Any],
    transfer_exemption: TransferExemptReason | None,
    profile: ZoneProfile,
) -> int:
    receiver = lookup.get(session, Party, declaration.to_party_id or 0)
    lot = _lot(session, line)
    # R8's exception waives taxes of exempt goods only; other goods keep their status anyway.
    exempt = transfer_exemption if lot.customs_status is CustomsStatus.DUTY_FREE_RESEARCH else None
    moved = ledger.transfer(
        session,
        lot,
        to_party=receiver,
        quantity=line.quantity,
        profile=profile,
        exempt_reason=exempt,
        **common,
    )
    return moved.lot.id


def _transform(
    session: Session,
    declaration: Declaration,
    *,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime | None,
) -> None:
    product = declaration.product or {}
    inputs = [(_lot(session, line), line.quantity) for line in declaration.lines]
    with at_field("lines"):
        made = ledger.transform(
            session,
            inputs,
            hs_code=product["hs_code"],
            description=product["description"],
            unit=product["unit"],
            quantity=Decimal(product["quantity"]),
            origin=product["origin"],
            goods_kind=product["goods_kind"],
            customs_value=Decimal(product["customs_value"]),
            currency=product["currency"],
            declaration_ref=declaration.reference,
            made_on=declaration.declared_on,
            idempotency_key=ledger_key(declaration.reference, "product"),
            profile=profile,
            actor=actor,
            now=now,
        )
    declaration.product_lot_id = made.product.id


def assessment_request(
    declaration: Declaration,
    declarant: Party,
    lines: Sequence[DeclarationLine],
    *,
    beneficiary: bool,
    transfer_exemption: TransferExemptReason | None = None,
    inputs: Mapping[int, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The ``hetao.tax`` request of a declaration; a transfer is declared by its receiver (R8).

    ``beneficiary`` is the registry's answer on the day (``registry.is_beneficiary``), never
    the declarant's kind alone (R3); so is ``transfer_exemption``, R8's exception, never the
    declaration's claim. ``inputs`` are the imported inputs of lines the profile taxes on them
    (R24), by line number, as the ledger traces them (``declarations.inputs``).
    """
    inputs = inputs or {}
    kind = declaration.kind
    request: dict[str, Any] = {
        "movement": TAX_MOVEMENT[kind].value,
        "date": declaration.declared_on.isoformat(),
        "declarant": {
            "beneficiary": beneficiary,
            "kind": declarant.kind.value,
        },
        "lines": [
            {
                "hs_code": line.hs_code,
                "quantity": abs(line.quantity),
                "unit": line.unit,
                "customs_value": line.customs_value,
                "currency": line.currency,
                "origin": line.origin,
                "status": line.customs_status.value,
                "consumed_in_research": kind is DeclarationKind.RESEARCH_CONSUMPTION,
                "release_on_application": line.release_on_application,
                **({"inputs": inputs[line.line_no]} if inputs.get(line.line_no) else {}),
            }
            for line in lines
        ],
    }
    if kind is DeclarationKind.IN_ZONE_TRANSFER:
        reason = transfer_exemption.value if transfer_exemption else TransferReason.ORDINARY.value
        request["transfer_reason"] = reason
    return request


def assess_declaration(
    session: Session,
    declaration: Declaration,
    party: Party,
    *,
    transfer_exemption: TransferExemptReason | None,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
) -> Assessment | None:
    if declaration.kind not in TAX_MOVEMENT:
        return None
    declarant = party
    if declaration.kind is DeclarationKind.IN_ZONE_TRANSFER:
        declarant = lookup.get(session, Party, declaration.to_party_id or 0)
    # The tax function reads the flag for first-line exemptions (R4, R19) and R8's receiver.
    beneficiary = registry.is_beneficiary(
        session, declarant, on=declaration.declared_on, line=Line.FIRST
    )
    request = parse_request(
        assessment_request(
            declaration,
            declarant,
            declaration.lines,
            beneficiary=beneficiary,
            transfer_exemption=transfer_exemption,
            inputs=(
                imported_inputs(session, declaration, profile=profile)
                if declaration.kind is DeclarationKind.SECOND_LINE_EXIT
                else None
            ),
        )
    )
    # R4, R19 and R23's exclusions (R23: the taxed-goods catalogue) as uploaded for the
    # declaration's day, else the packaged table.
    exclusions = reference_versions.exclusions_in_force(session, on=declaration.declared_on)
    return assess(request, profile, tariff=tariff, rates=rates, exclusions=exclusions)
