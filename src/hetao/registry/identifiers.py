"""Identifiers of parties and persons, checked by their published format and check rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import assert_never

# Both sides of the boundary keep UTC+8, so "today" for a birth date is the zone's today.
_ZONE_TZ = timezone(timedelta(hours=8))


# The name is the registry's published API (schemas, plates), so it keeps no Error suffix.
class InvalidIdentifier(ValueError):
    """An identifier breaks its published format or check rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class DocumentKind(StrEnum):
    """Identity documents a person can be registered with."""

    MAINLAND_RESIDENT_ID = "mainland_resident_id"
    """Mainland resident identity card; its number has 18 characters (GB 11643-1999)."""

    HK_IDENTITY_CARD = "hk_identity_card"
    """Hong Kong identity card: one or two letters, six digits and a check digit."""

    MAINLAND_TRAVEL_PERMIT_HK_MACAO = "mainland_travel_permit_hk_macao"
    """Mainland Travel Permit for Hong Kong and Macao Residents (港澳居民来往内地通行证)."""

    PASSPORT = "passport"
    """Any passport; its number is checked against the MRZ when one is given (ICAO 9303)."""


def boundary_today() -> date:
    """Today's date on both sides of the boundary (UTC+8)."""
    return datetime.now(_ZONE_TZ).date()


# --- GB 32100-2015: unified social credit code ------------------------------------------------

