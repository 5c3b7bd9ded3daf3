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
    #: Mark the session cookie Secure (HTTPS only). Off only for plain-HTTP loopback demos.
    cookies_secure: bool = True
    #: Requests per second each principal (or anonymous address) may make, and its burst.
    rate_per_second: float = 200.0
    rate_burst: int = 400
    #: Redis that keeps the rate limits of every worker and machine; None: each process its own.
    redis_url: str | None = None

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
            cookies_secure=os.environ.get("HETAO_COOKIES_SECURE", "true").lower() != "false",
            rate_per_second=float(os.environ.get("HETAO_RATE_PER_SECOND", "200")),
            rate_burst=int(os.environ.get("HETAO_RATE_BURST", "400")),
            redis_url=os.environ.get("HETAO_REDIS_URL") or None,
        )

    def resolve(self, path: str | Path) -> Path:
        """A path from configuration: relative ones are inside the data directory."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.data_dir / candidate
