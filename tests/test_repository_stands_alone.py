"""The repository stands alone: nothing points outside it, and docs/regime.md covers every rule.

Whoever clones the repository has only the repository. A path into the workspace it was written
in, or into a shared folder beside it, is a dead link for them; a rule named in the code (``R6``)
must be explained in docs/regime.md, with the modules and tests that docs/regime.md names still
existing.
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

from hetao.engine.reasons import CATALOGUE
from hetao.profiles.loader import load_profile
from hetao.profiles.schema import ZoneProfile
from hetao.profiles.values import MISSING_KEY as MISSING
from hetao.profiles.values import resolve_key

ROOT = Path(__file__).resolve().parent.parent
REGIME = ROOT / "docs" / "regime.md"

# Built from pieces so this file does not match its own patterns.
OUTSIDE = re.compile(
    "|".join(
        (
            re.escape(".." + "/shared"),  # the folder beside the repository
            re.escape("/" + "work/"),  # the workspace the repository was written in
            r"(?<![\w./-])shared" + r"/(?:domain|seeds|data|hooks)/",  # its sub-folders
            re.escape("REGIME" + ".md"),  # the outside rule file; ours is docs/regime.md
            re.escape("DESIGN" + ".md"),  # the outside design brief
        )
    )
)
RULE = re.compile(r"\bR([0-9]{1,2})\b")
#: A rule documented in docs/regime.md: a heading "### R6: ..." or a list entry "- R12: ...".
DOCUMENTED = re.compile(r"^(?:#{2,6}[ \t]+|[ \t]*[-*][ \t]+)R([0-9]{1,2})\b", re.MULTILINE)
#: A backticked test node id: `tests/x.py`, `tests/x.py::Class`, `tests/x.py::Class::test`.
NODE = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)*)`")
#: A backticked dotted name under hetao, e.g. `ledger.service.admit`.
DOTTED = re.compile(r"`([a-z_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")


@cache
def repository_files() -> tuple[Path, ...]:
    """Tracked files, and new files not ignored (so a file is checked before its first commit)."""
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(  # noqa: S603 - git, found on PATH, with fixed arguments
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return tuple(ROOT / name for name in sorted(set(listed.split("\0"))) if name)


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file or one deleted from the work tree."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def rules_named_in(*folders: str) -> dict[int, str]:
    """Each rule number used in files under ``folders``, with the first place that uses it."""
    found: dict[int, str] = {}
    for path in repository_files():
        relative = path.relative_to(ROOT)
        if relative.parts[0] not in folders:
            continue
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            for match in RULE.finditer(line):
                found.setdefault(int(match.group(1)), f"{relative}:{number}")
    return found


def test_no_file_names_a_path_outside_the_repository() -> None:
    offending = []
    for path in repository_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                offending.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert offending == [], "point at docs/regime.md or the official source instead:\n" + "\n".join(
        offending
    )


def test_every_rule_the_code_and_tests_name_is_documented() -> None:
    documented = {int(n) for n in DOCUMENTED.findall(REGIME.read_text(encoding="utf-8"))}
    named = rules_named_in("src", "tests")
    missing = {f"R{n}": where for n, where in sorted(named.items()) if n not in documented}
    assert missing == {}, "add these rules to docs/regime.md (first use shown)"


def test_the_rules_the_code_names_are_there_to_be_checked() -> None:
    # Guards the scan above: if it found nothing, the previous test would pass vacuously.
    assert {1, 6, 13, 33, 40} <= set(rules_named_in("src"))


@cache
def defined_in(path: Path) -> frozenset[str]:
    """``Class`` and ``Class::test`` and ``test`` names defined in a test module."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
    return frozenset(names)


def test_every_test_the_regime_document_cites_exists() -> None:
    missing = []
    for file, rest in NODE.findall(REGIME.read_text(encoding="utf-8")):
        path = ROOT / file
        if not path.is_file():
            missing.append(file)
        elif rest and rest.removeprefix("::") not in defined_in(path):
            missing.append(file + rest)
    assert missing == []


def resolve(dotted: str) -> bool | None:
    """Whether ``package.module.attribute...`` under hetao exists; None if it names no module.

    `tax.assess` and profile keys such as `tax.de_minimis_cny` share a first name with a
    package, so only a name that continues into a module file (`tax.compute...`) is checked.
    """
    parts = dotted.split(".")
    cut = next(
        (
            n
            for n in range(len(parts), 1, -1)
            if (ROOT / "src" / "hetao" / Path(*parts[:n])).with_suffix(".py").is_file()
        ),
        None,
    )
    if cut is None:
        # A name the package itself exports, such as `tax.assess`.
        package = ROOT / "src" / "hetao" / parts[0] / "__init__.py"
        if len(parts) == 2 and package.is_file():
            exported = importlib.import_module("hetao." + parts[0])
            return True if hasattr(exported, parts[1]) else None
        return None
    target: object = importlib.import_module("hetao." + ".".join(parts[:cut]))
    for name in parts[cut:]:
        if not hasattr(target, name):
            return False
        target = getattr(target, name)
    return True


def test_every_module_and_function_the_regime_document_cites_exists() -> None:
    text = REGIME.read_text(encoding="utf-8")
    cited = sorted(set(DOTTED.findall(text)))
    missing = [name for name in cited if resolve(name) is False]
    checked = [name for name in cited if resolve(name) is True]
    assert missing == []
    assert len(checked) > 40, checked


def test_every_profile_key_the_regime_document_cites_exists() -> None:
    profiles = [load_profile("hetao"), load_profile("hengqin"), load_profile("hainan")]
    sections = set(ZoneProfile.model_fields)
    reason_codes = set(CATALOGUE)
    cited = sorted(
        name
        for name in set(DOTTED.findall(REGIME.read_text(encoding="utf-8")))
        if name.split(".")[0] in sections and resolve(name) is None and name not in reason_codes
    )
    missing = [key for key in cited if all(resolve_key(p, key) is MISSING for p in profiles)]
    assert missing == []
    assert len(cited) > 30, cited
