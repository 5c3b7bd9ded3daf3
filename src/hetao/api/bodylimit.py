"""What a request may bring: a bounded body (413 before it is read whole), plain text.

A declared Content-Length above the route's limit is refused before a byte of the body is read;
a body sent without one (chunked) is counted as it arrives and refused the moment it passes the
limit. Either way the server never holds more than the limit of one request's body.
"""

from __future__ import annotations

from fastapi import Request

from hetao.api.state import app_state
from hetao.errors import BodyTooLarge, FieldProblem, ValidationFailed
from hetao.inputs import text_fault

#: ``openapi_extra`` of a route that takes bulk bodies (CSV imports): the profile's larger limit.
BULK_BODY = {"x-hetao-body-limit": "bulk"}
_ADMITTED = "hetao.body_admitted"


def body_limit(request: Request, openapi_extra: dict[str, object] | None) -> int:
    """The largest body the route takes, in bytes, from the profile in force."""
    limits = app_state(request).profile.api
    bulk = (openapi_extra or {}).get("x-hetao-body-limit") == "bulk"
    return int(limits.max_bulk_body_bytes if bulk else limits.max_body_bytes)


async def admit_body(request: Request, limit: int) -> None:
    """Refuse a declared body above ``limit``; read an undeclared one now, up to ``limit``.

    Called before anything reads the body; a second call for the same request does nothing.
    A chunked body is read here, counted as it arrives, because a failure inside the endpoint's
    own read would be reported as a malformed body (400), not as one too large.
    """
    if request.scope.get(_ADMITTED):
        return
    request.scope[_ADMITTED] = True
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise ValidationFailed.single(
                "Content-Length", "http.content_length", "must be a whole number of bytes"
            )
        if int(declared) > limit:
            raise BodyTooLarge(limit)
        return  # the server reads exactly the declared length, never more
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    # Where Starlette keeps a body it has read: the endpoint, its form parser and an
    # Idempotency-Key fingerprint all read it from here.
    request._body = b"".join(chunks)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def refuse_control_characters(request: Request) -> None:
    """Refuse control characters in the decoded path, query and form fields (see hetao.inputs).

    Request bodies are checked by their schemas (hetao.inputs.InputModel); these strings reach
    no schema of ours, yet some go to the database as they are. The route classes call it for
    every request, after the body is admitted (hetao.api.bodylimit).
    """
    fields = [*request.path_params.items(), *request.query_params.multi_items()]
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        # Buffered first, so the endpoint and an Idempotency-Key fingerprint read the same
        # bytes; the form is parsed once and kept for the endpoint's Form() parameters.
        await request.body()
        form = await request.form()
        fields += [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    problems = []
    for name, value in fields:
        name_fault, value_fault = text_fault(name), text_fault(value)
        if name_fault is not None:  # the name itself cannot be shown as it is
            problems.append(FieldProblem(repr(name), *name_fault))
        elif value_fault is not None:
            problems.append(FieldProblem(name, *value_fault))
    if problems:
        raise ValidationFailed(f"{problems[0].field}: {problems[0].message}", problems=problems)
