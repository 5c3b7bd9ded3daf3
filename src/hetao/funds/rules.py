"""The checks of a fund transfer as pure functions over plain values (no database).

``evaluate(facts)`` returns the stable reason codes of every check that fails; an empty tuple
means the transfer may be approved. ``tax_filing(...)`` decides the R40 flag and ``convert``
turns an amount into CNY (the budget) and USD (R40) at the monthly rates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hetao.funds.models import FundingSource, TransferPurpose
from hetao.reference.rates import RateTable, month_of

CENT = Decimal("0.01")
P = TransferPurpose

#: Purposes each funding source allows. Central funds pay for the research itself (R38);
#: Guangdong funds may also bear the Hong Kong bank fees (R39); Shenzhen's rules were not
#: retrieved (REGIME (d)10), so they follow the central list (GUESS); other sources allow all.
PURPOSES_ALLOWED: dict[FundingSource, frozenset[TransferPurpose]] = {
    FundingSource.CENTRAL: frozenset(
        {P.RESEARCH_GRANT, P.EQUIPMENT_PURCHASE, P.MATERIALS, P.PERSONNEL, P.SERVICES}
    ),
    FundingSource.GUANGDONG: frozenset(
        {P.RESEARCH_GRANT, P.EQUIPMENT_PURCHASE, P.MATERIALS, P.PERSONNEL, P.SERVICES, P.BANK_FEES}
    ),
    FundingSource.SHENZHEN: frozenset(
        {P.RESEARCH_GRANT, P.EQUIPMENT_PURCHASE, P.MATERIALS, P.PERSONNEL, P.SERVICES}
    ),
    FundingSource.OTHER: frozenset(TransferPurpose),
}

# --- reason codes (stable: clients and reports match on them) -----------------------------------
WHITELIST_NOT_LISTED = "whitelist.not_listed"
WHITELIST_FUNDS_NOT_IN_SCOPE = "whitelist.funds_not_in_scope"
WHITELIST_FIRST_LINE_NOT_IN_SCOPE = "whitelist.first_line_not_in_scope"
WHITELIST_SUSPENDED = "whitelist.suspended"
WHITELIST_REVOKED = "whitelist.revoked"
WHITELIST_EXPIRED = "whitelist.expired"
WHITELIST_NOT_YET_VALID = "whitelist.not_yet_valid"
PAYEE_NOT_ACTIVE = "payee.not_active"
PAYEE_NOT_A_MEMBER = "payee.not_a_project_member"
RMB_ACCOUNT_MISSING = "R39.rmb_account_missing"
PROJECT_CLOSED = "project.closed"
PROJECT_OUTSIDE_PERIOD = "project.outside_period"
PURPOSE_NOT_ALLOWED = "purpose.not_allowed"
OVER_BUDGET = "budget.over_budget"
REVIEWER_HOLD = "reviewer.hold"

#: Every reason code with what it means (the API documents them from here).
REASONS: dict[str, str] = {
    WHITELIST_NOT_LISTED: "the payee has no whitelist entry as an institution",
    WHITELIST_FUNDS_NOT_IN_SCOPE: "the payee's whitelist entry does not cover the funds flow",
    WHITELIST_FIRST_LINE_NOT_IN_SCOPE: "the payee's whitelist entry does not cover the first line",
    WHITELIST_SUSPENDED: "the payee's whitelist entry is suspended",
    WHITELIST_REVOKED: "the payee's whitelist entry is revoked",
    WHITELIST_EXPIRED: "the payee's whitelist entry has expired by the transfer date",
    WHITELIST_NOT_YET_VALID: "the payee's whitelist entry is not yet valid on the transfer date",
    PAYEE_NOT_ACTIVE: "the payee party is not active in the registry",
    PAYEE_NOT_A_MEMBER: "the payee is neither the project's lead nor one of its partners (R39)",
    RMB_ACCOUNT_MISSING: "a Hong Kong payee must give an RMB account (R39)",
    PROJECT_CLOSED: "the project is closed",
    PROJECT_OUTSIDE_PERIOD: "the transfer date or budget year is outside the project's period",
    PURPOSE_NOT_ALLOWED: "the purpose is not allowed for the project's funding source",
    OVER_BUDGET: "the budget line's remaining amount is less than the transfer (CNY)",
    REVIEWER_HOLD: "a reviewer held the transfer (see the note)",
}


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """One whitelist entry of the payee, as the checks need it."""

    status: str
    flows: tuple[str, ...]
    lines: tuple[str, ...]
    valid_from: dt.date
    valid_until: dt.date


@dataclass(frozen=True, slots=True)
class TransferFacts:
    """Everything the checks of one transfer look at."""

    transfer_date: dt.date
    budget_year: int
    purpose: TransferPurpose
    amount_cny: Decimal
    payee_party_id: int
    payee_active: bool
    payee_is_hong_kong: bool
    payee_rmb_account: str | None
    payee_entries: tuple[EntryFacts, ...]
    project_active: bool
    project_starts_on: dt.date
    project_ends_on: dt.date
    project_members: frozenset[int]
    funding_source: FundingSource
    budget_remaining: Decimal
    rmb_account_required: bool


def whitelist_problem(entries: tuple[EntryFacts, ...], *, on: dt.date) -> str | None:
    """None when one entry covers funds on the first line, active and valid ``on``; else why not.

    When no entry qualifies, the reason comes from the entry closest to qualifying, in this
    order: an entry in scope says why it is not in force ("suspended"), before scope problems.
    """
    if not entries:
        return WHITELIST_NOT_LISTED
    problems: list[str] = []
    for entry in entries:
        problem = _entry_problem(entry, on=on)
        if problem is None:
            return None
        problems.append(problem)
    order = [
        WHITELIST_SUSPENDED,
        WHITELIST_EXPIRED,
        WHITELIST_NOT_YET_VALID,
        WHITELIST_FIRST_LINE_NOT_IN_SCOPE,
        WHITELIST_FUNDS_NOT_IN_SCOPE,
        WHITELIST_REVOKED,  # last: a superseded entry says less than the current one
    ]
    return min(problems, key=order.index)


def _entry_problem(entry: EntryFacts, *, on: dt.date) -> str | None:
    if "funds" not in entry.flows:
        return WHITELIST_FUNDS_NOT_IN_SCOPE
    if "first" not in entry.lines:
        return WHITELIST_FIRST_LINE_NOT_IN_SCOPE
    if entry.status == "revoked":
        return WHITELIST_REVOKED
    if entry.status == "expired" or on > entry.valid_until:
        return WHITELIST_EXPIRED
    if on < entry.valid_from:
        return WHITELIST_NOT_YET_VALID
    if entry.status == "suspended":
        return WHITELIST_SUSPENDED
    return None


def evaluate(facts: TransferFacts) -> tuple[str, ...]:
    """The reason codes of every failing check, in a stable order; empty when all pass."""
    reasons: list[str] = []
    whitelist = whitelist_problem(facts.payee_entries, on=facts.transfer_date)
    if whitelist is not None:
        reasons.append(whitelist)
    if not facts.payee_active:
        reasons.append(PAYEE_NOT_ACTIVE)
    if facts.payee_party_id not in facts.project_members:
        reasons.append(PAYEE_NOT_A_MEMBER)
    if facts.payee_is_hong_kong and facts.rmb_account_required and not facts.payee_rmb_account:
        reasons.append(RMB_ACCOUNT_MISSING)
    if not facts.project_active:
        reasons.append(PROJECT_CLOSED)
    in_period = facts.project_starts_on <= facts.transfer_date <= facts.project_ends_on
    in_years = facts.project_starts_on.year <= facts.budget_year <= facts.project_ends_on.year
    if not (in_period and in_years):
        reasons.append(PROJECT_OUTSIDE_PERIOD)
    if facts.purpose not in PURPOSES_ALLOWED[facts.funding_source]:
        reasons.append(PURPOSE_NOT_ALLOWED)
    if facts.amount_cny > facts.budget_remaining:
        reasons.append(OVER_BUDGET)
    return tuple(reasons)


@dataclass(frozen=True, slots=True)
class TaxFiling:
    """R40 for one payment: whether to file, and the earlier filing that covers it if any."""

    required: bool
    covered_by: int | None


def tax_filing(
    amount_usd: Decimal,
    *,
    threshold_usd: Decimal,
    first_payment_only: bool,
    earlier_filed: int | None,
) -> TaxFiling:
    """R40: a single payment of MORE than the threshold is filed; with ``first_payment_only``,
    the contract's first filed payment covers the later ones (``earlier_filed``: its id)."""
    if amount_usd <= threshold_usd:
        return TaxFiling(required=False, covered_by=None)
    if first_payment_only and earlier_filed is not None:
        return TaxFiling(required=False, covered_by=earlier_filed)
    return TaxFiling(required=True, covered_by=None)


