"""create_app(): the HTTP face of the platform."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

import hetao.models  # noqa: F401 (every table on Base.metadata, whatever the routers import)
from hetao import __version__
from hetao.admin.views import router as admin_router
from hetao.api import idempotency, observability, openapi, problems
from hetao.api.audit import router as audit_router
from hetao.api.auth import router as auth_router
from hetao.api.denials import RefusalSummaries
from hetao.api.deps import ProfileDep
from hetao.api.lastuse import LastUseWrites
from hetao.api.reference import router as reference_router
from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import current_principal
from hetao.api.state import AppState, app_state
from hetao.audit.service import checkpoint_policy, enable_checkpoints
from hetao.auth.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from hetao.biometrics import provision as face_provision
from hetao.biometrics.api import router as biometrics_router
from hetao.biometrics.sealed import TemplateBox, zone_template_box
from hetao.biometrics.views import router as face_pages
from hetao.config import Settings
from hetao.credentials.api import router as credentials_router
from hetao.credentials.tokens import SigningKey, signing_key_path
from hetao.credentials.views import router as credentials_pages
from hetao.crossing import intake
from hetao.crossing import service as crossing_service
from hetao.crossing.api import MAX_WAITING_DECISIONS, gate_router
from hetao.crossing.api import router as crossing_router
from hetao.crossing.live import stop_feed
from hetao.crossing.views import router as console_pages
from hetao.dashboards.api import router as dashboards_router
from hetao.dashboards.views import router as dashboard_pages
from hetao.datatransfer.api import router as datatransfer_router
from hetao.datatransfer.views import router as datatransfer_pages
from hetao.declarations.api import router as declarations_router
from hetao.declarations.views import router as declaration_pages
from hetao.funds.api import router as funds_router
from hetao.funds.views import router as funds_pages
from hetao.inspections.api import router as inspections_router
from hetao.inspections.views import router as inspection_pages
from hetao.ledger.api import router as ledger_router
from hetao.ledger.views import router as ledger_pages
from hetao.loans.api import router as loans_router
from hetao.loans.views import router as loans_pages
from hetao.lookup.views import router as lookup_pages
from hetao.notifications import delivery as webhook_delivery
from hetao.notifications import worker as webhook_worker
from hetao.notifications.api import router as notifications_router
from hetao.notifications.views import router as notification_pages
from hetao.profiles import ZoneProfile, load_profile
from hetao.registry import views as registry_views
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


def api_docs(request: Request) -> HTMLResponse:
    """The API's docs page (Swagger UI, served from the package's own copy)."""
    # From the request, not a closure over the app: FastAPI caches what it learns of each
    # endpoint function for the life of the process, and a closure would keep its app with it.
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title="hetao API",
        swagger_js_url=f"{root}/static/api-docs/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/static/api-docs/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/api-docs/favicon.png",
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app_state(app)
    checkpointer = WalCheckpointer(state.engine)
    checkpointer.start()
    purger: asyncio.Task[None] | None = None
    sender: asyncio.Task[None] | None = None
    if state.background_work:
        state.refusals.start()
        purger = asyncio.create_task(_purge_replays(state))
        sender = asyncio.create_task(_send_webhooks(state, webhook_delivery.box_of(app)))
    yield
    # The consoles' streams end and their poller stops with the application.
    await stop_feed(app)
    if purger is not None:
        purger.cancel()
    if sender is not None:
        sender.cancel()
    await run_in_threadpool(state.refusals.stop)
    # Decisions still queued for the group committer are written before the process ends.
    await run_in_threadpool(state.crossing_recorder.close)
    await run_in_threadpool(checkpointer.stop)
    if state.rate_limiter is not None:
        state.rate_limiter.close()


async def _purge_replays(state: AppState) -> None:
    """Delete replay records past the profile's retention, at start and every ten minutes."""
    retention = dt.timedelta(hours=state.profile.api.replay_retention_hours)

    def purge() -> int:
        with unit_of_work(state.session_factory) as session:
            return idempotency.purge(session, retention=retention)

    while True:
        try:
            await run_in_threadpool(purge)
        except OperationalError as error:  # a busy database: the next turn purges
            log.warning("replay records not purged (%s)", error.orig)
        await asyncio.sleep(REPLAY_PURGE_SECONDS)


async def _send_webhooks(state: AppState, box: webhook_delivery.SecretBox) -> None:
    """Gather notifications and send due webhook deliveries, every few seconds."""
    while True:
        try:
            await run_in_threadpool(webhook_worker.run_once, state.session_factory, box)
        except OperationalError as error:  # a busy database: the next turn sends
            log.warning("webhook deliveries not sent (%s)", error.orig)
        except Exception:  # a turn that fails must not end the sender
            log.exception("webhook sender turn failed")
        await asyncio.sleep(webhook_worker.TURN_SECONDS)


def _rate_limiter(settings: Settings, profile: ZoneProfile) -> Limiter:
    """Limits shared through Redis when one is configured, else kept by this process."""
    if settings.redis_url:
        return SharedRateLimiter(
            settings.redis_url,
            settings.rate_per_second,
            settings.rate_burst,
            zone=profile.zone.code,
        )
    return RateLimiter(settings.rate_per_second, settings.rate_burst)


