"""Checks of the plain values the ledger's verbs take, and what makes two calls the same request."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from json.encoder import encode_basestring_ascii
from typing import Any

from hetao.errors import ValidationFailed
from hetao.inputs import decimal_fault, text_fault
from hetao.ledger.models import CustomsStatus
from hetao.profiles import ZoneProfile
from hetao.reference.countries import check_country
from hetao.reference.currencies import check_currency
from hetao.reference.hs import check_hs_code

#: Client keys: 1-128 visible ASCII characters; "#" is kept for the legs the ledger derives.
KEY_MAX_LENGTH = 128
DERIVED_KEY_MARK = "#"
#: SQLite stores thousandths in a signed 64-bit integer; this bound keeps both databases alike.
MAX_QUANTITY = Decimal("1e15")
QUANTUM = Decimal("0.001")
FEN = Decimal("0.01")
#: Amounts the service takes from Python callers (the API's schemas keep below 10^15).
MAX_MONEY = Decimal("1e16")
#: Declaration references and the reasons given for a movement.
REF_MAX_LENGTH = 64
REASON_MAX_LENGTH = 2000


def check_quantity(value: Decimal, *, field: str = "quantity", signed: bool = False) -> Decimal:
    """A quantity in thousandths at most, not zero; positive unless ``signed``."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationFailed.single(field, "quantity.decimal", "must be a Decimal, not a float")
    amount = value if type(value) is Decimal else Decimal(value)
    # decimal_fault's checks in its order, written out to quantize once (a batch checks
    # thousands): finite, then below the bound, then at most thousandths.
    if not amount.is_finite() or amount == 0 or (amount < 0 and not signed):
        rule = "quantity.not_zero" if signed else "quantity.positive"
        raise ValidationFailed.single(field, rule, f"{value} is not allowed here")
    if abs(amount) >= MAX_QUANTITY:
        raise ValidationFailed.single(field, "quantity.max", f"must be below {MAX_QUANTITY:,f}")
    quantized = amount.quantize(QUANTUM)
    if quantized != amount:
        raise ValidationFailed.single(field, "quantity.places", "has more than 3 decimal places")
    return quantized


def check_money(value: Decimal, *, field: str = "customs_value") -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValidationFailed.single(field, "money.decimal", "must be a Decimal, not a float")
    amount = Decimal(value)
    if decimal_fault(amount, below=MAX_MONEY, places=2) is not None or amount < 0:
        raise ValidationFailed.single(
            field, "money.format", f"{value} must be 0 or more with at most 2 decimals"
        )
    return amount.quantize(FEN)


def check_text(
    value: str | None, *, field: str, max_length: int, required: bool = True
) -> str | None:
    cleaned = value.strip() if isinstance(value, str) else None
    if not cleaned:
        if required:
            raise ValidationFailed.single(field, "text.required", "must not be empty")
        return None
    if len(cleaned) > max_length:
        raise ValidationFailed.single(
            field, "text.max_length", f"must be at most {max_length} characters"
        )
    fault = text_fault(cleaned)
    if fault is not None:
        raise ValidationFailed.single(field, *fault)
    return cleaned


def check_required(value: str, *, field: str, max_length: int) -> str:
    checked = check_text(value, field=field, max_length=max_length)
    return checked or ""  # never empty: _text raises when a required value is missing


def check_key(key: str) -> str:
    # Printable ASCII without the space is exactly 33-126 (str methods: a batch checks thousands).
    if (
        not isinstance(key, str)
        or not 0 < len(key) <= KEY_MAX_LENGTH
        or not (key.isascii() and key.isprintable())
        or " " in key
        or DERIVED_KEY_MARK in key
    ):
        raise ValidationFailed.single(
            "idempotency_key",
            "idempotency.key_format",
            f"must be 1-{KEY_MAX_LENGTH} visible ASCII characters without '{DERIVED_KEY_MARK}'",
        )
    return key


def check_instant(value: dt.datetime, *, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValidationFailed.single(field, "instant.timezone", "must carry a time zone")
    return value


def check_status(value: CustomsStatus | str) -> CustomsStatus:
    try:
        return CustomsStatus(value)
    except ValueError:
        allowed = ", ".join(CustomsStatus)
        raise ValidationFailed.single(
            "customs_status", "ledger.customs_status", f"must be one of: {allowed}"
        ) from None


def check_goods_kind(value: str, profile: ZoneProfile) -> str:
    kinds = {str(k) for k in profile.whitelist.waiver_goods_kinds}
    if value not in kinds:
        raise ValidationFailed.single(
            "goods_kind", "profile.waiver_goods_kind", f"must be one of: {', '.join(sorted(kinds))}"
        )
    return value


@dataclass(frozen=True, slots=True)
class Goods:
    """The checked description of the goods of a new lot."""

    hs_code: str
    description: str
    unit: str
    origin: str
    goods_kind: str
    customs_value: Decimal
    currency: str


def check_goods(
    *,
    hs_code: str,
    description: str,
    unit: str,
    origin: str,
    goods_kind: str,
    customs_value: Decimal,
    currency: str,
    profile: ZoneProfile,
) -> Goods:
    return Goods(
        hs_code=check_hs_code(hs_code),
        description=check_required(description, field="description", max_length=500),
        unit=check_required(unit, field="unit", max_length=16),
        origin=check_country(origin, field="origin"),
        goods_kind=check_goods_kind(goods_kind, profile),
        customs_value=check_money(customs_value),
        currency=check_currency(currency),
    )


# --- idempotency -------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()  # one instant, one form, whatever zone
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


_REQUEST_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def hash_request(operation: str, **arguments: Any) -> str:
    """What makes two calls 'the same request': the verb and every argument but the actor."""
    body = {"operation": operation, **{k: _plain(v) for k, v in arguments.items()}}
    return hashlib.sha256(_REQUEST_ENCODER.encode(body).encode()).hexdigest()


def _json_text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def hash_movement_request(
    operation: str, *, lot: int, quantity: Decimal, declaration_ref: str | None, reason: str | None
) -> str:
    """``hash_request`` of a one-lot movement, its JSON written out (a batch hashes thousands;
    a test holds the two equal)."""
    body = (
        f'{{"declaration_ref":{_json_text(declaration_ref)},"lot":{int(lot)},'
        f'"operation":{encode_basestring_ascii(operation)},"quantity":"{quantity:f}",'
        f'"reason":{_json_text(reason)}}}'
    )
    return hashlib.sha256(body.encode()).hexdigest()


def check_ref(value: str | None) -> str | None:
    """An optional declaration reference."""
    return check_text(value, field="declaration_ref", max_length=REF_MAX_LENGTH, required=False)


def check_reason(value: str | None, *, required: bool = False) -> str | None:
    """The reason given for a movement or hold; some verbs require one (R28)."""
    return check_text(value, field="reason", max_length=REASON_MAX_LENGTH, required=required)
