"""The demo's declarations: goods of two enterprises and an institution through every kind of
declaration and every state, decided by the officers of their line, taxes assessed.

Each party's story is told in date order. Enterprise A imports research goods duty-free (R4),
keeps some bonded, transfers some to B with taxes (R8), releases some to the mainland with
taxes (R7), uses some up in research (R5), makes an R&D product of them, destroys and counts
goods and exports some; enterprise B imports, buys domestic goods and pays taxes on goods it
does not claim exempt; the institution brings in large equipment. A few declarations wait at
each state. Enterprise A's first declaration opens lots 1-3 (lot 3: reagent kits, as the README's
inspection example names).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hetao.declarations import service as declarations
from hetao.declarations.kinds import DeclarationKind, line_of
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.declarations.schemas import DeclarationCreate
from hetao.demo import goods as catalogue
from hetao.demo.goods import Goods
from hetao.demo.scene import Scene
from hetao.demo.users import OFFICERS
from hetao.ledger import repository as ledger_repo
from hetao.ledger.models import Lot
from hetao.profiles import Line
from hetao.registry.models import Party

Kind = DeclarationKind
State = DeclarationStatus

#: Who decides a declaration of each line; movements inside the zone, either line's officer.
DECIDER = {
    Line.FIRST: OFFICERS[Line.FIRST][0],
    Line.SECOND: OFFICERS[Line.SECOND][0],
    None: OFFICERS[Line.FIRST][1],
}
#: The hetao profile's goods points: Channel No. 1 (hand-carried goods, R13), the port, and
#: the second-line goods channel.
CHANNEL_1, HUANGGANG, SECOND_LINE = "FBZ_CHANNEL_1", "HUANGGANG", "SL_GOODS"
CENT = Decimal("0.01")
#: Declarations are lodged from this hour of their day, before the goods reach the gates (8:00,
#: ``inspections.inspect_goods``), and each decision follows ``DECIDED_AFTER`` later.
LODGED_HOUR = 7
DECIDED_AFTER = dt.timedelta(minutes=10)


@dataclass
class Story:
    """One party's declarations, lodged by its staff and decided by officers, in date order."""

    scene: Scene
    party: Party
    #: Starts each of the party's references: unique across the demo, not only per party.
    prefix: str
    lodged: int = 0

    def entered(
        self, goods: Goods, quantity: str, *, bonded: bool = False, claimed: bool = True
    ) -> dict[str, Any]:
        """An entry line: research goods for own use are ``claimed`` duty-free (R4) unless
        they enter bonded or the party elected to pay taxes on their kind (R6)."""
        amount = Decimal(quantity)
        waived = self.scene.waived(self.party, goods.goods_kind)
        exempt = claimed and not bonded and not waived
        return {
            "hs_code": goods.hs_code,
            "description": goods.description,
            "quantity": amount,
            "unit": goods.unit,
            "customs_value": goods.value_of(amount),
            "currency": goods.currency,
            "origin": goods.origin,
            "goods_kind": goods.goods_kind,
            "research_own_use": exempt,
            "bonded": bonded,
        }

    def drawn(self, lot: Lot, quantity: str, **flags: Any) -> dict[str, Any]:
        """A line taking ``quantity`` from a lot, valued pro rata (negative: a shortage)."""
        amount = Decimal(quantity)
        value = lot.customs_value * abs(amount) / lot.initial_quantity
        return {
            "hs_code": lot.hs_code,
            "description": lot.description,
            "quantity": amount,
            "unit": lot.unit,
            "customs_value": value.quantize(CENT, ROUND_HALF_UP),
            "currency": lot.currency,
            "origin": lot.origin,
            "lot_id": lot.id,
            **flags,
        }

    def declare(
        self,
        kind: DeclarationKind,
        lines: list[dict[str, Any]],
        *,
        days_ago: int,
        state: DeclarationStatus = State.CLEARED,
        point: str | None = None,
        refusal: str = "",
        **fields: Any,
    ) -> Declaration:
        """Lodge a declaration ``days_ago`` days back and take it to ``state``: lodged before
        the gates open that day, decided minutes later, so a lot's journey reads in order."""
        self.lodged += 1
        reference = f"{self.prefix}-{self.lodged:04d}"
        declared_on = self.scene.money_day(days_ago)
        lodged = self.scene.instant(declared_on, hour=LODGED_HOUR) + dt.timedelta(
            minutes=self.lodged
        )
        decided = lodged + DECIDED_AFTER
        data = DeclarationCreate.model_validate(
            {
                "party_id": self.party.id,
                "reference": reference,
                "kind": kind,
                "crossing_point": point,
                "declared_on": declared_on,
                "lines": lines,
                **fields,
            }
        )
        scene = self.scene
        declaration, _ = declarations.submit(
            scene.session,
            self.party,
            data,
            profile=scene.profile,
            actor=scene.staff_of(self.party),
            now=lodged,
        )
        scene.declarations[reference] = declaration
        officer = scene.actor_of(DECIDER[line_of(kind)])
        if state is State.REFUSED:
            declarations.refuse(
                scene.session, declaration, reason=refusal, actor=officer, now=decided
            )
        elif state is not State.SUBMITTED:
            declarations.accept(scene.session, declaration, actor=officer, now=decided)
        if state is State.CLEARED:
            declarations.clear(
                scene.session,
                declaration,
                profile=scene.profile,
                tariff=scene.tariff,
                rates=scene.rates,
                actor=officer,
                now=decided + DECIDED_AFTER,
            )
            self._note_lots(declaration)
        return declaration

    def _note_lots(self, declaration: Declaration) -> None:
        opened = {line.result_lot_id for line in declaration.lines} | {declaration.product_lot_id}
        for lot_id in sorted(i for i in opened if i is not None):
            self.scene.lots[lot_id] = ledger_repo.get_lot(self.scene.session, lot_id)


