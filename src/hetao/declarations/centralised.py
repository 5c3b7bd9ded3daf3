"""R10: centralised declaration. Eligible goods cross against an open period, one aggregate
declaration is cleared when it closes.

A party whose whitelist entry is in force for goods at the first line on the period's first day
and lists the ``centralised_declaration`` exemption opens a period of the profile's
``goods.centralised_declaration_period_months`` (the regime decides eligibility, never the
request). Goods crossing under it are recorded line by line; goods under inspection and
quarantine (legally inspected) and special articles are refused: they are declared each time.
Closing, from the period's last day, builds one first-line entry of the party from the recorded
lines and clears it through ``hetao.declarations.service``, so its taxes are assessed and its
ledger movements posted as for any declaration. Services never commit; every change is audited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import LedgerTag
from hetao.declarations import repository as declarations_repo
from hetao.declarations import service as declarations
from hetao.declarations.kinds import CROSSING, DeclarationKind
from hetao.declarations.models import (
    CentralisedLine,
    CentralisedPeriod,
    CentralisedPeriodStatus,
)
from hetao.declarations.schemas import CentralisedLineIn, CentralisedPeriodCreate, DeclarationCreate
from hetao.errors import FieldProblem, RuleViolation, ValidationFailed
from hetao.ledger import repository as ledger_repo
from hetao.profiles import Exemption, Flow, Line, ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.reference_versions import service as reference_versions
from hetao.registry.models import Party
from hetao.registry.service import BeneficiaryEntryState, beneficiary_entry_state, entries_in_force
from hetao.storage import lookup
from hetao.storage.types import utcnow
from hetao.timeutil import add_months, zone_today
from hetao.workflow import audit

#: The events of a period name it so, though their tags say ``centralised``.
SUBJECT_TYPE = "centralised_period"
#: The line flags of goods R10 leaves out: inspection and quarantine, special articles.
EXCLUDED_FLAGS = ("legally_inspected", "special_article")
#: The state of an entry in force that does not list the exemption.
EXEMPTION_NOT_LISTED = "exemption_not_listed"
#: The declaration kind of the goods a period covers: research goods entering from Hong Kong.
KIND = DeclarationKind.FIRST_LINE_ENTRY


def eligibility(session: Session, party: Party, *, on: dt.date) -> str:
    """``active`` if the party's whitelist entry is in force for goods at the first line on
    ``on`` and lists the ``centralised_declaration`` exemption; otherwise why not: the entry's
    state (``none``, ``suspended``, ...) or ``exemption_not_listed``."""
    state = beneficiary_entry_state(session, party, on=on, line=Line.FIRST)
    if state is not BeneficiaryEntryState.ACTIVE:
        return state.value
    listed = any(
        Exemption.CENTRALISED_DECLARATION.value in entry.exemptions
        for entry in entries_in_force(session, party, on=on, line=Line.FIRST)
    )
    return state.value if listed else EXEMPTION_NOT_LISTED


def period_end(starts_on: dt.date, profile: ZoneProfile) -> dt.date:
    """The last day of a period starting on ``starts_on``: the profile's months, less a day."""
    months = profile.goods.centralised_declaration_period_months
    return add_months(starts_on, months) - dt.timedelta(days=1)


def reference_of(period: CentralisedPeriod) -> str:
    """The reference of a period's aggregate declaration."""
    return f"R10-PERIOD-{period.id}"


def _violation(field: str, rule: str, detail: str, message: str) -> RuleViolation:
    return RuleViolation(message, problems=[FieldProblem(field, rule, detail)])


