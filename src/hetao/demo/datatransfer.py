"""The demo's cross-border data transfers (R33-R37): applications of the parties whitelisted for
data in every state of their workflow, and the dedicated channel's batches, recorded and refused.

Three of the approvals date from three years ago, so the daily job finds one in its R36
renewal window, one extended after it, and one expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass

from hetao.audit.service import Actor
from hetao.datatransfer import channel
from hetao.datatransfer import repository as data_repo
from hetao.datatransfer import service as data
from hetao.datatransfer.models import DataTransferApplication
from hetao.datatransfer.routing import Purpose, Route
from hetao.datatransfer.schemas import ApplicationCreate, BatchIn, ExtensionIn
from hetao.demo.scene import Scene
from hetao.registry.models import Party
from hetao.timeutil import add_months

#: The dedicated channel that posts each batch before it leaves.
CHANNEL = Actor("device", "demo-data-channel")
RECIPIENTS = {
    "HK": "Tolo Harbour University Genomics Centre",
    "SG": "Straits Biomedical Data Institute Pte. Ltd.",
}


@dataclass(frozen=True)
class Plan:
    """One application: what it asks for and the state the demo takes it to."""

    state: str
    purpose: Purpose
    categories: tuple[str, ...]
    personal: int
    sensitive: int = 0
    recipient: str = "HK"


PLANS = (
    Plan("draft", Purpose.ACADEMIC_COOPERATION, ("instrument_readings",), 0),
    Plan("self_assessed", Purpose.ACADEMIC_COOPERATION, ("instrument_readings", "imaging"), 0),
    Plan("filed", Purpose.RESEARCH, ("clinical_records",), 150_000),
    Plan("applied", Purpose.RESEARCH, ("genomic_sequences",), 1_200_000, recipient="SG"),
    Plan("approved", Purpose.RESEARCH, ("imaging",), 120_000),
    Plan("rejected", Purpose.RESEARCH, ("clinical_records",), 0, sensitive=5_000),
    Plan("active", Purpose.RESEARCH, ("genomic_sequences", "lab_measurements"), 200_000),
    Plan("expiring", Purpose.RESEARCH, ("lab_measurements",), 300_000),
    Plan("extended", Purpose.RESEARCH, ("imaging", "lab_measurements"), 250_000),
    Plan("expired", Purpose.RESEARCH, ("clinical_records",), 180_000),
)
#: States whose approval took effect about one validity period (R36: 3 years) ago, and how
#: many days after that day: their validity ends that many days from today (or ended).
OLD_APPROVALS = {"expiring": 40, "extended": 50, "expired": -20}


def transfer_data(scene: Scene) -> None:
    """Applications in every state, and the channel's batches on those in force."""
    exporters = _exporters(scene)
    if not exporters:
        return  # no party is whitelisted for data: none may apply (R17)
    made = {}
    # Plans go round the exporters, so the data pages of several parties have applications.
    for plan, exporter in zip(PLANS, itertools.cycle(exporters), strict=False):
        made[plan.state] = _application(scene, plan, exporter)
    # The daily job: renewal windows open, approvals past their end expire (R36).
    data.expire_due(scene.session, today=scene.today, actor=scene.actor)
    extended = made["extended"]
    data.extend(
        scene.session,
        extended,
        ExtensionIn(
            personal_info_subjects=extended.personal_info_subjects * 11 // 10,
            sensitive_personal_info_subjects=0,
        ),
        profile=scene.profile,
        actor=scene.actor,
        today=scene.today,
    )
    _batches(scene, made["active"], made["expired"])


def _exporters(scene: Scene) -> list[Party]:
    """Beneficiaries with a whitelist entry for data in force, the demo's enterprises first."""
    candidates = [*scene.enterprises(), *scene.beneficiaries()]
    unique = list({party.id: party for party in candidates}.values())
    return [
        party
        for party in unique
        if data_repo.data_entry_in_force(scene.session, party_id=party.id, on=scene.today)
    ]


def _application(scene: Scene, plan: Plan, exporter: Party) -> DataTransferApplication:
    """Open the application and take it as far as its plan says."""
    session, profile, actor = scene.session, scene.profile, scene.actor
    application = data.create_application(
        session,
        ApplicationCreate(
            exporter_party_id=exporter.id,
            exporter_region="Shenzhen",
            recipient_name=RECIPIENTS[plan.recipient],
            recipient_region=plan.recipient,
            data_categories=plan.categories,
            personal_info_subjects=plan.personal,
            sensitive_personal_info_subjects=plan.sensitive,
            important_data=False,
            cii_operator=False,
            purpose=plan.purpose,
        ),
        profile=profile,
        actor=actor,
        today=scene.today,
    )
    if plan.state == "draft":
        return application
    late = OLD_APPROVALS.get(plan.state)
    years = profile.data.assessment_validity_years
    # The old approvals were assessed a month before they took effect, years ago.
    takes_effect = (
        add_months(scene.today, -12 * years) + dt.timedelta(days=late)
        if late is not None
        else scene.today - dt.timedelta(days=100)
    )
    assessed = takes_effect - dt.timedelta(days=30)
    routing = data.self_assess(session, application, profile=profile, actor=actor, today=assessed)
    if plan.state == "self_assessed" or routing.route is Route.EXEMPT:
        return application
    reference = f"CAC-{assessed:%Y}-{application.id:05d}"
    lodge = data.apply if routing.route is Route.SECURITY_ASSESSMENT else data.file
    lodge(session, application, reference=reference, actor=actor)
    if plan.state in ("filed", "applied"):
        return application
    if plan.state == "rejected":
        data.reject(
            session,
            application,
            reason="The recipient's protection measures for sensitive records were not shown.",
            actor=actor,
        )
        return application
    data.approve(session, application, reference=f"{reference}-A", actor=actor)
    if plan.state != "approved":
        data.activate(
            session,
            application,
            profile=profile,
            actor=actor,
            valid_from=takes_effect,
            today=takes_effect,
        )
    return application


def _batches(
    scene: Scene, active: DataTransferApplication, expired: DataTransferApplication
) -> None:
    """The channel posts batches: three recorded, one outside the approved categories, one to
    an address the approval does not name, one under the approval that expired."""
    recipient = active.recipient_name
    posts = (
        (active, "genomic_sequences", 12_000, recipient, 20),
        (active, "lab_measurements", 8_000, recipient, 12),
        (active, "genomic_sequences", 15_000, recipient, 3),
        (active, "clinical_records", 400, recipient, 2),
        (active, "lab_measurements", 900, "Harbour Analytics Limited", 1),
        (expired, "clinical_records", 1_000, expired.recipient_name, 1),
    )
    for number, (application, category, persons, to, days_ago) in enumerate(posts, start=1):
        batch_id = f"BATCH-{application.id:04d}-{number:03d}"
        channel.record_batch(
            scene.session,
            application,
            BatchIn(
                batch_id=batch_id,
                digest=hashlib.sha256(batch_id.encode()).hexdigest(),
                size_bytes=persons * 2_048,
                record_counts={category: persons * 3},
                personal_info_subjects=persons,
                recipient_region=application.recipient_region,
                recipient_name=to,
            ),
            profile=scene.profile,
            actor=CHANNEL,
            today=scene.today - dt.timedelta(days=days_ago),
        )
