"""The reviewer's workbench queries: the queue's filters and order, and entries expiring soon."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from factories import make_application, make_entry, make_party
from hetao.audit.service import Actor
from hetao.profiles import ZoneProfile
from hetao.registry import repository as repo
from hetao.registry import service
from hetao.registry.models import ApplicationStatus, WhitelistApplication
from hetao.storage.types import utcnow

WAITING = [ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED]


def submitted(
    session: Session, actor: Actor, profile: ZoneProfile, **values: object
) -> WhitelistApplication:
    application = make_application(session, actor, profile, **values)
    service.submit(session, application, actor=actor)
    return application


def queue(session: Session, **filters: object) -> list[int]:
    arguments: dict[str, object] = {
        "statuses": WAITING,
        "subject_kind": None,
        "party_id": None,
        "industry": None,
        "submitted_before": None,
        "newest_first": False,
        "page": 0,
        "limit": 50,
    }
    arguments.update(filters)
    return [a.id for a in repo.review_queue(session, **arguments).items]  # type: ignore[arg-type]


class TestReviewQueue:
    def test_waiting_applications_oldest_first_and_no_drafts(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        first, second = submitted(session, actor, profile), submitted(session, actor, profile)
        second.submitted_at = utcnow() + dt.timedelta(seconds=5)
        draft = make_application(session, actor, profile)
        assert queue(session) == [first.id, second.id]
        assert queue(session, newest_first=True) == [second.id, first.id]
        assert draft.id not in queue(session)

    def test_filters_by_party_industry_and_age(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        biomedical = make_party(session, actor, industry="biomedicine")
        mine = submitted(session, actor, profile, party_id=biomedical.id)
        other = submitted(session, actor, profile)
        other.submitted_at = utcnow() - dt.timedelta(days=10)
        assert queue(session, party_id=biomedical.id) == [mine.id]
        assert queue(session, industry="biomedicine") == [mine.id]
        week_ago = utcnow() - dt.timedelta(days=7)
        assert queue(session, submitted_before=week_ago) == [other.id]

    def test_a_page_says_whether_more_follow(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        ids = [submitted(session, actor, profile).id for _ in range(3)]
        first = repo.review_queue(
            session,
            statuses=WAITING,
            subject_kind=None,
            party_id=None,
            industry=None,
            submitted_before=None,
            newest_first=False,
            page=0,
            limit=2,
        )
        assert first.more
        assert [a.id for a in first.items] == ids[:2]
        assert queue(session, page=1, limit=2) == ids[2:]


class TestEntriesExpiring:
    def test_live_entries_ending_in_the_window_soonest_first(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        today = dt.date(2026, 11, 23)

        def ending(days: int) -> int:
            party = make_party(session, actor)
            return make_entry(
                session,
                actor,
                profile,
                party.id,
                valid_from=dt.date(2026, 1, 1),
                valid_until=today + dt.timedelta(days=days),
                approved_on=today,
            ).id

        later, sooner, outside = ending(25), ending(2), ending(40)
        revoked = ending(3)
        entry = repo.find_entry(session, revoked)
        assert entry is not None
        service.revoke(session, entry, note="fraud", actor=actor)
        found = repo.entries_expiring(session, today=today, until=today + dt.timedelta(days=30))
        assert [e.id for e in found] == [sooner, later]
        assert outside not in [e.id for e in found]
