"""Declarations: submit, accept, clear, refuse; clearing posts the ledger movements and taxes.

A declaration is idempotent by its declarant's reference: the same (party, reference) with the
same content returns the first declaration, with other content it is a Conflict. Clearing posts
each line through the ledger services under a key derived from the reference and the line
number (``decl:<reference>:<line>``), so a retried clearance writes nothing new, and stores the
``hetao.tax.assess`` result with its totals. Services never commit; every change is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hetao.audit.service import Actor, record_event
from hetao.errors import (
    Conflict,
    FieldProblem,
    HetaoError,
    NotFound,
    RuleViolation,
    TransitionForbidden,
    ValidationFailed,
)
from hetao.ledger import repository as ledger_repo
from hetao.ledger import service as ledger
from hetao.declarations.models import Declaration, DeclarationLine, DeclarationStatus
from hetao.declarations.kinds import CROSSING, DeclarationKind
from hetao.ledger.models import CustomsStatus, Lot
from hetao.ledger.schemas import DeclarationCreate, LineIn
from hetao.profiles import Flow, Line, TransferExemptReason, ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.registry import repository as registry_repo
from hetao.registry import service as registry
from hetao.registry.models import BENEFICIARY_KINDS, Approval, ApprovalKind, Party, PartyStatus
from hetao.registry.service import assert_exemption_claimable
from hetao.storage.pagination import PageOf, paginate
from hetao.storage.types import utcnow
from hetao.tax import Assessment, Movement, TransferReason, assess, parse_request
from hetao.timeutil import zone_today

K = DeclarationKind
S = DeclarationStatus

ENTRY_KINDS = frozenset({K.FIRST_LINE_ENTRY, K.SECOND_LINE_ENTRY})
#: Kinds whose goods are described by a reason the ledger requires (R28).
REASON_KINDS = frozenset({K.DESTRUCTION, K.STOCKTAKE_ADJUSTMENT})
#: The tax movement of each assessed kind; destruction and adjustments bear no import taxes here.
TAX_MOVEMENT: dict[DeclarationKind, Movement] = {
    K.FIRST_LINE_ENTRY: Movement.FIRST_LINE_ENTRY,
    K.FIRST_LINE_EXIT: Movement.FIRST_LINE_EXIT,
    K.SECOND_LINE_EXIT: Movement.SECOND_LINE_EXIT,
    K.SECOND_LINE_ENTRY: Movement.SECOND_LINE_ENTRY,
    K.IN_ZONE_TRANSFER: Movement.IN_ZONE_TRANSFER,
    K.RESEARCH_CONSUMPTION: Movement.RESEARCH_CONSUMPTION,
    K.TRANSFORMATION: Movement.RESEARCH_CONSUMPTION,
}
#: A declaration may be lodged ahead of the goods, but not dated further ahead than this: a
#: later date is a typing error (9999-12-31), not a plan. A platform bound; no source states it.
DECLARED_ON_MAX_DAYS_AHEAD = 30
#: Each verb: the states it may start from and the state it leads to.
TRANSITIONS: dict[str, tuple[frozenset[DeclarationStatus], DeclarationStatus]] = {
    "accept": (frozenset({S.SUBMITTED}), S.ACCEPTED),
    "clear": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.CLEARED),
    "refuse": (frozenset({S.SUBMITTED, S.ACCEPTED}), S.REFUSED),
}
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
    """The rule a first-line exemption is granted under: R4 in Hetao, R19 in Hengqin-style zones."""
    return "R4" if profile.tax.research_goods_exemption else "R19"


def line_of(kind: DeclarationKind) -> Line | None:
    """The line a declaration of ``kind`` crosses; None inside the zone."""
    crossing = CROSSING.get(kind)
    return crossing[0] if crossing else None


def ledger_key(reference: str, line_no: int | str) -> str:
    """The ledger idempotency key of one line of a declaration."""
    return f"decl:{reference}:{line_no}"


# --- queries ----------------------------------------------------------------------------------


def get_declaration(
    session: Session, declaration_id: int, *, for_update: bool = False
) -> Declaration:
    """One declaration by id, or NotFound."""
    found = session.get(Declaration, declaration_id, with_for_update=for_update)
    if found is None:
        raise NotFound(f"declaration {declaration_id} does not exist")
    return found


def by_reference(session: Session, *, party_id: int, reference: str) -> Declaration | None:
    """The declaration a party lodged under ``reference``, if any."""
    return session.scalars(
        select(Declaration).where(
            Declaration.party_id == party_id, Declaration.reference == reference
        )
    ).first()


def page_declarations(
    session: Session,
    *,
    party_id: int | None,
    status: DeclarationStatus | None,
    kind: DeclarationKind | None,
    cursor: str | None,
    limit: int,
) -> PageOf[Declaration]:
    """Declarations in lodging order, filtered."""
    stmt = select(Declaration).options(selectinload(Declaration.lines))
    if party_id is not None:
        stmt = stmt.where(Declaration.party_id == party_id)
    if status is not None:
        stmt = stmt.where(Declaration.status == status)
    if kind is not None:
        stmt = stmt.where(Declaration.kind == kind)
    return paginate(session, stmt, id_column=Declaration.id, cursor=cursor, limit=limit)


def _lock_lots(session: Session, lot_ids: set[int]) -> None:
    """Lock every lot a clearance draws from, ascending: no lot lock after the audit head."""
    if lot_ids and session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Lot.id).where(Lot.id.in_(sorted(lot_ids))).order_by(Lot.id).with_for_update()
        )


# --- helpers ----------------------------------------------------------------------------------


def _content_hash(data: DeclarationCreate) -> str:
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


def _audit(session: Session, tag: str, declaration: Declaration, actor: Actor, **data: Any) -> None:
    record_event(
        session,
        tag,
        subject_type="declaration",
        subject_id=declaration.id,
        actor=actor,
        data={
            k: (str(v) if not isinstance(v, bool | int | list | None) else v)
            for k, v in data.items()
        },
    )


def _move(declaration: Declaration, verb: str) -> DeclarationStatus:
    allowed, target = TRANSITIONS[verb]
    if declaration.status not in allowed:
        raise TransitionForbidden(
            subject="declaration",
            current=declaration.status,
            action=verb,
            allowed_from=sorted(allowed),
        )
    return target


@contextmanager
def _at(prefix: str) -> Iterator[None]:
    """Name the declaration field an error of a lower service is about (lines[2].quantity)."""
    try:
        yield
    except HetaoError as error:
        error.problems = tuple(replace(p, field=f"{prefix}.{p.field}") for p in error.problems)
        raise


# --- submission -------------------------------------------------------------------------------


def _check_crossing(data: DeclarationCreate, profile: ZoneProfile) -> None:
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


def _check_kind_fields(
    session: Session, party: Party, data: DeclarationCreate, profile: ZoneProfile
) -> None:
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    transfer = data.kind is K.IN_ZONE_TRANSFER
    if transfer != (data.to_party_id is not None):
        raise ValidationFailed.single(
            "to_party_id", "declaration.to_party", "is required for, and only for, a transfer"
        )
    if data.to_party_id is not None and (
        data.to_party_id == party.id or session.get(Party, data.to_party_id) is None
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
    if (data.kind is K.TRANSFORMATION) != (data.product is not None):
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
    status = registry.status_on(session, transferor, on=on)
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


def _r8_exemption(
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
    status = registry.status_on(session, transferor, on=on)
    reason = _R8_REASON_OF_STATUS.get(status) if status else None
    if reason is None or not registry.is_beneficiary(session, receiver, on=on, line=Line.FIRST):
        return None
    return reason


def _entry_status(
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
    if kind is K.SECOND_LINE_ENTRY:
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
        with _at(at):
            assert_exemption_claimable(
                session, party_id=party.id, goods_kind=line.goods_kind, on=on
            )
        return CustomsStatus.DUTY_FREE_RESEARCH
    return CustomsStatus.BONDED if line.bonded else CustomsStatus.DUTY_PAID


def _line(
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
    if line.quantity < 0 and data.kind is not K.STOCKTAKE_ADJUSTMENT:
        raise ValidationFailed.single(
            f"{at}.quantity", "quantity.positive", "only a stocktake shortage is negative"
        )
    if line.research_own_use and line.bonded:
        raise ValidationFailed.single(
            f"{at}.bonded", "declaration.one_status", "research goods for own use are not bonded"
        )
    if line.release_on_application and data.kind is not K.RESEARCH_CONSUMPTION:
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
        status = _entry_status(session, party, at, line, kind=data.kind, on=on, profile=profile)
        goods_kind = line.goods_kind or ""
    else:
        lot = session.get(Lot, line.lot_id) if line.lot_id is not None else None
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


def _approvals_named(
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
            approval = registry.assert_approval(
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


def submit(
    session: Session,
    party: Party,
    data: DeclarationCreate,
    *,
    profile: ZoneProfile,
    actor: Actor,
) -> tuple[Declaration, bool]:
    """Lodge a declaration; returns it and whether it is new (False: the reference's first)."""
    if data.party_id != party.id:
        raise ValidationFailed.single("party_id", "declaration.party", "names another party")
    content_hash = _content_hash(data)
    # Concurrent lodgings of one reference wait for each other (PostgreSQL advisory lock).
    ledger_repo.lock_key(session, party_id=party.id, key=f"declaration:{data.reference}")
    first = by_reference(session, party_id=party.id, reference=data.reference)
    if first is not None:
        if first.content_hash != content_hash:
            raise Conflict(
                f"reference {data.reference!r} of party {party.id} was used for declaration "
                f"{first.id} with other content",
                problems=[
                    FieldProblem(
                        "reference", "declaration.reference_reused", "was used with other content"
                    )
                ],
            )
        return first, False
    today = zone_today(profile.zone.timezone)
    on = data.declared_on or today
    if on < profile.effective_from:
        raise ValidationFailed.single(
            "declared_on",
            "date.before_regime",
            f"the {profile.zone.code} regime is in force from {profile.effective_from}",
        )
    if on > today + dt.timedelta(days=DECLARED_ON_MAX_DAYS_AHEAD):
        raise ValidationFailed.single(
            "declared_on",
            "date.too_far_ahead",
            f"is more than {DECLARED_ON_MAX_DAYS_AHEAD} days after today ({today}) at the zone",
        )
    _check_crossing(data, profile)
    _check_kind_fields(session, party, data, profile)
    if data.to_party_id is not None:
        _r8_exemption(
            session,
            party,
            registry_repo.get(session, Party, data.to_party_id),
            on=on,
            claimed=str(data.transfer_reason) if data.transfer_reason else None,
        )
    lines = [
        _line(session, party, i, line, data=data, on=on, profile=profile)
        for i, line in enumerate(data.lines)
    ]
    _approvals_named(session, party.id, lines, on=on)
    declaration = Declaration(
        party_id=party.id,
        reference=data.reference,
        kind=data.kind,
        status=S.SUBMITTED,
        crossing_point=data.crossing_point,
        hand_carried=data.hand_carried,
        declared_on=on,
        to_party_id=data.to_party_id,
        transfer_reason=str(data.transfer_reason) if data.transfer_reason else None,
        reason=data.reason,
        product=data.product.model_dump(mode="json") if data.product else None,
        content_hash=content_hash,
        submitted_by=str(actor),
        lines=lines,
    )
    session.add(declaration)
    session.flush()  # the id for the audit event
    _audit(
        session,
        "ledger:declaration:submit",
        declaration,
        actor,
        party=party.id,
        reference=data.reference,
        kind=data.kind.value,
        lines=len(lines),
    )
    return declaration, True


# --- workflow ---------------------------------------------------------------------------------


def accept(session: Session, declaration: Declaration, *, actor: Actor) -> Declaration:
    """submitted -> accepted: the documents are in order; the goods await clearance."""
    declaration.status = _move(declaration, "accept")
    declaration.accepted_at = utcnow()
    declaration.decided_by = str(actor)
    _audit(session, "ledger:declaration:accept", declaration, actor)
    return declaration


def refuse(session: Session, declaration: Declaration, *, reason: str, actor: Actor) -> Declaration:
    """submitted | accepted -> refused, with the reason the declarant reads; nothing is posted."""
    declaration.status = _move(declaration, "refuse")
    declaration.refusal_reason = reason
    declaration.refused_at = utcnow()
    declaration.decided_by = str(actor)
    _audit(session, "ledger:declaration:refuse", declaration, actor, reason=reason)
    return declaration


def clear(
    session: Session,
    declaration: Declaration,
    *,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
    actor: Actor,
) -> Declaration:
    """Post the movements and store the assessment; clearing a cleared declaration is a no-op."""
    if declaration.status is S.CLEARED:
        return declaration
    target = _move(declaration, "clear")
    party = session.get(Party, declaration.party_id)
    if party is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound(f"party {declaration.party_id} does not exist")
    _lock_lots(session, {line.lot_id for line in declaration.lines if line.lot_id is not None})
    _recheck_first_line_exemption(session, declaration, party, profile=profile)
    transfer_exemption = (
        _r8_exemption(
            session,
            party,
            registry_repo.get(session, Party, declaration.to_party_id),
            on=declaration.declared_on,
            claimed=declaration.transfer_reason,
        )
        if declaration.to_party_id is not None
        else None
    )
    # Assessed before posting: a line that a row of the exemption-exclusions table takes out of
    # its exemption (R4, R19) is admitted with the status the assessment gives it.
    assessment = _assess(
        session,
        declaration,
        party,
        transfer_exemption=transfer_exemption,
        profile=profile,
        tariff=tariff,
        rates=rates,
    )
    for assessed in assessment.lines if assessment is not None else ():
        if assessed.exclusion is not None and assessed.status_after is not None:
            declaration.lines[assessed.index].customs_status = CustomsStatus(assessed.status_after)
    # Each line naming an approval draws its quantity from it, checked again on the declared day.
    for approval, line, at in _approvals_named(
        session, party.id, declaration.lines, on=declaration.declared_on
    ):
        registry.draw_approval(
            session,
            approval,
            line.quantity,
            declaration_id=declaration.id,
            line_no=line.line_no,
            field=at,
            actor=actor,
        )
    _post(
        session,
        declaration,
        party,
        transfer_exemption=transfer_exemption,
        profile=profile,
        actor=actor,
    )
    if assessment is not None:
        totals = assessment.totals
        declaration.assessment = assessment.model_dump(mode="json")
        declaration.duty, declaration.consumption_tax = totals.duty, totals.consumption_tax
        declaration.vat, declaration.tax_total = totals.vat, totals.total
    declaration.status = target
    declaration.cleared_at = utcnow()
    declaration.decided_by = str(actor)
    _audit(
        session,
        "ledger:declaration:clear",
        declaration,
        actor,
        tax_total=declaration.tax_total,
        lots=sorted(
            {line.result_lot_id or line.lot_id or 0 for line in declaration.lines}
            | ({declaration.product_lot_id} if declaration.product_lot_id else set())
        ),
    )
    return declaration


# --- clearance: the ledger and the taxes -------------------------------------------------------


def _recheck_first_line_exemption(
    session: Session, declaration: Declaration, party: Party, *, profile: ZoneProfile
) -> None:
    """An entry suspended, revoked or expired since lodging takes the exemption away (R4, R19)."""
    if declaration.kind is not K.FIRST_LINE_ENTRY:
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


def _post(
    session: Session,
    declaration: Declaration,
    party: Party,
    *,
    transfer_exemption: TransferExemptReason | None,
    profile: ZoneProfile,
    actor: Actor,
) -> None:
    kind, ref = declaration.kind, declaration.reference
    if kind is K.TRANSFORMATION:
        _transform(session, declaration, profile=profile, actor=actor)
        return
    # Lots in ascending id order: the ledger's one lock order.
    for line in sorted(declaration.lines, key=lambda x: (x.lot_id or 0, x.line_no)):
        key = ledger_key(ref, line.line_no)
        common: dict[str, Any] = {"idempotency_key": key, "actor": actor, "declaration_ref": ref}
        with _at(f"lines[{line.line_no - 1}]"):
            if kind in ENTRY_KINDS:
                line.result_lot_id = _admit(session, declaration, party, line, key, profile, actor)
            elif kind is K.IN_ZONE_TRANSFER:
                line.result_lot_id = _transfer(
                    session, declaration, line, common, transfer_exemption, profile
                )
            elif kind in REASON_KINDS:
                verb = ledger.destroy if kind is K.DESTRUCTION else ledger.adjust
                verb(
                    session,
                    _lot(session, line),
                    quantity=line.quantity,
                    reason=declaration.reason or "",
                    **common,
                )
            else:
                withdraw = {
                    K.FIRST_LINE_EXIT: ledger.export_first_line,
                    K.SECOND_LINE_EXIT: ledger.release_second_line,
                    K.RESEARCH_CONSUMPTION: ledger.consume,
                }[kind]
                withdraw(session, _lot(session, line), quantity=line.quantity, **common)


def _admit(
    session: Session,
    declaration: Declaration,
    party: Party,
    line: DeclarationLine,
    key: str,
    profile: ZoneProfile,
    actor: Actor,
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
    receiver = session.get(Party, declaration.to_party_id or 0)
    if receiver is None:  # pragma: no cover - submission checked it
        raise NotFound(f"party {declaration.to_party_id} does not exist")
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
    session: Session, declaration: Declaration, *, profile: ZoneProfile, actor: Actor
) -> None:
    product = declaration.product or {}
    inputs = [(_lot(session, line), line.quantity) for line in declaration.lines]
    with _at("lines"):
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
        )
    declaration.product_lot_id = made.product.id


def assessment_request(
    declaration: Declaration,
    declarant: Party,
    lines: Sequence[DeclarationLine],
    *,
    beneficiary: bool,
    transfer_exemption: TransferExemptReason | None = None,
) -> dict[str, Any]:
    """The ``hetao.tax`` request of a declaration; a transfer is declared by its receiver (R8).

    ``beneficiary`` is the registry's answer on the day (``registry.is_beneficiary``), never
    the declarant's kind alone (R3); so is ``transfer_exemption``, R8's exception, never the
    declaration's claim.
    """
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
                "consumed_in_research": kind is K.RESEARCH_CONSUMPTION,
                "release_on_application": line.release_on_application,
            }
            for line in lines
        ],
    }
    if kind is K.IN_ZONE_TRANSFER:
        reason = transfer_exemption.value if transfer_exemption else TransferReason.ORDINARY.value
        request["transfer_reason"] = reason
    return request


def _assess(
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
    if declaration.kind is K.IN_ZONE_TRANSFER:
        receiver = session.get(Party, declaration.to_party_id or 0)
        declarant = receiver if receiver is not None else party
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
        )
    )
    return assess(request, profile, tariff=tariff, rates=rates)
