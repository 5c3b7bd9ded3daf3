"""R24: the imported inputs goods leaving through the second line carry, traced on the ledger.

Where the profile taxes goods entering the mainland on their imported inputs
(``tax.second_line_exit.taxed_on = "imported_inputs"``), a line drawn from an R&D product lot is
assessed on the input lots the product was made from, through every level of products and
in-zone transfers, each share valued pro rata as the input lot was admitted. Domestic inputs
bear no import taxes and are left out. A lot that is no product leaves as it entered: it is its
own imported input, and the line carries no inputs.

With ``credit_paid_taxes``, each duty-paid input carries its share of the taxes paid on it: the
amounts of the cleared declaration line that opened its lot (the first-line entry, or the
in-zone transfer that taxed it under R8), following the lots it was split from until one was
taxed. Taxes paid outside the platform's declarations are not known here and are not credited.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.declarations import repository as declarations_repo
from hetao.declarations.models import Declaration
from hetao.ledger import repository as ledger_repo
from hetao.ledger.models import CustomsStatus, Lot
from hetao.profiles import SecondLineTaxBasis, ZoneProfile

FEN = Decimal("0.01")
#: The finest quantity the assessment takes (``hetao.tax.schemas.INPUT_PLACES``).
QUANTUM = Decimal("0.000001")
#: Products of products of ...: deeper than this is a broken ledger, not a product.
MAX_DEPTH = 64
#: The statuses whose goods are taxed when they leave, and so carry inputs (R24).
_TAXED_ON_LEAVING = frozenset({CustomsStatus.DUTY_FREE_RESEARCH, CustomsStatus.BONDED})
#: The assessed amounts of a line, by the key ``hetao.tax.TaxesPaid`` gives each.
_PAID_KEYS = {"duty": "duty", "consumption_tax": "consumption_tax", "import_vat": "vat"}


def imported_inputs(
    session: Session, declaration: Declaration, *, profile: ZoneProfile
) -> dict[int, list[dict[str, Any]]]:
    """The imported inputs of each line (by line number) that the profile taxes on its inputs;
    lines drawn from lots that are no products are absent (their own value is the basis)."""
    exit_rule = profile.tax.second_line_exit
    if exit_rule.taxed_on is not SecondLineTaxBasis.IMPORTED_INPUTS:
        return {}
    found: dict[int, list[dict[str, Any]]] = {}
    for line in declaration.lines:
        if line.lot_id is None or line.customs_status not in _TAXED_ON_LEAVING:
            continue
        lot = ledger_repo.get_lot(session, line.lot_id)
        if not ledger_repo.parents_of(session, _origin(session, lot).id):
            continue
        found[line.line_no] = [
            _input(session, leaf, quantity, credit=exit_rule.credit_paid_taxes)
            for leaf, quantity in _leaves(session, lot, abs(line.quantity), depth=0)
            if leaf.customs_status is not CustomsStatus.DOMESTIC and quantity >= QUANTUM
        ]
    return found


def _origin(session: Session, lot: Lot) -> Lot:
    """The lot whose making ``lot`` carries: itself, or what in-zone transfers split it off."""
    for _ in range(MAX_DEPTH):
        if lot.source_lot_id is None or ledger_repo.parents_of(session, lot.id):
            return lot
        lot = ledger_repo.get_lot(session, lot.source_lot_id)
    raise RecursionError(f"lot {lot.id}: transfers deeper than {MAX_DEPTH}")


def _leaves(
    session: Session, lot: Lot, quantity: Decimal, *, depth: int
) -> list[tuple[Lot, Decimal]]:
    """The input lots (no products) ``quantity`` of ``lot`` was made from, with how much of each."""
    if depth > MAX_DEPTH:
        raise RecursionError(f"lot {lot.id}: products nested deeper than {MAX_DEPTH}")
    origin = _origin(session, lot)
    parents = ledger_repo.parents_of(session, origin.id)
    if not parents:
        return [(lot, quantity)]
    leaves: list[tuple[Lot, Decimal]] = []
    for parent in parents:
        used = quantity * parent.quantity / origin.initial_quantity
        made_of = ledger_repo.get_lot(session, parent.input_lot_id)
        leaves += _leaves(session, made_of, used, depth=depth + 1)
    return leaves


def _input(session: Session, lot: Lot, quantity: Decimal, *, credit: bool) -> dict[str, Any]:
    share = quantity / lot.initial_quantity
    document: dict[str, Any] = {
        "hs_code": lot.hs_code,
        "quantity": quantity.quantize(QUANTUM, ROUND_HALF_UP),
        "unit": lot.unit.lower(),
        "customs_value": (lot.customs_value * share).quantize(FEN, ROUND_HALF_UP),
        "currency": lot.currency,
        "status": lot.customs_status.value,
    }
    if credit and lot.customs_status is CustomsStatus.DUTY_PAID:
        paid = _taxes_paid(session, lot, quantity)
        if paid:
            document["taxes_paid"] = paid
    return document


def _taxes_paid(session: Session, lot: Lot, quantity: Decimal) -> dict[str, Decimal]:
    """The share of the taxes paid on ``lot``'s goods that ``quantity`` of them carries."""
    current: Lot | None = lot
    for _ in range(MAX_DEPTH):
        if current is None:
            return {}
        found = declarations_repo.producing_line(session, current.id)
        if found is not None:
            declaration, line = found
            assessed = next(
                (
                    entry
                    for entry in (declaration.assessment or {}).get("lines", ())
                    if entry.get("index") == line.line_no - 1
                ),
                None,
            )
            if assessed is not None and assessed.get("taxed"):
                share = quantity / abs(line.quantity)
                return {
                    key: (Decimal(str(assessed[field])) * share).quantize(FEN, ROUND_HALF_UP)
                    for key, field in _PAID_KEYS.items()
                }
        source = current.source_lot_id
        current = ledger_repo.get_lot(session, source) if source is not None else None
    return {}
