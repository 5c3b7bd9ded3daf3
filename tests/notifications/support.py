"""Helpers for the notification tests: a party's objects that change state, and a receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from factories import make_application
from hetao.audit.service import Actor
from hetao.notifications.delivery import SecretBox
from hetao.profiles import ZoneProfile
from hetao.registry import service as registry
from hetao.registry.models import Party, WhitelistApplication


def box(tmp_path: Path) -> SecretBox:
    return SecretBox.load_or_create(tmp_path / "webhook-secrets.key")


def submitted_application(
    session: Session, actor: Actor, profile: ZoneProfile, party: Party
) -> WhitelistApplication:
    """An application of ``party``, submitted (one status change)."""
    application = make_application(session, actor, profile, party_id=party.id)
    registry.submit(session, application, actor=actor)
    return application


@dataclass
class Received:
    """One request the receiver got: its headers, its body, whether the signature held."""

    headers: dict[str, str]
    body: bytes
    signed: bool

    @property
    def document(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on a loopback port that checks each signature with ``secret``."""

    port: int
    secret: str = ""
    #: Answer 500 to this many requests first (a receiver that is down for a while).
    failures: int = 0
    #: Answer with this status instead of 2xx (a redirect, say).
    status: int = 204
    extra_headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?channel=test"


@contextmanager
def receiver(**options: Any) -> Iterator[Receiver]:
    """Serve a Receiver on 127.0.0.1 for the block."""
    state = Receiver(port=0, **options)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            timestamp = self.headers.get("X-Hetao-Timestamp", "")
            expected = (
                "sha256="
                + hmac.new(
                    state.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
            )
            signed = hmac.compare_digest(expected, self.headers.get("X-Hetao-Signature", ""))
            state.received.append(Received(dict(self.headers.items()), body, signed))
            if state.failures > 0:
                state.failures -= 1
                code = 500
            else:
                code = state.status if signed else 401
            self.send_response(code)
            for name, value in state.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
