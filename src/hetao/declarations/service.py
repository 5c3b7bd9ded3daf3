"""Declarations: submit, accept, clear, refuse; clearing posts the ledger movements and taxes.

A declaration is idempotent by its declarant's reference: the same (party, reference) with the
same content returns the first declaration, with other content it is a Conflict. Clearing posts
each line through the ledger services under a key derived from the reference and the line
number (``decl:<reference>:<line>``), so a retried clearance writes nothing new, and stores the
``hetao.tax.assess`` result with its totals. Services never commit; every change is audited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import LedgerTag
from hetao.declarations import repository as declarations_repo
from hetao.declarations.checks import (
    approvals_named,
    check_crossing,
    check_kind_fields,
    content_hash_of,
    declaration_line,
    r8_exemption,
)
from hetao.declarations.clearance import (
    assess_declaration,
    post_lines,
    recheck_first_line_exemption,
)
from hetao.declarations.kinds import CROSSING
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.declarations.schemas import DeclarationCreate, DeclarationOut
from hetao.errors import Conflict, FieldProblem, ValidationFailed
from hetao.ledger import repository as ledger_repo
from hetao.ledger.models import CustomsStatus
from hetao.profiles import Direction, Line, ZoneProfile
from hetao.reference.legal_inspection import Listing
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.reference_versions import service as reference_versions
from hetao.registry import approvals as registry_approvals
from hetao.registry.models import Party
from hetao.storage import lookup
from hetao.storage.types import utcnow
from hetao.timeutil import zone_today
from hetao.workflow import Workflow, audit

#: A declaration may be lodged ahead of the goods, but not dated further ahead than this: a
#: later date is a typing error (9999-12-31), not a plan. A platform bound; no source states it.
DECLARED_ON_MAX_DAYS_AHEAD = 30
#: Each verb: the states it may start from and the state it leads to.
DECLARATION_MOVES: Workflow[DeclarationStatus] = Workflow(
    "declaration",
    {
        "accept": ({DeclarationStatus.SUBMITTED}, DeclarationStatus.ACCEPTED),
        "clear": (
            {DeclarationStatus.SUBMITTED, DeclarationStatus.ACCEPTED},
            DeclarationStatus.CLEARED,
        ),
        "refuse": (
            {DeclarationStatus.SUBMITTED, DeclarationStatus.ACCEPTED},
            DeclarationStatus.REFUSED,
        ),
    },
)


def submit(
    session: Session,
    party: Party,
    data: DeclarationCreate,
    *,
    profile: ZoneProfile,
    actor: Actor,
    now: dt.datetime | None = None,
) -> tuple[Declaration, bool]:
    """Lodge a declaration; returns it and whether it is new (False: the reference's first).

    ``now`` is when it was lodged (default the present; the demo replays past days). The rules
    are checked on today's date all the same.
    """
    if data.party_id != party.id:
        raise ValidationFailed.single("party_id", "declaration.party", "names another party")
    content_hash = content_hash_of(data)
    # Concurrent lodgings of one reference wait for each other (PostgreSQL advisory lock).
    ledger_repo.lock_key(session, party_id=party.id, key=f"declaration:{data.reference}")
    first = declarations_repo.by_reference(session, party_id=party.id, reference=data.reference)
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
    check_crossing(data, profile)
    check_kind_fields(session, party, data, profile)
    if data.to_party_id is not None:
        r8_exemption(
            session,
            party,
            lookup.get(session, Party, data.to_party_id),
            on=on,
            claimed=str(data.transfer_reason) if data.transfer_reason else None,
        )
    lines = [
        declaration_line(session, party, i, line, data=data, on=on, profile=profile)
        for i, line in enumerate(data.lines)
    ]
    approvals_named(session, party.id, lines, on=on)
    declaration = Declaration(
        party_id=party.id,
        reference=data.reference,
        kind=data.kind,
        status=DeclarationStatus.SUBMITTED,
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
        created_at=now or utcnow(),
    )
    session.add(declaration)
    session.flush()  # the id for the audit event
    audit(
        session,
        LedgerTag.DECLARATION_SUBMIT,
        declaration.id,
        actor,
        party=party.id,
        reference=data.reference,
        kind=data.kind.value,
        lines=len(lines),
    )
    return declaration, True


# --- workflow ---------------------------------------------------------------------------------


def accept(
    session: Session, declaration: Declaration, *, actor: Actor, now: dt.datetime | None = None
) -> Declaration:
    """submitted -> accepted: the documents are in order; the goods await clearance."""
    DECLARATION_MOVES.move(declaration, "accept")
    declaration.accepted_at = now or utcnow()
    declaration.decided_by = str(actor)
    audit(session, LedgerTag.DECLARATION_ACCEPT, declaration.id, actor)
    return declaration


def refuse(
    session: Session,
    declaration: Declaration,
    *,
    reason: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Declaration:
    """submitted | accepted -> refused, with the reason the declarant reads; nothing is posted."""
    DECLARATION_MOVES.move(declaration, "refuse")
    declaration.refusal_reason = reason
    declaration.refused_at = now or utcnow()
    declaration.decided_by = str(actor)
    audit(session, LedgerTag.DECLARATION_REFUSE, declaration.id, actor, reason=reason)
    return declaration


def clear(
    session: Session,
    declaration: Declaration,
    *,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Declaration:
    """Post the movements and store the assessment; clearing a cleared declaration is a no-op.

    ``now`` stamps the clearance and its movements (default the present; the demo replays past
    days); the rules are checked as on any other day.
    """
    if declaration.status is DeclarationStatus.CLEARED:
        return declaration
    DECLARATION_MOVES.check(declaration, "clear")
    party = lookup.get(session, Party, declaration.party_id)
    ledger_repo.lock_lots(
        session, {line.lot_id for line in declaration.lines if line.lot_id is not None}
    )
    recheck_first_line_exemption(session, declaration, party, profile=profile)
    transfer_exemption = (
        r8_exemption(
            session,
            party,
            lookup.get(session, Party, declaration.to_party_id),
            on=declaration.declared_on,
            claimed=declaration.transfer_reason,
        )
        if declaration.to_party_id is not None
        else None
    )
    # Assessed before posting: a line that a row of the exemption-exclusions table takes out of
    # its exemption (R4, R19, R23) is admitted with the status the assessment gives it.
    assessment = assess_declaration(
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
    for approval, line, at in approvals_named(
        session, party.id, declaration.lines, on=declaration.declared_on
    ):
        registry_approvals.draw_approval(
            session,
            approval,
            line.quantity,
            declaration_id=declaration.id,
            line_no=line.line_no,
            field=at,
            actor=actor,
        )
    post_lines(
        session,
        declaration,
        party,
        transfer_exemption=transfer_exemption,
        profile=profile,
        actor=actor,
        now=now,
    )
    if assessment is not None:
        totals = assessment.totals
        declaration.assessment = assessment.model_dump(mode="json")
        declaration.duty, declaration.consumption_tax = totals.duty, totals.consumption_tax
        declaration.vat, declaration.tax_total = totals.vat, totals.total
    DECLARATION_MOVES.move(declaration, "clear")
    declaration.cleared_at = now or utcnow()
    declaration.decided_by = str(actor)
    audit(
        session,
        LedgerTag.DECLARATION_CLEAR,
        declaration.id,
        actor,
        tax_total=declaration.tax_total,
        lots=sorted(
            {line.result_lot_id or line.lot_id or 0 for line in declaration.lines}
            | ({declaration.product_lot_id} if declaration.product_lot_id else set())
        ),
    )
    return declaration


def inspection_listings(
    session: Session, declaration: Declaration, *, on: dt.date | None = None
) -> dict[int, Listing]:
    """R12: the legal-inspection catalogue row listing each line's goods on ``on`` (the gate's
    day; the declared day by default), by line number, for goods entering through the first
    line: the catalogue lists goods inspected on entry."""
    if CROSSING.get(declaration.kind) != (Line.FIRST, Direction.INBOUND):
        return {}
    day = on or declaration.declared_on
    catalogue = reference_versions.inspection_catalogue_in_force(session, on=day)
    listings = {line.line_no: catalogue.listing(line.hs_code, on=day) for line in declaration.lines}
    return {line_no: listing for line_no, listing in listings.items() if listing is not None}


def declaration_out(session: Session, declaration: Declaration) -> DeclarationOut:
    """The declaration as the API and the pages show it: each line with the catalogue row that
    lists it on the declared day (R12)."""
    return DeclarationOut.listed(declaration, inspection_listings(session, declaration))
