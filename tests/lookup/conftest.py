"""Fixtures of the lookup's tests: officers are real users, made with cheap password hashing."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Officers are real users; argon2 at full cost would dominate these tests."""
