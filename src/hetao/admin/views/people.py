"""The administrator's home, users and API tokens: the same services as /api/v1/users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from hetao.admin.views.common import (
    ADMINISTRATORS,
    Administrator,
    DoneQuery,
    done_text,
    in_utc,
)
from hetao.api.auth import TokenCreate, UserCreate
from hetao.api.deps import CursorQuery, ProfileDep, SessionDep
from hetao.api.idempotency import NOT_REPLAYABLE
from hetao.auth import repository as auth_repo
from hetao.auth import roles as auth_roles
from hetao.auth import service as auth
from hetao.auth.models import User
from hetao.auth.principal import Role
from hetao.auth.roles import DEVICE_ROLES
from hetao.errors import HetaoError
from hetao.inputs import Id, InputModel
from hetao.storage.types import utcnow
from hetao.web.forms import FormState, attempt, parse, refuse
from hetao.web.i18n import localized, role_name
from hetao.web.rendering import redirect, render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)
PAGE_SIZE = 50
#: Roles a person's account may hold (gate devices are tokens only).
PEOPLE_ROLES = [role for role in Role if role not in DEVICE_ROLES]

USER_FIELDS = {
    "username": "admin.user.username",
    "display_name": "admin.user.display_name",
    "role": "admin.user.role",
    "party_id": "admin.user.party_id",
    "password": "admin.user.password",
}
ROLE_FIELDS = {"role": "admin.user.role", "party_id": "admin.user.party_id"}
PASSWORD_FIELDS = {"new_password": "admin.user.new_password"}
TOKEN_FIELDS = {
    "name": "admin.token.name",
    "user_id": "admin.token.user_id",
    "device_name": "admin.token.device_name",
    "roles": "admin.token.roles",
    "crossing_points": "admin.token.crossing_points",
    "expires_at": "admin.token.expires_at",
}


class RoleChange(InputModel):
    """A user's new role, and the party an enterprise user acts for."""

    role: Role
    party_id: Id | None = None


class PasswordReset(InputModel):
    """The password an administrator sets; the user is signed out everywhere."""

    new_password: str = Field(min_length=1, max_length=1024)


# --- home -------------------------------------------------------------------------------------


@router.get("/admin", dependencies=[ADMINISTRATORS])
def home(request: Request) -> Response:
    """The administrator's home: a link to each part of the work."""
    return render(request, "admin/home.html")


# --- users ------------------------------------------------------------------------------------


@router.get("/admin/users", dependencies=[ADMINISTRATORS])
def users(
    request: Request, session: SessionDep, cursor: CursorQuery = None, done: DoneQuery = None
) -> Response:
    """Every user with role, party and whether active; oldest first, a page at a time."""
    page = auth_repo.page_users(session, active=None, cursor=cursor, limit=PAGE_SIZE)
    return render(
        request, "admin/users.html", page=page, paged=cursor is not None, notice=done_text(done)
    )


@router.get("/admin/users/new", dependencies=[ADMINISTRATORS])
def new_user(request: Request) -> Response:
    """The form for a new user."""
    return _user_form(request, FormState(fields=USER_FIELDS))


def _user_form(request: Request, form: FormState, *, status_code: int = 200) -> Response:
    return render(
        request, "admin/user_new.html", status_code=status_code, form=form, role_options=roles()
    )


def roles() -> list[tuple[str, str]]:
    """The roles a person may hold, named in the page's language."""
    return [(role.value, role_name(role)) for role in PEOPLE_ROLES]


@router.post("/admin/users", openapi_extra=NOT_REPLAYABLE)
async def create_user(request: Request, session: SessionDep, admin: Administrator) -> Response:
    """Create the user; the password is never shown back, even on a refusal."""
    body, form = parse(UserCreate, await request.form(), USER_FIELDS)
    if body is None:
        return _user_form(request, form, status_code=422)
    try:
        user = auth.create_user(session, **body.model_dump(), actor=admin.actor)
    except HetaoError as error:
        return _user_form(request, refuse(session, form, error), status_code=422)
    return redirect(request, f"/admin/users/{user.id}?done=user_created")


@router.get("/admin/users/{user_id}", dependencies=[ADMINISTRATORS])
def user_page(
    request: Request, user_id: Id, session: SessionDep, done: DoneQuery = None
) -> Response:
    """One user: what they hold, their tokens, and the changes an administrator may make."""
    user = auth_repo.get_user(session, user_id)
    return _user_page(request, session, user, notice=done_text(done))


def _user_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    status_code: int = 200,
    notice: str | None = None,
    role_form: FormState | None = None,
    password_form: FormState | None = None,
    access_form: FormState | None = None,
) -> Response:
    if role_form is None:
        role_form = FormState(fields=ROLE_FIELDS)
        role_form.values.update(
            role=user.role.value, party_id="" if user.party_id is None else str(user.party_id)
        )
    tokens = auth_repo.page_tokens(session, user_id=user.id, cursor=None, limit=PAGE_SIZE)
    return render(
        request,
        "admin/user.html",
        status_code=status_code,
        user=user,
        tokens=tokens.items,
        role_options=roles(),
        now=utcnow(),
        notice=notice,
        role_form=role_form,
        password_form=password_form or FormState(fields=PASSWORD_FIELDS),
        access_form=access_form or FormState(),
    )


