"""The HS 2022 nomenclature: look codes up and check declared tariff codes against it."""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Literal

from hetao.errors import ValidationFailed

_SEPARATORS = re.compile(r"[.\s]")
_DIGITS = re.compile(r"[0-9]+")
_LENGTHS = (2, 4, 6, 8, 10)
_LEVEL_NAMES = {2: "chapter", 4: "heading", 6: "subheading"}


@dataclass(frozen=True, slots=True)
class HsEntry:
    """One chapter (2 digits), heading (4) or subheading (6) of HS 2022."""

    code: str
    description: str
    parent: str | None
    level: int
    section: str


@dataclass(frozen=True, slots=True)
class HsSection:
    """One of the 21 sections, by Roman numeral."""

    numeral: str
    name: str


def _read(name: str) -> list[dict[str, str]]:
    # utf-8-sig: the sections file starts with a byte-order mark.
    text = files("hetao.reference").joinpath("data", name).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@functools.cache
def _entries() -> dict[str, HsEntry]:
    entries: dict[str, HsEntry] = {}
    for row in _read("hs2022.csv"):
        # TOTAL rows (and chapter 99) are UN Comtrade reporting codes, not the nomenclature.
        if row["section"] == "TOTAL":
            continue
        parent = row["parent"] if row["parent"] != "TOTAL" else None
        entries[row["hscode"]] = HsEntry(
            code=row["hscode"],
            description=row["description"].strip(),
            parent=parent,
            level=int(row["level"]),
            section=row["section"],
        )
    return entries


@functools.cache
def _sections() -> dict[str, HsSection]:
    return {
        row["section"]: HsSection(row["section"], row["name"].strip())
        for row in _read("hs2022_sections.csv")
    }


#: The two scripts of the Chinese titles: Simplified (the tariff's own) and Traditional (Hong Kong).
Script = Literal["zh-Hans", "zh-Hant"]
_COLUMNS: dict[Script, str] = {"zh-Hans": "zh_hans", "zh-Hant": "zh_hant"}


@functools.cache
def _titles_zh() -> dict[str, dict[Script, str]]:
    """Chinese titles of the sections (by Roman numeral) and chapters (by 2 digits), read once.

    Titles of sections and chapters only: headings and subheadings have no Chinese text here.
    """
    return {
        row["code"]: {script: row[column].strip() for script, column in _COLUMNS.items()}
        for row in _read("hs2022_titles_zh.csv")
    }


def title_zh(code: str, script: Script) -> str | None:
    """The Chinese title of a section (Roman numeral) or chapter (2 digits) in ``script``."""
    titles = _titles_zh().get(code)
    return titles[script] if titles else None


def _digits(code: str) -> str:
    # Declarations often write 8471.30.00 or 8471 30 00; the stored form is digits only.
    return _SEPARATORS.sub("", code) if isinstance(code, str) else ""


def lookup(code: str) -> HsEntry | None:
    """The chapter, heading or subheading with exactly this code, if HS 2022 has it."""
    return _entries().get(_digits(code))


def check_hs_code(code: str, *, field: str = "hs_code") -> str:
    """Return ``code`` as digits if it is an HS 2022 code or a national line extending one."""
    digits = _digits(code)
    if not _DIGITS.fullmatch(digits) or len(digits) not in _LENGTHS:
        raise ValidationFailed.single(
            field, "hs2022.format", f"{code!r} must be 2, 4, 6, 8 or 10 digits"
        )
    known = _entries()
    if len(digits) < 6:
        level = _LEVEL_NAMES[len(digits)]
        if digits not in known:
            raise ValidationFailed.single(
                field, f"hs2022.unknown_{level}", f"{level} {digits} is not in HS 2022"
            )
        return digits
    subheading = digits[:6]
    entry = known.get(subheading)
    if entry is None or entry.level != 6:
        raise ValidationFailed.single(
            field,
            "hs2022.unknown_subheading",
            f"subheading {subheading} is not in HS 2022"
            + (f" (from {digits})" if len(digits) > 6 else ""),
        )
    return digits


def chapter_of(code: str, *, field: str = "hs_code") -> HsEntry:
    """The chapter of a valid code (checked first)."""
    return _entries()[check_hs_code(code, field=field)[:2]]


def _entry_of_length(code: str, length: int, *, field: str, rule: str, shorter: str) -> HsEntry:
    """The entry of a valid code's first ``length`` digits; a shorter code is ``rule``."""
    digits = check_hs_code(code, field=field)
    if len(digits) < length:
        raise ValidationFailed.single(field, rule, f"{digits} {shorter}")
    return _entries()[digits[:length]]


