"""A page that answers a refused form (4xx) keeps nothing a service wrote before it refused."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from datatransfer.support import tags_of
from hetao.api.deps import SessionDep
from hetao.audit.service import record_event
from hetao.web import page_router
from hetao.web.rendering import redirect, render
from web.support import SETUP

PROBE = "test:probe:write"


def add_probe_pages(client: TestClient) -> None:
    router = page_router()

    @router.post("/probe/{status}")
    def probe(request: Request, status: int, session: SessionDep) -> Response:
        # A service writes, then the page decides the form was refused after all.
        record_event(session, PROBE, subject_type="probe", subject_id=1, actor=SETUP, data={})
        if status == 303:
            return redirect(request, "/login")
        return render(request, "home.html", status_code=status, name="probe")

    client.app.include_router(router)  # type: ignore[attr-defined]


class TestRefusedForms:
    def test_a_refused_form_rolls_back_and_a_done_one_commits(
        self, console: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        add_probe_pages(console)
        refused = console.post("/probe/422", follow_redirects=False)
        assert refused.status_code == 422
        with session_maker() as session:
            assert tags_of(session, "probe", 1) == []
        done = console.post("/probe/303", follow_redirects=False)
        assert done.status_code == 303
        with session_maker() as session:
            assert tags_of(session, "probe", 1) == [PROBE]
