"""Gate events over NATS JetStream: gates publish, a durable pull consumer decides and answers.

A gate (or a port's concentrator) publishes each event on ``<prefix>.events.<point>`` with its
device token in an ``Authorization: Bearer`` header and the event id as ``Nats-Msg-Id``. The
consumer checks it as POST /api/v1/crossings does, decides and commits a fetched batch in one
transaction (the same ``write_crossings``), publishes each decision on
``<prefix>.decisions.<point>``, and only then acks. Decisions are idempotent by (device, event
id): a redelivery after a crash between commit and ack republishes the stored decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import nats
import nats.errors
import psycopg
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import APIError, BadRequestError, NoStreamResponseError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from hetao.api.security import Allow, bearer_principal
from hetao.biometrics.gate import FaceCheck
from hetao.crossing import access, intake, service
from hetao.crossing.schemas import CrossingOut
from hetao.errors import HetaoError, NotAuthenticated, PermissionDenied, ValidationFailed
from hetao.profiles import ZoneProfile
from hetao.storage.engine import unit_of_work

log = logging.getLogger(__name__)

STREAM = "HETAO_GATES"
DURABLE = "hetao-gate-consumer"
#: Why a message went to the dead letters: the field, the rule and the message.
REASON_HEADER = "Hetao-Reason"
EVENT_ID_HEADER = "Hetao-Event-Id"
#: JetStream drops a second publish with the same id inside the stream's duplicate window.
MESSAGE_ID_HEADER = "Nats-Msg-Id"
AUTHORIZATION_HEADER = "Authorization"
#: The subject a dead letter was first published on.
SUBJECT_HEADER = "Hetao-Subject"
POSTING = Allow(*access.POSTERS)

Result = TypeVar("Result")
#: The database failed, not the event (unreachable, locked, failed over): worth a redelivery.
#: Repositories run statements on the driver's cursor, so its own errors arrive unwrapped.
DATABASE_FAILURES = (DBAPIError, sqlite3.OperationalError, psycopg.OperationalError)


@dataclass(frozen=True, slots=True)
class Subjects:
    """Where gates publish events, listen for decisions, and where dead letters go."""

    prefix: str = "hetao.gates"

    def events(self, point: str) -> str:
        return f"{self.prefix}.events.{point}"

    def decisions(self, point: str) -> str:
        return f"{self.prefix}.decisions.{point}"

    @property
    def all_events(self) -> str:
        return f"{self.prefix}.events.>"

    @property
    def all_decisions(self) -> str:
        return f"{self.prefix}.decisions.>"

    @property
    def dead(self) -> str:
        return f"{self.prefix}.dead"

    def point_of(self, subject: str) -> str:
        """The crossing point an event subject names ('' when it names none)."""
        head = f"{self.prefix}.events."
        return subject[len(head) :] if subject.startswith(head) else ""


@dataclass(frozen=True, slots=True)
class ConsumerSettings:
    """The stream and the durable consumer, as an operator configures them."""

    subjects: Subjects = field(default_factory=Subjects)
    stream: str = STREAM
    durable: str = DURABLE
    #: Copies of the stream and its consumer: 3 on a 3-node cluster.
    replicas: int = 1
    batch: int = 64
    #: Backpressure: events delivered and not yet acked, across every consumer process.
    max_ack_pending: int = 512
    #: Deliveries before an event that keeps failing goes to the dead letters.
    max_deliver: int = 5
    ack_wait_seconds: float = 30.0
    #: How long a database failure holds an event back before its redelivery.
    retry_delay_seconds: float = 1.0

    def stream_config(self) -> StreamConfig:
        subjects = self.subjects
        return StreamConfig(
            name=self.stream,
            subjects=[subjects.all_events, subjects.all_decisions, subjects.dead],
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=120.0,
        )

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            filter_subject=self.subjects.all_events,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_seconds,
            max_deliver=self.max_deliver,
            max_ack_pending=self.max_ack_pending,
        )


# --- transient NATS failures -------------------------------------------------------------------


def is_transient(error: BaseException) -> bool:
    """A failure that passes while the cluster elects a leader or a node comes back."""
    if isinstance(error, APIError):
        return (error.code or 0) >= 500 or error.err_code in {10008, 10009}  # cluster not ready
    return isinstance(
        error,
        nats.errors.TimeoutError
        | nats.errors.NoRespondersError
        | nats.errors.ConnectionClosedError
        | nats.errors.ConnectionReconnectingError
        | nats.errors.StaleConnectionError
        | NoStreamResponseError  # the stream is not there yet, or has no leader
        | TimeoutError,
    )


async def retrying(what: str, step: Callable[[], Awaitable[Result]], *, seconds: float) -> Result:
    """``step`` again after each transient failure, backing off up to 2 s, for ``seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    delay = 0.1
    while True:
        try:
            return await step()
        except Exception as error:
            if not is_transient(error) or loop.time() + delay > deadline:
                raise
            log.info("%s: %s; retrying in %.1f s", what, type(error).__name__, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def ensure_stream(js: JetStreamContext, settings: ConsumerSettings) -> None:
    """The stream as configured: created, or updated when its settings changed."""
    config = settings.stream_config()
    try:
        await js.add_stream(config)
    except BadRequestError:  # it exists with other settings (more subjects, other replicas)
        await js.update_stream(config)


# --- deciding a batch -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateMessage:
    """What the consumer reads of a delivered message."""

    subject: str
    headers: dict[str, str]
    data: bytes


@dataclass(frozen=True, slots=True)
class Decided:
    """A committed decision (new, or the stored one of a redelivered event), to publish."""

    subject: str
    event_id: str
    #: What the decision publish is deduplicated by: the device and its event id.
    message_id: str
    document: bytes


@dataclass(frozen=True, slots=True)
class Undecidable:
    """An event that can never be decided: to the dead letters, with why."""

    reason: str
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class NotYet:
    """The database failed: the event is redelivered later (dead after max_deliver)."""

    reason: str


Verdict = Decided | Undecidable | NotYet


def reason_of(error: HetaoError) -> str:
    """The field, rule and message of an error, as the dead letter's reason header says them."""
    if error.problems:
        first = error.problems[0]
        more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
        return f"{first.field}: {first.rule}: {first.message}{more}"
    if isinstance(error, NotAuthenticated):
        return f"{AUTHORIZATION_HEADER}: auth.bearer: {error}"
    return f"event: {error.code}: {error}"


class Decider:
    """Decides fetched events as the HTTP endpoint does: same checks, same service, same audit."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        profile: ZoneProfile,
        seed_key: bytes,
        subjects: Subjects,
        faces: FaceCheck | None = None,
    ) -> None:
        self.sessions = sessions
        self.profile = profile
        self.seed_key = seed_key
        self.subjects = subjects
        # Without it a face claim is "not_checked" and goes to the officer.
        self.faces = faces

    def decide(self, messages: Sequence[GateMessage]) -> list[Verdict]:
        """One verdict per message, in order; the decided ones committed in one transaction."""
        try:
            return self._decide_together(messages)
        except DATABASE_FAILURES as error:
            cause = error.orig if isinstance(error, DBAPIError) else error
            return [NotYet(f"database: {type(cause).__name__}: {cause}") for _ in messages]
        except Exception as error:
            if len(messages) > 1:  # one event broke the batch: alone, only it waits
                return [verdict for m in messages for verdict in self.decide([m])]
            log.exception("could not decide an event")
            return [NotYet(f"event: {type(error).__name__}: {error}")]

    def _decide_together(self, messages: Sequence[GateMessage]) -> list[Verdict]:
        verdicts: list[Verdict | intake.PreparedCrossing] = []
        with self.sessions() as session:
            for message in messages:
                try:
                    verdicts.append(self._prepare(session, message))
                except HetaoError as error:
                    verdicts.append(Undecidable(reason_of(error), event_id_in(message.headers)))
        prepared = [v for v in verdicts if isinstance(v, intake.PreparedCrossing)]
        with unit_of_work(self.sessions) as session:
            written = service.write_crossings(session, prepared, profile=self.profile)
        results = iter(written)
        return [
            self._verdict(verdict, next(results))
            if isinstance(verdict, intake.PreparedCrossing)
            else verdict
            for verdict in verdicts
        ]

    def _prepare(self, session: Session, message: GateMessage) -> intake.PreparedCrossing:
        authorization = message.headers.get(AUTHORIZATION_HEADER)
        if not authorization:
            raise ValidationFailed.single(
                AUTHORIZATION_HEADER, "auth.missing", "a gate event carries 'Bearer <token>'"
            )
        try:
            document = json.loads(message.data)
        except ValueError as error:  # UnicodeDecodeError is one too
            raise ValidationFailed.single("body", "json.invalid", str(error)) from None
        payload = intake.parse_event(document)
        point = self.subjects.point_of(message.subject)
        if payload.crossing_point != point:
            raise ValidationFailed.single(
                "crossing_point",
                "gate.subject_point",
                f"{payload.crossing_point!r} was published on {message.subject!r};"
                f" events of a point go to {self.subjects.events(payload.crossing_point)!r}",
            )
        principal = bearer_principal(session, authorization)
        if not POSTING.admits(principal):
            raise PermissionDenied(f"{principal.name} may not post crossing events")
        device = access.check_post(principal, self.profile.crossing_point(point))
        return intake.prepare_crossing(
            session,
            payload,
            device=device,
            profile=self.profile,
            seed_key=self.seed_key,
            actor=principal.actor,
            credentials=intake.check_credential,
            faces=self.faces,
        )

    def _verdict(
        self, prepared: intake.PreparedCrossing, written: service.Written | Exception
    ) -> Verdict:
        event_id = prepared.payload.event_id
        if isinstance(written, HetaoError):  # an event id reused for other content
            return Undecidable(reason_of(written), event_id)
        if isinstance(written, Exception):
            raise written
        event, _ = written
        if isinstance(event, service.NewCrossing):
            answer = CrossingOut.model_validate(event.as_document())
        else:
            answer = CrossingOut.model_validate(event)
        return Decided(
            subject=self.subjects.decisions(prepared.point.code),
            event_id=event_id,
            message_id=f"decision:{prepared.device.key}:{event_id}",
            document=answer.model_dump_json().encode(),
        )


def event_id_in(headers: dict[str, str] | None) -> str:
    """The event id a gate sent, for the dead letter, whatever else is wrong with the event."""
    return (headers or {}).get(MESSAGE_ID_HEADER, "")[:255]


# --- the consumer -----------------------------------------------------------------------------


class GateConsumer:
    """Fetches events, decides them (a thread: the database is synchronous), answers, acks."""

    def __init__(self, js: JetStreamContext, decider: Decider, settings: ConsumerSettings) -> None:
        self.js = js
        self.decider = decider
        self.settings = settings

    async def subscribe(self, *, seconds: float) -> JetStreamContext.PullSubscription:
        """The stream and the durable consumer, retried while the cluster elects leaders."""
        settings = self.settings
        await retrying("stream", lambda: ensure_stream(self.js, settings), seconds=seconds)
        return await retrying(
            "consumer",
            lambda: self.js.pull_subscribe(
                settings.subjects.all_events,
                durable=settings.durable,
                stream=settings.stream,
                config=settings.consumer_config(),
            ),
            seconds=seconds,
        )

    async def run(self, stop: asyncio.Event, *, setup_seconds: float = 120.0) -> None:
        """Consume until ``stop`` is set; transient failures back off, up to 2 s at a time."""
        subscription = await self.subscribe(seconds=setup_seconds)
        delay = 0.1
        while not stop.is_set():
            try:
                messages = await subscription.fetch(self.settings.batch, timeout=1.0)
            except nats.errors.TimeoutError:
                continue  # nothing to do for a second
            except Exception as error:
                if not is_transient(error):
                    raise
                log.info("fetch: %s; retrying in %.1f s", type(error).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            delay = 0.1
            await self.handle(messages)

    async def handle(self, messages: Sequence[Msg]) -> None:
        """Decide a batch, then answer and settle each message."""
        read = [GateMessage(m.subject, dict(m.headers or {}), m.data) for m in messages]
        verdicts = await asyncio.to_thread(self.decider.decide, read)
        # Side by side: each decision publish waits for the stream's replicas to store it.
        settled = await asyncio.gather(
            *(self._settle(m, v) for m, v in zip(messages, verdicts, strict=True)),
            return_exceptions=True,
        )
        for outcome in settled:
            if isinstance(outcome, BaseException):
                if not is_transient(outcome):
                    raise outcome
                # Not acked: JetStream redelivers after ack_wait, and the stored decision is
                # published again (no second decision).
                log.warning("could not settle a message: %s", type(outcome).__name__)

    async def _settle(self, message: Msg, verdict: Verdict) -> None:
        if isinstance(verdict, Decided):
            await self.js.publish(
                verdict.subject,
                verdict.document,
                headers={EVENT_ID_HEADER: verdict.event_id, MESSAGE_ID_HEADER: verdict.message_id},
            )
            await message.ack()
            return
        if isinstance(verdict, NotYet):
            delivered = message.metadata.num_delivered
            if delivered < self.settings.max_deliver:
                await message.nak(delay=self.settings.retry_delay_seconds)
                return
            verdict = Undecidable(
                f"{verdict.reason} (after {delivered} deliveries)", event_id_in(message.headers)
            )
        await self.dead_letter(message, verdict)

    async def dead_letter(self, message: Msg, verdict: Undecidable) -> None:
        """The event, without its token, on the dead letter subject; the original terminated."""
        # A header is one line, and a driver's message may run to several.
        reason = " ".join(verdict.reason.split())[:1000]
        log.warning("dead letter (event %r): %s", verdict.event_id, reason)
        headers = {
            REASON_HEADER: reason,
            SUBJECT_HEADER: message.subject,
            EVENT_ID_HEADER: verdict.event_id,
        }
        await self.js.publish(self.settings.subjects.dead, message.data, headers=headers)
        await message.term()


async def consume(
    servers: Sequence[str],
    decider: Decider,
    settings: ConsumerSettings,
    stop: asyncio.Event,
) -> None:
    """Connect (reconnecting for good) and consume until ``stop`` is set."""
    connection = await nats.connect(
        list(servers),
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        error_cb=log_connection_error,
    )
    try:
        await GateConsumer(connection.jetstream(), decider, settings).run(stop)
    finally:
        await connection.close()  # every fetched message is settled: nothing to drain


async def log_connection_error(error: Exception) -> None:
    """A line per connection error: a node down is expected, and reconnecting is automatic."""
    log.warning("nats: %s: %s", type(error).__name__, error)


# --- the reference gate client ----------------------------------------------------------------


class LocalQueue:
    """Events a gate could not hand to JetStream yet: a JSON Lines file, oldest first."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, documents: Iterable[dict[str, Any]]) -> int:
        """Add events at the end (flushed to disk); how many."""
        lines = [json.dumps(d, separators=(",", ":")) + "\n" for d in documents]
        if lines:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.writelines(lines)
                file.flush()
                os.fsync(file.fileno())
        return len(lines)

    def pending(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def drop_oldest(self, count: int) -> None:
        """Forget the ``count`` oldest events: JetStream has acked them. Atomic on disk."""
        rest = self.pending()[count:]
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=self.path.parent, delete=False
        ) as file:
            file.writelines(json.dumps(d, separators=(",", ":")) + "\n" for d in rest)
            file.flush()
            os.fsync(file.fileno())
        Path(file.name).replace(self.path)


@dataclass(slots=True)
class GateReport:
    """What a simulated gate did: events published, still queued, and decisions heard."""

    published: int = 0
    queued: int = 0
    decisions: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"published": self.published, "queued": self.queued, "decisions": self.decisions}


