"""One turn of the webhook sender: gather the feed, then send what is due, each in its own
transaction, so no transaction is held open while a receiver takes its time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from hetao.audit.service import SYSTEM, Actor
from hetao.notifications import service
from hetao.notifications.delivery import SecretBox
from hetao.notifications.models import DeliveryStatus
from hetao.storage.engine import unit_of_work
from hetao.storage.types import utcnow

#: Seconds between turns of the application's background sender.
TURN_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Turn:
    """What one turn did: notifications and deliveries gathered, attempts by outcome."""

    gathered: service.Gathered
    attempts: dict[str, int]


def run_once(
    factory: sessionmaker[Session], box: SecretBox, *, actor: Actor = SYSTEM, limit: int = 50
) -> Turn:
    """Gather, then attempt every due delivery once and record each attempt."""
    with unit_of_work(factory) as session:
        gathered = service.gather(session)
    with unit_of_work(factory) as session:
        outgoing = service.due(session, now=utcnow(), limit=limit)
    results: list[DeliveryStatus | None] = []
    for item in outgoing:
        outcome = service.send(item, box=box, now=utcnow())
        with unit_of_work(factory) as session:
            results.append(
                service.record_attempt(session, item, outcome, now=utcnow(), actor=actor)
            )
    return Turn(gathered, service.statuses_of(results))