@dataclass(frozen=True, slots=True)
class Conversion:
    """An amount in CNY and USD and the rates used."""

    amount_cny: Decimal
    amount_usd: Decimal
    rate_cny_per_unit: Decimal
    usd_rate_cny_per_unit: Decimal
    table: str
    month: str
    sample: bool


def convert(amount: Decimal, currency: str, *, on: dt.date, rates: RateTable) -> Conversion:
    """``amount`` of ``currency`` in CNY and USD at the rates of the month of ``on``.

    Each result is rounded once, half up, to the fen or cent from the exact product, so an
    amount in USD is its own USD value and an amount in CNY its own CNY value.
    """
    usd = rates.rate("USD", on=on, field="currency").cny_per_unit
    per_unit = Decimal(1) if currency == "CNY" else rates.rate(currency, on=on).cny_per_unit
    exact_cny = amount * per_unit
    return Conversion(
        amount_cny=exact_cny.quantize(CENT, ROUND_HALF_UP),
        amount_usd=amount if currency == "USD" else (exact_cny / usd).quantize(CENT, ROUND_HALF_UP),
        rate_cny_per_unit=per_unit,
        usd_rate_cny_per_unit=usd,
        table=rates.version,
        month=month_of(on),
        sample=rates.is_sample,
    )
