"""Data transfer applications: one function per verb, routed per R33-R37, valid per R36.

Services never commit: the caller's unit of work does. Every change records an audit event
``data:application:<verb>`` in the same transaction. The channel log lives in ``channel``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.audit.tags import DataTag
from hetao.datatransfer import repository as repo
from hetao.datatransfer import workingdays
from hetao.datatransfer.models import ApplicationStatus, DataTransferApplication
from hetao.datatransfer.routing import Route, Routing, TransferFacts, route
from hetao.datatransfer.schemas import ApplicationCreate, ExtensionIn, RoutingOut
from hetao.errors import FieldProblem, RuleViolation
from hetao.profiles import ZoneProfile
from hetao.timeutil import add_months, zone_today
from hetao.workflow import Workflow, audit

# --- the workflow table --------------------------------------------------------------------
# Each verb: the states it may start from and the state it leads to, as data a test can walk.

#: The subject the workflow and the audit events name (the tags say ``application``).
SUBJECT = "data_transfer"

TRANSITIONS: Workflow[ApplicationStatus] = Workflow(
    SUBJECT,
    {
        "self_assess": ({ApplicationStatus.DRAFT}, ApplicationStatus.SELF_ASSESSED),
        "file": ({ApplicationStatus.SELF_ASSESSED}, ApplicationStatus.FILED),
        "apply": ({ApplicationStatus.SELF_ASSESSED}, ApplicationStatus.APPLIED),
        "approve": (
            {ApplicationStatus.FILED, ApplicationStatus.APPLIED},
            ApplicationStatus.APPROVED,
        ),
        "reject": (
            {ApplicationStatus.FILED, ApplicationStatus.APPLIED},
            ApplicationStatus.REJECTED,
        ),
        "activate": ({ApplicationStatus.APPROVED}, ApplicationStatus.ACTIVE),
        "open_renewal": (
            {ApplicationStatus.ACTIVE, ApplicationStatus.EXTENDED},
            ApplicationStatus.EXPIRING,
        ),
        "extend": ({ApplicationStatus.EXPIRING}, ApplicationStatus.EXTENDED),
        "expire": (
            {ApplicationStatus.ACTIVE, ApplicationStatus.EXPIRING, ApplicationStatus.EXTENDED},
            ApplicationStatus.EXPIRED,
        ),
    },
)

#: Routes settled by filing a contract or a certification, and the one that needs an application.
FILED_ROUTES = frozenset(
    {Route.STANDARD_CONTRACT, Route.GBA_STANDARD_CONTRACT, Route.CERTIFICATION}
)
APPLIED_ROUTES = frozenset({Route.SECURITY_ASSESSMENT})


def _audit_move(
    session: Session,
    tag: DataTag,
    application: DataTransferApplication,
    actor: Actor,
    before: ApplicationStatus,
    **data: Any,
) -> None:
    """The event of a move, naming the state it left; data transfers keep their subject type."""
    audit(session, tag, application.id, actor, subject_type=SUBJECT, before=before.value, **data)


def _whitelisted_for_data(session: Session, *, party_id: int, today: dt.date) -> None:
    if repo.data_entry_in_force(session, party_id=party_id, on=today) is None:
        raise RuleViolation(
            f"party {party_id} holds no active whitelist entry for the data flow",
            problems=[
                FieldProblem(
                    "exporter_party_id", "R17.whitelisted_for_data", "is not whitelisted for data"
                )
            ],
        )


# --- verbs ---------------------------------------------------------------------------------


def create_application(
    session: Session,
    data: ApplicationCreate,
    *,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> DataTransferApplication:
    """Open a draft; the exporter must be whitelisted for the data flow (R17)."""
    today = today or zone_today(profile.zone.timezone)
    repo.lock_exporter(session, data.exporter_party_id)  # also: NotFound for an unknown party
    _whitelisted_for_data(session, party_id=data.exporter_party_id, today=today)
    application = DataTransferApplication(
        **data.model_dump(exclude={"data_categories"}),
        data_categories=list(data.data_categories),
        status=ApplicationStatus.DRAFT,
    )
    session.add(application)
    session.flush()  # the id is named by the audit event
    audit(
        session,
        DataTag.APPLICATION_CREATE,
        application.id,
        actor,
        subject_type=SUBJECT,
        exporter_party_id=application.exporter_party_id,
        recipient_region=application.recipient_region,
        purpose=application.purpose.value,
        personal_info_subjects=application.personal_info_subjects,
        sensitive_personal_info_subjects=application.sensitive_personal_info_subjects,
    )
    return application


def year_to_date(
    session: Session, application: DataTransferApplication, *, year: int
) -> tuple[int, int]:
    """Persons the exporter's other applications of ``year`` already count (R33)."""
    return repo.planned_year_to_date(
        session,
        exporter_party_id=application.exporter_party_id,
        year=year,
        excluding_id=application.id,
    )


