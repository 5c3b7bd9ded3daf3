"""Loading one row by its id, or the NotFound that names its kind: the same in every domain."""

from __future__ import annotations

import re
from typing import TypeVar

from sqlalchemy.orm import Session

from hetao.errors import NotFound
from hetao.storage.types import Base

ModelT = TypeVar("ModelT", bound=Base)


def get(
    session: Session,
    model: type[ModelT],
    object_id: int | str,
    *,
    for_update: bool = False,
    noun: str | None = None,
) -> ModelT:
    """Load one object by id or raise NotFound naming its kind ("whitelist entry 7 ...").

    ``noun`` names the kind where its users call it otherwise than its class ("decision" for a
    ``CrossingDecision``).
    """
    obj = session.get(model, object_id, with_for_update=for_update)
    if obj is None:
        named = noun or re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
        raise NotFound(f"{named} {object_id} does not exist")
    return obj
