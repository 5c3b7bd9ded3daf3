"""How the console shows a crossing: who or what crossed by name, the lane's name, and the
fragments the event stream pushes (a console's row, a kiosk's panel), rendered as pages are."""

from __future__ import annotations

from typing import Any

from hetao.crossing.repository import ConsoleRow
from hetao.engine.facts import SubjectType
from hetao.profiles import ZoneProfile
from hetao.reasons import Language
from hetao.web.i18n import LANGUAGES, MESSAGES, current_language, language, localized, t
from hetao.web.rendering import ENV

#: The fragments a stream may push, by the view that asked for them.
FRAGMENTS = {"console": "crossing/_live_row.html", "kiosk": "crossing/_kiosk_panel.html"}


def subject_name(row: ConsoleRow) -> str:
    """Who or what crossed, by name in the page's language; "not in the registry" otherwise."""
    chinese = current_language() != "en"
    party = (row.party_name_zh if chinese and row.party_name_zh else row.party_name_en) or None
    if row.subject_type is SubjectType.VEHICLE and row.plate:
        return f"{row.plate} · {party}" if party else row.plate
    if row.subject_type is SubjectType.PERSON and row.person_family_name:
        if chinese and row.person_name_zh:
            return row.person_name_zh
        return f"{row.person_given_name} {row.person_family_name}"
    return party or t("crossing.subject.unknown")


def lane_name(profile: ZoneProfile, lane: str) -> str:
    """A lane's name in the page's language (its code when the profile no longer has it)."""
    found = next((item for item in profile.selection.lanes if item.name == lane), None)
    return localized(found.label) if found else lane


def point_name(profile: ZoneProfile, code: str) -> str:
    """A crossing point's name in the page's language (its code when unknown)."""
    point = profile.crossing_point(code)
    return localized(point.name) if point else code


def presenters(profile: ZoneProfile) -> dict[str, Any]:
    """The functions the console's templates call on a row."""
    return {
        "subject_name": subject_name,
        "lane_name": lambda lane: lane_name(profile, lane),
        "point_name": lambda code: point_name(profile, code),
    }


def kiosk_texts(profile: ZoneProfile, row: ConsoleRow | None) -> list[dict[str, str]]:
    """The kiosk's words in each of the three languages at once: a gate screen is read by
    travellers of every language. No names: the screen is public."""
    texts: list[dict[str, str]] = []
    for lang in LANGUAGES:
        messages = MESSAGES[lang]
        with language(lang):
            texts.append(
                {
                    "lang": lang,
                    "outcome": messages[f"crossing.outcome.{row.outcome}"]
                    if row
                    else messages["crossing.kiosk.waiting"],
                    "instruction": messages[f"crossing.kiosk.instruction.{row.outcome}"]
                    if row
                    else "",
                    "lane": lane_name(profile, row.lane) if row else "",
                    "lane_caption": messages["crossing.field.lane"],
                }
            )
    return texts


def fragment(row: ConsoleRow, *, view: str, lang: Language, root: str, profile: ZoneProfile) -> str:
    """The HTML a stream pushes for ``row``: autoescaped like any page, in ``lang``."""
    with language(lang):
        return ENV.get_template(FRAGMENTS[view]).render(
            lang=lang,
            row=row,
            kiosk=kiosk_texts(profile, row),
            url=lambda path: f"{root.rstrip('/')}{path}",
            **presenters(profile),
        )
