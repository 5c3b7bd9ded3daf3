"""Inspection and override pages: the queue oldest first, assign/start/result, the second
officer on adjustments and overturned refusals, photos with their SHA-256 audited, a result
sent twice recorded once."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from declarations.support import admitted
from factories import bearer, make_party
from hetao.audit.models import AuditEvent
from hetao.auth import service as auth
from hetao.auth.principal import Principal, Role
from hetao.engine.facts import Outcome
from hetao.inspections import results, service
from hetao.inspections.models import Inspection, InspectionStatus
from hetao.inspections.views.goods import goods_by_decision
from hetao.ledger.models import Hold, Lot
from hetao.profiles import ZoneProfile
from hetao.storage.types import utcnow
from inspections.support import FIRST_POINT, GATE, decided, officer
from web.portal import post
from web.support import SETUP, is_page

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _cheap(cheap_hashing: None) -> None:
    """Officers are real users; argon2 at full cost would dominate these tests."""


@dataclass
class Officer:
    id: int
    headers: dict[str, str]


def make_officer(
    session_maker: sessionmaker[Session], role: Role = Role.FIRST_LINE_OFFICER
) -> Officer:
    with session_maker() as s:
        principal: Principal = officer(s, role)
        _, raw = auth.issue_token(
            s,
            name="page-test",
            roles=[role],
            user_id=principal.id,
            expires_at=utcnow() + dt.timedelta(days=1),
            actor=SETUP,
        )
        s.commit()
    return Officer(principal.id, bearer(raw))


@pytest.fixture
def first(session_maker: sessionmaker[Session]) -> Officer:
    return make_officer(session_maker)


@pytest.fixture
def second(session_maker: sessionmaker[Session]) -> Officer:
    return make_officer(session_maker)


@pytest.fixture
def lot_id(session_maker: sessionmaker[Session], profile: ZoneProfile) -> int:
    with session_maker() as s:
        lot = admitted(s, make_party(s, SETUP), profile, SETUP, bonded=True)
        s.commit()
        return lot.id


def queued(
    session_maker: sessionmaker[Session],
    *,
    lots: tuple[int, ...] = (),
    opened_at: dt.datetime | None = None,
) -> int:
    with session_maker() as s:
        carrying = [s.get(Lot, lot) for lot in lots]
        decision = decided(s, carrying=[lot for lot in carrying if lot is not None])
        inspection = service.open_inspection(
            s, decision.id, crossing_point=FIRST_POINT, actor=GATE, now=opened_at
        )
        s.commit()
        return inspection.id


def in_progress(console: TestClient, who: Officer, inspection_id: int) -> None:
    assigned = post(
        console,
        f"/port/inspections/{inspection_id}/assign",
        data={"officer": "me"},
        headers=who.headers,
    )
    assert assigned.status_code == 303, assigned.text
    started = post(console, f"/port/inspections/{inspection_id}/start", headers=who.headers)
    assert started.status_code == 303, started.text


def status_of(session_maker: sessionmaker[Session], inspection_id: int) -> InspectionStatus:
    with session_maker() as s:
        inspection = s.get(Inspection, inspection_id)
        assert inspection is not None
        return inspection.status


def events(session_maker: sessionmaker[Session], tag: str, subject_id: int) -> list[AuditEvent]:
    with session_maker() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.tag == tag, AuditEvent.subject_id == str(subject_id)
                )
            )
        )


class TestQueue:
    def test_oldest_first_with_what_to_inspect(
        self, console: TestClient, session_maker: sessionmaker[Session], first: Officer, lot_id: int
    ) -> None:
        now = utcnow()
        newer = queued(session_maker, opened_at=now - dt.timedelta(minutes=1))
        older = queued(session_maker, lots=(lot_id,), opened_at=now - dt.timedelta(hours=1))
        page = console.get(f"/port/inspections?point={FIRST_POINT}", headers=first.headers)
        assert page.status_code == 200, page.text
        assert page.text.index(f'id="inspection-{older}"') < page.text.index(
            f'id="inspection-{newer}"'
        )
        # The goods: a consignment line and its lot with the balance.
        assert f"/portal/ledger/lots/{lot_id}" in page.text
        assert f'data-lot-balance="{lot_id}"' in page.text
        assert "Assign to me" in page.text

    def test_the_lots_shown_are_those_a_result_may_name(
        self, session_maker: sessionmaker[Session], lot_id: int
    ) -> None:
        inspection = queued(session_maker, lots=(lot_id,))
        with session_maker() as s:
            found = s.get(Inspection, inspection)
            assert found is not None
            decision = service.get_decision(s, found.decision_id)
            shown = goods_by_decision(s, [decision])[decision.id]
            covered = results.inspected_goods(s, decision)
        assert {lot.id for lot in shown.lots} == set(covered.lot_ids) == {lot_id}
        assert shown.carried is covered.carried_goods

    def test_in_chinese(
        self, console: TestClient, session_maker: sessionmaker[Session], first: Officer
    ) -> None:
        queued(session_maker)
        page = console.get(
            f"/port/inspections?point={FIRST_POINT}",
            headers={**first.headers, "Accept-Language": "zh-CN"},
        )
        assert "查验队列" in page.text
        assert "分派给我" in page.text

    def test_a_point_of_another_line_is_not_shown(
        self, console: TestClient, first: Officer
    ) -> None:
        page = console.get("/port/inspections?point=SL_GOODS", headers=first.headers)
        assert page.status_code == 404
        assert is_page(page)

    def test_assign_by_workload(
        self, console: TestClient, session_maker: sessionmaker[Session], first: Officer
    ) -> None:
        inspection = queued(session_maker)
        answer = post(
            console,
            f"/port/inspections/{inspection}/assign",
            data={"officer": "workload", "point": FIRST_POINT},
            headers=first.headers,
        )
        assert answer.status_code == 303
        assert answer.headers["location"].endswith(f"/port/inspections?point={FIRST_POINT}")
        assert status_of(session_maker, inspection) is InspectionStatus.ASSIGNED

    def test_an_administrator_cannot_take_an_inspection_himself(
        self, console: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        admin = make_officer(session_maker, Role.ADMINISTRATOR)
        inspection = queued(session_maker)
        answer = post(
            console,
            f"/port/inspections/{inspection}/assign",
            data={"officer": "me"},
            headers=admin.headers,
        )
        assert answer.status_code == 422
        assert 'id="error-summary"' in answer.text
        assert status_of(session_maker, inspection) is InspectionStatus.QUEUED

    def test_a_second_line_officer_may_not_open_a_first_line_inspection(
        self, console: TestClient, session_maker: sessionmaker[Session]
    ) -> None:
        other = make_officer(session_maker, Role.SECOND_LINE_OFFICER)
        inspection = queued(session_maker)
        page = console.get(f"/port/inspections/{inspection}", headers=other.headers)
        assert page.status_code == 403
        assert is_page(page)


class TestResult:
    def test_assign_start_conforms(
        self, console: TestClient, session_maker: sessionmaker[Session], first: Officer
    ) -> None:
        inspection = queued(session_maker)
        in_progress(console, first, inspection)
        page = console.get(f"/port/inspections/{inspection}", headers=first.headers)
        assert 'enctype="multipart/form-data"' in page.text
        assert 'accept="image/*" capture' in page.text
        answer = post(
            console,
            f"/port/inspections/{inspection}/result",
            data={"result": "conforms", "result_key": "key-conforms-1"},
            headers=first.headers,
        )
        assert answer.status_code == 303, answer.text
        assert status_of(session_maker, inspection) is InspectionStatus.COMPLETED
        assert (
            "Conforms" in console.get(f"/port/inspections/{inspection}", headers=first.headers).text
        )

    def test_discrepancy_approved_by_a_second_officer_changes_the_balance(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        first: Officer,
        second: Officer,
        lot_id: int,
    ) -> None:
        with session_maker() as s:
            before = s.get(Lot, lot_id).balance  # type: ignore[union-attr]
        inspection = queued(session_maker, lots=(lot_id,))
        in_progress(console, first, inspection)
        answer = post(
            console,
            f"/port/inspections/{inspection}/result",
            data={
                "result": "discrepancy",
                "findings": "Two kits short.",
                "adj_lot_id_0": str(lot_id),
                "adj_quantity_0": "-2",
                "adj_reason_0": "Two kits short of the declaration",
            },
            headers=first.headers,
        )
        assert answer.status_code == 303, answer.text
        with session_maker() as s:
            found = s.get(Inspection, inspection)
            assert found is not None
            (proposal,) = found.adjustments
            adjustment = proposal.id
        # The proposer sees the two-person rule, not the buttons; posting anyway is refused.
        mine = console.get(f"/port/inspections/{inspection}", headers=first.headers)
        assert "a second, different officer must approve" in mine.text
        waiting = console.get("/port/overrides", headers=second.headers)
        assert f'id="adjustment-{adjustment}"' in waiting.text
        assert (
            f'id="adjustment-{adjustment}"'
            not in console.get("/port/overrides", headers=first.headers).text
        )
        refused = post(console, f"/port/adjustments/{adjustment}/approve", headers=first.headers)
        assert refused.status_code == 422
        assert is_page(refused)
        assert "second, different officer must decide it" in refused.text
        approved = post(
            console,
            f"/port/adjustments/{adjustment}/approve",
            data={"note": "Recounted"},
            headers=second.headers,
        )
        assert approved.status_code == 303, approved.text
        with session_maker() as s:
            after = s.get(Lot, lot_id).balance  # type: ignore[union-attr]
        assert after == before - Decimal(2)

    def test_a_bad_row_is_named_beside_its_group(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        first: Officer,
        lot_id: int,
    ) -> None:
        inspection = queued(session_maker, lots=(lot_id,))
        in_progress(console, first, inspection)
        answer = post(
            console,
            f"/port/inspections/{inspection}/result",
            data={
                "result": "discrepancy",
                "findings": "Short.",
                "adj_lot_id_0": str(lot_id),
                "adj_quantity_0": "lots",
                "adj_reason_0": "short",
            },
            headers=first.headers,
        )
        assert answer.status_code == 422
        assert re.search(r'id="error-adjustments">Row 1, Quantity', answer.text)
        assert status_of(session_maker, inspection) is InspectionStatus.IN_PROGRESS

    def test_seizure_holds_the_goods(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        first: Officer,
        lot_id: int,
    ) -> None:
        inspection = queued(session_maker, lots=(lot_id,))
        in_progress(console, first, inspection)
        answer = post(
            console,
            f"/port/inspections/{inspection}/result",
            data={
                "result": "seizure",
                "findings": "No cold-chain record.",
                "sz_lot_id_0": str(lot_id),
                "sz_quantity_0": "3",
            },
            headers=first.headers,
        )
        assert answer.status_code == 303, answer.text
        with session_maker() as s:
            holds = list(s.scalars(select(Hold).where(Hold.lot_id == lot_id)))
        assert [h.quantity for h in holds] == [Decimal(3)]
        page = console.get(f"/port/inspections/{inspection}", headers=first.headers)
        assert "Goods seized" in page.text


class TestPhotosAndReplays:
    def test_photo_sha256_is_in_the_audit_event_and_served_safely(
        self, console: TestClient, session_maker: sessionmaker[Session], first: Officer
    ) -> None:
        inspection = queued(session_maker)
        in_progress(console, first, inspection)
        answer = post(
            console,
            f"/port/inspections/{inspection}/result",
            data={"result": "conforms", "result_key": "key-photo-1"},
            files=[("photos", ("seal.png", PNG, "image/png"))],
            headers=first.headers,
        )
        assert answer.status_code == 303, answer.text
        (completed,) = events(session_maker, "crossing:inspection:complete", inspection)
        (photo,) = completed.data["photos"]
        assert photo["sha256"] == hashlib.sha256(PNG).hexdigest()
        served = console.get(
            f"/port/inspections/{inspection}/photos/{photo['id']}", headers=first.headers
        )
        assert served.status_code == 200
        assert served.headers["content-type"] == "image/png"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.content == PNG
        page = console.get(f"/port/inspections/{inspection}", headers=first.headers)
        assert photo["sha256"] in page.text

    @pytest.mark.parametrize(
        ("content", "words"),
        [
            (b"<script>alert(1)</script>", "is not a photo"),
            (b"\xff\xd8\xff" + b"\x00" * (3 * 1024 * 1024), "too large"),
        ],
        ids=["not-an-image", "oversize"],
    )
    def test_a_bad_upload_is_refused_naming_the_field(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        first: Officer,
        content: bytes,
        words: str,
    ) -> None:
        inspection = queued(session_maker)
        in_progress(console, first, inspection)
        answer = post(
            console,
            f"/port/inspections/{inspection}/result",
            data={"result": "conforms"},
            files=[("photos", ("photo.jpg", content, "image/jpeg"))],
            headers=first.headers,
        )
        assert answer.status_code == 422
        assert is_page(answer)
        assert 'id="error-photos"' in answer.text
        assert words in answer.text
        assert status_of(session_maker, inspection) is InspectionStatus.IN_PROGRESS

    def test_a_result_sent_twice_is_recorded_once(
        self, console: TestClient, session_maker: sessionmaker[Session], first: Officer
    ) -> None:
        inspection = queued(session_maker)
        in_progress(console, first, inspection)
        form = {"result": "conforms", "result_key": "tablet-replay-0001"}
        for _ in range(2):
            answer = post(
                console, f"/port/inspections/{inspection}/result", data=form, headers=first.headers
            )
            assert answer.status_code == 303, answer.text
        assert len(events(session_maker, "crossing:inspection:complete", inspection)) == 1
        # Another key on a completed inspection is a refusal, shown on the page.
        other = post(
            console,
            f"/port/inspections/{inspection}/result",
            data={"result": "conforms", "result_key": "another-key-0002"},
            headers=first.headers,
        )
        assert other.status_code in (409, 422)
        assert is_page(other)


class TestOverrides:
    def refused(self, session_maker: sessionmaker[Session]) -> int:
        with session_maker() as s:
            decision = decided(s, outcome=Outcome.REFUSE)
            s.commit()
            return decision.id

    def test_overturning_a_refuse_waits_for_a_second_officer(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        first: Officer,
        second: Officer,
    ) -> None:
        decision = self.refused(session_maker)
        form = console.get(f"/port/decisions/{decision}/override", headers=first.headers)
        assert form.status_code == 200
        assert "only once a second, different officer confirms" in form.text
        missing = post(
            console,
            f"/port/decisions/{decision}/override",
            data={"to_outcome": "release"},
            headers=first.headers,
        )
        assert missing.status_code == 422
        assert 'id="error-reason"' in missing.text
        proposed = post(
            console,
            f"/port/decisions/{decision}/override",
            data={"to_outcome": "release", "reason": "Permit shown at the counter."},
            headers=first.headers,
        )
        assert proposed.status_code == 303, proposed.text
        mine = console.get("/port/overrides", headers=first.headers)
        assert "Permit shown at the counter." in mine.text
        assert "You proposed this override" in mine.text
        override = int(re.findall(r'id="override-(\d+)"', mine.text)[0])
        refused = post(console, f"/port/overrides/{override}/confirm", headers=first.headers)
        assert refused.status_code == 422
        assert "second, different officer must decide it" in refused.text
        waiting = console.get("/port/overrides", headers=second.headers)
        assert f"/port/overrides/{override}/confirm" in waiting.text
        confirmed = post(
            console,
            f"/port/overrides/{override}/confirm",
            data={"note": "Checked with the issuing office."},
            headers=second.headers,
        )
        assert confirmed.status_code == 303, confirmed.text
        with session_maker() as s:
            assert service.effective_outcome(s, decision) is Outcome.RELEASE
        page = console.get(f"/port/decisions/{decision}/override", headers=second.headers)
        assert re.search(r'id="outcome-in-force">\s*<span class="badge ok">Release', page.text)

    def test_an_override_rejected_leaves_the_decision(
        self,
        console: TestClient,
        session_maker: sessionmaker[Session],
        first: Officer,
        second: Officer,
    ) -> None:
        decision = self.refused(session_maker)
        post(
            console,
            f"/port/decisions/{decision}/override",
            data={"to_outcome": "release", "reason": "Looks fine."},
            headers=first.headers,
        )
        page = console.get("/port/overrides", headers=second.headers)
        override = int(re.findall(r"/port/overrides/(\d+)/reject", page.text)[0])
        no_note = post(console, f"/port/overrides/{override}/reject", headers=second.headers)
        assert no_note.status_code == 422
        rejected = post(
            console,
            f"/port/overrides/{override}/reject",
            data={"note": "Entry still suspended."},
            headers=second.headers,
        )
        assert rejected.status_code == 303
        with session_maker() as s:
            assert service.effective_outcome(s, decision) is Outcome.REFUSE
