"""The registry pages: the zone reviewer's workbench and the enterprise portal's registry part."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import StrEnum
from typing import Protocol, TypeVar

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from factories import (
    make_application,
    make_entry,
    make_party,
    make_person,
    make_vehicle,
    resident_id,
)
from hetao.auth.principal import Role
from hetao.profiles import Exemption, Flow, Line, ZoneProfile
from hetao.registry import service
from hetao.registry.identifiers import DocumentKind
from hetao.registry.models import (
    ApplicationStatus,
    CreditLevel,
    EntryStatus,
    Party,
    PartyKind,
    PartyStatus,
    PlateRegion,
    Residency,
    SubjectKind,
    VehicleKind,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import StandingChange
from hetao.timeutil import zone_today
from hetao.web.i18n import LANGUAGES, MESSAGES
from web.support import SETUP, is_page

LABELLED: dict[str, type[StrEnum]] = {
    "registry.application_status": ApplicationStatus,
    "registry.entry_status": EntryStatus,
    "registry.subject_kind": SubjectKind,
    "registry.party_kind": PartyKind,
    "registry.party_status": PartyStatus,
    "registry.credit_level": CreditLevel,
    "registry.standing_change": StandingChange,
    "registry.residency": Residency,
    "registry.document_kind": DocumentKind,
    "registry.plate_region": PlateRegion,
    "registry.vehicle_kind": VehicleKind,
    "registry.flow": Flow,
    "registry.line": Line,
    "registry.exemption": Exemption,
}


class TestLabels:
    @pytest.mark.parametrize("prefix", sorted(LABELLED))
    def test_every_member_of_the_enum_has_a_name_in_every_language(self, prefix: str) -> None:
        missing = [
            (lang, f"{prefix}.{member.value}")
            for member in LABELLED[prefix]
            for lang in LANGUAGES
            if f"{prefix}.{member.value}" not in MESSAGES[lang]
        ]
        assert missing == []


Signer = Callable[[str], str]
UserMaker = Callable[..., str]


class HasId(Protocol):
    @property
    def id(self) -> int: ...


Model = TypeVar("Model")


def commit(session_maker: sessionmaker[Session], build: Callable[[Session], HasId]) -> int:
    """Make something in a transaction of its own; its id."""
    with session_maker() as s:
        made = build(s).id
        s.commit()
    return made


def submitted(session_maker: sessionmaker[Session], profile: ZoneProfile, **values: object) -> int:
    """A submitted institution application of a fresh party (or the one given)."""

    def build(s: Session) -> WhitelistApplication:
        application = make_application(s, SETUP, profile, **values)
        service.submit(s, application, actor=SETUP)
        return application

    return commit(session_maker, build)


def load(session_maker: sessionmaker[Session], model: type[Model], object_id: int) -> Model:
    with session_maker() as s:
        found = s.get(model, object_id)
        assert found is not None
        s.expunge(found)
        return found


@pytest.fixture
def reviewer(console: TestClient, user: UserMaker, sign_in: Signer) -> str:
    """A signed-in zone reviewer; the session's CSRF token."""
    return sign_in(user(Role.ZONE_REVIEWER))


