"""What the registry's pages share: the posted form, a refusal shown on the form, status
messages after a redirect, and validating nested schemas from flat form fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.registry import access
from hetao.web.forms import FORM_FIELD, FormState, pydantic_text, typed

Schema = TypeVar("Schema", bound=BaseModel)

REVIEWING = Depends(Allow(*access.REVIEWERS))
Reviewers = Annotated[Principal, REVIEWING]
Enterprise = Annotated[Principal, Depends(Allow(Role.ENTERPRISE_USER))]

#: After a POST and its redirect, ``?done=<what>`` names the status message shown; only these.
DONE = frozenset(
    {
        "approve",
        "decline",
        "request_information",
        "suspend",
        "reinstate",
        "revoke",
        "standing",
        "create",
        "submit",
        "resubmit",
        "person",
        "vehicle",
    }
)


async def posted_form(request: Request) -> FormData:
    """The posted form (already read once for its CSRF token; Starlette keeps it)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def done_message(request: Request) -> str | None:
    """The key of the status message a redirect asked for, if it is one of ours."""
    done = request.query_params.get("done", "")
    return f"registry.done.{done}" if done in DONE else None


def listed(form: FormData, name: str) -> list[str]:
    """A multi-valued field (checkboxes): its non-empty values."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def validate(
    schema: type[Schema],
    raw: Mapping[str, Any],
    state: FormState,
    paths: Mapping[str, str],
) -> Schema | None:
    """Validate ``raw`` (built from flat form fields) with ``schema``; each error goes beside
    the form field ``paths`` names for its location (``documents.number`` -> a field)."""
    try:
        return schema.model_validate(raw)
    except ValidationError as invalid:
        for error in invalid.errors():
            location = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
            state.add(paths.get(location, location or FORM_FIELD), pydantic_text(error))
        return None


def flat_state(form: FormData | None, fields: Mapping[str, str]) -> FormState:
    """A form's state from what was posted (or an empty one for a fresh form)."""
    return FormState(fields=fields, values=typed(form, fields) if form is not None else {})


def text(form: FormData, name: str) -> str | None:
    """A posted text field, stripped; None when empty or absent."""
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None
