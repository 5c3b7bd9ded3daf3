"""Shapes shared by every API resource."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from hetao.storage.pagination import PageOf

Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """One page of results; pass ``next_cursor`` as ``cursor`` to get the next page."""

    items: list[Item]
    next_cursor: str | None = Field(description="Null on the last page")

    @classmethod
    def of(cls, page: PageOf[Any], out: type[Item]) -> Page[Item]:
        return cls(
            items=[out.model_validate(row) for row in page.items], next_cursor=page.next_cursor
        )
