"""Scenarios of `hetao.notifications.service` for tests/test_every_write_is_audited.py.

Each scenario sets up what its function needs and returns the call alone; the shared test
observes the call and checks the audit tags named here. ``gather`` writes no event: the feed
and the outbox it fills are a projection of events already in the log (its bookkeeping).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from factories import make_party
from hetao.audit.service import Actor
from hetao.notifications import delivery, service
from hetao.notifications.delivery import Outcome, SecretBox
from hetao.notifications.models import Notification, Webhook
from hetao.profiles import ZoneProfile
from hetao.registry.models import Party
from hetao.storage.types import utcnow
from notifications.support import submitted_application


class World(Protocol):
    session: Session
    actor: Actor
    profile: ZoneProfile
    tmp_path: Path


Call = Callable[[], object]
Scenario = Callable[[Any], Call]
#: The shared test's marker of an inserted row (tests/test_every_write_is_audited.py INSERT).
INSERT = "<insert>"
ANSWERED = Outcome(status_code=204, error=None, duration_ms=3)
TIMED_OUT = Outcome(status_code=None, error="timeout", duration_ms=5000)


def _box(w: World) -> SecretBox:
    return SecretBox.load_or_create(w.tmp_path / "webhook-secrets.key")


def _webhook(w: World) -> Webhook:
    party = make_party(w.session, w.actor)
    webhook, _ = service.register(
        w.session, party.id, "https://hooks.example.com/in", box=_box(w), actor=w.actor
    )
    return webhook


def _queued(w: World) -> Webhook:
    """A webhook with one delivery pending (its party's application was submitted)."""
    webhook = _webhook(w)
    _status_change(w, webhook)
    service.gather(w.session)
    return webhook


def _status_change(w: World, webhook: Webhook) -> None:
    """An application of the webhook's party, submitted."""
    party = w.session.get_one(Party, webhook.party_id)
    submitted_application(w.session, w.actor, w.profile, party)


def _due(w: World) -> service.Outgoing:
    _queued(w)
    (outgoing,) = service.due(w.session, now=utcnow())
    return outgoing


def scenario_register(w: World) -> Call:
    party = make_party(w.session, w.actor)
    return lambda: service.register(
        w.session, party.id, "https://hooks.example.com/in", box=_box(w), actor=w.actor
    )


def scenario_disable(w: World) -> Call:
    webhook = _webhook(w)
    return lambda: service.disable(w.session, webhook, actor=w.actor)


def scenario_disable_with_pending(w: World) -> Call:
    webhook = _queued(w)
    return lambda: service.disable(w.session, webhook, actor=w.actor)


def scenario_rotate_secret(w: World) -> Call:
    webhook = _webhook(w)
    return lambda: service.rotate_secret(w.session, webhook, box=_box(w), actor=w.actor)


def scenario_record_attempt(outcome: Outcome, *, last: bool = False) -> Scenario:
    def scenario(w: World) -> Call:
        outgoing = _due(w)
        if last:  # every attempt but the last already failed
            for _ in range(delivery.MAX_ATTEMPTS - 1):
                service.record_attempt(w.session, outgoing, TIMED_OUT, now=utcnow(), actor=w.actor)
                outgoing = replace(outgoing, attempts=outgoing.attempts + 1)
        return lambda: service.record_attempt(
            w.session, outgoing, outcome, now=utcnow(), actor=w.actor
        )

    return scenario


def scenario_gather(w: World) -> Call:
    _status_change(w, _webhook(w))
    return lambda: service.gather(w.session)


def _a_notification(w: World) -> Notification:
    webhook = _queued(w)
    return service.latest_for_party(w.session, webhook.party_id, 1)[0]


def scenario_page_path(w: World) -> Call:
    notification = _a_notification(w)
    return lambda: service.page_path(notification)


def scenario_payload(w: World) -> Call:
    notification = _a_notification(w)
    return lambda: service.payload(notification, "d" * 32)


def scenario_get_webhook(w: World) -> Call:
    webhook = _webhook(w)
    return lambda: service.get_webhook(w.session, webhook.id)


def scenario_webhooks_of(w: World) -> Call:
    webhook = _webhook(w)
    return lambda: service.webhooks_of(w.session, webhook.party_id)


def scenario_delivery_log(w: World) -> Call:
    webhook = _queued(w)
    return lambda: service.delivery_log(w.session, webhook)


def scenario_due(w: World) -> Call:
    _queued(w)
    return lambda: service.due(w.session, now=utcnow())


def scenario_send(w: World) -> Call:
    inside = replace(_due(w), url="https://192.168.0.1/in")
    return lambda: service.send(inside, box=_box(w), now=utcnow())


NOTIFICATION_WRITES: dict[str, tuple[Scenario, frozenset[str]]] = {
    "notifications.service.register": (
        scenario_register,
        frozenset({"notifications:webhook:register"}),
    ),
    "notifications.service.disable": (
        scenario_disable,
        frozenset({"notifications:webhook:disable"}),
    ),
    "notifications.service.rotate_secret": (
        scenario_rotate_secret,
        frozenset({"notifications:webhook:rotate_secret"}),
    ),
    "notifications.service.record_attempt": (
        scenario_record_attempt(ANSWERED),
        frozenset({"notifications:delivery:attempt"}),
    ),
}

NOTIFICATION_OTHER_PATHS: dict[str, tuple[str, Scenario, frozenset[str]]] = {
    "notifications.service.disable[pending]": (
        "notifications.service.disable",
        scenario_disable_with_pending,
        frozenset({"notifications:webhook:disable"}),
    ),
    "notifications.service.record_attempt[retry]": (
        "notifications.service.record_attempt",
        scenario_record_attempt(TIMED_OUT),
        frozenset({"notifications:delivery:attempt"}),
    ),
    "notifications.service.record_attempt[failed]": (
        "notifications.service.record_attempt",
        scenario_record_attempt(TIMED_OUT, last=True),
        frozenset({"notifications:delivery:attempt"}),
    ),
}

NOTIFICATION_READS: dict[str, tuple[str, Scenario]] = {
    "notifications.service.gather": (
        "projects audit events already written onto the feed and the outbox (bookkeeping)",
        scenario_gather,
    ),
    "notifications.service.latest_for_party": (
        "reads the party's feed, changes nothing",
        lambda w: lambda: service.latest_for_party(w.session, 1, 5),
    ),
    "notifications.service.page_path": (
        "the portal path of a notification's object; pure",
        scenario_page_path,
    ),
    "notifications.service.payload": ("the JSON a receiver gets; pure", scenario_payload),
    "notifications.service.get_webhook": (
        "looks a webhook up by id, changes nothing",
        scenario_get_webhook,
    ),
    "notifications.service.webhooks_of": (
        "lists a party's webhooks, changes nothing",
        scenario_webhooks_of,
    ),
    "notifications.service.delivery_log": (
        "reads a webhook's deliveries and attempts, changes nothing",
        scenario_delivery_log,
    ),
    "notifications.service.due": (
        "reads the deliveries due; the attempt is recorded by record_attempt",
        scenario_due,
    ),
    "notifications.service.send": (
        "one HTTP POST, no database (here refused before the network: a private address)",
        scenario_send,
    ),
    "notifications.service.statuses_of": (
        "counts outcomes; pure",
        lambda w: lambda: service.statuses_of([None]),
    ),
}

#: The feed and the outbox: what gather writes without an event of its own.
NOTIFICATION_BOOKKEEPING: dict[tuple[str, str], tuple[str, str]] = {
    ("notifications", INSERT): (
        "notifications.service.gather",
        "a notification projects an audit event already in the log onto its party; an event"
        " about it would be an event about an event",
    ),
    ("notification_deliveries", INSERT): (
        "notifications.service.gather",
        "the outbox row that queues a notification for a webhook; each attempt to send it is"
        " audited (notifications:delivery:attempt)",
    ),
}
