"""Data transfer pages: the exporter applies and follows its route; the zone records the
authority's decisions; another party's application is a 404."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from datatransfer.support import batch, exporter, in_state
from factories import bearer
from hetao.auth.principal import Role
from hetao.datatransfer import channel
from hetao.datatransfer import repository as data_repo
from hetao.datatransfer.models import ApplicationStatus, BatchStatus
from hetao.datatransfer.routing import Ground, Purpose, Route
from hetao.profiles import ZoneProfile
from web.portal import post, stranger, unnamed
from web.support import SETUP, is_page

LABELLED = {
    "data.state": ApplicationStatus,
    "data.state_help": ApplicationStatus,
    "data.route": Route,
    "data.route_help": Route,
    "data.ground": Ground,
    "data.purpose": Purpose,
    "data.batch_state": BatchStatus,
}


def application(
    session_maker: sessionmaker[Session], profile: ZoneProfile, state: str
) -> tuple[int, int]:
    """(exporter party id, application id) of a new exporter's application in ``state``."""
    with session_maker() as s:
        party = exporter(s, SETUP, profile)
        made = in_state(s, SETUP, profile, party.id, state)
        ids = party.id, made.id
        s.commit()
    return ids


@pytest.fixture
def signed_in_exporter(
    session_maker: sessionmaker[Session], profile: ZoneProfile, token_for: Callable[..., str]
) -> tuple[int, dict[str, str]]:
    """A party whitelisted for data, and the headers of its enterprise user."""
    with session_maker() as s:
        party = exporter(s, SETUP, profile).id
        s.commit()
    return party, bearer(token_for(Role.ENTERPRISE_USER, party_id=party))


def application_form(**changes: str) -> dict[str, str]:
    """The new-application form as a person fills it in (no exporter: the page fixes it)."""
    fields = {
        "exporter_region": "Shenzhen",
        "recipient_name": "University of Hong Kong",
        "recipient_region": "HK",
        "data_categories": "genomic_sequences, clinical_records",
        "personal_info_subjects": "150000",
        "sensitive_personal_info_subjects": "0",
        "purpose": "research",
    }
    fields.update(changes)
    return fields


class TestLabels:
    def test_every_member_of_each_enum_has_its_name(self) -> None:
        assert unnamed({prefix: [m.value for m in enum] for prefix, enum in LABELLED.items()}) == []


class TestPortal:
    def test_an_exporter_opens_self_assesses_and_files_an_application(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        signed_in_exporter: tuple[int, dict[str, str]],
    ) -> None:
        party, own = signed_in_exporter
        assert (
            'name="exporter_party_id"'
            not in console.get("/portal/data-applications/new", headers=own).text
        )
        answer = post(
            console,
            "/portal/data-applications",
            headers=own,
            data=application_form(),
        )
        assert answer.status_code == 303, answer.text
        path = answer.headers["location"]
        page = console.get(path, headers=own)
        assert f'action="{path}/self-assess"' in page.text
        assert post(console, f"{path}/self-assess", headers=own).status_code == 303
        page = console.get(path, headers=own)
        assert "Greater Bay Area standard contract" in page.text
        assert "R37" in page.text
        assert f'action="{path}/file"' in page.text
        assert f'action="{path}/apply"' not in page.text
        assert (
            post(console, f"{path}/file", headers=own, data={"reference": "GBA-7"}).status_code
            == 303
        )
        with session_maker() as s:
            stored = data_repo.get_application(s, int(path.rsplit("/", 1)[1]))
            assert stored.exporter_party_id == party
            assert stored.status is ApplicationStatus.FILED

    def test_a_bad_region_is_refused_beside_its_field_and_nothing_is_written(
        self,
        console: TestClient,
        signed_in_exporter: tuple[int, dict[str, str]],
    ) -> None:
        _, own = signed_in_exporter
        page = post(
            console,
            "/portal/data-applications",
            headers=own,
            data={
                **application_form(exporter_region="Atlantis", recipient_name="HKU"),
                "important_data": "on",
            },
        )
        assert page.status_code == 422
        assert 'id="error-exporter_region"' in page.text
        assert 'value="HKU"' in page.text
        assert "checked" in page.text  # the ticked box stays ticked
        listed = console.get("/portal/data-applications", headers=own)
        assert "/portal/data-applications/" not in listed.text.replace(
            "/portal/data-applications/new", ""
        )

    def test_batches_of_the_channel_are_listed(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        party, app_id = application(session_maker, profile, "active")
        with session_maker() as s:
            channel.record_batch(
                s,
                data_repo.get_application(s, app_id),
                batch(batch_id="B-PAGE-1"),
                profile=profile,
                actor=SETUP,
            )
            s.commit()
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=party))
        page = console.get(f"/portal/data-applications/{app_id}", headers=own)
        assert "B-PAGE-1" in page.text

    def test_another_partys_application_answers_404(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        _, app_id = application(session_maker, profile, "draft")
        other = stranger(session_maker, token_for)
        assert console.get(f"/portal/data-applications/{app_id}", headers=other).status_code == 404
        answer = post(console, f"/portal/data-applications/{app_id}/self-assess", headers=other)
        assert answer.status_code == 404
        assert is_page(answer)


class TestReview:
    def test_a_reviewer_records_the_approval_then_puts_it_in_force(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        _, app_id = application(session_maker, profile, "filed")
        reviewer = bearer(token_for(Role.ZONE_REVIEWER))
        queue = console.get("/review/data-applications?status=filed", headers=reviewer)
        assert f'/review/data-applications/{app_id}"' in queue.text
        path = f"/review/data-applications/{app_id}"
        page = console.get(path, headers=reviewer)
        assert f'action="{path}/approve"' in page.text
        assert f'action="{path}/reject"' in page.text
        assert "/self-assess" not in page.text  # the exporter's verbs are not the reviewer's
        assert (
            post(
                console, f"{path}/approve", headers=reviewer, data={"reference": "CAC-1"}
            ).status_code
            == 303
        )
        assert post(console, f"{path}/activate", headers=reviewer, data={}).status_code == 303
        with session_maker() as s:
            assert data_repo.get_application(s, app_id).status is ApplicationStatus.ACTIVE

    def test_rejecting_without_a_reason_is_refused_beside_the_field(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        _, app_id = application(session_maker, profile, "filed")
        reviewer = bearer(token_for(Role.ZONE_REVIEWER))
        page = post(console, f"/review/data-applications/{app_id}/reject", headers=reviewer)
        assert page.status_code == 422
        assert 'id="error-reason"' in page.text

    def test_an_enterprise_user_may_not_record_decisions(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        token_for: Callable[..., str],
    ) -> None:
        party, app_id = application(session_maker, profile, "filed")
        own = bearer(token_for(Role.ENTERPRISE_USER, party_id=party))
        answer = post(
            console,
            f"/review/data-applications/{app_id}/approve",
            headers=own,
            data={"reference": "X-1"},
        )
        assert answer.status_code == 403