def self_assess(
    session: Session,
    application: DataTransferApplication,
    *,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> Routing:
    """draft -> self_assessed: route it with the exporter's year to date (R33-R37)."""
    TRANSITIONS.check(application, "self_assess")
    today = today or zone_today(profile.zone.timezone)
    repo.lock_exporter(session, application.exporter_party_id)
    pi, sensitive = year_to_date(session, application, year=today.year)
    routing = route(
        TransferFacts(
            cii_operator=application.cii_operator,
            important_data=application.important_data,
            personal_info_subjects=application.personal_info_subjects,
            sensitive_personal_info_subjects=application.sensitive_personal_info_subjects,
            ytd_personal_info_subjects=pi,
            ytd_sensitive_personal_info_subjects=sensitive,
            exporter_region=application.exporter_region,
            recipient_region=application.recipient_region,
            purpose=application.purpose,
        ),
        profile.data,
    )
    before = TRANSITIONS.move(application, "self_assess")
    application.route = routing.route
    application.route_rule = routing.rule
    application.ground = routing.ground
    application.assessed_year = today.year
    application.routing = {
        **RoutingOut.of(routing).model_dump(mode="json"),
        "year_to_date": {
            "personal_info_subjects": pi,
            "sensitive_personal_info_subjects": sensitive,
        },
        "assessed_on": today.isoformat(),
    }
    if routing.route is Route.EXEMPT:
        application.status_reason = f"exempt under {routing.rule}: nothing to file"
    _audit_move(
        session,
        DataTag.APPLICATION_SELF_ASSESS,
        application,
        actor,
        before,
        route=routing.route.value,
        rule=routing.rule,
        ground=routing.ground.value if routing.ground else None,
        alternatives=[r.value for r in routing.alternatives],
        year_to_date=[pi, sensitive],
    )
    return routing


def _needs(application: DataTransferApplication, verb: str, routes: frozenset[Route]) -> None:
    if application.route not in routes:
        wanted = ", ".join(sorted(routes))
        raise RuleViolation(
            f"the application's route is {application.route}; {verb} is for: {wanted}",
            problems=[FieldProblem("route", f"data.{verb}.route", f"must be one of: {wanted}")],
        )


def file(
    session: Session, application: DataTransferApplication, *, reference: str, actor: Actor
) -> None:
    """self_assessed -> filed: a standard contract (CAC or GBA) or a certification (R34, R37)."""
    _lodge(
        session,
        application,
        DataTag.APPLICATION_FILE,
        FILED_ROUTES,
        reference=reference,
        actor=actor,
    )


def apply(
    session: Session, application: DataTransferApplication, *, reference: str, actor: Actor
) -> None:
    """self_assessed -> applied: a security assessment was applied for (R33)."""
    _lodge(
        session,
        application,
        DataTag.APPLICATION_APPLY,
        APPLIED_ROUTES,
        reference=reference,
        actor=actor,
    )


def _lodge(
    session: Session,
    application: DataTransferApplication,
    tag: DataTag,
    routes: frozenset[Route],
    *,
    reference: str,
    actor: Actor,
) -> None:
    """File or apply (the tag's action): the route must call for it."""
    _needs(application, tag.action, routes)
    before = TRANSITIONS.move(application, tag.action)
    application.filing_reference = reference
    _audit_move(session, tag, application, actor, before, reference=reference)


def approve(
    session: Session,
    application: DataTransferApplication,
    *,
    reference: str,
    actor: Actor,
    note: str | None = None,
) -> None:
    """filed | applied -> approved, with the authority's reference."""
    before = TRANSITIONS.move(application, "approve")
    application.approval_reference = reference
    application.status_reason = note
    _audit_move(
        session, DataTag.APPLICATION_APPROVE, application, actor, before, reference=reference
    )


def reject(
    session: Session, application: DataTransferApplication, *, reason: str, actor: Actor
) -> None:
    """filed | applied -> rejected; its persons stop counting towards the exporter's year."""
    before = TRANSITIONS.move(application, "reject")
    application.status_reason = reason
    _audit_move(session, DataTag.APPLICATION_REJECT, application, actor, before, reason=reason)


def activate(
    session: Session,
    application: DataTransferApplication,
    *,
    profile: ZoneProfile,
    actor: Actor,
    valid_from: dt.date | None = None,
    today: dt.date | None = None,
) -> None:
    """approved -> active: valid for the profile's years from ``valid_from`` (R36)."""
    today = today or zone_today(profile.zone.timezone)
    start = valid_from or today
    valid_until = workingdays.validity_end(start, profile.data)
    if valid_until < today:
        raise RuleViolation(
            f"an approval taking effect on {start} would have ended on {valid_until}",
            problems=[FieldProblem("valid_from", "R36.validity_in_future", "is too far back")],
        )
    before = TRANSITIONS.move(application, "activate")
    application.valid_from = start
    application.valid_until = valid_until
    application.renewal_window_opens_on = workingdays.renewal_window_opens(
        valid_until, profile.data
    )
    _audit_move(
        session,
        DataTag.APPLICATION_ACTIVATE,
        application,
        actor,
        before,
        valid_from=start,
        valid_until=valid_until,
        renewal_window_opens_on=application.renewal_window_opens_on,
    )


def _growth_problems(
    application: DataTransferApplication, data: ExtensionIn, limit: Decimal
) -> list[FieldProblem]:
    problems = []
    for field in ("personal_info_subjects", "sensitive_personal_info_subjects"):
        old, new = getattr(application, field), getattr(data, field)
        if new > old and (old == 0 or Decimal(new - old) / Decimal(old) > limit):
            problems.append(
                FieldProblem(
                    field,
                    "R36.growth_limit",
                    f"{new:,} is more than {limit:.0%} above the approved {old:,}",
                )
            )
    return problems


def extend(
    session: Session,
    application: DataTransferApplication,
    data: ExtensionIn,
    *,
    profile: ZoneProfile,
    actor: Actor,
    today: dt.date | None = None,
) -> None:
    """expiring -> extended: adds the validity period again (R36: growth <= 20 %, no incident)."""
    today = today or zone_today(profile.zone.timezone)
    TRANSITIONS.check(application, "extend")
    problems = _growth_problems(application, data, profile.data.renewal_growth_limit)
    if data.major_incident:
        problems.append(
            FieldProblem("major_incident", "R36.no_major_incident", "a major incident occurred")
        )
    old_until = application.valid_until or today  # set by activate in every live state
    if today > old_until:
        problems.append(FieldProblem("status", "R36.before_expiry", f"expired on {old_until}"))
    if problems:
        raise RuleViolation(
            "the extension does not meet R36: " + "; ".join(p.message for p in problems),
            problems=problems,
        )
    before = TRANSITIONS.move(application, "extend")
    application.valid_until = add_months(old_until, 12 * profile.data.assessment_validity_years)
    application.renewal_window_opens_on = workingdays.renewal_window_opens(
        application.valid_until, profile.data
    )
    application.extensions += 1
    previous = (application.personal_info_subjects, application.sensitive_personal_info_subjects)
    application.personal_info_subjects = data.personal_info_subjects
    application.sensitive_personal_info_subjects = data.sensitive_personal_info_subjects
    _audit_move(
        session,
        DataTag.APPLICATION_EXTEND,
        application,
        actor,
        before,
        valid_until_before=old_until,
        valid_until=application.valid_until,
        subjects_before=list(previous),
        subjects=[data.personal_info_subjects, data.sensitive_personal_info_subjects],
    )


def expire_due(session: Session, *, today: dt.date, actor: Actor) -> list[DataTransferApplication]:
    """The daily job: open R36 renewal windows that have come, expire what ended before today."""
    changed: list[DataTransferApplication] = []
    for application in repo.expiries_due(session, today=today):
        before = TRANSITIONS.move(application, "expire")
        application.status_reason = f"validity ended on {application.valid_until}"
        _audit_move(session, DataTag.APPLICATION_EXPIRE, application, actor, before)
        changed.append(application)
    for application in repo.renewals_due(session, today=today):
        before = TRANSITIONS.move(application, "open_renewal")
        application.status_reason = (
            f"R36 renewal window open since {application.renewal_window_opens_on};"
            f" valid until {application.valid_until}"
        )
        _audit_move(
            session,
            DataTag.APPLICATION_OPEN_RENEWAL,
            application,
            actor,
            before,
            renewal_window_opens_on=application.renewal_window_opens_on,
            valid_until=application.valid_until,
        )
        changed.append(application)
    return changed
