"""Traditional and Simplified Chinese spellings of one text, so a search finds a name in either.

An officer in Hong Kong types 黃美玲 and one on the mainland types 黄美玲; the registry holds the
name as the application wrote it. ``spellings`` gives a query's other spellings, so a search can
look for each. The table (``data/zh_traditional_simplified.csv``) pairs each traditional
character, and each Hong Kong variant, with its simplified form. It comes from OpenCC's
character dictionaries; ``data/README.md`` says how it was made.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib.resources import files

#: At most this many spellings of one query: each becomes a pattern of the search.
SPELLINGS_LIMIT = 16


@functools.cache
def _tables() -> tuple[dict[int, str], dict[str, tuple[str, ...]]]:
    """The fold (character -> simplified) for ``str.translate``, and each simplified
    character's spellings: itself first, then the characters that fold to it."""
    text = files("hetao.reference").joinpath("data", "zh_traditional_simplified.csv")
    rows = csv.DictReader(io.StringIO(text.read_text(encoding="utf-8")))
    fold: dict[int, str] = {}
    others: dict[str, list[str]] = {}
    for row in rows:
        fold[ord(row["traditional"])] = row["simplified"]
        others.setdefault(row["simplified"], []).append(row["traditional"])
    return fold, {simple: (simple, *forms) for simple, forms in others.items()}


def simplified(text: str) -> str:
    """``text`` with every traditional character (or Hong Kong variant) in its simplified form."""
    return text.translate(_tables()[0])


def spellings(text: str, *, limit: int = SPELLINGS_LIMIT) -> list[str]:
    """``text`` first, then its other spellings in the two scripts, at most ``limit`` in all.

    A text with no character of the table has only itself. Otherwise the list holds the
    simplified form, the form with each character's first traditional spelling, and that form
    with one character in another traditional spelling (发: 發 and 髮). A name is written in
    one script, so spellings that mix the two are not searched: each costs a pattern.
    """
    fold, variants = _tables()
    folded = text.translate(fold)
    choices = [variants.get(character, (character,)) for character in folded]
    if all(len(options) == 1 for options in choices) and folded == text:
        return [text]
    traditional = "".join(options[1] if len(options) > 1 else options[0] for options in choices)
    found = dict.fromkeys([text, folded, traditional])
    for index, options in enumerate(choices):
        for other in options[2:]:
            if len(found) >= limit:
                return list(found)
            found.setdefault(traditional[:index] + other + traditional[index + 1 :])
    return list(found)[:limit]
