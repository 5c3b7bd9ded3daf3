"""The pages' languages: message catalogues (.po, read with Babel), the choice, locale formats.

Templates and views name keys (``t("login.title")``); each language's texts sit in
``locales/<lang>/LC_MESSAGES/<area>.po``, one file per area of the console so that areas grow
apart. The language of a request is chosen once, by ``choose_language``, and held in a context
variable for the request: the user's saved choice (carried in a cookie from sign-in), else the
browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from babel import Locale, dates, numbers
from babel.messages.pofile import read_po
from fastapi import Request, Response

from hetao.api.auth import cookie_is_secure
from hetao.profiles import LocalizedText
from hetao.reasons import Language

LOCALES = Path(__file__).parent / "locales"

#: BCP 47 tag -> the catalogue folder (gettext spells scripts with an underscore).
CATALOGUE_FOLDER: Mapping[Language, str] = MappingProxyType(
    {"en": "en", "zh-Hant": "zh_Hant", "zh-Hans": "zh_Hans"}
)
#: The CLDR locale each language formats with: the zone's neighbours, Hong Kong and Shenzhen.
FORMAT_LOCALE: Mapping[Language, Locale] = MappingProxyType(
    {
        "en": Locale.parse("en_GB"),
        "zh-Hant": Locale.parse("zh_Hant_HK"),
        "zh-Hans": Locale.parse("zh_Hans_CN"),
    }
)
DEFAULT_LANGUAGE: Language = "en"
#: The console's languages, in the order the switch shows them (those of ``hetao.reasons``).
LANGUAGES: tuple[Language, ...] = ("en", "zh-Hant", "zh-Hans")
#: The cookie that carries the choice between requests (and across signing out).
LANGUAGE_COOKIE = "hetao_lang"


def _read_catalogue(language: Language) -> dict[str, str]:
    """Every message of ``language``, by key, from all its area files."""
    messages: dict[str, str] = {}
    folder = LOCALES / CATALOGUE_FOLDER[language] / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=CATALOGUE_FOLDER[language])
        for message in catalogue:
            if not message.id:
                continue  # the header
            key = str(message.id)
            if key in messages:
                raise ValueError(f"{path}: key {key!r} is already in another file")
            messages[key] = str(message.string)
    return messages


#: language -> key -> text. Loaded once at import: a broken catalogue stops the start.
MESSAGES: Mapping[Language, Mapping[str, str]] = MappingProxyType(
    {language: MappingProxyType(_read_catalogue(language)) for language in LANGUAGES}
)

_current: ContextVar[Language] = ContextVar("hetao_page_language", default=DEFAULT_LANGUAGE)


def current_language() -> Language:
    """The language of the page being rendered."""
    return _current.get()


@contextmanager
def language(chosen: Language) -> Iterator[None]:
    """Render in ``chosen`` inside the block (a request, a test)."""
    token = _current.set(chosen)
    try:
        yield
    finally:
        _current.reset(token)


def set_language(chosen: Language) -> None:
    """Render in ``chosen`` for the rest of this context (the page route sets it per request)."""
    _current.set(chosen)


def as_language(value: str | None) -> Language | None:
    """``value`` if it names one of the console's languages (any case), else None."""
    if not value:
        return None
    for tag in LANGUAGES:
        if value.strip().lower() == tag.lower():
            return tag
    return None


def negotiate(accept_language: str | None) -> Language:
    """The best of our languages for an ``Accept-Language`` header (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, Language]] = []
    for position, item in enumerate((accept_language or "")[:1000].split(",")):
        tag, _, parameters = item.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        found = _language_of_tag(tag.strip().lower())
        if found is not None and quality > 0:
            ranked.append((-quality, position, found))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def _language_of_tag(tag: str) -> Language | None:
    """Map a browser's tag: zh-TW, zh-HK and zh-MO read Traditional; other zh, Simplified."""
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag == "zh" or tag.startswith("zh-"):
        traditional = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
        return "zh-Hant" if tag.startswith(traditional) else "zh-Hans"
    return None


def choose_language(cookie: str | None, accept_language: str | None) -> Language:
    """The saved choice if there is one, else what the browser asks for."""
    return as_language(cookie) or negotiate(accept_language)


def t(key: str, **params: object) -> str:
    """The text for ``key`` in the page's language, with ``{params}`` filled in.

    An unknown key raises KeyError: the catalogue test finds it before a user does.
    """
    text = MESSAGES[current_language()][key]
    return text.format(**params) if params else text


def has_text(key: str) -> bool:
    """Whether the catalogues hold ``key`` (for keys made from a value, such as a state)."""
    return key in MESSAGES[DEFAULT_LANGUAGE]


def label(prefix: str, value: object) -> str:
    """The name of an enum value or code, from ``prefix.value``; the value itself if unnamed."""
    key = f"{prefix}.{value}"
    return t(key) if has_text(key) else str(value)


def localized(text: LocalizedText) -> str:
    """A profile's localised name in the page's language."""
    return {"en": text.en, "zh-Hant": text.zh_hant, "zh-Hans": text.zh_hans}[current_language()]


def in_language(texts: Mapping[str, str]) -> str:
    """One of ``{en, zh-Hant, zh-Hans}`` texts (a reason's, an HS heading's) for the page."""
    return texts.get(current_language()) or texts.get(DEFAULT_LANGUAGE) or ""


def role_name(role: str) -> str:
    """A role's display name."""
    return t(f"role.{role}")


# Locale formats. Instants are shown in UTC, as the footer says; the zone's day is a date.


def format_instant(value: dt.datetime | str) -> str:
    """An instant as a medium date and time in UTC, for the page's locale."""
    instant = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    utc = instant.astimezone(dt.UTC)
    return dates.format_datetime(
        utc, format="medium", tzinfo=dt.UTC, locale=FORMAT_LOCALE[current_language()]
    )


def format_day(value: dt.date) -> str:
    """A calendar day in the page's locale (2 Dec 2026, 2026年12月2日)."""
    return dates.format_date(value, format="medium", locale=FORMAT_LOCALE[current_language()])


def format_number(value: int | Decimal | float) -> str:
    """A number with the locale's grouping and decimal signs, every given digit kept."""
    return numbers.format_decimal(
        value, locale=FORMAT_LOCALE[current_language()], decimal_quantization=False
    )


def format_money(amount: Decimal, currency: str = "CNY") -> str:
    """An amount in ``currency`` with its symbol, to the currency's minor unit (the fen)."""
    return numbers.format_currency(amount, currency, locale=FORMAT_LOCALE[current_language()])


#: A language choice is kept in the browser for a year (and with the user, for good).
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def remember_language(request: Request, response: Response, chosen: str) -> None:
    """The cookie that carries the choice in this browser (read by ``choose_language``)."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        max_age=LANGUAGE_COOKIE_SECONDS,
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="lax",
        path="/",
    )
