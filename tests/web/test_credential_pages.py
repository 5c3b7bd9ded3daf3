"""Credential pages of the portal: an enterprise lists its researchers' credentials and issues
one (the token shown once); another party's credential is a 404."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from credentials.support import whitelisted
from factories import bearer, make_party, make_person
from hetao.auth.principal import Role
from hetao.credentials.models import CredentialStatus
from hetao.profiles import ZoneProfile
from hetao.registry.models import Affiliation
from web.portal import post, stranger, unnamed
from web.support import SETUP, is_page

#: The states a page shows: the stored ones, and "expired" read from the window.
STATES = [*(s.value for s in CredentialStatus), "expired"]


def researcher(session_maker: sessionmaker[Session], profile: ZoneProfile) -> tuple[int, int]:
    """(party id, person id) of a whitelisted researcher of a new party."""
    with session_maker() as s:
        person, _ = whitelisted(s, SETUP, profile)
        party = s.query(Affiliation).filter_by(person_id=person.id).one().party_id
        s.commit()
    return party, person.id


class TestLabels:
    def test_every_state_has_its_name(self) -> None:
        assert unnamed({"credentials.state": STATES}) == []


class TestPortalCredentials:
    def test_issue_shows_the_token_once_and_the_list_shows_state_and_expiry(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        party, person = researcher(session_maker, profile)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=party))
        page = console.get("/portal/credentials", headers=own)
        assert "No credential yet." in page.text
        issued = post(console, "/portal/credentials", headers=own, data={"person_id": person})
        assert issued.status_code == 200, issued.text
        assert "HZC1." in issued.text
        credential_id = re.search(r"<code>([A-Za-z0-9_-]{22})</code>", issued.text)
        assert credential_id is not None
        listed = console.get("/portal/credentials", headers=own)
        assert "HZC1." not in listed.text  # the token is never shown again
        assert f"/portal/credentials/{credential_id.group(1)}" in listed.text
        assert "Active" in listed.text
        detail = console.get(f"/portal/credentials/{credential_id.group(1)}", headers=own)
        assert detail.status_code == 200

    def test_a_person_without_a_whitelist_entry_is_refused_on_the_form(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
    ) -> None:
        with session_maker() as s:
            party = make_party(s, SETUP).id
            person = make_person(s, SETUP, party).id
            s.commit()
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=party))
        page = post(console, "/portal/credentials", headers=own, data={"person_id": person})
        assert page.status_code == 422
        assert 'class="alert error-summary"' in page.text

    def test_another_partys_person_and_credential_answer_404(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        party, person = researcher(session_maker, profile)
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=party))
        issued = post(console, "/portal/credentials", headers=own, data={"person_id": person})
        found = re.search(r"<code>([A-Za-z0-9_-]{22})</code>", issued.text)
        assert found is not None
        other = stranger(session_maker, token_for)
        assert (
            console.get(f"/portal/credentials/{found.group(1)}", headers=other).status_code == 404
        )
        refused = post(console, "/portal/credentials", headers=other, data={"person_id": person})
        assert refused.status_code == 404
        assert is_page(refused)
        listed = console.get("/portal/credentials", headers=other)
        assert "Your party has no researchers registered." in listed.text