class GateClient:
    """A gate: publishes its events, queueing them locally while JetStream is out of reach."""

    def __init__(
        self, js: JetStreamContext, subjects: Subjects, token: str, queue: LocalQueue
    ) -> None:
        self.js = js
        self.subjects = subjects
        self._authorization = f"Bearer {token}"  # sent in a header only, never logged
        self.queue = queue

    async def publish(self, document: dict[str, Any]) -> None:
        """One event, acked by JetStream (a republish of the same event id is dropped)."""
        event_id = str(document.get("event_id", ""))
        await self.js.publish(
            self.subjects.events(str(document.get("crossing_point", ""))),
            json.dumps(document).encode(),
            timeout=2.0,
            headers={AUTHORIZATION_HEADER: self._authorization, MESSAGE_ID_HEADER: event_id},
        )

    async def replay(self) -> int:
        """Publish the queue oldest first; stop at the first failure. How many were acked."""
        acked = 0
        for document in self.queue.pending():
            try:
                await self.publish(document)
            except Exception as error:
                if not is_transient(error):
                    raise
                break
            self.queue.drop_oldest(1)
            acked += 1
        return acked

    async def send(
        self, documents: Iterable[dict[str, Any]], report: GateReport, *, retry_seconds: float
    ) -> None:
        """Queued events first, then these, in order; what fails waits in the queue, replayed
        every half second for ``retry_seconds``."""
        report.published += await self.replay()
        for document in documents:
            if not self.queue.pending():
                try:
                    await self.publish(document)
                    report.published += 1
                    continue
                except Exception as error:
                    if not is_transient(error):
                        raise
            self.queue.append([document])
            report.published += await self.replay()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + retry_seconds
        while self.queue.pending() and loop.time() < deadline:
            await asyncio.sleep(0.5)
            report.published += await self.replay()


