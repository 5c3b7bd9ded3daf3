"""The one check behind the ISO code lists (countries, currencies): trimmed, upper-cased, known."""

from __future__ import annotations

from collections.abc import Container

from hetao.errors import ValidationFailed


def check_iso_code(value: str, known: Container[str], *, field: str, rule: str, what: str) -> str:
    """Return ``value`` upper-cased if it is in ``known``; otherwise one problem naming ``what``."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in known:
        raise ValidationFailed.single(field, rule, f"{value!r} is not {what}")
    return code