@router.post("/admin/users/{user_id}/role", openapi_extra=NOT_REPLAYABLE)
async def change_role(
    request: Request, user_id: Id, session: SessionDep, admin: Administrator
) -> Response:
    """Give the user another role (an enterprise user's party with it)."""
    user = auth_repo.get_user(session, user_id, for_update=True)
    body, form = parse(RoleChange, await request.form(), ROLE_FIELDS)
    if body is not None and attempt(
        session,
        form,
        lambda: auth_roles.change_role(
            session, user, role=body.role, party_id=body.party_id, actor=admin.actor
        ),
    ):
        return redirect(request, f"/admin/users/{user_id}?done=role_changed")
    return _user_page(request, session, user, status_code=422, role_form=form)


@router.post("/admin/users/{user_id}/password", openapi_extra=NOT_REPLAYABLE)
async def reset_password(
    request: Request, user_id: Id, session: SessionDep, admin: Administrator
) -> Response:
    """Set a new password; the user's sessions end. The password is never shown back."""
    user = auth_repo.get_user(session, user_id, for_update=True)
    body, form = parse(PasswordReset, await request.form(), PASSWORD_FIELDS)
    if body is not None and attempt(
        session,
        form,
        lambda: auth.reset_password(
            session, user, new_password=body.new_password, actor=admin.actor
        ),
    ):
        return redirect(request, f"/admin/users/{user_id}?done=password_reset")
    return _user_page(request, session, user, status_code=422, password_form=form)


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user(
    request: Request, user_id: Id, session: SessionDep, admin: Administrator
) -> Response:
    """The user can no longer sign in; their sessions and tokens end now. Not one's own account,
    nor the zone's last active administrator: the refusal is shown on the user's page."""
    user = auth_repo.get_user(session, user_id, for_update=True)
    form = FormState()
    if attempt(session, form, lambda: auth.deactivate_user(session, user, actor=admin.actor)):
        return redirect(request, f"/admin/users/{user_id}?done=deactivated")
    # Refused: one's own account, or the zone's last administrator (keep_administration).
    return _user_page(request, session, user, status_code=409, access_form=form)


@router.post("/admin/users/{user_id}/reactivate")
def reactivate_user(
    request: Request, user_id: Id, session: SessionDep, admin: Administrator
) -> Response:
    """The user may sign in again (ended sessions and tokens stay ended)."""
    user = auth_repo.get_user(session, user_id, for_update=True)
    auth.reactivate_user(session, user, actor=admin.actor)
    return redirect(request, f"/admin/users/{user_id}?done=reactivated")


# --- API tokens -------------------------------------------------------------------------------


@router.get("/admin/tokens", dependencies=[ADMINISTRATORS])
def tokens(
    request: Request,
    session: SessionDep,
    user_id: Annotated[Id | None, Query()] = None,
    cursor: CursorQuery = None,
    done: DoneQuery = None,
) -> Response:
    """Tokens by prefix and subject, never their secrets; live ones may be revoked."""
    page = auth_repo.page_tokens(session, user_id=user_id, cursor=cursor, limit=PAGE_SIZE)
    return render(
        request,
        "admin/tokens.html",
        page=page,
        paged=cursor is not None,
        notice=done_text(done),
        now=utcnow(),
    )


@router.get("/admin/tokens/new", dependencies=[ADMINISTRATORS])
def new_token(request: Request, profile: ProfileDep) -> Response:
    """The form for a new token."""
    form = FormState(fields=TOKEN_FIELDS)
    return _token_form(request, profile, form, chosen={})


def _token_form(
    request: Request,
    profile: ProfileDep,
    form: FormState,
    *,
    chosen: dict[str, list[str]],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/token_new.html",
        status_code=status_code,
        form=form,
        role_choices=[(role.value, role_name(role)) for role in Role],
        point_choices=[
            (p.code, f"{p.code} · {localized(p.name)}") for p in profile.crossing_points
        ],
        chosen=chosen,
    )


@router.post("/admin/tokens", openapi_extra=NOT_REPLAYABLE)
async def issue_token(
    request: Request, session: SessionDep, profile: ProfileDep, admin: Administrator
) -> Response:
    """Issue the token and show its secret this once; only its hash is kept."""
    data = await request.form()
    chosen = {name: [str(v) for v in data.getlist(name)] for name in ("roles", "crossing_points")}
    extra: dict[str, Any] = {"roles": chosen["roles"]}
    if chosen["crossing_points"]:
        extra["crossing_points"] = chosen["crossing_points"]
    expires = in_utc(data.get("expires_at"))
    if expires:
        extra["expires_at"] = expires
    body, form = parse(TokenCreate, data, TOKEN_FIELDS, extra=extra)
    if body is not None:
        try:
            token, secret = auth.issue_token(
                session, **body.model_dump(), actor=admin.actor, profile=profile
            )
        except HetaoError as error:
            refuse(session, form, error)
        else:
            # The one page that holds the secret: never stored, never cached (no-store).
            return render(request, "admin/token_issued.html", token=token, secret=secret)
    return _token_form(request, profile, form, chosen=chosen, status_code=422)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: Id, session: SessionDep, admin: Administrator
) -> Response:
    """The token stops working at once."""
    token = auth_repo.get_token(session, token_id, for_update=True)
    auth.revoke_token(session, token, actor=admin.actor)
    return redirect(request, "/admin/tokens?done=token_revoked")
