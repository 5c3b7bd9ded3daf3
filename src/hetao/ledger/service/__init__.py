"""Ledger services: one function per verb, plain values in, model objects out.

Services never commit: the caller's unit of work does, and a failure anywhere rolls the whole
request back. Lots are opened in ``lots``, goods leave or are corrected in ``movements`` (many
at once in ``batches``), and reserved for inspection in ``holds``; ``postings`` is how each of
them writes and ``checks`` checks their plain values. The package names the verbs for its callers.
"""

from hetao.ledger.service.batches import MovementOrder, post_movements
from hetao.ledger.service.checks import MAX_QUANTITY, QUANTUM
from hetao.ledger.service.holds import POSTABLE_KINDS, hold, post, void, void_expired
from hetao.ledger.service.lots import (
    Transfer,
    Transformation,
    admit,
    supervision_class_of,
    transfer,
    transform,
)
from hetao.ledger.service.movements import (
    adjust,
    consume,
    destroy,
    export_first_line,
    release_second_line,
    reverse,
    withdraw,
)

__all__ = [
    "MAX_QUANTITY",
    "POSTABLE_KINDS",
    "QUANTUM",
    "MovementOrder",
    "Transfer",
    "Transformation",
    "adjust",
    "admit",
    "consume",
    "destroy",
    "export_first_line",
    "hold",
    "post",
    "post_movements",
    "release_second_line",
    "reverse",
    "supervision_class_of",
    "transfer",
    "transform",
    "void",
    "void_expired",
    "withdraw",
]
