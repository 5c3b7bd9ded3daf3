"""Gates retry: the same event posted twice at once is recorded once, on both databases."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, func, select

from crossing.events.support import CHANNEL1_GATE, SEED_KEY, UNKNOWN_DOCUMENT, person_event
from hetao.audit.service import Actor, checkpoint_policy, enable_checkpoints
from hetao.config import Settings
from hetao.crossing import rule_sets, service
from hetao.crossing.models import CrossingEvent
from hetao.crossing.schemas import CrossingIn
from hetao.profiles import load_profile
from hetao.storage.engine import session_factory, unit_of_work


def test_the_same_event_posted_twice_at_once_is_recorded_once(committing_engine: Engine) -> None:
    profile = load_profile("hetao")
    settings = Settings.from_env()
    factory = session_factory(committing_engine)
    enable_checkpoints(
        factory,
        checkpoint_policy(
            profile,
            signing_key=settings.audit_signing_key,
            store_dir=settings.resolve(profile.audit.checkpoint_store),
        ),
    )
    payload = CrossingIn.model_validate(person_event(UNKNOWN_DOCUMENT))
    with unit_of_work(factory) as session:  # the shipped rules stored before the race
        rule_sets.active_rule_set(
            session, at=payload.occurred_at, profile=profile, actor=Actor("test", "setup")
        )
    barrier = threading.Barrier(4)
    decisions: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait()
            with unit_of_work(factory) as session:
                event, _ = service.record_crossing(
                    session,
                    payload,
                    device=CHANNEL1_GATE,
                    profile=profile,
                    seed_key=SEED_KEY,
                    actor=Actor("device", "gate-1"),
                )
                decisions.append(event.decision.id)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(decisions) == 4
    assert len(set(decisions)) == 1
    with committing_engine.connect() as connection:
        rows = connection.scalar(select(func.count()).select_from(CrossingEvent))
    assert rows == 1
