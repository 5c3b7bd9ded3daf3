"""Process settings, read from the environment when asked."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    """Where the data lives and which zone profile governs it."""

    database_url: str
    profile: str
    #: Directory for the embedded database, the signing key and exported checkpoints.
    data_dir: Path = Path("var")
    #: Ed25519 key that signs audit checkpoints; created on first use (mode 0600).
    audit_signing_key: Path = Path("var/audit/signing-key.pem")

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(os.environ.get("HETAO_DATA_DIR", "var"))
        default_db = f"sqlite:///{(data_dir / 'hetao.sqlite3').as_posix()}"
        return cls(
            database_url=os.environ.get("HETAO_DATABASE_URL", default_db),
            profile=os.environ.get("HETAO_PROFILE", "hetao"),
            data_dir=data_dir,
            audit_signing_key=Path(
                os.environ.get("HETAO_AUDIT_SIGNING_KEY", data_dir / "audit" / "signing-key.pem")
            ),
        )

    def resolve(self, path: str | Path) -> Path:
        """A path from configuration: relative ones are inside the data directory."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.data_dir / candidate
