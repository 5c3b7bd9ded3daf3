"""Every allowed and every forbidden transition of applications and entries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from factories import make_application
from hetao.audit.models import AuditEvent
from hetao.audit.service import Actor
from hetao.errors import RuleViolation, TransitionForbidden
from hetao.profiles import ZoneProfile
from hetao.registry import service
from hetao.registry.models import (
    ApplicationStatus,
    EntryStatus,
    WhitelistApplication,
    WhitelistEntry,
)
from hetao.registry.schemas import Resubmission

TODAY = dt.date(2026, 11, 23)

# How to bring a fresh application to each state, verb by verb.
PATH_TO: dict[ApplicationStatus, list[str]] = {
    ApplicationStatus.DRAFT: [],
    ApplicationStatus.SUBMITTED: ["submit"],
    ApplicationStatus.INFORMATION_REQUESTED: ["submit", "request_information"],
    ApplicationStatus.RESUBMITTED: ["submit", "request_information", "resubmit"],
    ApplicationStatus.APPROVED: ["submit", "approve"],
    ApplicationStatus.DECLINED: ["submit", "decline"],
}


def apply_verb(
    session: Session,
    application: WhitelistApplication,
    verb: str,
    *,
    profile: ZoneProfile,
    actor: Actor,
) -> None:
    if verb == "submit":
        service.submit(session, application, actor=actor)
    elif verb == "request_information":
        service.request_information(session, application, note="send the lab plan", actor=actor)
    elif verb == "resubmit":
        answer = Resubmission(answer="lab plan attached")
        service.resubmit(session, application, answer, profile=profile, actor=actor)
    elif verb == "approve":
        service.approve(session, application, profile=profile, actor=actor, today=TODAY)
    elif verb == "decline":
        service.decline(session, application, note="not a research institution", actor=actor)
    else:  # pragma: no cover - the table names only these verbs
        raise AssertionError(verb)


APPLICATION_CASES = [
    (state, verb) for state in ApplicationStatus for verb in service.APPLICATION_TRANSITIONS
]


class TestApplicationWorkflow:
    @pytest.mark.parametrize(("state", "verb"), APPLICATION_CASES)
    def test_each_verb_is_allowed_exactly_from_its_states(
        self,
        session: Session,
        profile: ZoneProfile,
        actor: Actor,
        state: ApplicationStatus,
        verb: str,
    ) -> None:
        application = make_application(session, actor, profile)
        for step in PATH_TO[state]:
            apply_verb(session, application, step, profile=profile, actor=actor)
        assert application.status is state
        allowed, target = service.APPLICATION_TRANSITIONS[verb]
        if state in allowed:
            apply_verb(session, application, verb, profile=profile, actor=actor)
            assert application.status is target
        else:
            with pytest.raises(TransitionForbidden) as caught:
                apply_verb(session, application, verb, profile=profile, actor=actor)
            assert caught.value.current == state
            assert caught.value.problems[0].rule == f"application.{verb}.allowed_from"
            assert application.status is state

    def test_the_transition_table_matches_the_documented_workflow(self) -> None:
        # draft -> submitted -> information_requested <-> resubmitted -> approved | declined
        table = {v: (sorted(a), t) for v, (a, t) in service.APPLICATION_TRANSITIONS.items()}
        assert table == {
            "submit": (["draft"], "approved".replace("approved", "submitted")),
            "request_information": (["resubmitted", "submitted"], "information_requested"),
            "resubmit": (["information_requested"], "resubmitted"),
            "approve": (["resubmitted", "submitted"], "approved"),
            "decline": (["resubmitted", "submitted"], "declined"),
        }

    def test_approval_makes_an_entry_with_the_application_scopes_and_window(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        application = make_application(session, actor, profile)
        service.submit(session, application, actor=actor)
        entry = service.approve(session, application, profile=profile, actor=actor, today=TODAY)
        assert entry.status is EntryStatus.ACTIVE
        assert entry.flows == application.flows
        assert entry.exemptions == ["duty_free_research_goods"]
        assert entry.valid_from == TODAY
        months = profile.whitelist.validity_months.institution
        assert entry.valid_until == dt.date(2026 + months // 12, 11, 22)

    def test_every_transition_writes_its_audit_event(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        application = make_application(session, actor, profile)
        for verb in PATH_TO[ApplicationStatus.RESUBMITTED] + ["approve"]:
            apply_verb(session, application, verb, profile=profile, actor=actor)
        session.flush()
        tags = [
            e.tag
            for e in session.query(AuditEvent)
            .filter(AuditEvent.subject_type == "application")
            .filter(AuditEvent.subject_id == str(application.id))
            .order_by(AuditEvent.id)
        ]
        assert tags == [
            "registry:application:create",
            "registry:application:submit",
            "registry:application:request_information",
            "registry:application:resubmit",
            "registry:application:approve",
        ]

    def test_the_reviewers_reason_for_an_approval_is_in_its_audit_event(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        application = make_application(session, actor, profile)
        apply_verb(session, application, "submit", profile=profile, actor=actor)
        service.approve(
            session, application, profile=profile, actor=actor, today=TODAY, note="meets R3"
        )
        session.flush()
        approval = (
            session.query(AuditEvent)
            .filter(AuditEvent.tag == "registry:application:approve")
            .filter(AuditEvent.subject_id == str(application.id))
            .one()
        )
        assert approval.data["note"] == "meets R3"


ENTRY_PATH_TO: dict[EntryStatus, list[str]] = {
    EntryStatus.ACTIVE: [],
    EntryStatus.SUSPENDED: ["suspend"],
    EntryStatus.REVOKED: ["revoke"],
    EntryStatus.EXPIRED: ["expire"],
}


def entry_verb(
    session: Session, entry: WhitelistEntry, verb: str, *, profile: ZoneProfile, actor: Actor
) -> None:
    if verb == "suspend":
        service.suspend(session, entry, note="customs inquiry", actor=actor)
    elif verb == "reinstate":
        service.reinstate(session, entry, profile=profile, actor=actor, today=TODAY)
    elif verb == "revoke":
        service.revoke(session, entry, note="left the zone", actor=actor)
    elif verb == "expire":
        session.flush()
        day_after = entry.valid_until + dt.timedelta(days=1)
        expired = service.expire_due(session, today=day_after, actor=actor)
        if entry not in expired:
            raise TransitionForbidden(
                subject="entry",
                current=entry.status,
                action="expire",
                allowed_from=sorted(service.ENTRY_TRANSITIONS["expire"][0]),
            )
    else:  # pragma: no cover
        raise AssertionError(verb)


def approved_entry(session: Session, profile: ZoneProfile, actor: Actor) -> WhitelistEntry:
    application = make_application(session, actor, profile)
    service.submit(session, application, actor=actor)
    return service.approve(session, application, profile=profile, actor=actor, today=TODAY)


class TestEntryWorkflow:
    @pytest.mark.parametrize(
        ("state", "verb"),
        [(state, verb) for state in EntryStatus for verb in service.ENTRY_TRANSITIONS],
    )
    def test_each_verb_is_allowed_exactly_from_its_states(
        self,
        session: Session,
        profile: ZoneProfile,
        actor: Actor,
        state: EntryStatus,
        verb: str,
    ) -> None:
        entry = approved_entry(session, profile, actor)
        for step in ENTRY_PATH_TO[state]:
            entry_verb(session, entry, step, profile=profile, actor=actor)
        assert entry.status is state
        allowed, target = service.ENTRY_TRANSITIONS[verb]
        if state in allowed:
            entry_verb(session, entry, verb, profile=profile, actor=actor)
            assert entry.status is target
        else:
            with pytest.raises(TransitionForbidden):
                entry_verb(session, entry, verb, profile=profile, actor=actor)
            assert entry.status is state

    def test_a_suspended_entry_whose_window_closed_cannot_be_reinstated(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        entry = approved_entry(session, profile, actor)
        service.suspend(session, entry, note="inquiry", actor=actor)
        later = entry.valid_until + dt.timedelta(days=1)
        with pytest.raises(RuleViolation) as caught:
            service.reinstate(session, entry, profile=profile, actor=actor, today=later)
        assert caught.value.problems[0].rule == "entry.reinstate_within_window"
        assert entry.status is EntryStatus.SUSPENDED

    def test_expiry_leaves_entries_still_in_their_window_alone(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        entry = approved_entry(session, profile, actor)
        session.flush()
        assert service.expire_due(session, today=entry.valid_until, actor=actor) == []
        assert entry.status is EntryStatus.ACTIVE

    def test_a_new_approval_supersedes_the_live_entry_of_the_same_subject(
        self, session: Session, profile: ZoneProfile, actor: Actor
    ) -> None:
        first = approved_entry(session, profile, actor)
        assert first.party_id is not None
        renewal = make_application(session, actor, profile, party_id=first.party_id)
        service.submit(session, renewal, actor=actor)
        second = service.approve(session, renewal, profile=profile, actor=actor, today=TODAY)
        assert first.status is EntryStatus.REVOKED
        assert first.status_reason == f"superseded by entry {second.id}"
        assert second.status is EntryStatus.ACTIVE
