"""The demo's crossings: a fortnight of people at the zone's points, decided as gates would."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hetao.audit.service import Actor
from hetao.crossing import intake
from hetao.profiles import Flow, ZoneProfile
from hetao.registry import repository as repo

#: Recorded crossings of the demo: enough for back-testing and the console, still fast to load.
DEMO_CROSSINGS = 200
#: The device the demo's gates post as.
GATES = intake.Device("demo:gates", "demo-gates")


def selection_key(seed: int) -> bytes:
    """A demo-only selection secret (the server's own is in its data directory)."""
    return hashlib.sha256(f"hetao demo selection {seed}".encode()).digest()


def demo_crossings(
    session: Session, *, profile: ZoneProfile, seed: int, as_of: dt.date, actor: Actor
) -> int:
    """A fortnight of people crossing the zone's points, decided and recorded as gates would."""
    from hetao.crossing import service as crossing
    from hetao.crossing.schemas import CrossingIn

    rng = random.Random(seed + 5)  # noqa: S311 (reproducible demo data, not a secret)
    documents = repo.documents_in_order(session)
    points = [p.code for p in profile.crossing_points if Flow.PEOPLE in p.flows]
    if not documents or not points:
        return 0
    key = selection_key(seed)
    end = dt.datetime.combine(as_of, dt.time(18), tzinfo=ZoneInfo(profile.zone.timezone))
    instants = sorted(
        end.astimezone(dt.UTC) - dt.timedelta(seconds=rng.randrange(14 * 86400))
        for _ in range(DEMO_CROSSINGS)
    )
    for n, at in enumerate(instants):
        if rng.random() < 0.85:
            doc = rng.choice(documents)
            document = {"kind": doc.kind.value, "number": doc.number}
        else:  # a traveller the registry does not know
            document = {"kind": "passport", "number": f"X{rng.randrange(10**7):07d}"}
        payload = CrossingIn.model_validate(
            {
                "event_id": f"demo-{seed}-{n:04d}",
                "crossing_point": rng.choice(points),
                "direction": rng.choice(("inbound", "outbound")),
                "occurred_at": at.isoformat(),
                "subject": {"type": "person", "document": document},
            }
        )
        received = at + dt.timedelta(milliseconds=rng.randrange(40, 900))
        crossing.record_crossing(
            session, payload, device=GATES, profile=profile, seed_key=key, actor=actor,
            now=received,
        )  # fmt: skip
    return DEMO_CROSSINGS