# The code set leaves out I, O, Z, S and V so they cannot be misread as 1, 0, 2, 5 and U.
_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {char: value for value, char in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_USCC_CHAR = "[0-9A-HJ-NPQRTUWXY]"
# Positions 3-8 are the registering authority's administrative division code (GB/T 2260).
_USCC_FIRST17 = re.compile(rf"{_USCC_CHAR}{{2}}[0-9]{{6}}{_USCC_CHAR}{{9}}")


def _uscc_format_problem(code: str, length: int) -> str | None:
    if len(code) != length:
        return f"has {len(code)} characters, expected {length}"
    for position, char in enumerate(code, start=1):
        if char not in _USCC_VALUE:
            return (
                f"has {char!r} at position {position}; only digits and capital letters "
                "other than I, O, Z, S and V are used"
            )
    if not _USCC_FIRST17.fullmatch(code[:17]):
        return f"positions 3-8 must be the 6-digit division code, got {code[2:8]!r}"
    return None


def uscc_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC."""
    problem = _uscc_format_problem(first17, 17)
    if problem is not None:
        raise InvalidIdentifier("GB32100-2015.format", f"USCC body {first17!r} {problem}")
    total = sum(
        _USCC_VALUE[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True)
    )
    return _USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(value: str) -> str:
    """Return the unified social credit code normalised, or raise InvalidIdentifier."""
    code = value.strip().upper()
    problem = _uscc_format_problem(code, 18)
    if problem is not None:
        raise InvalidIdentifier("GB32100-2015.format", f"USCC {code!r} {problem}")
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier(
            "GB32100-2015.check_character",
            f"USCC {code!r}: check character is {code[17]!r}, expected {expected!r}",
        )
    return code


# --- GB 11643-1999: citizen identification number ---------------------------------------------

_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]")
# ISO 7064 MOD 11-2: the weight of position i (1-based, check digit = 1) is 2^(i-1) mod 11.
_RESIDENT_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def resident_id_check_digit(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check digit (0-9 or X) for 17 digits of a resident ID."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise InvalidIdentifier(
            "GB11643-1999.format", f"resident ID body {first17!r} is not 17 digits"
        )
    total = sum(
        int(char) * weight for char, weight in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True)
    )
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def check_resident_id(value: str) -> str:
    """Return the 18-character resident ID number normalised, or raise InvalidIdentifier."""
    number = value.strip().upper()
    if len(number) != 18:
        raise InvalidIdentifier(
            "GB11643-1999.format",
            f"resident ID {number!r} has {len(number)} characters, expected 18",
        )
    if not _RESIDENT_ID.fullmatch(number):
        raise InvalidIdentifier(
            "GB11643-1999.format",
            f"resident ID {number!r} is not 17 digits followed by a digit or X",
        )
    birth = number[6:14]
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        raise InvalidIdentifier(
            "GB11643-1999.birth_date",
            f"resident ID {number!r}: birth date {birth!r} is not a calendar date (YYYYMMDD)",
        ) from None
    if born > boundary_today():
        raise InvalidIdentifier(
            "GB11643-1999.birth_date",
            f"resident ID {number!r}: birth date {born.isoformat()} is in the future",
        )
    expected = resident_id_check_digit(number[:17])
    if number[17] != expected:
        raise InvalidIdentifier(
            "GB11643-1999.check_digit",
            f"resident ID {number!r}: check digit is {number[17]!r}, expected {expected!r}",
        )
    return number


# --- Hong Kong identity card ------------------------------------------------------------------

_HKID = re.compile(r"([A-Z]{1,2})([0-9]{6})(?:\(([0-9A])\)|([0-9A]))")


def _hkid_value(char: str) -> int:
    # A single-letter prefix is read as a space before the letter, which counts 36.
    return 36 if char == " " else ord(char) - ord("A") + 10


def hkid_check_digit(prefix: str, digits: str) -> str:
    """Return the HKID check digit (0-9 or A) for a one- or two-letter prefix and six digits."""
    if not re.fullmatch(r"[A-Z]{1,2}", prefix) or not re.fullmatch(r"[0-9]{6}", digits):
        raise InvalidIdentifier(
            "HKID.format",
            f"HKID prefix {prefix!r} and digits {digits!r} are not 1-2 capital letters and "
            "6 digits",
        )
    padded = prefix.rjust(2)
    total = _hkid_value(padded[0]) * 9 + _hkid_value(padded[1]) * 8
    total += sum(int(char) * weight for char, weight in zip(digits, range(7, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def check_hkid(value: str) -> str:
    """Return the HKID in canonical form, e.g. "A123456(3)", or raise InvalidIdentifier."""
    compact = "".join(value.split()).upper()
    match = _HKID.fullmatch(compact)
    if match is None:
        raise InvalidIdentifier(
            "HKID.format",
            f"HKID {value.strip()!r} is not one or two letters, six digits and a check digit "
            "(0-9 or A), e.g. A123456(3)",
        )
    prefix, digits, bracketed, bare = match.groups()
    given = bracketed or bare
    expected = hkid_check_digit(prefix, digits)
    if given != expected:
        raise InvalidIdentifier(
            "HKID.check_digit",
            f"HKID {prefix}{digits}({given}): check digit is {given!r}, expected {expected!r}",
        )
    return f"{prefix}{digits}({expected})"


# --- Hong Kong business registration number ---------------------------------------------------


def check_hk_br(value: str) -> str:
    """Return the 8-digit BR number; the IRD publishes no check digit, so only the format."""
    # The IRD (and the OECD TIN sheet for Hong Kong) define the BR number only as the first
    # 8 digits of the certificate number 99999999-XXX-XX-XX-X; no check rule is published.
    number = value.strip()
    if not re.fullmatch(r"[0-9]{8}", number):
        raise InvalidIdentifier(
            "HKBR.format",
            f"BR number {number!r} is not 8 digits; give the first 8 digits of the "
            "Business Registration Certificate number",
        )
    return number


# --- Mainland Travel Permit for Hong Kong and Macao Residents ---------------------------------

# H (Hong Kong) or M (Macao) and the 8-digit lifelong number: the card issued since 2013.
# The 1999-2012 card added 2 digits counting renewals (MPS number rules, published 2010).
# HA/MA and 7 digits: the permit for non-Chinese permanent residents, issued since July 2024.
_TRAVEL_PERMIT = re.compile(r"[HM][0-9]{8}|[HM][0-9]{10}|[HM]A[0-9]{7}")


def check_travel_permit_hk_macao(value: str) -> str:
    """Return the travel permit number normalised, or raise InvalidIdentifier."""
    number = value.strip().upper()
    if not _TRAVEL_PERMIT.fullmatch(number):
        raise InvalidIdentifier(
            "MTP-HKM.format",
            f"travel permit number {number!r} is not H or M followed by 8 digits (card since "
            "2013) or 10 digits (1999-2012 card), nor HA or MA followed by 7 digits "
            "(non-Chinese permanent residents)",
        )
    return number


# --- ICAO Doc 9303: passport machine readable zone (TD3) --------------------------------------


@dataclass(frozen=True, slots=True)
class MrzTd3:
    """The holder and document data read from a passport's two-line MRZ (ICAO 9303 TD3)."""

    document_number: str
    issuing_state: str
    nationality: str
    surname: str
    given_names: str
    birth_date: date
    #: "F", "M", or "X" where the MRZ leaves sex unspecified ("<").
    sex: str
    expiry_date: date


_MRZ_LINE = re.compile(r"[A-Z0-9<]{44}")
_MRZ_STATE = re.compile(r"[A-Z][A-Z<]{2}")
_MRZ_WEIGHTS = (7, 3, 1)


def _mrz_value(char: str) -> int:
    if char == "<":
        return 0
    if char.isdigit():
        return int(char)
    return ord(char) - ord("A") + 10


def mrz_check_digit(field: str) -> str:
    """Return the ICAO 9303 check digit (weights 7, 3, 1; mod 10) of an MRZ field."""
    if not re.fullmatch(r"[A-Z0-9<]*", field):
        raise InvalidIdentifier(
            "ICAO9303.format",
            f"MRZ field {field!r} may hold only capital letters, digits and '<'",
        )
    total = sum(_mrz_value(char) * _MRZ_WEIGHTS[i % 3] for i, char in enumerate(field))
    return str(total % 10)


def _mrz_date(text: str, what: str, *, today: date, birth: bool) -> date:
    rule = f"ICAO9303.{what}"
    try:
        month, day = int(text[2:4]), int(text[4:6])
        year = 2000 + int(text[:2])
        # YYMMDD carries no century: a birth date is the latest one not after today, an
        # expiry date the one within 50 years of today (passports run 10 years at most).
        if birth:
            if date(year, month, day) > today:
                year -= 100
        elif year > today.year + 50:
            year -= 100
        return date(year, month, day)
    except ValueError:
        raise InvalidIdentifier(
            rule,
            f"MRZ {what.replace('_', ' ')} {text!r} is not a calendar date (YYMMDD); "
            "unknown dates written with '<' are not supported",
        ) from None


def _mrz_name(field: str) -> tuple[str, str]:
    def words(part: str) -> str:
        return " ".join(part.replace("<", " ").split())

    # "<<" separates the primary identifier (surname) from the secondary (given names).
    primary, _, secondary = field.partition("<<")
    return words(primary), words(secondary)


def check_mrz_td3(line1: str, line2: str, *, today: date | None = None) -> MrzTd3:
    """Return the data of a valid passport MRZ after checking every check digit."""
    upper, lower = line1.strip().upper(), line2.strip().upper()
    for number, line in ((1, upper), (2, lower)):
        if not _MRZ_LINE.fullmatch(line):
            raise InvalidIdentifier(
                "ICAO9303.format",
                f"MRZ line {number} has {len(line)} characters; a passport MRZ line is 44 "
                "capital letters, digits and '<'",
            )
    if upper[0] != "P":
        raise InvalidIdentifier(
            "ICAO9303.format", f"MRZ document code is {upper[:2]!r}; a passport's starts with P"
        )
    if not _MRZ_STATE.fullmatch(upper[2:5]) or not _MRZ_STATE.fullmatch(lower[10:13]):
        raise InvalidIdentifier(
            "ICAO9303.format",
            f"issuing state {upper[2:5]!r} and nationality {lower[10:13]!r} must be "
            "three-letter codes padded with '<'",
        )
    surname, given_names = _mrz_name(upper[5:44])
    if not surname:
        raise InvalidIdentifier("ICAO9303.format", "MRZ name field has no primary identifier")
    if lower[20] not in "FM<":
        raise InvalidIdentifier(
            "ICAO9303.format", f"MRZ sex is {lower[20]!r}; expected F, M or '<' (unspecified)"
        )
    document_number = lower[0:9].rstrip("<")
    if not document_number:
        raise InvalidIdentifier("ICAO9303.format", "MRZ document number is empty")

    optional_data = lower[28:42]
    checks = (
        ("document_number", lower[0:9], lower[9]),
        ("birth_date", lower[13:19], lower[19]),
        ("expiry_date", lower[21:27], lower[27]),
        ("optional_data", optional_data, lower[42]),
        ("composite", lower[0:10] + lower[13:20] + lower[21:43], lower[43]),
    )
    for name, field, given in checks:
        expected = mrz_check_digit(field)
        # An unused optional data field may carry '<' instead of its check digit 0.
        if name == "optional_data" and given == "<" and optional_data == "<" * 14:
            continue
        if given != expected:
            raise InvalidIdentifier(
                f"ICAO9303.check_digit.{name}",
                f"MRZ {name.replace('_', ' ')} check digit is {given!r}, expected {expected!r}",
            )

    today = today or boundary_today()
    return MrzTd3(
        document_number=document_number,
        issuing_state=upper[2:5].rstrip("<"),
        nationality=lower[10:13].rstrip("<"),
        surname=surname,
        given_names=given_names,
        birth_date=_mrz_date(lower[13:19], "birth_date", today=today, birth=True),
        sex="X" if lower[20] == "<" else lower[20],
        expiry_date=_mrz_date(lower[21:27], "expiry_date", today=today, birth=False),
    )


# Up to 9 characters, as the MRZ document number field holds; '<' stands for a special character.
_PASSPORT_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9<]{0,8}")


