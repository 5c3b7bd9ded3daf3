"""Reference data endpoints (HS 2022, focus industries); the reference package stays HTTP-free."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from hetao.api.routing import UnitOfWorkRoute
from hetao.api.security import current_principal
from hetao.reference import hs
from hetao.reference.industries import INDUSTRIES

#: Reference data is for any authenticated caller, devices included.
router = APIRouter(
    route_class=UnitOfWorkRoute,
    tags=["reference"],
    dependencies=[Depends(current_principal)],
)


class HsOut(BaseModel):
    """An HS code with its description and the chain of its parents up to the chapter."""

    code: str
    description: str
    level: int
    section: str
    section_name: str
    parents: list[str]


class IndustryOut(BaseModel):
    code: str
    name_en: str
    name_zh_hant: str
    name_zh_hans: str
    source: str


@router.get("/reference/hs/{code}", summary="Look up an HS 2022 code")
def hs_code(
    code: Annotated[str, Path(description="2-10 digits; national codes use their first 6")],
) -> HsOut:
    """Check a code (national 8/10-digit codes must extend a real subheading) and describe it."""
    checked = hs.check_hs_code(code, field="code")
    entry = hs.subheading_of(checked) if len(checked) > 6 else hs.lookup(checked)
    assert entry is not None  # noqa: S101 (check_hs_code accepted it)
    parents = []
    parent = entry.parent
    while parent and (found := hs.lookup(parent)) is not None:
        parents.append(found.code)
        parent = found.parent
    return HsOut(
        code=checked,
        description=entry.description,
        level=len(checked),
        section=entry.section,
        section_name=hs.section_of(checked).name,
        parents=parents,
    )


@router.get("/reference/industries", summary="The zone's focus industries")
def industries() -> list[IndustryOut]:
    """The plan's focus fields, in English and both Chinese scripts, with their source."""
    return [IndustryOut.model_validate(i, from_attributes=True) for i in INDUSTRIES]
