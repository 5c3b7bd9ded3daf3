"""What the application keeps for its lifetime, made when the application is made."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp

from hetao.api.denials import RefusalSummaries
from hetao.api.lastuse import LastUseWrites
from hetao.audit.service import CheckpointPolicy
from hetao.auth.ratelimit import Limiter
from hetao.profiles import ZoneProfile
from hetao.reference.rates import RateTable
from hetao.reference.tariff import Tariff
from hetao.storage.groupcommit import GroupCommitter


@dataclass(eq=False, kw_only=True, slots=True)
class AppState:
    """The long-lived objects of one application; ``create_app`` installs it as ``app.state``.

    Objects of the domains above ``hetao.api`` (the credential key, the crossing committer) are
    typed loosely here and narrowed where they are read, so this layer does not import them.
    """

    profile: ZoneProfile
    engine: Engine
    session_factory: sessionmaker[Session]
    #: Sessions for requests that only read (on SQLite their transactions begin DEFERRED).
    read_session_factory: sessionmaker[Session]
    #: Whether reads run in the event loop's thread (hetao.api.routing.run_read).
    reads_inline: bool
    last_use_writes: LastUseWrites
    #: Where signed audit checkpoints are exported.
    checkpoint_dir: Path
    #: When and with which key the app's sessions sign checkpoints, and where they go.
    checkpoint_policy: CheckpointPolicy
    cookies_secure: bool
    #: HMAC key of idempotency fingerprints.
    fingerprint_key: bytes
    #: Timers that write on their own (refusal summaries, the replay purge); off where the
    #: application shares one connection with a test that owns it.
    background_work: bool = True
    refusals: RefusalSummaries
    #: None: no rate limit (tests that must not be throttled).
    rate_limiter: Limiter | None
    #: The committer of crossing decisions (hetao.crossing.api.crossing_recorder).
    crossing_recorder: GroupCommitter[Any, Any]
    #: The hetao.credentials.tokens.SigningKey of zone credentials.
    credential_signing_key: object
    #: The server's secret behind each crossing's random selection draw.
    crossing_seed_key: bytes
    #: The key files that must stay readable for the app to be ready (hetao.api.observability).
    key_files: tuple[Path, ...] = ()
    #: Operator-imported reference tables; None: the shipped SAMPLE table.
    rates: RateTable | None = None
    tariff: Tariff | None = None


def app_state(source: HTTPConnection | ASGIApp) -> AppState:
    """The state of the application ``source`` is, or of the one serving the request ``source``."""
    if isinstance(source, HTTPConnection):
        state = source.app.state
    elif isinstance(source, Starlette):
        state = source.state
    else:
        raise TypeError(f"{source!r} is neither a request nor an application")
    if not isinstance(state, AppState):
        raise TypeError("the application was not made by hetao.app.create_app")
    return state
