"""create_app(): the HTTP face of the platform."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool

import hetao.models  # noqa: F401 (every table on Base.metadata, whatever the routers import)
from hetao import __version__
from hetao.api import idempotency, openapi, problems
from hetao.api.audit import router as audit_router
from hetao.api.auth import router as auth_router
from hetao.api.denials import RefusalSummaries
from hetao.api.deps import ProfileDep
from hetao.api.reference import router as reference_router
from hetao.api.routing import LastUseWrites, UnitOfWorkRoute
from hetao.api.security import current_principal
from hetao.audit.service import checkpoint_policy, enable_checkpoints
from hetao.auth.ratelimit import RateLimiter
from hetao.config import Settings
from hetao.credentials.api import router as credentials_router
from hetao.crossing.api import gate_router
from hetao.crossing.api import router as crossing_router
from hetao.datatransfer.api import router as datatransfer_router
from hetao.declarations.api import router as declarations_router
from hetao.funds.api import router as funds_router
from hetao.inspections.api import router as inspections_router
from hetao.ledger.api import router as ledger_router
from hetao.profiles import ZoneProfile, load_profile
from hetao.registry.api import router as registry_router
from hetao.storage.engine import make_engine, reads_are_local, session_factory, unit_of_work
from hetao.storage.groupcommit import GroupCommitter
from hetao.storage.walcheckpoint import WalCheckpointer
from hetao.web import router as web_router

# Swagger UI's assets come from an installed package, never a CDN: zones run on closed networks.
SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"
#: The web console's own hand-written stylesheet.
CONSOLE_ASSETS = Path(__file__).parent / "static"
#: How often replay records past the retention are purged.
REPLAY_PURGE_SECONDS = 600
log = logging.getLogger("hetao.api")

DESCRIPTION = """
Split-line management for the Shenzhen Park of the Hetao Shenzhen-Hong Kong Science and
Technology Innovation Cooperation Zone (and other zones, by profile).

* **Errors** are RFC 9457 `application/problem+json`; `errors[]` names each field and the rule
  it broke.
* **Retries**: send an `Idempotency-Key` header with any POST. The same key with the same
  request returns the first response again (header `Idempotent-Replayed: true`); the same key
  with a different request is `409`.
* **Lists** are cursor-paginated: pass `next_cursor` back as `cursor`.
* **Times** are UTC (ISO 8601); validity windows are dates at the zone.
"""

system_router = APIRouter(route_class=UnitOfWorkRoute)


@system_router.get("/health", tags=["system"], summary="Liveness and the zone served")
def health(profile: ProfileDep) -> dict[str, str]:
    """Returns ok with the version and the zone profile in force."""
    return {"status": "ok", "version": __version__, "zone": profile.zone.code}


@system_router.get(
    "/profile",
    tags=["system"],
    summary="The zone profile in force",
    dependencies=[Depends(current_principal)],
)
def zone_profile(profile: ProfileDep) -> ZoneProfile:
    """The whole regime configuration the platform runs under."""
    return profile


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What exists at startup (profile, routes, models, compiled tables) lives as long as the
    # process: kept out of the collector's full passes, which otherwise stall every request
    # in flight for tens of milliseconds each time they walk it.
    gc.collect()
    gc.freeze()
    checkpointer = WalCheckpointer(app.state.engine)
    checkpointer.start()
    purger: asyncio.Task[None] | None = None
    if app.state.background_work:
        app.state.refusals.start()
        purger = asyncio.create_task(_purge_replays(app))
    yield
    if purger is not None:
        purger.cancel()
    await run_in_threadpool(app.state.refusals.stop)
    # Decisions still queued for the group committer are written before the process ends.
    recorder: GroupCommitter[Any, Any] | None = getattr(app.state, "crossing_recorder", None)
    if recorder is not None:
        await run_in_threadpool(recorder.close)
    await run_in_threadpool(checkpointer.stop)


async def _purge_replays(app: FastAPI) -> None:
    """Delete replay records past the profile's retention, at start and every ten minutes."""
    retention = dt.timedelta(hours=app.state.profile.api.replay_retention_hours)

    def purge() -> int:
        with unit_of_work(app.state.session_factory) as session:
            return idempotency.purge(session, retention=retention)

    while True:
        try:
            await run_in_threadpool(purge)
        except OperationalError as error:  # a busy database: the next turn purges
            log.warning("replay records not purged (%s)", error.orig)
        await asyncio.sleep(REPLAY_PURGE_SECONDS)


def create_app(
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    profile: ZoneProfile | None = None,
) -> FastAPI:
    """Build the application; the profile is loaded and validated before anything is served."""
    settings = settings or Settings.from_env()
    profile = profile or load_profile(settings.profile)
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(
        lifespan=_lifespan,
        title="hetao",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.profile = profile
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.read_session_factory = session_factory(engine, read_only=True)
    app.state.reads_inline = reads_are_local(engine)
    app.state.last_use_writes = LastUseWrites()
    app.state.checkpoint_dir = settings.resolve(profile.audit.checkpoint_store)
    enable_checkpoints(
        app.state.session_factory,
        checkpoint_policy(
            profile, signing_key=settings.audit_signing_key, store_dir=app.state.checkpoint_dir
        ),
    )
    app.state.cookies_secure = settings.cookies_secure
    app.state.fingerprint_key = idempotency.fingerprint_key(
        settings.resolve(idempotency.FINGERPRINT_KEY_FILE)
    )
    #: Timers that write on their own (refusal summaries, the replay purge); off where the
    #: application shares one connection with a test that owns it.
    app.state.background_work = True
    app.state.refusals = RefusalSummaries(
        lambda: app.state.session_factory, profile.api.denial_summary_seconds
    )
    app.state.rate_limiter = RateLimiter(settings.rate_per_second, settings.rate_burst)
    problems.install(app)
    openapi.answer_405_with_every_method(app)
    openapi.document_conventions(app)
    # Routes are matched in order, and matching costs: the gates' hot path comes first.
    app.include_router(gate_router, prefix="/api/v1")
    app.include_router(system_router, prefix="/api/v1")
    app.include_router(registry_router, prefix="/api/v1")
    app.include_router(declarations_router, prefix="/api/v1")
    app.include_router(ledger_router, prefix="/api/v1")
    app.include_router(crossing_router, prefix="/api/v1")
    app.include_router(credentials_router, prefix="/api/v1")
    app.include_router(inspections_router, prefix="/api/v1")
    app.include_router(funds_router, prefix="/api/v1")
    app.include_router(datatransfer_router, prefix="/api/v1")
    app.include_router(reference_router, prefix="/api/v1")
    app.include_router(auth_router, prefix="/api/v1")
    app.include_router(audit_router, prefix="/api/v1")
    app.include_router(web_router)
    app.mount("/static/api-docs", StaticFiles(directory=SWAGGER_ASSETS), name="api-docs-assets")
    app.mount("/static/console", StaticFiles(directory=CONSOLE_ASSETS), name="console-assets")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title="hetao API",
            swagger_js_url=f"{root}/static/api-docs/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/static/api-docs/swagger-ui.css",
            swagger_favicon_url=f"{root}/static/api-docs/favicon.png",
        )

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/login")

    return app