def open_period(
    session: Session,
    party: Party,
    data: CentralisedPeriodCreate,
    *,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> CentralisedPeriod:
    """Open a period for an eligible party; a period of the party may not share a day with it."""
    if data.party_id != party.id:
        raise ValidationFailed.single("party_id", "declaration.party", "names another party")
    starts_on = data.starts_on or today or zone_today(profile.zone.timezone)
    if starts_on < profile.effective_from:
        raise ValidationFailed.single(
            "starts_on",
            "date.before_regime",
            f"the {profile.zone.code} regime is in force from {profile.effective_from}",
        )
    point = profile.crossing_point(data.crossing_point)
    if (
        point is None
        or point.line is not Line.FIRST
        or Flow.GOODS not in point.flows
        or CROSSING[KIND][1] not in point.directions
    ):
        raise ValidationFailed.single(
            "crossing_point", "profile.goods_crossing_point", "must be a first-line goods point"
        )
    state = eligibility(session, party, on=starts_on)
    if state != BeneficiaryEntryState.ACTIVE.value:
        raise _violation(
            "party_id",
            "R10.not_eligible",
            f"whitelist entry: {state}",
            f"party {party.id} may not declare centrally on {starts_on}: it needs a whitelist "
            f"entry in force for goods at the first line listing centralised_declaration "
            f"(entry: {state}) (R10)",
        )
    ends_on = period_end(starts_on, profile)
    # Concurrent openings for one party wait for each other (PostgreSQL advisory lock).
    ledger_repo.lock_key(session, party_id=party.id, key="centralised-period")
    clash = declarations_repo.overlapping_period(
        session, party_id=party.id, starts_on=starts_on, ends_on=ends_on
    )
    if clash is not None:
        raise _violation(
            "starts_on",
            "R10.period_overlaps",
            f"overlaps period {clash.id}",
            f"party {party.id}'s period {clash.id} runs {clash.starts_on} to {clash.ends_on}; "
            f"a period from {starts_on} to {ends_on} would overlap it (R10)",
        )
    period = CentralisedPeriod(
        party_id=party.id,
        crossing_point=point.code,
        starts_on=starts_on,
        ends_on=ends_on,
        status=CentralisedPeriodStatus.OPEN,
        opened_by=str(actor),
    )
    session.add(period)
    session.flush()  # the id for the audit event
    audit(
        session,
        LedgerTag.CENTRALISED_OPEN,
        period.id,
        actor,
        subject_type=SUBJECT_TYPE,
        party=party.id,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    return period


def _check_open(period: CentralisedPeriod) -> None:
    if period.status is CentralisedPeriodStatus.CLOSED:
        raise _violation(
            "period_id",
            "R10.already_closed",
            f"closed with declaration {period.declaration_id}",
            f"centralised period {period.id} is closed (R10)",
        )


def record_line(
    session: Session,
    period: CentralisedPeriod,
    data: CentralisedLineIn,
    *,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> CentralisedLine:
    """Record goods that crossed under an open period; excluded goods are refused (R10)."""
    _check_open(period)
    for flag in EXCLUDED_FLAGS:
        if getattr(data, flag):
            raise _violation(
                flag,
                "R10.goods_excluded",
                f"{flag} goods are declared each time",
                f"goods flagged {flag} are not declared centrally; lodge a declaration (R10)",
            )
    crossed_on = data.crossed_on or today or zone_today(profile.zone.timezone)
    if not period.starts_on <= crossed_on <= period.ends_on:
        raise ValidationFailed.single(
            "crossed_on",
            "R10.outside_period",
            f"must be within the period, {period.starts_on} to {period.ends_on}",
        )
    # Goods the legal-inspection catalogue lists on the day are excluded, whatever was declared.
    catalogue = reference_versions.inspection_catalogue_in_force(session, on=crossed_on)
    listing = catalogue.listing(data.hs_code, on=crossed_on)
    if listing is not None:
        raise _violation(
            "hs_code",
            "R10.goods_excluded",
            f"legally inspected: legal-inspection catalogue row {listing.label}",
            f"{listing.code} goods are legally inspected ({listing.label}) and are not declared"
            " centrally; lodge a declaration (R10)",
        )
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    if data.goods_kind not in kinds:
        raise ValidationFailed.single(
            "goods_kind", "profile.waiver_goods_kind", f"must be one of: {', '.join(sorted(kinds))}"
        )
    if data.quantity < 0:
        raise ValidationFailed.single("quantity", "quantity.positive", "must be more than 0")
    if data.research_own_use and data.bonded:
        raise ValidationFailed.single(
            "bonded", "declaration.one_status", "research goods for own use are not bonded"
        )
    line = CentralisedLine(
        line_no=declarations_repo.next_centralised_line_no(session, period.id),
        crossed_on=crossed_on,
        hs_code=data.hs_code,
        description=data.description,
        quantity=data.quantity,
        unit=data.unit,
        customs_value=data.customs_value,
        currency=data.currency,
        origin=data.origin,
        goods_kind=data.goods_kind,
        research_own_use=data.research_own_use,
        bonded=data.bonded,
        hgr_material=data.hgr_material,
        supervised_equipment=data.supervised_equipment,
        recorded_by=str(actor),
    )
    period.lines.append(line)
    session.flush()
    audit(
        session,
        LedgerTag.CENTRALISED_LINE,
        period.id,
        actor,
        subject_type=SUBJECT_TYPE,
        line_no=line.line_no,
        hs_code=line.hs_code,
        quantity=line.quantity,
    )
    return line


def aggregate(period: CentralisedPeriod) -> DeclarationCreate:
    """The aggregate declaration of a period: one first-line entry of all its recorded lines,
    dated its last day."""
    fields = (
        "hs_code",
        "description",
        "quantity",
        "unit",
        "customs_value",
        "currency",
        "origin",
        "goods_kind",
        "research_own_use",
        "bonded",
        "hgr_material",
        "supervised_equipment",
    )
    return DeclarationCreate.model_validate(
        {
            "party_id": period.party_id,
            "reference": reference_of(period),
            "kind": KIND,
            "crossing_point": period.crossing_point,
            "declared_on": period.ends_on,
            "lines": [{f: getattr(line, f) for f in fields} for line in period.lines],
        }
    )


def close_period(
    session: Session,
    period: CentralisedPeriod,
    *,
    profile: ZoneProfile,
    tariff: Tariff,
    rates: RateTable,
    actor: Actor,
    today: dt.date | None = None,
) -> CentralisedPeriod:
    """From its last day: build the aggregate declaration and clear it (taxes, ledger)."""
    _check_open(period)
    today = today or zone_today(profile.zone.timezone)
    if today < period.ends_on:
        raise _violation(
            "period_id",
            "R10.period_open",
            f"runs to {period.ends_on}",
            f"centralised period {period.id} runs to {period.ends_on}; it closes from then (R10)",
        )
    if not period.lines:
        raise _violation(
            "period_id",
            "R10.no_lines",
            "no goods recorded",
            f"centralised period {period.id} recorded no goods: there is nothing to declare",
        )
    party = lookup.get(session, Party, period.party_id)
    declaration, _ = declarations.submit(
        session, party, aggregate(period), profile=profile, actor=actor
    )
    declarations.clear(
        session, declaration, profile=profile, tariff=tariff, rates=rates, actor=actor
    )
    period.status = CentralisedPeriodStatus.CLOSED
    period.declaration_id = declaration.id
    period.closed_at = utcnow()
    period.closed_by = str(actor)
    audit(
        session,
        LedgerTag.CENTRALISED_CLOSE,
        period.id,
        actor,
        subject_type=SUBJECT_TYPE,
        declaration=declaration.id,
        lines=len(period.lines),
        tax_total=declaration.tax_total,
    )
    return period
