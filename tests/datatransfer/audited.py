"""Scenarios of `hetao.datatransfer` services for tests/test_every_write_is_audited.py.

Each scenario sets up what its function needs and returns the call alone; the shared test
observes the call and checks the audit tags named here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from datatransfer.support import TODAY, application_payload, batch, exporter, in_state
from hetao.audit.service import Actor
from hetao.datatransfer import channel, service
from hetao.datatransfer.models import DataTransferApplication
from hetao.datatransfer.schemas import ApplicationCreate, ExtensionIn
from hetao.profiles import ZoneProfile


class World(Protocol):
    session: Session
    actor: Actor
    profile: ZoneProfile
    tmp_path: Path


Call = Callable[[], object]
Scenario = Callable[[Any], Call]
LATER = TODAY + dt.timedelta(days=10)


def _in(w: World, state: str) -> DataTransferApplication:
    party = exporter(w.session, w.actor, w.profile)
    return in_state(w.session, w.actor, w.profile, party.id, state)


def scenario_create_application(w: World) -> Call:
    data = ApplicationCreate(**application_payload(exporter(w.session, w.actor, w.profile).id))
    return lambda: service.create_application(
        w.session, data, profile=w.profile, actor=w.actor, today=TODAY
    )


def scenario_self_assess(w: World) -> Call:
    application = _in(w, "draft")
    return lambda: service.self_assess(
        w.session, application, profile=w.profile, actor=w.actor, today=TODAY
    )


def scenario_year_to_date(w: World) -> Call:
    application = _in(w, "self_assessed")
    return lambda: service.year_to_date(w.session, application, year=2026)


def scenario_file(w: World) -> Call:
    application = _in(w, "self_assessed")
    return lambda: service.file(w.session, application, reference="SC-A", actor=w.actor)


def scenario_apply(w: World) -> Call:
    application = _in(w, "self_assessed_for_assessment")
    return lambda: service.apply(w.session, application, reference="SA-A", actor=w.actor)


def scenario_approve(w: World) -> Call:
    application = _in(w, "filed")
    return lambda: service.approve(w.session, application, reference="OK-A", actor=w.actor)


def scenario_reject(w: World) -> Call:
    application = _in(w, "filed")
    return lambda: service.reject(w.session, application, reason="no", actor=w.actor)


def scenario_activate(w: World) -> Call:
    application = _in(w, "approved")
    return lambda: service.activate(
        w.session, application, profile=w.profile, actor=w.actor, today=TODAY
    )


def scenario_extend(w: World) -> Call:
    application = _in(w, "expiring")
    same = ExtensionIn(personal_info_subjects=150_000, sensitive_personal_info_subjects=0)
    return lambda: service.extend(
        w.session, application, same, profile=w.profile, actor=w.actor, today=LATER
    )


def scenario_open_renewal(w: World) -> Call:
    application = _in(w, "active")
    day = application.renewal_window_opens_on
    assert day is not None
    return lambda: service.expire_due(w.session, today=day, actor=w.actor)


def scenario_expire(w: World) -> Call:
    application = _in(w, "active")
    assert application.valid_until is not None
    day = application.valid_until + dt.timedelta(days=1)
    return lambda: service.expire_due(w.session, today=day, actor=w.actor)


def scenario_record_batch(w: World) -> Call:
    application = _in(w, "active")
    return lambda: channel.record_batch(
        w.session, application, batch(), profile=w.profile, actor=w.actor, today=LATER
    )


def scenario_refuse_batch(w: World) -> Call:
    application = _in(w, "active")
    outside = batch(record_counts={"payroll": 1})
    return lambda: channel.record_batch(
        w.session, application, outside, profile=w.profile, actor=w.actor, today=LATER
    )


def scenario_content_hash(w: World) -> Call:
    return lambda: channel.content_hash(batch())


def _tag(verb: str) -> frozenset[str]:
    return frozenset({f"data:application:{verb}"})


DATA_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "datatransfer.service.create_application": (scenario_create_application, _tag("create")),
    "datatransfer.service.self_assess": (scenario_self_assess, _tag("self_assess")),
    "datatransfer.service.file": (scenario_file, _tag("file")),
    "datatransfer.service.apply": (scenario_apply, _tag("apply")),
    "datatransfer.service.approve": (scenario_approve, _tag("approve")),
    "datatransfer.service.reject": (scenario_reject, _tag("reject")),
    "datatransfer.service.activate": (scenario_activate, _tag("activate")),
    "datatransfer.service.extend": (scenario_extend, _tag("extend")),
    "datatransfer.service.expire_due": (scenario_open_renewal, _tag("open_renewal")),
    "datatransfer.channel.record_batch": (
        scenario_record_batch,
        frozenset({"data:batch:record"}),
    ),
}

DATA_OTHER_PATHS: dict[str, tuple[str, Scenario, frozenset[str]]] = {
    "datatransfer.service.expire_due[expired]": (
        "datatransfer.service.expire_due",
        scenario_expire,
        _tag("expire"),
    ),
    "datatransfer.channel.record_batch[refused]": (
        "datatransfer.channel.record_batch",
        scenario_refuse_batch,
        frozenset({"data:batch:refuse"}),
    ),
}

DATA_READS: dict[str, tuple[str, Scenario]] = {
    "datatransfer.service.year_to_date": (
        "sums the exporter's counted applications of a year, changes nothing",
        scenario_year_to_date,
    ),
    "datatransfer.channel.content_hash": (
        "hashes a batch request, a pure function",
        scenario_content_hash,
    ),
}