def declare_goods(scene: Scene) -> None:
    """Every story, in the order that gives the README's lots their ids."""
    if scene.money_days is None:
        return  # before the regime, or past the rate table: nothing can be declared yet
    first, second = scene.enterprises()
    _first_enterprise(Story(scene, first, "DCL-A"), buyer=second)
    _second_enterprise(Story(scene, second, "DCL-B"))
    _institution(Story(scene, scene.institution(), "DCL-I"))


def _first_enterprise(story: Story, *, buyer: Party) -> None:
    """Enterprise A: research goods in by hand and by port, bonded goods, and all they become."""
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [
            story.entered(catalogue.MICROSCOPE, "1"),
            story.entered(catalogue.MONOGRAPHS, "12"),
            story.entered(catalogue.PCR_KITS, "40"),
        ],
        days_ago=18,
        point=CHANNEL_1,
        hand_carried=True,
    )
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [story.entered(catalogue.SPECTROMETER, "1"), story.entered(catalogue.CENTRIFUGE, "2")],
        days_ago=16,
        point=HUANGGANG,
    )
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [story.entered(catalogue.OSCILLOSCOPE, "6", bonded=True)],
        days_ago=15,
        point=HUANGGANG,
    )
    lot = story.scene.lot
    monographs, kits = lot("DCL-A-0001", 2), lot("DCL-A-0001", 3)
    centrifuges, oscilloscopes = lot("DCL-A-0002", 2), lot("DCL-A-0003")
    # A sale to enterprise B: an ordinary transfer, so the exempt goods repay taxes (R8).
    story.declare(
        Kind.IN_ZONE_TRANSFER,
        [story.drawn(centrifuges, "1")],
        days_ago=14,
        to_party_id=buyer.id,
        transfer_reason="ordinary",
    )
    # To the mainland site: exempt and bonded goods are taxed as imports (R7).
    story.declare(
        Kind.SECOND_LINE_EXIT,
        [story.drawn(kits, "6"), story.drawn(oscilloscopes, "2")],
        days_ago=8,
        point=SECOND_LINE,
    )
    story.declare(
        Kind.RESEARCH_CONSUMPTION,
        [story.drawn(kits, "10", release_on_application=True)],
        days_ago=6,
    )
    product = catalogue.PROTOTYPE_ASSAY
    story.declare(
        Kind.TRANSFORMATION,
        [story.drawn(kits, "4")],
        days_ago=5,
        product={
            "hs_code": product.hs_code,
            "description": product.description,
            "quantity": Decimal(20),
            "unit": product.unit,
            "customs_value": product.value_of(Decimal(20)),
            "currency": product.currency,
            "origin": product.origin,
            "goods_kind": product.goods_kind,
        },
    )
    story.declare(
        Kind.DESTRUCTION,
        [story.drawn(kits, "2")],
        days_ago=4,
        reason="Two kits past their expiry date, destroyed under customs supervision.",
    )
    story.declare(
        Kind.STOCKTAKE_ADJUSTMENT,
        [story.drawn(monographs, "-1")],
        days_ago=3,
        reason="The quarterly stocktake counted 11 copies against 12 in the ledger.",
    )
    # One oscilloscope goes back to the Hong Kong supplier: bonded goods leave untaxed.
    story.declare(
        Kind.FIRST_LINE_EXIT, [story.drawn(oscilloscopes, "1")], days_ago=2, point=HUANGGANG
    )
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [story.entered(catalogue.PCR_KITS, "30")],
        days_ago=1,
        point=CHANNEL_1,
        hand_carried=True,
        state=State.REFUSED,
        refusal="The invoice names 30 kits, the packing list 20; lodge it again with both.",
    )
    story.declare(
        Kind.SECOND_LINE_EXIT,
        [story.drawn(story.scene.lot("DCL-A-0007"), "5")],
        days_ago=0,
        point=SECOND_LINE,
        state=State.SUBMITTED,
    )