async def simulate_gate(
    servers: Sequence[str],
    documents: Sequence[dict[str, Any]],
    *,
    token: str,
    queue: LocalQueue,
    subjects: Subjects,
    retry_seconds: float,
    decision_seconds: float,
) -> GateReport:
    """Send ``documents`` as a gate would, then wait up to ``decision_seconds`` for decisions.

    For ``retry_seconds`` unreachable servers are tried again and unacked events replayed,
    the events waiting in the local queue meanwhile; what is still queued at the end waits for
    the next run.
    """
    report = GateReport()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + retry_seconds
    connection: Client | None = None
    while connection is None:
        try:
            # Each server tried twice (nats-py retries without end at max_reconnect_attempts=0).
            connection = await asyncio.wait_for(
                nats.connect(
                    list(servers),
                    connect_timeout=1,
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0.2,
                    error_cb=log_connection_error,
                ),
                timeout=5 * len(servers),
            )
        except (OSError, TimeoutError, nats.errors.Error):
            if documents:  # the network is down: the gate keeps its events
                queue.append(documents)
                documents = []
            if loop.time() + 0.5 > deadline:
                report.queued = len(queue.pending())
                return report
            await asyncio.sleep(0.5)
    try:
        expected = {str(d.get("event_id")) for d in [*queue.pending(), *documents]}
        heard = asyncio.Event()

        async def hear(message: Msg) -> None:
            event_id = (message.headers or {}).get(EVENT_ID_HEADER, "")
            if event_id in expected:
                report.decisions[event_id] = json.loads(message.data)["decision"]["outcome"]
                if len(report.decisions) == len(expected):
                    heard.set()

        await connection.subscribe(subjects.all_decisions, cb=hear)
        await connection.flush()
        gate = GateClient(connection.jetstream(), subjects, token, queue)
        await gate.send(documents, report, retry_seconds=max(0.0, deadline - loop.time()))
        report.queued = len(queue.pending())
        if expected:
            # Past the wait, the report says which decisions came.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(heard.wait(), decision_seconds)
    finally:
        await connection.close()
    return report
