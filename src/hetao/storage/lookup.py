"""Loading one row by its id, or the NotFound that names its kind: the same in every domain."""

from __future__ import annotations

import re
from typing import TypeVar

from sqlalchemy.orm import Session

from hetao.errors import NotFound
from hetao.storage.types import Base

ModelT = TypeVar("ModelT", bound=Base)


def get(
    session: Session, model: type[ModelT], object_id: int, *, for_update: bool = False
) -> ModelT:
    """Load one object by id or raise NotFound naming its kind ("whitelist entry 7 ...")."""
    obj = session.get(model, object_id, with_for_update=for_update)
    if obj is None:
        noun = re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).lower()
        raise NotFound(f"{noun} {object_id} does not exist")
    return obj
