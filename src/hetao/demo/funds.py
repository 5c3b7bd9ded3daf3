"""The demo's research funds: projects of every funding source with budgets by year and
category, and cross-border fund transfers in every state of their workflow (R38-R40).

Project GD-2026-0001 is the README's: Guangdong funds paid to Hong Kong partners (R39), one
payment reported, one remitted, one held for a missing RMB account, one approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from hetao.audit.service import Actor
from hetao.demo.scene import Scene
from hetao.demo.users import ZONE_REVIEWER
from hetao.funds import service as funds
from hetao.funds.models import (
    BudgetCategory,
    FundingSource,
    FundTransfer,
    Project,
    TransferPurpose,
)
from hetao.funds.schemas import BudgetLineIn, ProjectCreate, TransferCreate
from hetao.registry.models import Party
from hetao.timeutil import add_months

#: Each project: code, funding source, title. Their leads and partners are chosen below.
PROJECTS = (
    (
        "GD-2026-0001",
        FundingSource.GUANGDONG,
        "Microfluidic point-of-care diagnostics for the Greater Bay Area",
    ),
    ("CF-2026-0002", FundingSource.CENTRAL, "Cryo-electron microscopy of membrane transporters"),
    ("SZ-2026-0003", FundingSource.SHENZHEN, "Mass spectrometry of rare plant metabolites"),
    ("OT-2026-0004", FundingSource.OTHER, "Joint doctoral workshops on synthetic biology"),
)
PROJECT_YEARS = 3
#: How many days before the last money day the projects started.
STARTED_DAYS_AGO = 200


@dataclass
class Payments:
    """Who pays from where in one project, and the transfers it declared."""

    scene: Scene
    project: Project
    payer: Party
    #: The payer's staff who declare and record remittances.
    clerk: Actor
    contracts: int = 0

    def declare(
        self,
        payee: Party,
        amount: str,
        category: BudgetCategory,
        purpose: TransferPurpose,
        *,
        days_ago: int,
        rmb_account: str | None = None,
        contract: str | None = None,
    ) -> FundTransfer:
        """A payment in HKD to ``payee``, declared by the payer's staff."""
        scene = self.scene
        on = scene.money_day(days_ago)
        if contract is None:
            self.contracts += 1
            contract = f"{self.project.code}-C{self.contracts:02d}"
        return funds.declare(
            scene.session,
            TransferCreate(
                project_id=self.project.id,
                payer_party_id=self.payer.id,
                payee_party_id=payee.id,
                payee_rmb_account=rmb_account,
                amount=Decimal(amount),
                currency="HKD",
                transfer_date=on,
                budget_year=on.year,
                budget_category=category,
                purpose=purpose,
                contract_reference=contract,
            ),
            profile=scene.profile,
            rates=scene.rates,
            actor=self.clerk,
        )

    def check(self, transfer: FundTransfer) -> FundTransfer:
        scene = self.scene
        return funds.check(
            scene.session, transfer, profile=scene.profile, actor=scene.actor_of(ZONE_REVIEWER)
        )

    def approve(self, transfer: FundTransfer, note: str | None = None) -> FundTransfer:
        scene = self.scene
        return funds.approve(
            scene.session,
            transfer,
            profile=scene.profile,
            actor=scene.actor_of(ZONE_REVIEWER),
            note=note,
        )

    def hold(self, transfer: FundTransfer, note: str) -> FundTransfer:
        scene = self.scene
        return funds.hold(scene.session, transfer, note=note, actor=scene.actor_of(ZONE_REVIEWER))

    def decline(self, transfer: FundTransfer, note: str) -> FundTransfer:
        scene = self.scene
        return funds.decline(
            scene.session, transfer, note=note, actor=scene.actor_of(ZONE_REVIEWER)
        )

    def remit(self, transfer: FundTransfer, *, days_later: int, report: bool = False) -> None:
        """The bank remits the approved payment; with ``report``, the payer reports it."""
        scene = self.scene
        number = f"BOCHK-{transfer.transfer_date:%Y%m%d}-{transfer.id:05d}"
        funds.remit(
            scene.session,
            transfer,
            bank_reference=number,
            remitted_on=min(transfer.transfer_date + dt.timedelta(days=days_later), scene.today),
            profile=scene.profile,
            actor=self.clerk,
            today=scene.today,
        )
        if report:
            funds.report(scene.session, transfer, report_reference=f"R-{number}", actor=self.clerk)