def _second_enterprise(story: Story) -> None:
    """Enterprise B: instruments duty-free, domestic goods, dutiable solvent, carried kits."""
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [
            story.entered(catalogue.MASS_SPECTROMETER, "1"),
            story.entered(catalogue.CHROMATOGRAPH, "1"),
        ],
        days_ago=17,
        point=HUANGGANG,
    )
    story.declare(
        Kind.SECOND_LINE_ENTRY,
        [story.entered(catalogue.WORKSTATION, "4", claimed=False)],
        days_ago=12,
        point=SECOND_LINE,
    )
    # Solvent is not among the research goods the enterprise claims: it pays the taxes.
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [story.entered(catalogue.ETHANOL, "20", claimed=False)],
        days_ago=10,
        point=HUANGGANG,
    )
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [story.entered(catalogue.PCR_KITS, "12")],
        days_ago=9,
        point=CHANNEL_1,
        hand_carried=True,
    )
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [story.entered(catalogue.PCR_KITS, "10")],
        days_ago=1,
        point=CHANNEL_1,
        hand_carried=True,
        state=State.ACCEPTED,
    )
    story.declare(
        Kind.SECOND_LINE_EXIT,
        [story.drawn(story.scene.lot("DCL-B-0001", 2), "1")],
        days_ago=0,
        point=SECOND_LINE,
        state=State.SUBMITTED,
    )


def _institution(story: Story) -> None:
    """The institution: large equipment in by the port; one autoclave awaits clearance out."""
    story.declare(
        Kind.FIRST_LINE_ENTRY,
        [
            story.entered(catalogue.ELECTRON_MICROSCOPE, "1"),
            story.entered(catalogue.AUTOCLAVE, "2"),
        ],
        days_ago=19,
        point=HUANGGANG,
    )
    story.declare(
        Kind.SECOND_LINE_EXIT,
        [story.drawn(story.scene.lot("DCL-I-0001", 2), "1")],
        days_ago=1,
        point=SECOND_LINE,
        state=State.ACCEPTED,
    )
