"""Landing pages and the language switch: where a user starts, in the language they chose."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from hetao.api.deps import SessionDep
from hetao.api.security import Allow
from hetao.auth import repository as auth_repository
from hetao.auth import service as auth
from hetao.auth.principal import Principal, Role
from hetao.web.auth import NEXT_MAX, refuse_other_sites, safe_next
from hetao.web.i18n import as_language, remember_language, set_language
from hetao.web.navigation import home_of
from hetao.web.rendering import redirect, render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)
PEOPLE = Depends(Allow(*(frozenset(Role) - {Role.GATE_DEVICE})))


@router.get("/")
def index(request: Request) -> Response:
    """Signed in: the role's home; otherwise the sign-in form."""
    principal: Principal | None = getattr(request.state, "principal", None)
    return redirect(request, home_of(principal) if principal is not None else "/login")


@router.get("/home")
def home(request: Request, principal: Annotated[Principal, PEOPLE]) -> Response:
    """What the signed-in role may open, as a list of its pages."""
    return render(request, "home.html", name=principal.name)


@router.post("/language")
def choose_language(
    request: Request,
    session: SessionDep,
    lang: Annotated[str, Form(max_length=16)] = "",
    next: Annotated[str, Form(max_length=NEXT_MAX)] = "",
) -> Response:
    """Switch the pages' language and come back to the same page.

    A signed-in user's choice is kept with the user (it follows them to another browser); the
    cookie carries it for this browser, signed in or not.
    """
    refuse_other_sites(request)
    chosen = as_language(lang)
    response = redirect(request, safe_next(next))
    if chosen is None:
        return response  # not one of ours: stay as we are
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None and principal.kind == "user" and principal.via == "session":
        user = auth_repository.get_user(session, principal.id, for_update=True)
        auth.choose_language(session, user, chosen, actor=principal.actor)
    remember_language(request, response, chosen)
    set_language(chosen)
    return response
