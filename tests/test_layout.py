"""The house's layout rules that import-linter cannot see (docs/decisions/0010-one-house.md).

Statements are built only where storage is: a repository (``repository.py``, or a module of a
``repository`` package) or the storage package. No module outside the migrations grows past
700 lines: a room that large holds more than one idea.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "hetao"
MAX_LINES = 700
#: A SELECT built with SQLAlchemy, or a driver statement.
STATEMENT = re.compile(r"\bselect\(|\bDriver(Query|Insert|Write)\b")


def _modules() -> list[Path]:
    return sorted(path for path in SOURCE.rglob("*.py") if "migrations" not in path.parts)


def _is_storage(path: Path) -> bool:
    parts = path.relative_to(SOURCE).parts
    return parts[0] == "storage" or path.stem == "repository" or "repository" in parts[:-1]


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(SOURCE)))
def test_module_is_a_room_not_a_wing(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SOURCE)} has {lines} lines"


def test_statements_are_built_only_in_repositories_and_storage() -> None:
    found = [
        f"{path.relative_to(SOURCE)}:{number}: {line.strip()}"
        for path in _modules()
        if not _is_storage(path)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if STATEMENT.search(line)
    ]
    assert not found, "statements outside repositories and storage:\n" + "\n".join(found)