def heading_of(code: str, *, field: str = "hs_code") -> HsEntry:
    """The heading of a valid code of 4 digits or more (checked first)."""
    return _entry_of_length(
        code, 4, field=field, rule="hs2022.heading_required", shorter="is a chapter, not a heading"
    )


def subheading_of(code: str, *, field: str = "hs_code") -> HsEntry:
    """The 6-digit subheading of a valid code of 6 digits or more (checked first)."""
    return _entry_of_length(
        code, 6, field=field, rule="hs2022.subheading_required", shorter="is not a subheading"
    )


def section_of(code: str, *, field: str = "hs_code") -> HsSection:
    """The section (Roman numeral and name) of a valid code (checked first)."""
    return _sections()[chapter_of(code, field=field).section]


# --- search by code or words ------------------------------------------------------------------

_WORD = re.compile(r"\w+")
#: A page shows this many matches at most (a word as common as "other" matches thousands).
SEARCH_LIMIT = 50


@functools.cache
def _word_index() -> dict[str, frozenset[str]]:
    """Each lower-case word of the descriptions with the codes that use it, built once."""
    index: dict[str, set[str]] = {}
    for entry in _entries().values():
        for word in _WORD.findall(entry.description.casefold()):
            index.setdefault(word, set()).add(entry.code)
    return {word: frozenset(codes) for word, codes in index.items()}


#: Chinese characters (CJK unified ideographs, their extensions and compatibility forms).
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
#: Chinese words are separated by spaces or by the titles' own punctuation.
_ZH_SEPARATORS = re.compile(r"[\s、，,；;：:（）()「」“”]+")


@functools.cache
def _chapters_zh() -> tuple[tuple[HsEntry, tuple[str, ...], tuple[HsEntry, ...]], ...]:
    """Each chapter with its Chinese titles (both scripts) and its headings, built once."""
    entries = _entries()
    headings: dict[str, list[HsEntry]] = {}
    for entry in sorted(entries.values(), key=lambda e: e.code):
        if entry.level == 4:
            headings.setdefault(entry.code[:2], []).append(entry)
    return tuple(
        (entries[code], tuple(titles.values()), tuple(headings.get(code, ())))
        for code, titles in sorted(_titles_zh().items())
        if code in entries
    )


def _codes_having(words: list[str]) -> set[str]:
    """Codes whose English description has every word at the start of one of its words."""
    index = _word_index()
    codes: set[str] | None = None
    for word in words:
        having = set().union(*(c for w, c in index.items() if w.startswith(word)))
        codes = having if codes is None else codes & having
        if not codes:
            return set()
    return codes or set()


def _search_zh(text: str, limit: int) -> list[HsEntry]:
    """Chapters whose Chinese title (either script) has every Chinese word, and their headings.

    Chapters come first, one whose title is exactly the words typed before the others, then
    the headings of those chapters in the same order. Words without Chinese characters narrow
    these to the entries whose English description has them, as the English search does.
    """
    words = [w for w in _ZH_SEPARATORS.split(text.casefold()) if w]
    chinese = [w for w in words if _CJK.search(w)]
    other = [w for part in words if not _CJK.search(part) for w in _WORD.findall(part)]
    typed = "".join(chinese)
    found = sorted(
        (typed not in titles, chapter.code, chapter, headings)
        for chapter, titles, headings in _chapters_zh()
        if all(any(word in title for title in titles) for word in chinese)
    )
    ranked = [match[2] for match in found] + [h for *_, headings in found for h in headings]
    if other:
        codes = _codes_having(other)
        ranked = [entry for entry in ranked if entry.code in codes]
    return ranked[:limit]


def search(query: str, *, limit: int = SEARCH_LIMIT) -> list[HsEntry]:
    """Entries whose code starts with the digits typed, or whose description has every word.

    A word matches the start of a description's word ("reagent" finds "reagents"); codes are
    matched as typed with or without dots and spaces. Chapters first, then headings, then
    subheadings, each in code order. A query with Chinese characters (Simplified or Traditional)
    is matched against the chapters' Chinese titles instead (``_search_zh``): below chapter
    level the nomenclature has no Chinese text.
    """
    text = query.strip()
    if not text:
        return []
    if _CJK.search(text):
        return _search_zh(text, limit)
    entries = _entries()
    digits = _digits(text)
    if _DIGITS.fullmatch(digits):
        found = [e for code, e in entries.items() if code.startswith(digits)]
        return sorted(found, key=lambda e: (e.level, e.code))[:limit]
    words = _WORD.findall(text.casefold())
    if not words:
        return []
    matches = [entries[code] for code in _codes_having(words)]
    return sorted(matches, key=lambda e: (e.level, e.code))[:limit]