def fund_projects(scene: Scene) -> None:
    """Four projects, one per funding source, and transfers in every state."""
    if scene.money_days is None:
        return  # no month the rate table covers: no payment can be converted
    partners = scene.hong_kong_partners()
    first, second = scene.enterprises()
    institution = scene.institution()
    # Each project's lead and its Hong Kong partners, in the order of PROJECTS.
    leads = (
        (first, partners[0:2]),
        (institution, partners[2:3]),
        (second, partners[3:4]),
        (first, partners[0:1]),
    )
    projects_paid = []
    for (code, source, title), (lead, members) in zip(PROJECTS, leads, strict=True):
        project = _project(scene, code, source, title, lead, members)
        projects_paid.append(Payments(scene, project, lead, scene.staff_of(lead)))
    guangdong, central, shenzhen, other = projects_paid
    _guangdong_payments(guangdong, partners[0], partners[1])
    _central_payments(central, partners[2])
    shenzhen.declare(
        partners[3],
        "1500000",
        BudgetCategory.EQUIPMENT,
        TransferPurpose.EQUIPMENT_PURCHASE,
        days_ago=0,
        rmb_account="HK-RMB-012-345-6789012",
    )
    _closed_project(other, partners[0])


def _project(
    scene: Scene,
    code: str,
    source: FundingSource,
    title: str,
    lead: Party,
    partners: list[Party],
) -> Project:
    """A project that started 200 days before the last money day, budgeted for three years."""
    starts_on = scene.money_day(0) - dt.timedelta(days=STARTED_DAYS_AGO)
    ends_on = add_months(starts_on, 12 * PROJECT_YEARS) - dt.timedelta(days=1)
    budget = [
        BudgetLineIn(
            year=year,
            category=category,
            # Whole thousands of CNY, enough for the payments below; drawn so budgets differ.
            amount=Decimal(scene.rng.randrange(600, 1800) * 1000),
        )
        for year in range(starts_on.year, ends_on.year + 1)
        for category in BudgetCategory
    ]
    return funds.create_project(
        scene.session,
        ProjectCreate(
            code=code,
            title=title,
            lead_party_id=lead.id,
            partner_party_ids=[p.id for p in partners],
            funding_source=source,
            starts_on=starts_on,
            ends_on=ends_on,
            budget=budget,
        ),
        actor=scene.actor_of(ZONE_REVIEWER),
    )


def _guangdong_payments(payments: Payments, paid: Party, unpaid: Party) -> None:
    """Guangdong funds to Hong Kong partners (R39): the first payment of a contract is filed
    for tax and reported (R40), the second is covered by it; one waits for an RMB account."""
    account = "HK-RMB-004-123-4567890"
    first = payments.declare(
        paid,
        "420000",
        BudgetCategory.PERSONNEL,
        TransferPurpose.RESEARCH_GRANT,
        days_ago=60,
        rmb_account=account,
    )
    payments.approve(payments.check(first))
    payments.remit(first, days_later=3, report=True)
    second = payments.declare(
        paid,
        "450000",
        BudgetCategory.MATERIALS,
        TransferPurpose.MATERIALS,
        days_ago=30,
        rmb_account=account,
        contract=first.contract_reference,
    )
    payments.approve(payments.check(second))
    payments.remit(second, days_later=2)
    # R39: a Hong Kong payee must give an RMB account; the check holds the transfer.
    payments.check(
        payments.declare(
            unpaid, "95000", BudgetCategory.PERSONNEL, TransferPurpose.PERSONNEL, days_ago=20
        )
    )
    # Hong Kong bank fees may be charged to a Guangdong grant (R39).
    fees = payments.declare(
        paid,
        "850",
        BudgetCategory.OTHER,
        TransferPurpose.BANK_FEES,
        days_ago=10,
        rmb_account=account,
    )
    payments.approve(payments.check(fees))


def _central_payments(payments: Payments, payee: Party) -> None:
    """Central funds: bank fees are not among their purposes (declined); a service payment
    waits for approval; another was held by the reviewer, then approved with a note."""
    account = "HK-RMB-024-987-6543210"
    fees = payments.check(
        payments.declare(
            payee,
            "1200",
            BudgetCategory.OTHER,
            TransferPurpose.BANK_FEES,
            days_ago=25,
            rmb_account=account,
        )
    )
    payments.decline(
        fees, "Central funds do not bear bank fees; charge them to the partner's own funds."
    )
    held = payments.check(
        payments.declare(
            payee,
            "260000",
            BudgetCategory.SERVICES,
            TransferPurpose.SERVICES,
            days_ago=15,
            rmb_account=account,
        )
    )
    payments.hold(held, "Waiting for the signature page of the service contract.")
    payments.approve(held, note="Signature page received; the contract is complete.")
    payments.check(
        payments.declare(
            payee,
            "310000",
            BudgetCategory.SERVICES,
            TransferPurpose.SERVICES,
            days_ago=5,
            rmb_account=account,
        )
    )


def _closed_project(payments: Payments, payee: Party) -> None:
    """A project closed early: a payment declared before it closed is held, then declined."""
    late = payments.declare(
        payee,
        "64000",
        BudgetCategory.TRAVEL,
        TransferPurpose.OTHER,
        days_ago=40,
        rmb_account="HK-RMB-004-123-4567890",
    )
    scene = payments.scene
    funds.close_project(
        scene.session,
        payments.project,
        note="The workshops ended early: the partners merged the series into project GD.",
        actor=scene.actor_of(ZONE_REVIEWER),
    )
    payments.decline(
        payments.check(late), "The project is closed; declare the travel under GD-2026-0001."
    )
