"""Read zone profiles from TOML; each problem names the file, the key and the rule."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from hetao.errors import ConfigurationError, FieldProblem
from hetao.profiles.schema import ZoneProfile

BUILTIN_DIR = Path(__file__).resolve().parent
_BARE_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")

_MESSAGES = {
    # Pydantic's wording names a Python concept; say what it means in a profile.
    "extra_forbidden": "unknown key: it is not part of the zone profile schema",
    "missing": "required key is missing",
}


def available_profiles() -> list[str]:
    """Names of the profiles shipped with the platform."""
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.toml"))


def builtin_path(name: str) -> Path:
    """Where the built-in profile ``name`` lives (it may not exist)."""
    return BUILTIN_DIR / f"{name}.toml"


def load_profile(name_or_path: str) -> ZoneProfile:
    """Load a built-in profile by bare name (``hetao``) or any profile file by path."""
    if _BARE_NAME.fullmatch(name_or_path):
        path = builtin_path(name_or_path)
        if not path.is_file():
            known = ", ".join(available_profiles())
            raise _error(
                path,
                [
                    FieldProblem(
                        "profile",
                        "unknown_profile",
                        f"no built-in profile {name_or_path!r}; available: {known}",
                    )
                ],
            )
    else:
        path = Path(name_or_path).expanduser().resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        problem = FieldProblem("profile", "file_unreadable", exc.strerror or str(exc))
        raise _error(path, [problem]) from None
    # The modification time is part of the key so an edited file is read again.
    return _load(path, stat.st_mtime_ns, stat.st_size)


def clear_cache() -> None:
    """Forget every loaded profile (tests and reloads)."""
    _load.cache_clear()


@functools.lru_cache(maxsize=32)
def _load(path: Path, mtime_ns: int, size: int) -> ZoneProfile:
    del mtime_ns, size  # cache key only
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise _error(path, [FieldProblem("(toml)", "toml_syntax", str(exc))]) from None
    except UnicodeDecodeError as exc:
        raise _error(path, [FieldProblem("(toml)", "utf8_required", str(exc))]) from None
    except OSError as exc:
        problem = FieldProblem("profile", "file_unreadable", exc.strerror or str(exc))
        raise _error(path, [problem]) from None
    try:
        return ZoneProfile.model_validate(document)
    except ValidationError as exc:
        raise _error(path, _problems(exc)) from None


def _problems(exc: ValidationError) -> list[FieldProblem]:
    problems = []
    for error in exc.errors():
        context = error.get("ctx") or {}
        at = context.get("at", ())
        rule = error["type"]
        message = _MESSAGES.get(rule, error["msg"])
        problems.append(FieldProblem(dotted_key((*error["loc"], *at)), rule, message))
    return problems


def dotted_key(loc: Sequence[str | int]) -> str:
    """Render a location as ``tax.vat_standard_rate`` or ``crossing_points[2].code``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(root)"


def _error(path: Path, problems: list[FieldProblem]) -> ConfigurationError:
    listed = "; ".join(f"{p.field}: {p.message} [{p.rule}]" for p in problems)
    noun = "problem" if len(problems) == 1 else "problems"
    return ConfigurationError(
        f"{path}: invalid zone profile, {len(problems)} {noun}: {listed}", problems=problems
    )
