"""Forms on pages: parse a posted form with the API's own schema, and errors beside each field.

A page posts plain HTML form fields; ``parse`` validates them with the same pydantic schema the
API uses, so a rule holds in one place. What failed comes back as ``FormState``: what was typed
(shown again, never lost) and one message per field, in the page's language. Errors a service
raises (``HetaoError`` with field problems) land beside their fields the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from markupsafe import Markup, escape
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from hetao.errors import FieldProblem, HetaoError, PermissionDenied
from hetao.reasons import registered
from hetao.web.i18n import has_text, in_language, label, t

Schema = TypeVar("Schema", bound=BaseModel)

#: Never shown again after a failed post: a browser must not be handed back a secret.
SECRET_FIELDS = frozenset({"password", "new_password", "current_password", "csrf_token"})
#: A typed value is shown back at most this long (the schema refuses longer ones anyway).
SHOWN_MAX = 10_000
#: Where pydantic does not name a field (a rule across fields), the error goes to the summary.
FORM_FIELD = "form"

# pydantic error type -> (message key, the context values its text needs).
_PYDANTIC_KEYS: dict[str, str] = {
    "missing": "form.error.missing",
    "string_too_short": "form.error.too_short",
    "string_too_long": "form.error.too_long",
    "string_pattern_mismatch": "form.error.pattern",
    "decimal_parsing": "form.error.number",
    "decimal_type": "form.error.number",
    "float_parsing": "form.error.number",
    "int_parsing": "form.error.whole_number",
    "int_from_float": "form.error.whole_number",
    "date_parsing": "form.error.date",
    "date_from_datetime_parsing": "form.error.date",
    "datetime_parsing": "form.error.datetime",
    "datetime_from_date_parsing": "form.error.datetime",
    "greater_than": "form.error.greater_than",
    "greater_than_equal": "form.error.at_least",
    "less_than_equal": "form.error.at_most",
    "enum": "form.error.choice",
    "literal_error": "form.error.choice",
    "decimal_max_places": "form.error.decimals",
}


@dataclass(slots=True)
class FormState:
    """A form as the page shows it: labels' keys, what was typed, and errors by field."""

    fields: Mapping[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, name: str, message: str) -> None:
        """An error on ``name`` (the first one per field is the one shown)."""
        self.errors.setdefault(name if name in self.fields else FORM_FIELD, message)

    def add_problems(self, problems: Iterable[FieldProblem]) -> None:
        """A service's field problems, each beside its field."""
        for problem in problems:
            self.add(_field_name(problem.field), problem_text(problem))

    def add_error(self, error: HetaoError) -> None:
        """A service's refusal: its problems beside their fields, else its detail on top."""
        if error.problems:
            self.add_problems(error.problems)
        else:
            self.errors.setdefault(FORM_FIELD, error_text(error))


def field_attributes(form: FormState, name: str, hint: str | None) -> Markup:
    """``aria-describedby`` (hint, error) and ``aria-invalid`` for a field's input."""
    described = [f"hint-{name}"] * bool(hint) + [f"error-{name}"] * (name in form.errors)
    attributes = []
    if described:
        attributes.append(f'aria-describedby="{escape(" ".join(described))}"')
    if name in form.errors:
        attributes.append('aria-invalid="true"')
    # Every part is a constant or escaped above.
    return Markup(" " + " ".join(attributes)) if attributes else Markup("")  # noqa: S704


def refuse(session: Session, form: FormState, error: HetaoError) -> FormState:
    """Undo what a refused service began, so the page shows what is stored, and put the
    refusal beside its fields (the page's route keeps nothing of a 4xx answer either)."""
    session.rollback()
    form.add_error(error)
    return form


def attempt(session: Session, form: FormState, change: Callable[[], object]) -> bool:
    """Make a service's change; on its refusal, nothing kept and the reason on ``form``.

    A denial is not a refusal: it goes on to the error page (403, or 404 for another party's
    object) and is recorded as one.
    """
    try:
        change()
    except PermissionDenied:
        raise
    except HetaoError as error:
        refuse(session, form, error)
        return False
    return True


def choices(prefix: str, values: Iterable[object]) -> list[tuple[str, str]]:
    """(value, name in the page's language) pairs for a select, named from ``prefix.value``."""
    return [(str(value), label(prefix, value)) for value in values]


def typed(data: FormData | Mapping[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """What was typed in ``fields``, to show again: text only, secrets left out."""
    shown: dict[str, str] = {}
    for name in fields:
        value = data.get(name)
        if isinstance(value, str) and name not in SECRET_FIELDS:
            shown[name] = value[:SHOWN_MAX]
    return shown


def parse(
    schema: type[Schema],
    data: FormData | Mapping[str, Any],
    fields: Mapping[str, str],
    *,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Schema | None, FormState]:
    """Validate ``fields`` of a posted form with ``schema``; empty inputs count as not given.

    ``fields`` maps each form field to its label's key; ``extra`` adds values the page fixes
    itself (the signed-in party, say), which a post cannot change.
    """
    state = FormState(fields=fields, values=typed(data, fields))
    raw: dict[str, Any] = {}
    for name in fields:
        value = data.get(name)
        if isinstance(value, UploadFile):
            continue
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
            raw[name] = value
    raw.update(extra or {})
    try:
        return schema.model_validate(raw), state
    except ValidationError as invalid:
        for error in invalid.errors():
            location = [str(part) for part in error["loc"] if not isinstance(part, int)]
            state.add(location[0] if location else FORM_FIELD, pydantic_text(error))
        return None, state


def pydantic_text(error: Mapping[str, Any]) -> str:
    """A pydantic error in the page's language, with the limit it names."""
    key = _PYDANTIC_KEYS.get(str(error.get("type")))
    if key is None:
        return t("form.error.invalid")
    context = {name: value for name, value in (error.get("ctx") or {}).items()}
    try:
        return t(key, **context)
    except (KeyError, IndexError):
        return t("form.error.invalid")


def problem_text(problem: FieldProblem) -> str:
    """A field problem from its rule code: the catalogue's text where there is one."""
    key = f"problem.{problem.rule}"
    if has_text(key):
        return t(key)
    return catalogue_text(problem.rule) or problem.message


def catalogue_text(code: str) -> str | None:
    """A registered reason's text for ``code`` in the page's language, if it needs no values."""
    found = registered().get(code)
    if found is None or found[1].placeholders:
        return None
    return in_language(found[1].render({}))


def error_text(error: HetaoError) -> str:
    """A refusal's words: the catalogue's text for its kind where there is one, else its detail.

    A detail is the service's English sentence with the values in it; the kind's title is
    shown in the page's language above it by the caller.
    """
    key = f"problem.{error.code}"
    if has_text(key) and not error.detail:
        return t(key)
    return error.detail or t("error.title")


def _field_name(path: str) -> str:
    """The form field of a problem's path (``lines[0].hs_code`` names ``hs_code``)."""
    return path.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]
