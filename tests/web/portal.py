"""Helpers for the portal and review page tests: form posts, another party's user, labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from factories import bearer, make_party
from hetao.auth.principal import Role
from hetao.web.i18n import LANGUAGES, MESSAGES
from web.support import SETUP


def post(client: TestClient, url: str, **kwargs: Any) -> Any:
    """A form post as a browser sends it, the redirect (303 See Other) not followed."""
    return client.post(url, follow_redirects=False, **kwargs)


def stranger(session_maker: sessionmaker[Session], token_for: Callable[..., str]) -> dict[str, str]:
    """The headers of an enterprise user of a new party that owns nothing."""
    with session_maker() as s:
        party = make_party(s, SETUP).id
        s.commit()
    return bearer(token_for(Role.ENTERPRISE_USER, party_id=party))


def unnamed(labelled: Mapping[str, Iterable[object]]) -> list[tuple[str, str]]:
    """(language, key) of every ``prefix.value`` a catalogue lacks, for each labelled value."""
    return [
        (lang, f"{prefix}.{value}")
        for prefix, values in labelled.items()
        for value in values
        for lang in LANGUAGES
        if f"{prefix}.{value}" not in MESSAGES[lang]
    ]