def check_passport_number(value: str, *, mrz: tuple[str, str] | None = None) -> str:
    """Return the passport number normalised; with an MRZ, require it to match the MRZ."""
    number = value.strip().upper()
    if not _PASSPORT_NUMBER.fullmatch(number):
        raise InvalidIdentifier(
            "ICAO9303.document_number.format",
            f"passport number {number!r} is not 1-9 capital letters, digits or '<' "
            "starting with a letter or digit",
        )
    # Trailing '<' are MRZ padding, not part of the number.
    number = number.rstrip("<")
    if mrz is not None:
        read = check_mrz_td3(*mrz)
        if read.document_number != number:
            raise InvalidIdentifier(
                "ICAO9303.document_number.mismatch",
                f"passport number {number!r} does not match the MRZ document number "
                f"{read.document_number!r}",
            )
    return number


def check_document(kind: DocumentKind, number: str, *, mrz: tuple[str, str] | None = None) -> str:
    """Check an identity document number by the rule of its kind and return it normalised."""
    if mrz is not None and kind is not DocumentKind.PASSPORT:
        raise InvalidIdentifier(
            "ICAO9303.mrz_passport_only", f"an MRZ is accepted for passports only, not a {kind}"
        )
    if kind is DocumentKind.MAINLAND_RESIDENT_ID:
        return check_resident_id(number)
    if kind is DocumentKind.HK_IDENTITY_CARD:
        return check_hkid(number)
    if kind is DocumentKind.MAINLAND_TRAVEL_PERMIT_HK_MACAO:
        return check_travel_permit_hk_macao(number)
    if kind is DocumentKind.PASSPORT:
        return check_passport_number(number, mrz=mrz)
    assert_never(kind)
