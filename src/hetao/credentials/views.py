"""Pages of zone credentials for an enterprise: its researchers' credentials, and issuing one.

The same service and object rules as the API: an enterprise issues for a person affiliated with
its own party (whose whitelist entry the zone approved); another party's credential is a 404.
The token is shown once, on the page that answers the issuing form, and never stored.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import Depends, Request, Response

from hetao.api.deps import CursorQuery, ProfileDep, SessionDep
from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.credentials import repository, service
from hetao.credentials.api import CredentialIdPath, SigningKeyDep, check_reach
from hetao.credentials.models import ZoneCredential
from hetao.credentials.schemas import CredentialCreate
from hetao.errors import HetaoError, PermissionDenied
from hetao.registry import repository as registry_repo
from hetao.registry.access import check_person, party_scope
from hetao.registry.models import Person
from hetao.storage import lookup
from hetao.storage.types import utcnow
from hetao.web import page_router
from hetao.web.forms import FormState, parse
from hetao.web.rendering import render

router = page_router()
#: The portal fixes the party from the signed-in user: only an enterprise user has one.
Enterprise = Annotated[Principal, Depends(Allow(Role.ENTERPRISE_USER))]
PAGE_SIZE = 50
ISSUE_FIELDS = {
    "person_id": "credentials.field.person",
    "valid_days": "credentials.field.valid_days",
    "crossing_points": "credentials.field.crossing_points",
}


def _own(principal: Principal) -> int:
    own = party_scope(principal)
    if own is None:  # pragma: no cover - the routes admit enterprise users only
        raise PermissionDenied("the portal is for enterprise users")
    return own


def _list_page(
    request: Request,
    principal: Principal,
    *,
    session: SessionDep,
    cursor: str | None,
    form: FormState,
    status_code: int = 200,
) -> Response:
    persons = registry_repo.page_persons(
        session, party_id=_own(principal), cursor=cursor, limit=PAGE_SIZE
    )
    held: dict[int, list[ZoneCredential]] = defaultdict(list)
    for credential in repository.credentials_of_persons(session, [p.id for p in persons.items]):
        held[credential.person_id].append(credential)
    now = utcnow()
    return render(
        request,
        "credentials/list.html",
        status_code=status_code,
        persons=[(person, held[person.id]) for person in persons.items],
        status_of=lambda credential: service.status_at(credential, now),
        choices=[(p.id, person_name(p)) for p in persons.items],
        form=form,
        next_cursor=persons.next_cursor,
    )


def person_name(person: Person) -> str:
    """A researcher as listed: family and given name, and the Chinese name where known."""
    latin = f"{person.family_name} {person.given_name}"
    return f"{latin} ({person.name_zh})" if person.name_zh else latin


@router.get("/portal/credentials")
def credentials(
    request: Request, session: SessionDep, principal: Enterprise, cursor: CursorQuery = None
) -> Response:
    """The party's researchers, each with their credentials, state and expiry."""
    form = FormState(fields=ISSUE_FIELDS)
    return _list_page(request, principal, session=session, cursor=cursor, form=form)


@router.post("/portal/credentials")
async def issue_credential(
    request: Request,
    session: SessionDep,
    profile: ProfileDep,
    key: SigningKeyDep,
    principal: Enterprise,
) -> Response:
    """Issue a credential to one of the party's whitelisted researchers; the token shows once."""
    posted = await request.form()
    points = posted.get("crossing_points")
    extra = {}
    if isinstance(points, str) and points.strip():
        extra["crossing_points"] = [p.strip() for p in points.split(",") if p.strip()]
    data, form = parse(CredentialCreate, posted, ISSUE_FIELDS, extra=extra)
    if data is not None:
        check_person(session, principal, lookup.get(session, Person, data.person_id))
        now = utcnow()
        try:
            issued = service.issue(
                session,
                data.person_id,
                key=key,
                profile=profile,
                actor=principal.actor,
                now=now,
                crossing_points=data.crossing_points,
                valid_days=data.valid_days,
            )
        except PermissionDenied:
            raise
        except HetaoError as refused:
            session.rollback()
            form.add_error(refused)
        else:
            person = lookup.get(session, Person, data.person_id)
            return render(
                request,
                "credentials/issued.html",
                credential=issued.credential,
                person=person_name(person),
                token=issued.token,
                status=service.status_at(issued.credential, now),
            )
    session.rollback()
    return _list_page(request, principal, session=session, cursor=None, form=form, status_code=422)


@router.get("/portal/credentials/{credential_id}")
def credential(
    request: Request, credential_id: CredentialIdPath, session: SessionDep, principal: Enterprise
) -> Response:
    """One credential of the party's researchers: its claims, state and validity."""
    found = check_reach(session, principal, service.get_credential(session, credential_id))
    person = lookup.get(session, Person, found.person_id)
    return render(
        request,
        "credentials/credential.html",
        credential=found,
        person=person_name(person),
        status=service.status_at(found, utcnow()),
    )
