"""Scenarios of `hetao.biometrics.service` for tests/test_every_write_is_audited.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from biometrics import real_faces
from biometrics.support import BOX, enrolled_researcher, reviewer_id, verifier
from crossing.events.support import whitelisted_person
from hetao.biometrics import service
from hetao.storage.types import utcnow

Call = Callable[[], object]
Scenario = Callable[[Any], Call]


def scenario_enrol(w: Any) -> Call:
    person, _, _ = whitelisted_person(w.session, w.actor, w.profile)
    recorder = reviewer_id(w.session)
    return lambda: service.enrol(
        w.session,
        person,
        image=real_faces.astronaut(),
        purpose="laboratory access",
        consent_statement="hetao-faces-v1",
        consented=True,
        faces=w.profile.faces,
        verifier=verifier(),
        box=BOX,
        recorded_by=recorder,
        actor=w.actor,
        now=utcnow(),
    )


def scenario_record(w: Any) -> Call:
    person, _, _ = whitelisted_person(w.session, w.actor, w.profile)
    recorder = reviewer_id(w.session)
    template = verifier().template(real_faces.astronaut(), field="image")
    return lambda: service.record_enrolment(
        w.session,
        person,
        template=template,
        model_version=verifier().model_version,
        purpose="laboratory access",
        consent_statement="hetao-faces-v1",
        faces=w.profile.faces,
        box=BOX,
        recorded_by=recorder,
        actor=w.actor,
        now=utcnow(),
    )


def scenario_withdraw(w: Any) -> Call:
    person, _, _ = enrolled_researcher(w.session, w.profile)
    return lambda: service.withdraw(w.session, person, actor=w.actor, now=utcnow())


def scenario_purge(w: Any) -> Call:
    enrolled_researcher(w.session, w.profile, now=utcnow() - dt.timedelta(days=400))
    return lambda: service.purge_expired(w.session, actor=w.actor, now=utcnow())


FACE_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "biometrics.service.enrol": (scenario_enrol, frozenset({"biometrics:face:enrol"})),
    "biometrics.service.record_enrolment": (
        scenario_record,
        frozenset({"biometrics:face:enrol"}),
    ),
    "biometrics.service.withdraw": (scenario_withdraw, frozenset({"biometrics:face:withdraw"})),
    "biometrics.service.purge_expired": (scenario_purge, frozenset({"biometrics:face:purge"})),
}

FACE_READS: dict[str, tuple[str, Scenario]] = {
    "biometrics.service.faces_enabled": (
        "reads the profile, changes nothing",
        lambda w: lambda: service.faces_enabled(w.profile.faces),
    ),
    "biometrics.service.in_force": (
        "reads an enrolment row, changes nothing",
        lambda w: lambda: service.in_force(None, now=utcnow()),
    ),
}
