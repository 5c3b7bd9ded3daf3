"""Checks of a declaration as lodged: its crossing, its kind's fields, R8's exception, each line
with the status it claims (R4, R6, R13) and the approvals it names (R11, R41)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.declarations.kinds import CROSSING, DeclarationKind
from hetao.declarations.models import DeclarationLine
from hetao.declarations.schemas import DeclarationCreate, LineIn
from hetao.errors import FieldProblem, RuleViolation, ValidationFailed, at_field
from hetao.ledger import repository as ledger_repo
from hetao.ledger.models import CustomsStatus
from hetao.profiles import Flow, Line, TransferExemptReason, ZoneProfile
from hetao.registry import approvals as registry_approvals
from hetao.registry import repository as registry_repo
from hetao.registry import service as registry
from hetao.registry import standings as registry_standings
from hetao.registry.models import BENEFICIARY_KINDS, Approval, ApprovalKind, Party, PartyStatus
from hetao.registry.standings import assert_exemption_claimable

#: Kinds that open new lots.
ENTRY_KINDS = frozenset({DeclarationKind.FIRST_LINE_ENTRY, DeclarationKind.SECOND_LINE_ENTRY})
#: Kinds whose goods are described by a reason the ledger requires (R28).
REASON_KINDS = frozenset({DeclarationKind.DESTRUCTION, DeclarationKind.STOCKTAKE_ADJUSTMENT})
#: The approval reference fields of a line, each with its kind in the approvals register.
APPROVAL_FIELDS: dict[str, ApprovalKind] = {
    "special_article_approval": ApprovalKind.SPECIAL_ARTICLE_QUARANTINE,
    "hgr_approval": ApprovalKind.HUMAN_GENETIC_RESOURCES,
}
_R8_EXEMPT = {r.value for r in TransferExemptReason}
#: The transferor's standing that makes a transfer one of R8's exceptions.
_R8_REASON_OF_STATUS = {
    PartyStatus.BANKRUPT: TransferExemptReason.BANKRUPTCY,
    PartyStatus.DEREGISTERED: TransferExemptReason.DEREGISTRATION,
}


def first_line_exemption_rule(profile: ZoneProfile) -> str:
    """The rule a first-line exemption is granted under: R4 (research goods), R19 (self-use
    equipment) or R23 (zero tariff), as the profile grants; R19 where it grants none."""
    return profile.first_line_exemption_rule or "R19"


def content_hash_of(data: DeclarationCreate) -> str:
    """What makes two lodgings 'the same content': 10 and 10.000 kits are the same goods."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    dumped = data.model_dump()
    for line in dumped["lines"]:
        # A line naming no approval hashes as it did before lines could name one (R11, R41).
        for field in APPROVAL_FIELDS:
            if line[field] is None:
                del line[field]
    canonical = json.dumps(plain(dumped), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- submission -------------------------------------------------------------------------------


def check_crossing(data: DeclarationCreate, profile: ZoneProfile) -> None:
    crossing = CROSSING.get(data.kind)
    if crossing is None:
        if data.crossing_point is not None or data.hand_carried:
            raise ValidationFailed.single(
                "crossing_point",
                "declaration.inside_zone",
                f"a {data.kind} happens inside the zone and crosses no line",
            )
        return
    line, direction = crossing
    codes = [p.code for p in profile.crossing_points if p.line is line and Flow.GOODS in p.flows]
    point = profile.crossing_point(data.crossing_point or "")
    if point is None or point.code not in codes or direction not in point.directions:
        raise ValidationFailed.single(
            "crossing_point",
            "profile.goods_crossing_point",
            f"a {data.kind} passes one of the {line} line's goods points: {', '.join(codes)}",
        )
    if data.hand_carried and not point.hand_carry_allowed:
        raise RuleViolation(
            f"goods are not hand-carried through {point.code} (R13)",
            problems=[
                FieldProblem(
                    "hand_carried", "R13.hand_carry_point", f"{point.code} takes no hand-carry"
                )
            ],
        )


def check_kind_fields(
    session: Session, party: Party, data: DeclarationCreate, profile: ZoneProfile
) -> None:
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    transfer = data.kind is DeclarationKind.IN_ZONE_TRANSFER
    if transfer != (data.to_party_id is not None):
        raise ValidationFailed.single(
            "to_party_id", "declaration.to_party", "is required for, and only for, a transfer"
        )
    if data.to_party_id is not None and (
        data.to_party_id == party.id
        or not registry_repo.existing_party_ids(session, {data.to_party_id})
    ):
        raise ValidationFailed.single(
            "to_party_id", "declaration.to_party", "must be another registered party"
        )
    if data.transfer_reason is not None and not transfer:
        raise ValidationFailed.single(
            "transfer_reason", "transfer_reason.only_for_in_zone_transfer", "belongs to transfers"
        )
    if data.kind in REASON_KINDS and data.reason is None:
        raise ValidationFailed.single("reason", "declaration.reason_required", "is required")
    if (data.kind is DeclarationKind.TRANSFORMATION) != (data.product is not None):
        raise ValidationFailed.single(
            "product", "declaration.product", "is required for, and only for, a transformation"
        )
    if data.product is not None:
        if data.product.quantity < 0:
            raise ValidationFailed.single(
                "product.quantity", "quantity.positive", "must be more than 0"
            )
        if data.product.goods_kind not in kinds:
            raise ValidationFailed.single(
                "product.goods_kind",
                "profile.waiver_goods_kind",
                f"must be one of: {', '.join(sorted(kinds))}",
            )


def _assert_r8_claim(
    session: Session,
    transferor: Party,
    receiver: Party,
    *,
    claimed: TransferExemptReason,
    on: dt.date,
) -> None:
    """Refuse a claim of R8's exception that the registry does not bear out on the day."""
    status = registry_standings.status_on(session, transferor, on=on)
    if (_R8_REASON_OF_STATUS.get(status) if status else None) is not claimed:
        raise RuleViolation(
            f"party {transferor.id}'s standing on {on} is {status or 'not recorded'}; the "
            f"{claimed} exception of R8 needs the transferor's {claimed} in the registry",
            problems=[
                FieldProblem(
                    "transfer_reason", "R8.transferor_standing", f"standing: {status or 'none'}"
                )
            ],
        )
    if receiver.kind not in BENEFICIARY_KINDS:
        raise RuleViolation(
            f"party {receiver.id} is a {receiver.kind}; the {claimed} exception of R8 "
            "covers transfers to another beneficiary only",
            problems=[FieldProblem("to_party_id", "R8.to_beneficiary", "is not a beneficiary")],
        )
    registry.assert_beneficiary_entry(
        session, receiver, on=on, line=Line.FIRST, rule="R8", field="to_party_id"
    )


def r8_exemption(
    session: Session,
    transferor: Party,
    receiver: Party,
    *,
    on: dt.date,
    claimed: str | None,
) -> TransferExemptReason | None:
    """R8's exception as the registry has it on the transfer's date: the transferor bankrupt or
    deregistered, the receiver a beneficiary with an active entry. The declarant's claim is
    only a request: one the registry does not bear out is refused, naming why."""
    if claimed in _R8_EXEMPT:
        _assert_r8_claim(
            session, transferor, receiver, claimed=TransferExemptReason(claimed), on=on
        )
    status = registry_standings.status_on(session, transferor, on=on)
    reason = _R8_REASON_OF_STATUS.get(status) if status else None
    if reason is None or not registry.is_beneficiary(session, receiver, on=on, line=Line.FIRST):
        return None
    return reason


def entry_status(
    session: Session,
    party: Party,
    at: str,
    line: LineIn,
    *,
    kind: DeclarationKind,
    on: dt.date,
    profile: ZoneProfile,
) -> CustomsStatus:
    """The status an entry claims; duty-free research goods for beneficiaries only (R4, R6)."""
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    if line.goods_kind not in kinds:
        raise ValidationFailed.single(
            f"{at}.goods_kind",
            "profile.waiver_goods_kind",
            f"is required for an entry, one of: {', '.join(sorted(kinds))}",
        )
    if kind is DeclarationKind.SECOND_LINE_ENTRY:
        if line.research_own_use or line.bonded:
            raise ValidationFailed.single(
                f"{at}.bonded",
                "declaration.domestic_goods",
                "goods from the mainland enter as domestic goods",
            )
        return CustomsStatus.DOMESTIC
    if line.research_own_use:
        if party.kind not in BENEFICIARY_KINDS:
            raise RuleViolation(
                f"party {party.id} is a {party.kind}, not a beneficiary; only beneficiaries "
                "import research goods duty-free (R4)",
                problems=[
                    FieldProblem(
                        f"{at}.research_own_use", "R4.beneficiaries_only", "is not a beneficiary"
                    )
                ],
            )
        registry.assert_beneficiary_entry(
            session,
            party,
            on=on,
            line=Line.FIRST,
            rule=first_line_exemption_rule(profile),
            field=f"{at}.research_own_use",
        )
        with at_field(at):
            assert_exemption_claimable(
                session, party_id=party.id, goods_kind=line.goods_kind, on=on
            )
        return CustomsStatus.DUTY_FREE_RESEARCH
    return CustomsStatus.BONDED if line.bonded else CustomsStatus.DUTY_PAID


def declaration_line(
    session: Session,
    party: Party,
    index: int,
    line: LineIn,
    *,
    data: DeclarationCreate,
    on: dt.date,
    profile: ZoneProfile,
) -> DeclarationLine:
    at = f"lines[{index}]"
    if line.quantity < 0 and data.kind is not DeclarationKind.STOCKTAKE_ADJUSTMENT:
        raise ValidationFailed.single(
            f"{at}.quantity", "quantity.positive", "only a stocktake shortage is negative"
        )
    if line.research_own_use and line.bonded:
        raise ValidationFailed.single(
            f"{at}.bonded", "declaration.one_status", "research goods for own use are not bonded"
        )
    if line.release_on_application and data.kind is not DeclarationKind.RESEARCH_CONSUMPTION:
        raise ValidationFailed.single(
            f"{at}.release_on_application",
            "R5.only_for_research_consumption",
            "belongs to consumption in research",
        )
    for field, named, flagged in (
        ("special_article_approval", line.special_article_approval, line.special_article),
        ("hgr_approval", line.hgr_approval, line.hgr_material),
    ):
        if named is not None and not (flagged and line.quantity > 0):
            raise ValidationFailed.single(
                f"{at}.{field}",
                f"{APPROVAL_FIELDS[field].rule}.approval_for_flagged_goods",
                "names an approval only for goods flagged as needing it, in a positive quantity",
            )
    if data.kind in ENTRY_KINDS:
        if line.lot_id is not None:
            raise ValidationFailed.single(
                f"{at}.lot_id", "declaration.no_lot_for_entry", "an entry opens a new lot"
            )
        status = entry_status(session, party, at, line, kind=data.kind, on=on, profile=profile)
        goods_kind = line.goods_kind or ""
    else:
        lot = ledger_repo.find_lot(session, line.lot_id)
        if lot is None or lot.party_id != party.id:
            raise ValidationFailed.single(
                f"{at}.lot_id", "declaration.own_lot", "must name a lot of the declarant"
            )
        if lot.hs_code != line.hs_code:
            raise ValidationFailed.single(
                f"{at}.hs_code", "declaration.matches_lot", f"lot {lot.id} holds {lot.hs_code}"
            )
        status, goods_kind = lot.customs_status, lot.goods_kind
    bonded = line.bonded or status is CustomsStatus.BONDED
    if data.hand_carried and bonded and not profile.goods.bonded_hand_carry_allowed:
        raise RuleViolation(
            "bonded goods may not be hand-carried through a crossing point (R13)",
            problems=[
                FieldProblem(
                    f"{at}.bonded", "R13.bonded_not_hand_carried", "bonded goods are not carried"
                )
            ],
        )
    return DeclarationLine(
        line_no=index + 1,
        hs_code=line.hs_code,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        customs_value=line.customs_value,
        currency=line.currency,
        origin=line.origin,
        goods_kind=goods_kind,
        customs_status=status,
        lot_id=line.lot_id,
        research_own_use=line.research_own_use,
        bonded=bonded,
        special_article=line.special_article,
        hgr_material=line.hgr_material,
        legally_inspected=line.legally_inspected,
        supervised_equipment=line.supervised_equipment,
        release_on_application=line.release_on_application,
        special_article_approval=line.special_article_approval,
        hgr_approval=line.hgr_approval,
    )


def approvals_named(
    session: Session, party_id: int, lines: Sequence[DeclarationLine], *, on: dt.date
) -> list[tuple[Approval, DeclarationLine, str]]:
    """Each approval the lines name, with the line and field naming it, if the register lets
    the lines through on ``on`` (R11, R41): lines naming one approval draw on it together."""
    asked: dict[tuple[ApprovalKind, str], Decimal] = {}
    named = []
    for line in lines:
        for field, number in (
            ("special_article_approval", line.special_article_approval),
            ("hgr_approval", line.hgr_approval),
        ):
            if number is None:
                continue
            kind = APPROVAL_FIELDS[field]
            asked[kind, number] = asked.get((kind, number), Decimal(0)) + line.quantity
            at = f"lines[{line.line_no - 1}].{field}"
            approval = registry_approvals.assert_approval(
                session,
                kind,
                number,
                party_id=party_id,
                hs_code=line.hs_code,
                goods_kind=line.goods_kind,
                quantity=asked[kind, number],
                unit=line.unit,
                on=on,
                field=at,
            )
            named.append((approval, line, at))
    return named
