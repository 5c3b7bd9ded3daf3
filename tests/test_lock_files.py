"""The lock files pin what pyproject asks for, and the environment the tests run in is theirs."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s\\;]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def declared(extra: str | None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    return {canonicalize_name(Requirement(line).name) for line in wanted}


@pytest.mark.parametrize(("lock", "extra"), [("runtime", None), ("dev", "dev")])
def test_every_declared_dependency_is_pinned_with_hashes(lock: str, extra: str | None) -> None:
    pinned = pins(lock)
    assert declared(extra) - set(pinned) == set()
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    # Every pin carries its hashes: pip then refuses any file it was not locked to.
    assert text.count("==") == len(pinned)
    assert text.count("--hash=sha256:") >= len(pinned)


def test_the_runtime_pins_are_the_dev_pins() -> None:
    dev = pins("dev")
    assert {name: dev.get(name) for name in pins("runtime")} == pins("runtime")


def test_the_environment_running_the_tests_is_the_locked_one() -> None:
    installed = {name: metadata.version(name) for name in pins("dev") if _installed(name)}
    assert installed == {
        name: version for name, version in pins("dev").items() if name in installed
    }
    assert len(installed) == len(pins("dev"))


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True
