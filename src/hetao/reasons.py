"""One shape for every reason a domain gives, and the catalogues its codes come from.

A reason is ``{code, rule, params, text: {en, zh-Hant, zh-Hans}}``: a stable code, the regime
rule it applies ("R39", or None), the values its texts are rendered with, and the texts. Each
domain registers its catalogue once, at import (``register``); a code belongs to one domain
and never changes meaning once shipped: stored records and clients match on it.

A parameter is a plain value (an int is shown with thousands separators) or a text per
language. ``Reason.from_stored`` reads a stored reason of this shape and of the shapes stored
before it: a bare code (fund transfers), ``{code, message}`` (channel batches, English only)
and ``{code, en, zh_hant, zh_hans}`` (data routes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from string import Formatter
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, Field

LANGUAGES = ("en", "zh-Hant", "zh-Hans")
Language = Literal["en", "zh-Hant", "zh-Hans"]

Param = str | int | Mapping[str, str]
"""A value a text is rendered with: plain, or one per language (keys of ``LANGUAGES``)."""


def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` fields of a text ("" for a bare ``{}``)."""
    return frozenset(name for _, name, _, _ in Formatter().parse(text) if name is not None)


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value[lang])
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@dataclass(frozen=True, slots=True)
class Template:
    """One catalogue entry: the rule a code applies and its text in each language."""

    rule: str | None
    en: str
    zh_hant: str
    zh_hans: str

    def texts(self) -> dict[str, str]:
        """The unrendered texts, keyed by language."""
        return {"en": self.en, "zh-Hant": self.zh_hant, "zh-Hans": self.zh_hans}

    @property
    def placeholders(self) -> frozenset[str]:
        """The parameters any of the three texts names."""
        return placeholders(self.en) | placeholders(self.zh_hant) | placeholders(self.zh_hans)

    def render(self, params: Mapping[str, Any], /) -> dict[str, str]:
        """The text in each language with ``params`` filled in; a missing one is a KeyError."""
        return {
            lang: text.format_map({k: _shown(v, lang) for k, v in params.items()})
            for lang, text in self.texts().items()
        }


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: a stable code, the rule it applies, the values of its texts, the texts."""

    code: str
    rule: str | None
    params: Mapping[str, Param] = field(default_factory=dict)
    text: Mapping[str, str] = field(default_factory=dict)
    """Keys "en", "zh-Hant", "zh-Hans"."""

    def as_json(self) -> dict[str, Any]:
        """The stored and served shape."""
        return {
            "code": self.code,
            "rule": self.rule,
            "params": {
                k: v if isinstance(v, str | int) else dict(v) for k, v in self.params.items()
            },
            "text": dict(self.text),
        }

    @classmethod
    def from_stored(cls, stored: object) -> Reason:
        """A reason as stored now, or in one of the shapes stored before (module docstring)."""
        if isinstance(stored, str):
            code = _FORMERLY.get(stored, stored)
            entry = _REGISTERED.get(code)
            if entry is None or entry[1].placeholders:
                return cls(code, None if entry is None else entry[1].rule, {}, _same(code))
            return cls(code, entry[1].rule, {}, entry[1].render({}))
        if not isinstance(stored, Mapping) or not isinstance(stored.get("code"), str):
            raise ValueError(f"not a stored reason: {stored!r}")
        code = stored["code"]
        if "text" in stored:
            return cls(code, stored.get("rule"), dict(stored.get("params") or {}), stored["text"])
        entry = _REGISTERED.get(code)
        rule = None if entry is None else entry[1].rule
        if "message" in stored:  # channel batches: English only, values inside the message
            return cls(code, rule, {}, _same(str(stored["message"])))
        text = {"en": stored["en"], "zh-Hant": stored["zh_hant"], "zh-Hans": stored["zh_hans"]}
        return cls(code, rule, {}, text)


def _same(text: str) -> dict[str, str]:
    return dict.fromkeys(LANGUAGES, text)


def stored_reasons(stored: Iterable[object] | None) -> list[Reason]:
    """The reasons of a stored JSON list (None reads as none)."""
    return [Reason.from_stored(item) for item in stored or ()]


class ReasonRecordOut(BaseModel):
    """A reason as the API serves it."""

    code: str
    rule: str | None = Field(description='The regime rule it applies, e.g. "R39", or null')
    params: dict[str, str | int | dict[str, str]] = Field(
        description="The values the texts are rendered with"
    )
    text: dict[Language, str] = Field(description="Keys en, zh-Hant, zh-Hans")

    @classmethod
    def of(cls, reason: Reason) -> ReasonRecordOut:
        return cls.model_validate(reason.as_json())


# --- catalogues ------------------------------------------------------------------------------

_REGISTERED: dict[str, tuple[str, Template]] = {}
"""code -> (domain, template), over every domain."""
_FORMERLY: dict[str, str] = {}
"""A code stored before it was renamed -> its code now."""


class CodeTaken(ValueError):
    """A domain registered a code another domain (or another template) already has."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The reason codes of one domain."""

    domain: str
    templates: Mapping[str, Template]

    def reason(self, code: str, /, **params: Param) -> Reason:
        """The reason ``code`` rendered with ``params``; each placeholder must be given."""
        template = self.templates[code]
        missing = template.placeholders - params.keys()
        if missing:
            raise ValueError(f"reason {code} needs {', '.join(sorted(missing))}")
        return Reason(code, template.rule, params, template.render(params))


def register(
    domain: str, templates: Mapping[str, Template], *, formerly: Mapping[str, str] | None = None
) -> Catalogue:
    """Add a domain's codes to the shared catalogue; ``formerly``: old code -> its code now.

    Registering the same code again with the same domain and template is allowed (a module
    imported twice); anything else is a ``CodeTaken``.
    """
    for code, template in templates.items():
        known = _REGISTERED.get(code)
        if known is not None and known != (domain, template):
            raise CodeTaken(f"reason code {code!r} of {domain} is already {known[0]}'s")
    for old, new in (formerly or {}).items():
        if new not in templates or old in templates:
            raise ValueError(f"{domain}: {old!r} cannot be renamed to {new!r}")
    _REGISTERED.update({code: (domain, template) for code, template in templates.items()})
    _FORMERLY.update(formerly or {})
    return Catalogue(domain, MappingProxyType(dict(templates)))


def registered() -> Mapping[str, tuple[str, Template]]:
    """Every registered code -> (domain, template)."""
    return MappingProxyType(_REGISTERED)


__all__ = [
    "LANGUAGES",
    "Catalogue",
    "CodeTaken",
    "Language",
    "Param",
    "Reason",
    "ReasonRecordOut",
    "Template",
    "placeholders",
    "register",
    "registered",
    "stored_reasons",
]
