"""Process settings, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path(os.environ.get("HETAO_DATA_DIR", "var"))


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the database is and which zone profile governs it."""

    database_url: str
    profile: str

    @classmethod
    def from_env(cls) -> Settings:
        default_db = f"sqlite:///{(DEFAULT_DATA_DIR / 'hetao.sqlite3').as_posix()}"
        return cls(
            database_url=os.environ.get("HETAO_DATABASE_URL", default_db),
            profile=os.environ.get("HETAO_PROFILE", "hetao"),
        )
