"""The checks of a fund transfer as pure functions over plain values (no database).

``evaluate(facts)`` returns the reasons of every check that fails (``hetao.reasons`` shape,
codes from ``CATALOGUE``); an empty tuple means the transfer may be approved.
``tax_filing(...)`` decides the R40 flag and ``convert`` turns an amount into CNY (the budget)
and USD (R40) at the monthly rates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from hetao.funds.models import FundingSource, TransferPurpose
from hetao.reasons import Reason, Template, register
from hetao.reference.rates import RateTable, month_of

CENT = Decimal("0.01")

#: Purposes each funding source allows. Central funds pay for the research itself (R38);
#: Guangdong funds may also bear the Hong Kong bank fees (R39); Shenzhen's rules were not
#: retrieved (REGIME (d)10), so they follow the central list (GUESS); other sources allow all.
PURPOSES_ALLOWED: dict[FundingSource, frozenset[TransferPurpose]] = {
    FundingSource.CENTRAL: frozenset(
        {
            TransferPurpose.RESEARCH_GRANT,
            TransferPurpose.EQUIPMENT_PURCHASE,
            TransferPurpose.MATERIALS,
            TransferPurpose.PERSONNEL,
            TransferPurpose.SERVICES,
        }
    ),
    FundingSource.GUANGDONG: frozenset(
        {
            TransferPurpose.RESEARCH_GRANT,
            TransferPurpose.EQUIPMENT_PURCHASE,
            TransferPurpose.MATERIALS,
            TransferPurpose.PERSONNEL,
            TransferPurpose.SERVICES,
            TransferPurpose.BANK_FEES,
        }
    ),
    FundingSource.SHENZHEN: frozenset(
        {
            TransferPurpose.RESEARCH_GRANT,
            TransferPurpose.EQUIPMENT_PURCHASE,
            TransferPurpose.MATERIALS,
            TransferPurpose.PERSONNEL,
            TransferPurpose.SERVICES,
        }
    ),
    FundingSource.OTHER: frozenset(TransferPurpose),
}

# --- reason codes (stable: clients and reports match on them) -----------------------------------
WHITELIST_NOT_LISTED = "payee.whitelist.not_listed"
WHITELIST_FUNDS_NOT_IN_SCOPE = "payee.whitelist.funds_not_in_scope"
WHITELIST_FIRST_LINE_NOT_IN_SCOPE = "payee.whitelist.first_line_not_in_scope"
WHITELIST_SUSPENDED = "payee.whitelist.suspended"
WHITELIST_REVOKED = "payee.whitelist.revoked"
WHITELIST_EXPIRED = "payee.whitelist.expired"
WHITELIST_NOT_YET_VALID = "payee.whitelist.not_yet_valid"
PAYEE_NOT_ACTIVE = "payee.not_active"
PAYEE_NOT_A_MEMBER = "payee.not_a_project_member"
RMB_ACCOUNT_MISSING = "R39.rmb_account_missing"
PROJECT_CLOSED = "project.closed"
PROJECT_OUTSIDE_PERIOD = "project.outside_period"
PURPOSE_NOT_ALLOWED = "purpose.not_allowed"
OVER_BUDGET = "budget.over_budget"
REVIEWER_HOLD = "reviewer.hold"

#: Every reason code with its rule and texts (the API documents them from here). The texts
#: take no parameters: transfers held before reasons had texts stored bare codes, read back
#: by rendering them.
CATALOGUE = register(
    "funds",
    {
        WHITELIST_NOT_LISTED: Template(
            "R1",
            "The payee has no whitelist entry as an institution",
            "收款單位未以機構身份列入白名單",
            "收款单位未以机构身份列入白名单",
        ),
        WHITELIST_FUNDS_NOT_IN_SCOPE: Template(
            "R1",
            "The payee's whitelist entry does not cover the funds flow",
            "收款單位的白名單登記不包括資金流動",
            "收款单位的白名单登记不包括资金流动",
        ),
        WHITELIST_FIRST_LINE_NOT_IN_SCOPE: Template(
            "R1",
            "The payee's whitelist entry does not cover the first line",
            "收款單位的白名單登記不包括一線",
            "收款单位的白名单登记不包括一线",
        ),
        WHITELIST_SUSPENDED: Template(
            "R1",
            "The payee's whitelist entry is suspended",
            "收款單位的白名單登記已被暫停",
            "收款单位的白名单登记已被暂停",
        ),
        WHITELIST_REVOKED: Template(
            "R1",
            "The payee's whitelist entry is revoked",
            "收款單位的白名單登記已被撤銷",
            "收款单位的白名单登记已被撤销",
        ),
        WHITELIST_EXPIRED: Template(
            "R1",
            "The payee's whitelist entry has expired by the transfer date",
            "收款單位的白名單登記於劃款日已失效",
            "收款单位的白名单登记于划款日已失效",
        ),
        WHITELIST_NOT_YET_VALID: Template(
            "R1",
            "The payee's whitelist entry is not yet valid on the transfer date",
            "收款單位的白名單登記於劃款日尚未生效",
            "收款单位的白名单登记于划款日尚未生效",
        ),
        PAYEE_NOT_ACTIVE: Template(
            None,
            "The payee party is not active in the registry",
            "收款單位在登記冊中並非正常經營",
            "收款单位在登记册中并非正常经营",
        ),
        PAYEE_NOT_A_MEMBER: Template(
            "R39",
            "The payee is neither the project's lead nor one of its partners (R39)",
            "收款單位既非項目牽頭單位,亦非合作單位(R39)",
            "收款单位既非项目牵头单位,亦非合作单位(R39)",
        ),
        RMB_ACCOUNT_MISSING: Template(
            "R39",
            "A Hong Kong payee must give an RMB account (R39)",
            "香港收款單位須提供人民幣賬戶(R39)",
            "香港收款单位须提供人民币账户(R39)",
        ),
        PROJECT_CLOSED: Template(
            None,
            "The project is closed",
            "項目已結束",
            "项目已结束",
        ),
        PROJECT_OUTSIDE_PERIOD: Template(
            None,
            "The transfer date or budget year is outside the project's period",
            "劃款日期或預算年度不在項目期內",
            "划款日期或预算年度不在项目期内",
        ),
        PURPOSE_NOT_ALLOWED: Template(
            None,
            "The purpose is not allowed for the project's funding source",
            "項目的資金來源不准用於此用途",
            "项目的资金来源不准用于此用途",
        ),
        OVER_BUDGET: Template(
            None,
            "The budget line's remaining amount (CNY) is less than the transfer",
            "預算科目的餘額(人民幣)少於劃款金額",
            "预算科目的余额(人民币)少于划款金额",
        ),
        REVIEWER_HOLD: Template(
            None,
            "A reviewer held the transfer (see the note)",
            "審核人員暫緩了此劃款(見備註)",
            "审核人员暂缓了此划款(见备注)",
        ),
    },
    formerly={
        code.removeprefix("payee."): code
        for code in (
            WHITELIST_NOT_LISTED,
            WHITELIST_FUNDS_NOT_IN_SCOPE,
            WHITELIST_FIRST_LINE_NOT_IN_SCOPE,
            WHITELIST_SUSPENDED,
            WHITELIST_REVOKED,
            WHITELIST_EXPIRED,
            WHITELIST_NOT_YET_VALID,
        )
    },
)
reason = CATALOGUE.reason


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


def evaluate(facts: TransferFacts) -> tuple[Reason, ...]:
    """The reasons of every failing check, in a stable order; empty when all pass."""
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
    return tuple(reason(code) for code in reasons)


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
