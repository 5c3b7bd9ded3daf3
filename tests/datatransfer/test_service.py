"""Data transfer applications: the workflow, the year to date, validity and renewal (R33-R37)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from datatransfer.support import TODAY, active, application_payload, draft, exporter, tags_of
from hetao.audit.service import Actor
from hetao.datatransfer import service
from hetao.datatransfer.models import ApplicationStatus, DataTransferApplication
from hetao.datatransfer.routing import Ground, Route
from hetao.datatransfer.schemas import ApplicationCreate, ApplicationOut, ExtensionIn
from hetao.errors import NotFound, RuleViolation, TransitionForbidden
from hetao.profiles import ZoneProfile


def status_of(application: DataTransferApplication) -> ApplicationStatus:
    """The status as it is now (a call, so type checkers do not narrow it across verbs)."""
    return application.status


class TestCreate:
    def test_r17_an_exporter_not_whitelisted_for_data_cannot_apply(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile, data=False)
        with pytest.raises(RuleViolation) as caught:
            draft(session, actor, profile, party)
        assert caught.value.problems[0].rule == "R17.whitelisted_for_data"

    def test_an_unknown_exporter_is_not_found(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        data = ApplicationCreate(**application_payload(10**9))
        with pytest.raises(NotFound):
            service.create_application(session, data, profile=profile, actor=actor, today=TODAY)

    def test_a_draft_is_created_and_audited(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = draft(session, actor, profile, exporter(session, actor, profile))
        assert application.status is ApplicationStatus.DRAFT
        assert application.route is None
        assert tags_of(session, "data_transfer", application.id) == ["data:application:create"]


class TestSelfAssessment:
    def test_r37_a_shenzhen_exporter_to_hong_kong_is_routed_to_the_gba_contract(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = draft(session, actor, profile, exporter(session, actor, profile))
        routing = service.self_assess(
            session, application, profile=profile, actor=actor, today=TODAY
        )
        assert routing.route is Route.GBA_STANDARD_CONTRACT
        assert (application.status, application.route, application.route_rule) == (
            ApplicationStatus.SELF_ASSESSED,
            Route.GBA_STANDARD_CONTRACT,
            "R37",
        )
        assert application.assessed_year == 2026
        assert application.routing is not None
        assert application.routing["year_to_date"] == {
            "personal_info_subjects": 0,
            "sensitive_personal_info_subjects": 0,
        }
        assert tags_of(session, "data_transfer", application.id)[-1] == (
            "data:application:self_assess"
        )

    def test_a_routing_stored_with_reasons_of_the_old_shape_reads_in_the_shared_shape(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = draft(session, actor, profile, exporter(session, actor, profile))
        service.self_assess(session, application, profile=profile, actor=actor, today=TODAY)
        assert application.routing is not None
        stored_now = application.routing["reasons"]
        assert stored_now[-1]["code"] == "R37.gba_eligible"
        assert set(stored_now[-1]) == {"code", "rule", "params", "text"}
        old = {"code": "R37.gba_eligible", "en": "E", "zh_hant": "T", "zh_hans": "S"}
        application.routing = {**application.routing, "reasons": [old]}
        session.flush()
        session.expire(application)
        read = ApplicationOut.model_validate(application).routing
        assert read is not None
        assert read["reasons"] == [
            {
                "code": "R37.gba_eligible",
                "rule": "R37",
                "params": {},
                "text": {"en": "E", "zh-Hant": "T", "zh-Hans": "S"},
            }
        ]

    def test_r33_the_exporter_s_earlier_applications_of_the_year_are_added(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        first = draft(session, actor, profile, party, personal_info_subjects=900_000)
        service.self_assess(session, first, profile=profile, actor=actor, today=TODAY)
        second = draft(session, actor, profile, party, personal_info_subjects=100_000)
        routing = service.self_assess(session, second, profile=profile, actor=actor, today=TODAY)
        assert routing.route is Route.SECURITY_ASSESSMENT
        assert routing.cumulative_personal_info_subjects == 1_000_000
        assert second.routing is not None
        assert second.routing["year_to_date"]["personal_info_subjects"] == 900_000

    def test_r33_another_year_another_exporter_drafts_and_rejections_do_not_count(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        last_year = draft(session, actor, profile, party, personal_info_subjects=900_000)
        service.self_assess(
            session, last_year, profile=profile, actor=actor, today=dt.date(2025, 12, 31)
        )
        draft(session, actor, profile, party, personal_info_subjects=900_000)  # stays a draft
        rejected = draft(session, actor, profile, party, personal_info_subjects=900_000)
        service.self_assess(session, rejected, profile=profile, actor=actor, today=TODAY)
        service.file(session, rejected, reference="SC-1", actor=actor)
        service.reject(session, rejected, reason="incomplete", actor=actor)
        other = exporter(session, actor, profile)
        elsewhere = draft(session, actor, profile, other, personal_info_subjects=900_000)
        service.self_assess(session, elsewhere, profile=profile, actor=actor, today=TODAY)

        mine = draft(session, actor, profile, party, personal_info_subjects=100_000)
        routing = service.self_assess(session, mine, profile=profile, actor=actor, today=TODAY)
        assert routing.route is Route.GBA_STANDARD_CONTRACT
        assert routing.cumulative_personal_info_subjects == 100_000

    def test_r35_persons_sent_under_a_contract_exemption_do_not_count(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        party = exporter(session, actor, profile)
        contract = draft(
            session, actor, profile, party, purpose="contract", personal_info_subjects=950_000
        )
        service.self_assess(session, contract, profile=profile, actor=actor, today=TODAY)
        assert contract.ground is Ground.CONTRACT_PERFORMANCE
        assert contract.status is ApplicationStatus.SELF_ASSESSED
        later = draft(session, actor, profile, party, personal_info_subjects=60_000)
        routing = service.self_assess(session, later, profile=profile, actor=actor, today=TODAY)
        assert routing.route is Route.EXEMPT

    def test_r34_an_exempt_route_ends_at_self_assessed_with_nothing_to_file(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = draft(
            session, actor, profile, exporter(session, actor, profile), personal_info_subjects=10
        )
        service.self_assess(session, application, profile=profile, actor=actor, today=TODAY)
        assert (application.status, application.route) == (
            ApplicationStatus.SELF_ASSESSED,
            Route.EXEMPT,
        )
        for verb in (service.file, service.apply):
            with pytest.raises(RuleViolation):
                verb(session, application, reference="X-1", actor=actor)
        assert application.status is ApplicationStatus.SELF_ASSESSED

    def test_r33_a_security_assessment_is_applied_for_not_filed(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = draft(
            session, actor, profile, exporter(session, actor, profile), important_data=True
        )
        service.self_assess(session, application, profile=profile, actor=actor, today=TODAY)
        with pytest.raises(RuleViolation) as caught:
            service.file(session, application, reference="SC-9", actor=actor)
        assert caught.value.problems[0].rule == "data.file.route"
        service.apply(session, application, reference="SA-9", actor=actor)
        assert application.status is ApplicationStatus.APPLIED


class TestValidity:
    def test_r36_activation_sets_three_years_and_the_renewal_window(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(
            session,
            actor,
            profile,
            exporter(session, actor, profile),
            valid_from=dt.date(2023, 12, 1),
        )
        # Valid 1 Dec 2023 - 30 Nov 2026; the window: 60 working days back across National Day.
        assert (application.valid_from, application.valid_until) == (
            dt.date(2023, 12, 1),
            dt.date(2026, 11, 30),
        )
        assert application.renewal_window_opens_on == dt.date(2026, 9, 2)

    def test_r36_expire_due_opens_the_window_on_its_first_day_and_not_before(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(
            session,
            actor,
            profile,
            exporter(session, actor, profile),
            valid_from=dt.date(2023, 12, 1),
        )
        assert service.expire_due(session, today=dt.date(2026, 9, 1), actor=actor) == []
        assert status_of(application) is ApplicationStatus.ACTIVE
        assert service.expire_due(session, today=dt.date(2026, 9, 2), actor=actor) == [application]
        assert status_of(application) is ApplicationStatus.EXPIRING
        assert tags_of(session, "data_transfer", application.id)[-1] == (
            "data:application:open_renewal"
        )

    def test_r36_an_extension_adds_three_years_within_20_percent_growth(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(
            session,
            actor,
            profile,
            exporter(session, actor, profile),
            valid_from=dt.date(2023, 12, 1),
        )
        service.expire_due(session, today=dt.date(2026, 9, 2), actor=actor)
        with pytest.raises(RuleViolation) as caught:
            service.extend(
                session,
                application,
                ExtensionIn(personal_info_subjects=180_001, sensitive_personal_info_subjects=0),
                profile=profile,
                actor=actor,
                today=dt.date(2026, 10, 12),
            )
        assert [p.rule for p in caught.value.problems] == ["R36.growth_limit"]
        service.extend(
            session,
            application,
            ExtensionIn(personal_info_subjects=180_000, sensitive_personal_info_subjects=0),
            profile=profile,
            actor=actor,
            today=dt.date(2026, 10, 12),
        )
        assert application.status is ApplicationStatus.EXTENDED
        assert application.valid_until == dt.date(2029, 11, 30)
        assert application.personal_info_subjects == 180_000
        assert application.extensions == 1

    def test_r36_a_major_incident_or_new_sensitive_data_blocks_the_extension(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(
            session,
            actor,
            profile,
            exporter(session, actor, profile),
            valid_from=dt.date(2023, 12, 1),
        )
        service.expire_due(session, today=dt.date(2026, 9, 2), actor=actor)
        with pytest.raises(RuleViolation) as caught:
            service.extend(
                session,
                application,
                ExtensionIn(
                    personal_info_subjects=150_000,
                    sensitive_personal_info_subjects=1,
                    major_incident=True,
                ),
                profile=profile,
                actor=actor,
                today=dt.date(2026, 10, 12),
            )
        assert [p.rule for p in caught.value.problems] == [
            "R36.growth_limit",
            "R36.no_major_incident",
        ]
        assert application.status is ApplicationStatus.EXPIRING

    def test_r36_an_approval_not_extended_expires_the_day_after_its_last_day(
        self, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        application = active(
            session,
            actor,
            profile,
            exporter(session, actor, profile),
            valid_from=dt.date(2023, 12, 1),
        )
        service.expire_due(session, today=dt.date(2026, 11, 30), actor=actor)
        assert status_of(application) is ApplicationStatus.EXPIRING
        service.expire_due(session, today=dt.date(2026, 12, 1), actor=actor)
        assert status_of(application) is ApplicationStatus.EXPIRED
        assert tags_of(session, "data_transfer", application.id)[-1] == ("data:application:expire")


# --- every verb from every state -------------------------------------------------------------


def _run_verb(
    verb: str,
    application: DataTransferApplication,
    session: Session,
    profile: ZoneProfile,
    actor: Actor,
) -> None:
    if verb == "self_assess":
        service.self_assess(session, application, profile=profile, actor=actor, today=TODAY)
    elif verb == "file":
        application.route = Route.STANDARD_CONTRACT
        service.file(session, application, reference="SC-1", actor=actor)
    elif verb == "apply":
        application.route = Route.SECURITY_ASSESSMENT
        service.apply(session, application, reference="SA-1", actor=actor)
    elif verb == "approve":
        service.approve(session, application, reference="OK-1", actor=actor)
    elif verb == "reject":
        service.reject(session, application, reason="no", actor=actor)
    elif verb == "activate":
        service.activate(session, application, profile=profile, actor=actor, today=TODAY)
    elif verb == "extend":
        same = ExtensionIn(personal_info_subjects=150_000, sensitive_personal_info_subjects=0)
        service.extend(session, application, same, profile=profile, actor=actor, today=TODAY)
    elif verb == "open_renewal":
        application.renewal_window_opens_on = TODAY
        service.expire_due(session, today=TODAY, actor=actor)
    elif verb == "expire":
        application.valid_until = TODAY - dt.timedelta(days=1)
        application.renewal_window_opens_on = TODAY - dt.timedelta(days=90)
        service.expire_due(session, today=TODAY, actor=actor)
    else:  # pragma: no cover - the test walks service.TRANSITIONS
        raise AssertionError(verb)


#: Verbs the daily job applies: a state it does not move from is left alone, not refused.
JOB_VERBS = frozenset({"open_renewal", "expire"})


class TestTransitions:
    @pytest.mark.parametrize("verb", sorted(service.TRANSITIONS))
    def test_each_verb_moves_exactly_from_its_allowed_states(
        self, verb: str, session: Session, actor: Actor, profile: ZoneProfile
    ) -> None:
        allowed, target = service.TRANSITIONS[verb]
        party = exporter(session, actor, profile)
        for state in ApplicationStatus:
            application = draft(session, actor, profile, party)
            application.status = state
            application.valid_from = TODAY - dt.timedelta(days=30)
            application.valid_until = TODAY + dt.timedelta(days=400)
            application.renewal_window_opens_on = TODAY + dt.timedelta(days=300)
            session.flush()

            def run(application: DataTransferApplication = application) -> None:
                _run_verb(verb, application, session, profile, actor)

            if state in allowed:
                run()
                assert application.status is target, (verb, state)
            elif verb in JOB_VERBS:
                run()
                assert application.status is state, (verb, state)
            else:
                with pytest.raises(TransitionForbidden) as caught:
                    run()
                assert caught.value.problems[0].rule == f"data_transfer.{verb}.allowed_from"
                assert application.status is state, (verb, state)

    def test_the_table_covers_the_whole_workflow(self) -> None:
        reached = {target for _, target in service.TRANSITIONS.values()}
        assert reached | {ApplicationStatus.DRAFT} == set(ApplicationStatus)
