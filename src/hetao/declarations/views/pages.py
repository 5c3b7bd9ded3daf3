"""Reading declarations: the list, one declaration with its taxes, downloads, the HS look-up."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from hetao.api.deps import CursorQuery, ProfileDep, SessionDep
from hetao.declarations import access
from hetao.declarations import repository as declarations_repo
from hetao.declarations import service as declarations_service
from hetao.declarations.models import Declaration, DeclarationStatus
from hetao.declarations.schemas import DeclarationOut
from hetao.declarations.views.common import (
    PEOPLE,
    Readers,
    crossing_point_options,
    status_options,
)
from hetao.inputs import Id
from hetao.ledger.access import scoped
from hetao.ledger.views import attachment, chosen_member, csv_file
from hetao.reference import hs
from hetao.registry.access import party_scope
from hetao.web.i18n import current_language
from hetao.web.rendering import render
from hetao.web.routing import PageRoute

router = APIRouter(route_class=PageRoute)
PAGE_SIZE = 50
#: Amounts of an assessed line shown as money, in CNY.
_TAXES = ("dutiable_value_cny", "duty", "consumption_tax", "vat", "total")
#: The columns of a declaration's lines as CSV, in this order.
LINE_COLUMNS = (
    "line_no",
    "hs_code",
    "description",
    "quantity",
    "unit",
    "customs_value",
    "currency",
    "origin",
    "goods_kind",
    "customs_status",
    "lot_id",
    "result_lot_id",
)
HS_QUERY_MAX = 100


@router.get("/portal/declarations")
def declarations(
    request: Request,
    session: SessionDep,
    principal: Readers,
    status: Annotated[str | None, Query(max_length=20)] = None,
    party_id: Id | None = None,
    reference: Annotated[str | None, Query(max_length=64)] = None,
    cursor: CursorQuery = None,
) -> Response:
    """Declarations in lodging order, by state; an enterprise user sees its own only.

    ``reference`` (with the party, which an enterprise user's is) finds one declaration: the
    link a lot gives to the declaration that admitted it.
    """
    chosen = chosen_member(DeclarationStatus, status)
    owner = scoped(principal, party_id)
    more = None
    if reference:
        found = None
        if owner is not None:
            found = declarations_repo.by_reference(session, party_id=owner, reference=reference)
        items = [found] if found is not None and chosen in (None, found.status) else []
    else:
        page = declarations_repo.page_declarations(
            session, party_id=owner, status=chosen, kind=None, cursor=cursor, limit=PAGE_SIZE
        )
        items = list(page.items)
        more = {"cursor": page.next_cursor} if page.next_cursor else None
    if more and chosen:
        more["status"] = chosen.value
    return render(
        request,
        "declarations/list.html",
        declarations=items,
        status=chosen.value if chosen else "",
        statuses=status_options(),
        party_id=party_id,
        staff=party_scope(principal) is None,
        can_lodge=party_scope(principal) is not None,
        more=more,
    )


def _readable(session: SessionDep, principal: Readers, declaration_id: int) -> Declaration:
    """The declaration, if the principal may read it; another party's answers 404."""
    declaration = declarations_repo.get_declaration(session, declaration_id)
    return access.check_declaration(principal, declaration)


# The downloads come first: /{declaration_id} would otherwise take "7.json" as its id.


@router.get("/portal/declarations/{declaration_id}.json")
def declaration_json(declaration_id: Id, session: SessionDep, principal: Readers) -> Response:
    """The declaration as the API serves it, as a file."""
    found = _readable(session, principal, declaration_id)
    document = declarations_service.declaration_out(session, found)
    return Response(
        json.dumps(document.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n",
        media_type="application/json",
        headers=attachment(f"declaration-{declaration_id}.json"),
    )


@router.get("/portal/declarations/{declaration_id}.csv")
def declaration_csv(declaration_id: Id, session: SessionDep, principal: Readers) -> Response:
    """The declaration's lines, one row each, as a file."""
    declaration = _readable(session, principal, declaration_id)
    name = f"declaration-{declaration_id}-lines.csv"
    return csv_file(name, LINE_COLUMNS, declaration.lines)


@router.get("/portal/declarations/{declaration_id}")
def declaration(
    request: Request,
    declaration_id: Id,
    session: SessionDep,
    profile: ProfileDep,
    principal: Readers,
) -> Response:
    """One declaration: its lines, its history, and once cleared its taxes line by line."""
    found = _readable(session, principal, declaration_id)
    shown = declarations_service.declaration_out(session, found)
    assessment = shown.assessment or {}
    return render(
        request,
        "declarations/declaration.html",
        declaration=shown,
        history=_history(shown),
        taxed=[_money_of(line) for line in assessment.get("lines", ())],
        totals=_money_of(assessment.get("totals") or {}),
        tariff_sample=bool(assessment.get("tariff_sample")),
        points=dict(crossing_point_options(profile)),
    )


def _history(declaration: DeclarationOut) -> list[tuple[str, Any]]:
    """The states it went through, each with the instant it was reached."""
    steps = [
        (DeclarationStatus.SUBMITTED, declaration.created_at),
        (DeclarationStatus.ACCEPTED, declaration.accepted_at),
        (DeclarationStatus.CLEARED, declaration.cleared_at),
        (DeclarationStatus.REFUSED, declaration.refused_at),
    ]
    return [(state.value, at) for state, at in steps if at is not None]


def _money_of(values: dict[str, Any]) -> dict[str, Any]:
    """An assessed line (stored as JSON) with its amounts as Decimals for the money filter."""
    return {
        **values,
        **{key: Decimal(str(values[key])) for key in _TAXES if values.get(key) is not None},
    }


def _script() -> hs.Script | None:
    """The script of the page's language if it is Chinese: chapters then show their titles."""
    chosen = current_language()
    return chosen if chosen != "en" else None


def _chapter_titles(found: list[hs.HsEntry], script: hs.Script | None) -> dict[str, str]:
    """The Chinese title of each found entry's chapter, by chapter code (none on English pages)."""
    if script is None:
        return {}
    titles = {entry.code[:2]: hs.title_zh(entry.code[:2], script) for entry in found}
    return {code: title for code, title in titles.items() if title}


@router.get("/portal/hs", dependencies=[PEOPLE])
def hs_search(
    request: Request,
    q: Annotated[str, Query(max_length=HS_QUERY_MAX)] = "",
) -> Response:
    """HS 2022 codes by code or words: descriptions in English, chapters' titles in Chinese too."""
    query = q.strip()
    results = hs.search(query) if query else []
    script = _script()
    return render(
        request,
        "declarations/hs.html",
        q=query,
        results=results,
        limit=hs.SEARCH_LIMIT,
        script=script,
        chapter_titles=_chapter_titles(results, script),
    )


#: Suggestions while typing: a few, the form's datalist shows no more.
SUGGESTIONS = 10


@router.get("/portal/hs/suggestions", dependencies=[PEOPLE])
def hs_suggestions(q: Annotated[str, Query(max_length=HS_QUERY_MAX)] = "") -> Response:
    """The HS look-up as JSON for the lodging form's suggestions (console.js); on a Chinese page
    each suggestion also has its chapter's Chinese title."""
    found = hs.search(q, limit=SUGGESTIONS) if q.strip() else []
    titles = _chapter_titles(found, _script())
    body = [
        {"code": e.code, "description": e.description}
        | ({"chapter_zh": titles[e.code[:2]]} if e.code[:2] in titles else {})
        for e in found
    ]
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")