def _make_state(
    settings: Settings,
    *,
    engine: Engine,
    profile: ZoneProfile,
    sessions: sessionmaker[Session] | None,
    background_work: bool,
) -> AppState:
    writes = sessions or session_factory(engine)
    checkpoint_dir = settings.resolve(profile.audit.checkpoint_store)
    checkpoints = checkpoint_policy(
        profile, signing_key=settings.audit_signing_key, store_dir=checkpoint_dir
    )
    enable_checkpoints(writes, checkpoints)
    return AppState(
        profile=profile,
        engine=engine,
        session_factory=writes,
        read_session_factory=sessions or session_factory(engine, read_only=True),
        reads_inline=reads_are_local(engine),
        last_use_writes=LastUseWrites(),
        checkpoint_dir=checkpoint_dir,
        checkpoint_policy=checkpoints,
        cookies_secure=settings.cookies_secure,
        fingerprint_key=idempotency.fingerprint_key(
            settings.resolve(idempotency.FINGERPRINT_KEY_FILE)
        ),
        background_work=background_work,
        refusals=RefusalSummaries(writes, profile.api.denial_summary_seconds),
        rate_limiter=_rate_limiter(settings, profile),
        # Its thread starts with the first crossing posted, and ends when idle.
        crossing_recorder=GroupCommitter(
            writes,
            partial(crossing_service.write_crossings, profile=profile),
            name="crossing-recorder",
            max_queued=MAX_WAITING_DECISIONS,
        ),
        # Read (or created) now, not on first use, as the audit and fingerprint keys above are:
        # a bad key file then stops the start instead of the first request that signs.
        credential_signing_key=SigningKey.load_or_create(signing_key_path(settings.data_dir)),
        crossing_seed_key=intake.load_seed_key(settings.resolve(intake.SEED_KEY_FILE)),
        key_files=(
            settings.audit_signing_key,
            signing_key_path(settings.data_dir),
            settings.resolve(intake.SEED_KEY_FILE),
        ),
    )


def _bound_state(
    settings: Settings | None,
    engine: Engine | None,
    profile: ZoneProfile | None,
    sessions: sessionmaker[Session] | None,
    background_work: bool,
) -> tuple[AppState, webhook_delivery.SecretBox, TemplateBox]:
    settings = settings or Settings.from_env()
    profile = profile or load_profile(settings.profile)
    engine = engine or make_engine(settings.database_url)
    state = _make_state(
        settings,
        engine=engine,
        profile=profile,
        sessions=sessions,
        background_work=background_work,
    )
    # Read (or made) now, as the other keys are: a bad key file stops the start.
    box = webhook_delivery.SecretBox.load_or_create(
        settings.resolve(webhook_delivery.SECRET_KEY_FILE)
    )
    templates = zone_template_box(settings)
    return state, box, templates


def _install(
    app: FastAPI, state: AppState, box: webhook_delivery.SecretBox, templates: TemplateBox
) -> None:
    # The typed AppState replaces Starlette's dict-like State: each object is a declared field.
    app.state = state  # type: ignore[assignment]
    webhook_delivery.install(app, box)
    face_provision.install(app, templates)


def rebind(
    app: FastAPI,
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    profile: ZoneProfile | None = None,
    sessions: sessionmaker[Session] | None = None,
    background_work: bool = True,
) -> None:
    """Give an application made by ``create_app`` a whole new state, as ``create_app`` would.

    Its routes stay. FastAPI builds each route's dependencies lazily, per application, at the
    first request that walks past it (up to a second for the last routes): the tests rebind one
    application for each test instead of making one each. Only between lifespans.
    """
    state, box, templates = _bound_state(settings, engine, profile, sessions, background_work)
    _install(app, state, box, templates)


def create_app(
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    profile: ZoneProfile | None = None,
    sessions: sessionmaker[Session] | None = None,
    background_work: bool = True,
) -> FastAPI:
    """Build the application; the profile is loaded and validated before anything is served.

    ``sessions`` serves reads and writes alike (a test's rolled-back transaction);
    ``background_work`` False keeps timers from writing on a connection a test owns.
    """
    # Bound first: a bad profile or key file stops the start before any route is made.
    state, box, templates = _bound_state(settings, engine, profile, sessions, background_work)
    app = FastAPI(
        lifespan=_lifespan,
        title="hetao",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    _install(app, state, box, templates)
    problems.install(app)
    app.add_middleware(observability.RequestContext)
    openapi.answer_405_with_every_method(app)
    openapi.document_conventions(app)
    # Routes are matched in order, and matching costs: the gates' hot path comes first.
    for api_router in (
        gate_router,
        system_router,
        registry_router,
        declarations_router,
        ledger_router,
        crossing_router,
        credentials_router,
        inspections_router,
        biometrics_router,
        funds_router,
        loans_router,
        datatransfer_router,
        dashboards_router,
        notifications_router,
        reference_router,
        auth_router,
        audit_router,
    ):
        app.include_router(api_router, prefix="/api/v1")
    app.include_router(observability.router)
    app.include_router(web_router)
    app.include_router(declaration_pages)
    app.include_router(face_pages)
    app.include_router(ledger_pages)
    app.include_router(notification_pages)
    app.include_router(registry_views.router)
    app.include_router(admin_router)
    app.include_router(funds_pages)
    app.include_router(loans_pages)
    app.include_router(datatransfer_pages)
    app.include_router(credentials_pages)
    app.include_router(console_pages)
    app.include_router(inspection_pages)
    app.include_router(dashboard_pages)
    app.include_router(lookup_pages)
    app.mount("/static/api-docs", StaticFiles(directory=SWAGGER_ASSETS), name="api-docs-assets")
    app.mount("/static/console", StaticFiles(directory=CONSOLE_ASSETS), name="console-assets")

    app.add_api_route("/api/docs", api_docs, include_in_schema=False)

    return app
