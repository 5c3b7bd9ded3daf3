"""Helpers for the console tests: users with known passwords, events, checkpoints, a server."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx2
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import ViewportSize
from sqlalchemy.orm import Session

from hetao.api.state import app_state
from hetao.audit.checkpoints import SignedCheckpoint
from hetao.audit.service import Actor, checkpoint_now, record_event
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.storage.engine import unit_of_work

PASSWORD = "correct horse battery staple"
#: The screens pages must work on: a 1366x768 office screen, and a tablet held upright.
DESKTOP: ViewportSize = {"width": 1366, "height": 768}
TABLET: ViewportSize = {"width": 768, "height": 1024}
SETUP = Actor("test", "setup")
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def is_page(response: httpx2.Response) -> bool:
    """Whether the answer is an HTML page (not a problem+json document)."""
    content_type: str = response.headers.get("content-type", "")
    return content_type.startswith("text/html")


def csrf_of(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    found = CSRF_FIELD.search(html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


def add_user(session: Session, username: str, role: Role, *, party_id: int | None = None) -> None:
    """A user who signs in with ``PASSWORD``."""
    auth.create_user(
        session,
        username=username,
        display_name=f"Test {username}",
        password=PASSWORD,
        role=role,
        party_id=party_id,
        actor=SETUP,
    )


def add_events(session: Session, count: int, *, tag: str = "registry:entry:suspend") -> None:
    """``count`` events about entries, as services record them."""
    for i in range(count):
        record_event(
            session,
            tag,
            subject_type=tag.split(":")[1],
            subject_id=i + 1,
            actor=SETUP,
            data={"note": f"inquiry {i}", "名称": "河套"},
        )


def sign_checkpoint(session: Session, app: FastAPI) -> SignedCheckpoint:
    """Sign a checkpoint of the log now and export it where the app looks for checkpoints."""
    policy = app_state(app).checkpoint_policy
    signed = checkpoint_now(session, policy)
    assert signed is not None, "nothing to checkpoint"
    # The test's sessions are not the app's factory, whose commit hook would export it.
    policy.store.export(signed, policy.signer.public_key)
    return signed


@dataclass(frozen=True, slots=True)
class LiveConsole:
    """A running server: its base URL and the app (for its session factory and settings)."""

    url: str
    app: FastAPI


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port; yields the base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:  # pragma: no cover - a broken start fails loudly
            raise RuntimeError("uvicorn did not start in 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def seed_live(console: LiveConsole, *, auditor: str, events: int) -> None:
    """An auditor and ``events`` events in the live database, all covered by a checkpoint."""
    state = app_state(console.app)
    with unit_of_work(state.session_factory) as session:
        add_user(session, auditor, Role.AUDITOR)
        add_events(session, events)
    with unit_of_work(state.session_factory) as session:
        # The app's own factory exports the checkpoint when this commits.
        checkpoint_now(session, state.checkpoint_policy)