class TestQueue:
    def test_shows_what_waits_for_review_and_not_drafts(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        waiting = submitted(session_maker, profile)
        draft = commit(session_maker, lambda s: make_application(s, SETUP, profile))
        page = console.get("/review")
        assert page.status_code == 200
        assert f'href="/review/applications/{waiting}"' in page.text
        assert f'href="/review/applications/{draft}"' not in page.text
        drafts = console.get("/review", params={"status": "draft"})
        assert f'href="/review/applications/{draft}"' in drafts.text

    def test_filters_by_kind_party_and_industry(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        party = commit(session_maker, lambda s: make_party(s, SETUP, industry="biomedicine"))
        mine = submitted(session_maker, profile, party_id=party)
        other = submitted(session_maker, profile)
        by_party = console.get("/review", params={"party": party}).text
        assert f'/review/applications/{mine}"' in by_party
        assert f'/review/applications/{other}"' not in by_party
        by_industry = console.get("/review", params={"industry": "biomedicine"}).text
        assert f'/review/applications/{mine}"' in by_industry
        assert f'/review/applications/{other}"' not in by_industry
        by_kind = console.get("/review", params={"kind": "vehicle"}).text
        assert f'/review/applications/{mine}"' not in by_kind

    def test_age_and_order(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        old, new = submitted(session_maker, profile), submitted(session_maker, profile)
        with session_maker() as s:
            found = s.get(WhitelistApplication, old)
            assert found is not None
            assert found.submitted_at is not None
            found.submitted_at -= dt.timedelta(days=10)
            s.commit()
        aged = console.get("/review", params={"age": 5}).text
        assert f'/review/applications/{old}"' in aged
        assert f'/review/applications/{new}"' not in aged
        oldest = console.get("/review").text
        newest = console.get("/review", params={"order": "newest"}).text
        assert oldest.index(f'/applications/{old}"') < oldest.index(f'/applications/{new}"')
        assert newest.index(f'/applications/{new}"') < newest.index(f'/applications/{old}"')

    def test_pages_through_a_long_queue(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        from hetao.registry.views import review

        monkeypatch.setattr(review, "PAGE_SIZE", 2)
        ids = [submitted(session_maker, profile) for _ in range(3)]
        first = console.get("/review").text
        assert 'rel="next"' in first
        second = console.get("/review", params={"page": 1}).text
        assert f'/review/applications/{ids[2]}"' in second
        assert 'rel="prev"' in second
        assert 'rel="next"' not in second

    def test_an_enterprise_user_may_not_open_it(
        self,
        console: TestClient,
        user: UserMaker,
        sign_in: Signer,
        session_maker: sessionmaker[Session],
    ) -> None:
        party = commit(session_maker, lambda s: make_party(s, SETUP))
        sign_in(user(Role.ENTERPRISE_USER, party_id=party))
        response = console.get("/review")
        assert response.status_code == 403
        assert is_page(response)


def decide(console: TestClient, csrf: str, path: str, note: str = "") -> httpx2.Response:
    return console.post(path, data={"csrf_token": csrf, "note": note}, follow_redirects=False)


class TestDecidingAnApplication:
    def test_shows_the_party_its_history_and_the_decisions_open(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        application = submitted(session_maker, profile)
        page = console.get(f"/review/applications/{application}")
        assert page.status_code == 200
        assert "Futian Photonics Test Laboratory" in page.text
        assert "Submitted" in page.text  # the state, and the trail's submit event
        assert "/approve" in page.text
        assert "/decline" in page.text
        assert "request-information" in page.text

    def test_approving_with_a_reason_makes_the_entry(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        application = submitted(session_maker, profile)
        response = decide(
            console, reviewer, f"/review/applications/{application}/approve", "meets R2"
        )
        assert response.status_code == 303
        assert response.headers["location"] == f"/review/applications/{application}?done=approve"
        found = load(session_maker, WhitelistApplication, application)
        assert found.status is ApplicationStatus.APPROVED
        assert found.reviewer_note == "meets R2"
        page = console.get(f"/review/applications/{application}?done=approve").text
        assert "whitelist entry made" in page
        assert "Approved" in page

    def test_declining_without_a_reason_is_refused_beside_the_field(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        application = submitted(session_maker, profile)
        response = decide(console, reviewer, f"/review/applications/{application}/decline")
        assert response.status_code == 422
        assert 'id="error-note"' in response.text
        assert "error-summary" in response.text
        found = load(session_maker, WhitelistApplication, application)
        assert found.status is ApplicationStatus.SUBMITTED

    def test_declining_and_asking_for_information(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        asked, declined = submitted(session_maker, profile), submitted(session_maker, profile)
        decide(console, reviewer, f"/review/applications/{asked}/request-information", "why?")
        decide(console, reviewer, f"/review/applications/{declined}/decline", "not in the CSA")
        assert load(session_maker, WhitelistApplication, asked).status is (
            ApplicationStatus.INFORMATION_REQUESTED
        )
        assert load(session_maker, WhitelistApplication, declined).status is (
            ApplicationStatus.DECLINED
        )

    def test_a_decision_the_state_forbids_is_shown_on_the_page_and_changes_nothing(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        draft = commit(session_maker, lambda s: make_application(s, SETUP, profile))
        response = decide(console, reviewer, f"/review/applications/{draft}/approve", "ok")
        assert response.status_code == 422
        assert "error-summary" in response.text
        assert load(session_maker, WhitelistApplication, draft).status is (ApplicationStatus.DRAFT)


class TestEntries:
    def entry(self, session_maker: sessionmaker[Session], profile: ZoneProfile) -> int:
        def build(s: Session) -> WhitelistEntry:
            party = make_party(s, SETUP)
            return make_entry(s, SETUP, profile, party.id, approved_on=dt.date(2026, 11, 23))

        return commit(session_maker, build)

    def test_suspend_needs_a_reason_then_reinstate_and_revoke(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        entry = self.entry(session_maker, profile)
        refused = decide(console, reviewer, f"/review/entries/{entry}/suspend")
        assert refused.status_code == 422
        assert 'id="error-note"' in refused.text
        done = decide(console, reviewer, f"/review/entries/{entry}/suspend", "inquiry")
        assert done.status_code == 303
        assert load(session_maker, WhitelistEntry, entry).status is EntryStatus.SUSPENDED
        decide(console, reviewer, f"/review/entries/{entry}/reinstate")
        assert load(session_maker, WhitelistEntry, entry).status is EntryStatus.ACTIVE
        decide(console, reviewer, f"/review/entries/{entry}/revoke", "fraud")
        assert load(session_maker, WhitelistEntry, entry).status is EntryStatus.REVOKED
        page = console.get(f"/review/entries/{entry}").text
        assert "Revoked" in page
        assert "fraud" in page

    def test_entries_expiring_within_30_days_are_listed_soonest_first(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        today = zone_today(profile.zone.timezone)

        def ending(days: int) -> Callable[[Session], WhitelistEntry]:
            def build(s: Session) -> WhitelistEntry:
                party = make_party(s, SETUP)
                return make_entry(
                    s,
                    SETUP,
                    profile,
                    party.id,
                    valid_from=today - dt.timedelta(days=30),
                    valid_until=today + dt.timedelta(days=days),
                    approved_on=today,
                )

            return build

        later, sooner, far = (
            commit(session_maker, ending(20)),
            commit(session_maker, ending(3)),
            commit(session_maker, ending(90)),
        )
        page = console.get("/review/entries/expiring").text
        assert page.index(f'/review/entries/{sooner}"') < page.index(f'/review/entries/{later}"')
        assert f'/review/entries/{far}"' not in page
        assert "expire within 30 days" in console.get("/review").text


class TestParty:
    def test_records_a_credit_level_and_refuses_a_missing_document(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        party = commit(session_maker, lambda s: make_party(s, SETUP))
        page = console.get(f"/review/parties/{party}")
        assert page.status_code == 200
        assert "Certified enterprise" in page.text
        today = zone_today(profile.zone.timezone).isoformat()
        form = {"csrf_token": reviewer, "change": "credit_level", "effective_on": today}
        refused = console.post(
            f"/review/parties/{party}/standings",
            data={**form, "credit_level": "dishonest"},
            follow_redirects=False,
        )
        assert refused.status_code == 422
        assert 'id="error-document_ref"' in refused.text
        assert 'value="dishonest" selected' in refused.text
        done = console.post(
            f"/review/parties/{party}/standings",
            data={**form, "credit_level": "dishonest", "document_ref": "GACC-2026-1"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert load(session_maker, Party, party).credit_level is CreditLevel.DISHONEST
        assert "GACC-2026-1" in console.get(f"/review/parties/{party}").text


PERSON_HEADER = (
    "family_name,given_name,birth_date,residency,nationality,document_kind,document_number,"
    "document_issuing_country"
)


class TestBulkImport:
    def upload(self, console: TestClient, csrf: str, kind: str, text: str) -> httpx2.Response:
        return console.post(
            f"/review/imports/{kind}",
            data={"csrf_token": csrf},
            files={"file": ("rows.csv", text.encode(), "text/csv")},
            follow_redirects=False,
        )

    def test_imports_every_row_and_reports_them(self, console: TestClient, reviewer: str) -> None:
        birth = dt.date(1988, 3, 4)
        rows = [
            f"Li,Ming{i},{birth},mainland,CN,mainland_resident_id,{resident_id(birth)},CN"
            for i in range(2)
        ]
        response = self.upload(console, reviewer, "persons", "\n".join([PERSON_HEADER, *rows]))
        assert response.status_code == 200
        assert "All 2 rows were accepted" in response.text

    def test_one_bad_row_imports_nothing_and_names_its_row_and_rule(
        self, console: TestClient, reviewer: str, session_maker: sessionmaker[Session]
    ) -> None:
        birth = dt.date(1988, 3, 4)
        good = f"Li,Ming,{birth},mainland,CN,mainland_resident_id,{resident_id(birth)},CN"
        bad = f"Wu,Fang,{birth},mainland,CN,mainland_resident_id,440304198803040000,CN"
        response = self.upload(console, reviewer, "persons", f"{PERSON_HEADER}\n{good}\n{bad}\n")
        assert response.status_code == 422
        report = re.search(r'<table class="import-report">.*?</table>', response.text, re.S)
        assert report is not None
        assert '<td class="num">3</td>' in report.group(0)
        assert "document_number" in report.group(0)
        assert "All 2 rows" not in response.text

    def test_no_file_is_an_error_beside_the_field(self, console: TestClient, reviewer: str) -> None:
        response = console.post(
            "/review/imports/vehicles", data={"csrf_token": reviewer}, follow_redirects=False
        )
        assert response.status_code == 422
        assert "Choose a CSV file" in response.text


# --- the enterprise portal -------------------------------------------------------------------


@pytest.fixture
def parties(session_maker: sessionmaker[Session]) -> tuple[int, int]:
    """Two beneficiary parties: the signed-in user's own, and another."""
    own = commit(session_maker, lambda s: make_party(s, SETUP, name_en="Own Lab Ltd"))
    other = commit(session_maker, lambda s: make_party(s, SETUP, name_en="Other Lab Ltd"))
    return own, other


@pytest.fixture
def enterprise(
    console: TestClient, user: UserMaker, sign_in: Signer, parties: tuple[int, int]
) -> str:
    """A signed-in enterprise user of the own party; the session's CSRF token."""
    return sign_in(user(Role.ENTERPRISE_USER, party_id=parties[0]))


APPLICATION_FORM = {
    "subject_kind": "institution",
    "flows": ["people", "goods"],
    "lines": ["first"],
    "justification": "Photonics research at the zone",
}


class TestPortal:
    def test_home_shows_the_party_and_its_entries_soonest_expiry_first(
        self,
        console: TestClient,
        enterprise: str,
        parties: tuple[int, int],
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        own, other = parties
        late = commit(
            session_maker,
            lambda s: make_entry(
                s,
                SETUP,
                profile,
                own,
                valid_until=dt.date(2027, 12, 31),
                approved_on=dt.date(2026, 11, 23),
            ),
        )
        hidden = commit(
            session_maker,
            lambda s: make_entry(s, SETUP, profile, other, approved_on=dt.date(2026, 11, 23)),
        )
        page = console.get("/portal")
        assert page.status_code == 200
        assert "Own Lab Ltd" in page.text
        assert "Other Lab Ltd" not in page.text
        assert re.search(rf">\s*{late}\s*<", page.text)
        assert not re.search(rf">\s*{hidden}\s*<", page.text)
        assert 'href="/portal/applications"' in page.text  # a panel

    def test_a_missing_field_is_shown_beside_it_with_what_was_typed_kept(
        self, console: TestClient, enterprise: str
    ) -> None:
        form = {**APPLICATION_FORM, "lines": [], "csrf_token": enterprise}
        response = console.post("/portal/applications", data=form, follow_redirects=False)
        assert response.status_code == 422
        assert 'id="error-lines"' in response.text
        assert "error-summary" in response.text
        assert "Photonics research at the zone" in response.text
        assert 'value="goods" checked' in response.text

    def test_creates_submits_and_answers_for_its_own_party(
        self,
        console: TestClient,
        enterprise: str,
        parties: tuple[int, int],
        session_maker: sessionmaker[Session],
    ) -> None:
        form = {**APPLICATION_FORM, "csrf_token": enterprise, "party_id": str(parties[1])}
        created = console.post("/portal/applications", data=form, follow_redirects=False)
        assert created.status_code == 303, created.text
        application_id = int(created.headers["location"].split("/")[-1].split("?")[0])
        found = load(session_maker, WhitelistApplication, application_id)
        assert found.party_id == parties[0]  # never a field
        submit = console.post(
            f"/portal/applications/{application_id}/submit",
            data={"csrf_token": enterprise},
            follow_redirects=False,
        )
        assert submit.status_code == 303
        with session_maker() as s:
            application = s.get(WhitelistApplication, application_id)
            assert application is not None
            service.request_information(s, application, note="Which lab?", actor=SETUP)
            s.commit()
        page = console.get(f"/portal/applications/{application_id}").text
        assert "Which lab?" in page
        empty = console.post(
            f"/portal/applications/{application_id}/resubmit",
            data={"csrf_token": enterprise, "answer": ""},
            follow_redirects=False,
        )
        assert empty.status_code == 422
        assert 'id="error-answer"' in empty.text
        answered = console.post(
            f"/portal/applications/{application_id}/resubmit",
            data={"csrf_token": enterprise, "answer": "Building 3"},
            follow_redirects=False,
        )
        assert answered.status_code == 303
        assert load(session_maker, WhitelistApplication, application_id).status is (
            ApplicationStatus.RESUBMITTED
        )

    def test_registers_persons_and_vehicles_of_its_own_party(
        self,
        console: TestClient,
        enterprise: str,
        parties: tuple[int, int],
        session_maker: sessionmaker[Session],
    ) -> None:
        birth = dt.date(1992, 6, 1)
        person = {
            "csrf_token": enterprise,
            "family_name": "Huang",
            "given_name": "Wei",
            "birth_date": birth.isoformat(),
            "residency": "mainland",
            "nationality": "CN",
            "document_kind": "mainland_resident_id",
            "document_number": "440304199206010000",
            "document_issuing_country": "CN",
            "role": "engineer",
        }
        refused = console.post("/portal/persons", data=person, follow_redirects=False)
        assert refused.status_code == 422
        assert 'id="error-document_number"' in refused.text
        assert 'value="Huang"' in refused.text
        person["document_number"] = resident_id(birth)
        added = console.post("/portal/persons", data=person, follow_redirects=False)
        assert added.status_code == 303, added.text
        assert "Huang Wei" in console.get("/portal/persons").text
        vehicle = {
            "csrf_token": enterprise,
            "plate": "粤Z1234港",
            "plate_region": "cross_boundary",
            "hk_plate": "TX88",
            "kind": "channel1_car",
        }
        added = console.post("/portal/vehicles", data=vehicle, follow_redirects=False)
        assert added.status_code == 303, added.text
        assert "TX88" in console.get("/portal/vehicles").text

    def test_another_partys_objects_answer_404(
        self,
        console: TestClient,
        enterprise: str,
        parties: tuple[int, int],
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        other = parties[1]
        application = commit(
            session_maker, lambda s: make_application(s, SETUP, profile, party_id=other)
        )
        person = commit(session_maker, lambda s: make_person(s, SETUP, other))
        vehicle = commit(session_maker, lambda s: make_vehicle(s, SETUP, profile, other))
        for path in (
            f"/portal/applications/{application}",
            f"/portal/persons/{person}",
            f"/portal/vehicles/{vehicle}",
        ):
            response = console.get(path)
            assert response.status_code == 404, path
            assert is_page(response)
        submit = console.post(
            f"/portal/applications/{application}/submit",
            data={"csrf_token": enterprise},
            follow_redirects=False,
        )
        assert submit.status_code == 404
        assert load(session_maker, WhitelistApplication, application).status is (
            ApplicationStatus.DRAFT
        )

    def test_a_reviewer_has_no_portal(self, console: TestClient, reviewer: str) -> None:
        assert console.get("/portal").status_code == 403


class TestMenu:
    def test_one_entry_is_current_on_a_page_under_the_queue(
        self, console: TestClient, reviewer: str
    ) -> None:
        page = console.get("/review/entries/expiring").text
        assert page.count('aria-current="page"') == 1
        assert 'href="/review/entries/expiring" aria-current="page"' in page

    def test_a_decision_posted_without_the_forms_token_is_refused(
        self,
        console: TestClient,
        reviewer: str,
        session_maker: sessionmaker[Session],
        profile: ZoneProfile,
    ) -> None:
        application = submitted(session_maker, profile)
        response = console.post(
            f"/review/applications/{application}/decline",
            data={"note": "forged"},
            follow_redirects=False,
        )
        assert response.status_code == 403
        assert load(session_maker, WhitelistApplication, application).status is (
            ApplicationStatus.SUBMITTED
        )
