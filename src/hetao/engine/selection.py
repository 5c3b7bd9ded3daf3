"""Selection: lanes from the risk score, a reproducible random draw, and the cap per period.

The draw is HMAC-SHA256(seed, event id) read as a fraction in [0, 1): anyone holding the stored
seed and the event id gets the same number, so an auditor can check a random selection.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hetao.profiles.schema import SelectionLane, SelectionSection

DRAW_PLACES = 18
_SCALE: int = 10**DRAW_PLACES
_BLOCK = 64  # SHA-256 block size in bytes


@dataclass(slots=True)
class Draw:
    """The reproducible random draw: HMAC-SHA256(seed, event_id) mapped to [0, 1).

    Not frozen: one is made per released crossing and a frozen dataclass is slower to build.
    Treat it as a value all the same.
    """

    seed_hex: str
    value: str
    """Decimal string with 18 places, rounded down so it stays below 1."""
    threshold: str
    """The lane's minimum random inspection rate."""
    selected: bool
    """Whether ``value < threshold``; a selection may still be skipped at the cap."""


@functools.lru_cache(maxsize=16)
def _keyed(seed: bytes) -> tuple[Any, Any, str]:
    """The HMAC's keyed inner and outer hash states, and the seed in hex, once per seed.

    RFC 2104 with the keyed states hashed once: equal to hmac.digest(seed, msg, "sha256")
    (tested), and cheaper per draw.
    """
    key = hashlib.sha256(seed).digest() if len(seed) > _BLOCK else seed
    key = key.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer, seed.hex()


def hmac_sha256(seed: bytes, message: bytes) -> bytes:
    """HMAC-SHA256(seed, message)."""
    inner_base, outer_base, _ = _keyed(seed)
    inner = inner_base.copy()
    inner.update(message)
    outer = outer_base.copy()
    outer.update(inner.digest())
    digest: bytes = outer.digest()
    return digest


def _numerator(seed: bytes, event_id: str) -> int:
    """floor(HMAC-SHA256(seed, event_id)[:8] / 2**64 * 10**18): the draw in units of 1e-18."""
    digest = hmac_sha256(seed, event_id.encode("utf-8"))
    # Integer arithmetic, so the value is exact and the same on every platform.
    return int.from_bytes(digest[:8], "big") * _SCALE >> 64


def draw_value(seed: bytes, event_id: str) -> Decimal:
    """HMAC-SHA256(seed, event_id) as a decimal fraction in [0, 1), exact to 18 places."""
    return Decimal(_numerator(seed, event_id)).scaleb(-DRAW_PLACES)


def threshold(rate: Decimal) -> tuple[int, str]:
    """A rate in units of 1e-18 (rounded up, so never below it) and as written."""
    return int((rate * _SCALE).to_integral_value(rounding="ROUND_CEILING")), str(rate)


def draw_units(seed: bytes, event_id: str, units: int, written: str) -> Draw:
    """Draw for one event against a rate already converted by ``threshold``."""
    # hmac_sha256 and _numerator inlined: this runs for every released crossing.
    inner, outer, seed_hex = _keyed(seed)
    inner = inner.copy()
    inner.update(event_id.encode("utf-8"))
    outer = outer.copy()
    outer.update(inner.digest())
    numerator = int.from_bytes(outer.digest()[:8], "big") * _SCALE >> 64
    return Draw(seed_hex, f"0.{numerator:018d}", written, numerator < units)


def draw(seed: bytes, event_id: str, rate: Decimal) -> Draw:
    """Draw for one event against ``rate``."""
    return draw_units(seed, event_id, *threshold(rate))


def lane_for(section: SelectionSection, score: int) -> SelectionLane:
    """The lane a risk score falls in."""
    return section.lane_for(score)


def period_start(occurred_at: dt.datetime, section: SelectionSection) -> dt.datetime:
    """Start of the selection period holding ``occurred_at``: periods align to the UTC epoch."""
    seconds = section.cap.period_minutes * 60
    epoch = int(occurred_at.astimezone(dt.UTC).timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, dt.UTC)


def cap_reached(section: SelectionSection, inspections_in_period: int) -> bool:
    """Whether the point already had as many inspections as the period allows."""
    return inspections_in_period >= section.cap.max_inspections


__all__ = [
    "DRAW_PLACES",
    "Draw",
    "cap_reached",
    "draw",
    "draw_units",
    "draw_value",
    "hmac_sha256",
    "lane_for",
    "period_start",
    "threshold",
]
