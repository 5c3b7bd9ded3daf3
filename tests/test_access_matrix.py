"""The access matrix, generated from the route table: every endpoint x every role.

For each cell the caller acts on an object of ANOTHER party: a role the endpoint does not admit
gets 401/403; an enterprise user gets 403 or 404 (another party's objects do not exist for it);
the staff roles the endpoint admits succeed, and so does an enterprise user on its OWN party's
object. A route missing from MATRIX fails the test, so no endpoint is ever left out.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from biometrics import real_faces
from biometrics import support as face_support
from datatransfer.support import application_payload as data_application_payload
from datatransfer.support import batch as data_batch
from datatransfer.support import in_state as data_application_in_state
from datatransfer.support import whitelist as whitelist_for_data
from declarations.support import admitted
from declarations.support import body as declaration_body
from declarations.support import line as declaration_line
from declarations.support import submit as submit_declaration
from factories import (
    make_application,
    make_entry,
    make_party,
    make_person,
    make_vehicle,
    party_payload,
    person_payload,
    resident_id,
    vehicle_payload,
)
from funds.support import led_by, transfer_body, transfer_in
from hetao.app import create_app
from hetao.audit.service import Actor
from hetao.auth import repository as auth_repository
from hetao.auth import service as auth
from hetao.auth.principal import Role
from hetao.biometrics import service as face_service
from hetao.credentials import service as credential_service
from hetao.credentials.tokens import SigningKey
from hetao.crossing import intake, rule_sets
from hetao.crossing import service as crossing_service
from hetao.crossing.schemas import CrossingIn
from hetao.declarations import centralised
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.schemas import CentralisedLineIn, CentralisedPeriodCreate
from hetao.inspections import photos as inspection_photos
from hetao.inspections import repository as inspection_repository
from hetao.inspections import results as inspection_results
from hetao.inspections import service as inspection_service
from hetao.inspections.models import InspectionResult
from hetao.notifications import service as notification_service
from hetao.notifications.delivery import SecretBox
from hetao.profiles import ZoneProfile, load_profile
from hetao.reference_versions.models import TableKind
from hetao.registry import approvals as registry_approvals
from hetao.registry import service
from hetao.registry import standings as registry_standings
from hetao.registry.models import Party, Person
from hetao.registry.schemas import ApprovalCreate, WaiverCreate
from hetao.storage.types import utcnow
from inspections.support import (
    adjustment_for,
    decision_for,
    inspection_for,
    pending_override_for,
)
from inspections.support import officer as inspection_officer
from loans.matrix import LOAN_MATRIX, LOAN_PARTY_OBJECTS
from loans.matrix import builders as loan_builders
from reference_versions.support import as_version
from web.portal_support import entry_form as portal_entry_form

R = Role
EVERYONE = frozenset(Role)
HUMANS = EVERYONE - {R.GATE_DEVICE}
STAFF = frozenset(
    {R.ZONE_REVIEWER, R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER, R.AUDITOR, R.ADMINISTRATOR}
)
READERS = STAFF | {R.ENTERPRISE_USER}
REVIEWERS = frozenset({R.ZONE_REVIEWER, R.ADMINISTRATOR})
REGISTRARS = REVIEWERS | {R.ENTERPRISE_USER}
APPLICANTS = frozenset({R.ENTERPRISE_USER, R.ADMINISTRATOR})
AUDITORS = frozenset({R.AUDITOR, R.ADMINISTRATOR})
OFFICERS = frozenset({R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER, R.ADMINISTRATOR})
TAX_READERS = frozenset(
    {R.SECOND_LINE_OFFICER, R.ZONE_REVIEWER, R.AUDITOR, R.ADMINISTRATOR, R.ENTERPRISE_USER}
)
ADMINS = frozenset({R.ADMINISTRATOR})
CENTRALISERS = frozenset({R.ENTERPRISE_USER, R.ZONE_REVIEWER, R.ADMINISTRATOR})
PERIOD_CLOSERS = frozenset({R.FIRST_LINE_OFFICER, R.ADMINISTRATOR})
OPEN = None  # no credentials needed

#: (method, path) -> the roles admitted. Written by hand from the role table in
#: docs/access.md, never derived from the code it checks.
MATRIX: dict[tuple[str, str], frozenset[Role] | None] = {
    ("GET", "/"): OPEN,
    ("GET", "/login"): OPEN,
    ("POST", "/login"): OPEN,
    ("POST", "/logout"): OPEN,
    ("GET", "/home"): HUMANS,
    ("POST", "/language"): OPEN,
    ("GET", "/audit/events"): AUDITORS,
    ("GET", "/audit/events/{seq}"): AUDITORS,
    ("GET", "/audit/events/{seq}/proof.json"): AUDITORS,
    ("GET", "/api/docs"): OPEN,
    ("GET", "/api/v1/health"): OPEN,
    # What operators' probes and Prometheus read (issue 19): no caller to authenticate.
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/metrics"): OPEN,
    ("GET", "/api/v1/profile"): EVERYONE,
    ("GET", "/api/v1/reference/hs/{code}"): EVERYONE,
    ("GET", "/api/v1/reference/industries"): EVERYONE,
    ("GET", "/api/v1/parties"): READERS,
    ("POST", "/api/v1/parties"): REVIEWERS,
    ("GET", "/api/v1/parties/{party_id}"): READERS,
    ("GET", "/api/v1/parties/{party_id}/waivers"): READERS,
    ("POST", "/api/v1/parties/{party_id}/waivers"): APPLICANTS,
    ("GET", "/api/v1/parties/{party_id}/standings"): READERS,
    ("POST", "/api/v1/parties/{party_id}/standings"): REVIEWERS,
    ("GET", "/api/v1/approvals"): READERS,
    ("POST", "/api/v1/approvals"): REVIEWERS,
    ("GET", "/api/v1/approvals/{approval_id}"): READERS,
    ("GET", "/api/v1/persons"): READERS,
    ("POST", "/api/v1/persons"): REGISTRARS,
    ("GET", "/api/v1/persons/{person_id}"): READERS,
    ("GET", "/api/v1/vehicles"): READERS,
    ("POST", "/api/v1/vehicles"): REGISTRARS,
    ("GET", "/api/v1/vehicles/{vehicle_id}"): READERS,
    ("POST", "/api/v1/imports/persons"): REGISTRARS,
    ("POST", "/api/v1/imports/vehicles"): REGISTRARS,
    ("GET", "/api/v1/applications"): READERS,
    ("POST", "/api/v1/applications"): REGISTRARS,
    ("GET", "/api/v1/applications/{application_id}"): READERS,
    ("POST", "/api/v1/applications/{application_id}/submit"): APPLICANTS,
    ("POST", "/api/v1/applications/{application_id}/request-information"): REVIEWERS,
    ("POST", "/api/v1/applications/{application_id}/resubmit"): APPLICANTS,
    ("POST", "/api/v1/applications/{application_id}/approve"): REVIEWERS,
    ("POST", "/api/v1/applications/{application_id}/decline"): REVIEWERS,
    ("GET", "/api/v1/entries"): READERS,
    ("GET", "/api/v1/entries/{entry_id}"): READERS,
    ("POST", "/api/v1/entries/{entry_id}/suspend"): REVIEWERS,
    ("POST", "/api/v1/entries/{entry_id}/reinstate"): REVIEWERS,
    ("POST", "/api/v1/entries/{entry_id}/revoke"): REVIEWERS,
    ("POST", "/api/v1/auth/login"): OPEN,
    ("POST", "/api/v1/auth/logout"): OPEN,
    ("GET", "/api/v1/auth/me"): EVERYONE,
    ("GET", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users"): ADMINS,
    ("POST", "/api/v1/users/{user_id}/deactivate"): ADMINS,
    ("GET", "/api/v1/tokens"): ADMINS,
    ("POST", "/api/v1/tokens"): ADMINS,
    ("POST", "/api/v1/tokens/{token_id}/revoke"): ADMINS,
    ("GET", "/api/v1/audit/events"): AUDITORS,
    ("GET", "/api/v1/audit/events/{seq}/proof"): AUDITORS,
    ("GET", "/api/v1/audit/checkpoints"): AUDITORS,
    ("POST", "/api/v1/declarations"): APPLICANTS,
    ("GET", "/api/v1/declarations"): READERS,
    ("GET", "/api/v1/declarations/{declaration_id}"): READERS,
    ("POST", "/api/v1/declarations/{declaration_id}/accept"): OFFICERS,
    ("POST", "/api/v1/declarations/{declaration_id}/clear"): OFFICERS,
    ("POST", "/api/v1/declarations/{declaration_id}/refuse"): OFFICERS,
    ("POST", "/api/v1/centralised-periods"): CENTRALISERS,
    ("GET", "/api/v1/centralised-periods/{period_id}"): READERS,
    ("POST", "/api/v1/centralised-periods/{period_id}/lines"): CENTRALISERS,
    ("POST", "/api/v1/centralised-periods/{period_id}/close"): PERIOD_CLOSERS,
    ("GET", "/api/v1/lots"): READERS,
    ("GET", "/api/v1/lots/{lot_id}"): READERS,
    ("GET", "/api/v1/parties/{party_id}/statement"): READERS,
    ("POST", "/api/v1/parties/{party_id}/reconciliation"): READERS,
    ("GET", "/api/v1/reports/supervision-ending"): READERS,
    ("GET", "/api/v1/reports/taxes"): TAX_READERS,
}
MATRIX |= LOAN_MATRIX  # instruments lent across the first line (issue 20): tests/loans/matrix.py
#: Inspections and overrides (issue 5): officers act (the service confines each to its own
#: line), auditors and administrators read.
INSPECTION_READERS = frozenset(
    {R.FIRST_LINE_OFFICER, R.SECOND_LINE_OFFICER, R.AUDITOR, R.ADMINISTRATOR}
)
MATRIX |= {
    ("GET", "/api/v1/inspections"): INSPECTION_READERS,
    ("GET", "/api/v1/inspections/{inspection_id}"): INSPECTION_READERS,
    ("POST", "/api/v1/inspections/{inspection_id}/assign"): OFFICERS,
    ("POST", "/api/v1/inspections/{inspection_id}/start"): OFFICERS,
    ("POST", "/api/v1/inspections/{inspection_id}/result"): OFFICERS,
    ("POST", "/api/v1/adjustments/{adjustment_id}/approve"): OFFICERS,
    ("POST", "/api/v1/adjustments/{adjustment_id}/reject"): OFFICERS,
    ("GET", "/api/v1/decisions/{decision_id}/overrides"): INSPECTION_READERS,
    ("POST", "/api/v1/decisions/{decision_id}/overrides"): OFFICERS,
    ("POST", "/api/v1/overrides/{override_id}/confirm"): OFFICERS,
    ("POST", "/api/v1/overrides/{override_id}/reject"): OFFICERS,
}
#: Zone credentials (issue 5): see hetao.credentials.api and docs/access.md.
MATRIX |= {
    ("POST", "/api/v1/credentials"): REGISTRARS,
    ("GET", "/api/v1/credentials/keys"): EVERYONE,
    ("GET", "/api/v1/credentials/revocations"): STAFF | {R.GATE_DEVICE},
    ("POST", "/api/v1/credentials/verify"): OFFICERS | {R.GATE_DEVICE},
    ("GET", "/api/v1/credentials/{credential_id}"): READERS,
    ("POST", "/api/v1/credentials/{credential_id}/revoke"): REVIEWERS | OFFICERS,
}
#: Face enrolment (issue 20): the zone administration records it at the desk; staff read it.
FACE_READERS = STAFF
MATRIX |= {
    ("GET", "/api/v1/persons/{person_id}/face-enrolment"): FACE_READERS,
    ("PUT", "/api/v1/persons/{person_id}/face-enrolment"): REVIEWERS,
    ("DELETE", "/api/v1/persons/{person_id}/face-enrolment"): REVIEWERS,
    ("GET", "/review/persons/{person_id}/face"): REVIEWERS,
    ("POST", "/review/persons/{person_id}/face/enrol"): REVIEWERS,
    ("POST", "/review/persons/{person_id}/face/withdraw"): REVIEWERS,
}
#: Crossings and rule sets (issue 5): see hetao.crossing.access and docs/access.md. The event
#: is posted at FBZ_CHANNEL_1 (first line): a second-line officer is refused there.
MATRIX |= {
    ("POST", "/api/v1/crossings"): frozenset(
        {R.GATE_DEVICE, R.FIRST_LINE_OFFICER, R.ADMINISTRATOR}
    ),
    ("GET", "/api/v1/crossings"): STAFF,
    ("GET", "/api/v1/crossings/{crossing_id}"): STAFF,
    ("POST", "/api/v1/crossings/{crossing_id}/replay"): INSPECTION_READERS,
    ("GET", "/api/v1/rule-sets"): STAFF,
    ("GET", "/api/v1/rule-sets/{version}"): STAFF,
    ("POST", "/api/v1/rule-sets"): ADMINS,
}
#: Research funds (issue 6): the zone decides, enterprises declare and remit their own payments,
#: auditors read; customs officers have no part in it (docs/access.md).
FUNDS_READERS = frozenset({R.ZONE_REVIEWER, R.AUDITOR, R.ADMINISTRATOR, R.ENTERPRISE_USER})
FUNDS_ZONE = frozenset({R.ZONE_REVIEWER, R.AUDITOR, R.ADMINISTRATOR})
MATRIX |= {
    ("POST", "/api/v1/projects"): REVIEWERS,
    ("GET", "/api/v1/projects"): FUNDS_READERS,
    ("GET", "/api/v1/projects/{project_id}"): FUNDS_READERS,
    ("POST", "/api/v1/projects/{project_id}/close"): REVIEWERS,
    ("GET", "/api/v1/projects/{project_id}/report"): FUNDS_READERS,
    ("GET", "/api/v1/reports/funds-by-source"): FUNDS_ZONE,
    ("POST", "/api/v1/fund-transfers"): APPLICANTS,
    ("GET", "/api/v1/fund-transfers"): FUNDS_READERS,
    ("GET", "/api/v1/fund-transfers/{transfer_id}"): FUNDS_READERS,
    ("POST", "/api/v1/fund-transfers/{transfer_id}/check"): REVIEWERS,
    ("POST", "/api/v1/fund-transfers/{transfer_id}/approve"): REVIEWERS,
    ("POST", "/api/v1/fund-transfers/{transfer_id}/hold"): REVIEWERS,
    ("POST", "/api/v1/fund-transfers/{transfer_id}/decline"): REVIEWERS,
    ("POST", "/api/v1/fund-transfers/{transfer_id}/remit"): APPLICANTS,
    ("POST", "/api/v1/fund-transfers/{transfer_id}/report"): REVIEWERS,
}
#: Data transfers (issue 6): the exporter applies, the zone records the authority's decisions,
#: the channel's device (or the zone) posts batches; see docs/access.md.
DATA_CHANNEL = frozenset({R.GATE_DEVICE, R.ZONE_REVIEWER, R.ADMINISTRATOR})
MATRIX |= {
    ("POST", "/api/v1/data-transfers/route"): READERS,
    ("POST", "/api/v1/data-transfers"): APPLICANTS,
    ("GET", "/api/v1/data-transfers"): READERS,
    ("GET", "/api/v1/data-transfers/{application_id}"): READERS,
    ("POST", "/api/v1/data-transfers/{application_id}/self-assess"): APPLICANTS,
    ("POST", "/api/v1/data-transfers/{application_id}/file"): APPLICANTS,
    ("POST", "/api/v1/data-transfers/{application_id}/apply"): APPLICANTS,
    ("POST", "/api/v1/data-transfers/{application_id}/approve"): REVIEWERS,
    ("POST", "/api/v1/data-transfers/{application_id}/reject"): REVIEWERS,
    ("POST", "/api/v1/data-transfers/{application_id}/activate"): REVIEWERS,
    ("POST", "/api/v1/data-transfers/{application_id}/extend"): APPLICANTS,
    ("POST", "/api/v1/data-transfers/{application_id}/batches"): DATA_CHANNEL,
    ("GET", "/api/v1/data-transfers/{application_id}/batches"): READERS,
}
#: Notifications (issue 17): an enterprise's feed and its webhooks, its own party's only.
SUBSCRIBERS = frozenset({R.ENTERPRISE_USER})
MATRIX |= {
    ("GET", "/api/v1/notifications"): SUBSCRIBERS,
    ("GET", "/api/v1/webhooks"): SUBSCRIBERS,
    ("POST", "/api/v1/webhooks"): SUBSCRIBERS,
    ("GET", "/api/v1/webhooks/{webhook_id}"): SUBSCRIBERS,
    ("POST", "/api/v1/webhooks/{webhook_id}/disable"): SUBSCRIBERS,
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret"): SUBSCRIBERS,
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): SUBSCRIBERS,
    ("GET", "/portal/notifications"): SUBSCRIBERS,
    ("GET", "/portal/webhooks"): SUBSCRIBERS,
    ("POST", "/portal/webhooks"): SUBSCRIBERS,
    ("POST", "/portal/webhooks/{webhook_id}/rotate-secret"): SUBSCRIBERS,
    ("POST", "/portal/webhooks/{webhook_id}/disable"): SUBSCRIBERS,
    ("GET", "/portal/webhooks/{webhook_id}/deliveries"): SUBSCRIBERS,
}

#: Declarations and e-ledger pages (issue 17): read as the API reads them; lodging on a page is
#: the enterprise's own (the page fixes its party); the HS look-up is for every person.
ENTERPRISE = frozenset({R.ENTERPRISE_USER})
MATRIX |= {
    ("GET", "/portal/declarations"): READERS,
    ("POST", "/portal/declarations"): ENTERPRISE,
    ("GET", "/portal/declarations/new"): ENTERPRISE,
    ("GET", "/portal/declarations/{declaration_id}"): READERS,
    ("GET", "/portal/declarations/{declaration_id}.json"): READERS,
    ("GET", "/portal/declarations/{declaration_id}.csv"): READERS,
    ("GET", "/portal/hs"): HUMANS,
    ("GET", "/portal/hs/suggestions"): HUMANS,
    ("GET", "/portal/ledger"): READERS,
    ("GET", "/portal/ledger/lots/{lot_id}"): READERS,
    ("GET", "/portal/ledger/supervision"): READERS,
    ("GET", "/portal/ledger/statement"): READERS,
    ("GET", "/portal/ledger/statement.csv"): READERS,
    ("GET", "/portal/ledger/reconciliation"): READERS,
    ("POST", "/portal/ledger/reconciliation"): READERS,
}

# The registry's pages (issue 17): the zone reviewer's workbench, the enterprise portal.
ENTERPRISE_ONLY = frozenset({R.ENTERPRISE_USER})
MATRIX |= {
    ("GET", "/review"): REVIEWERS,
    ("GET", "/review/applications/{application_id}"): REVIEWERS,
    ("POST", "/review/applications/{object_id}/approve"): REVIEWERS,
    ("POST", "/review/applications/{object_id}/decline"): REVIEWERS,
    ("POST", "/review/applications/{object_id}/request-information"): REVIEWERS,
    ("GET", "/review/entries/expiring"): REVIEWERS,
    ("GET", "/review/entries/{entry_id}"): REVIEWERS,
    ("POST", "/review/entries/{object_id}/suspend"): REVIEWERS,
    ("POST", "/review/entries/{object_id}/reinstate"): REVIEWERS,
    ("POST", "/review/entries/{object_id}/revoke"): REVIEWERS,
    ("GET", "/review/parties/{party_id}"): REVIEWERS,
    ("POST", "/review/parties/{party_id}/standings"): REVIEWERS,
    ("GET", "/review/imports"): REVIEWERS,
    ("POST", "/review/imports/{kind}"): REVIEWERS,
    ("GET", "/portal"): ENTERPRISE_ONLY,
    ("GET", "/portal/applications"): ENTERPRISE_ONLY,
    ("GET", "/portal/applications/new"): ENTERPRISE_ONLY,
    ("POST", "/portal/applications"): ENTERPRISE_ONLY,
    ("GET", "/portal/applications/{application_id}"): ENTERPRISE_ONLY,
    ("POST", "/portal/applications/{application_id}/submit"): ENTERPRISE_ONLY,
    ("POST", "/portal/applications/{application_id}/resubmit"): ENTERPRISE_ONLY,
    ("GET", "/portal/persons"): ENTERPRISE_ONLY,
    ("POST", "/portal/persons"): ENTERPRISE_ONLY,
    ("GET", "/portal/persons/{person_id}"): ENTERPRISE_ONLY,
    ("GET", "/portal/vehicles"): ENTERPRISE_ONLY,
    ("POST", "/portal/vehicles"): ENTERPRISE_ONLY,
    ("GET", "/portal/vehicles/{vehicle_id}"): ENTERPRISE_ONLY,
}

#: The administrator's pages (hetao.admin): administrators only, everyone else 403.
MATRIX |= {
    ("GET", "/admin"): ADMINS,
    ("GET", "/admin/users"): ADMINS,
    ("GET", "/admin/users/new"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("GET", "/admin/users/{user_id}"): ADMINS,
    ("POST", "/admin/users/{user_id}/role"): ADMINS,
    ("POST", "/admin/users/{user_id}/password"): ADMINS,
    ("POST", "/admin/users/{user_id}/deactivate"): ADMINS,
    ("POST", "/admin/users/{user_id}/reactivate"): ADMINS,
    ("GET", "/admin/tokens"): ADMINS,
    ("GET", "/admin/tokens/new"): ADMINS,
    ("POST", "/admin/tokens"): ADMINS,
    ("POST", "/admin/tokens/{token_id}/revoke"): ADMINS,
    ("GET", "/admin/profile"): ADMINS,
    ("GET", "/admin/rule-sets"): ADMINS,
    ("POST", "/admin/rule-sets/check"): ADMINS,
    ("POST", "/admin/rule-sets/backtest"): ADMINS,
    ("POST", "/admin/rule-sets"): ADMINS,
    ("GET", "/admin/reference"): ADMINS,
    ("POST", "/admin/reference"): ADMINS,
}

#: Pages of research funds, data transfers and credentials (issue 17): reviewers decide under
#: /review, an enterprise user works for its own party under /portal (the page fixes the party).
PORTAL = frozenset({R.ENTERPRISE_USER})
MATRIX |= {
    ("GET", "/review/fund-transfers"): REVIEWERS,
    ("GET", "/review/fund-transfers/{transfer_id}"): REVIEWERS,
    **{
        ("POST", f"/review/fund-transfers/{{transfer_id}}/{verb}"): REVIEWERS
        for verb in ("check", "hold", "approve", "decline", "report")
    },
    ("GET", "/portal/projects"): PORTAL,
    ("GET", "/portal/projects/{project_id}"): PORTAL,
    ("GET", "/portal/fund-transfers"): PORTAL,
    ("GET", "/portal/fund-transfers/new"): PORTAL,
    ("POST", "/portal/fund-transfers"): PORTAL,
    ("GET", "/portal/fund-transfers/{transfer_id}"): PORTAL,
    ("POST", "/portal/fund-transfers/{transfer_id}/remit"): PORTAL,
    ("GET", "/review/data-applications"): REVIEWERS,
    ("GET", "/review/data-applications/{application_id}"): REVIEWERS,
    **{
        ("POST", f"/review/data-applications/{{application_id}}/{verb}"): REVIEWERS
        for verb in ("approve", "reject", "activate")
    },
    ("GET", "/portal/data-applications"): PORTAL,
    ("GET", "/portal/data-applications/new"): PORTAL,
    ("POST", "/portal/data-applications"): PORTAL,
    ("GET", "/portal/data-applications/{application_id}"): PORTAL,
    **{
        ("POST", f"/portal/data-applications/{{application_id}}/{verb}"): PORTAL
        for verb in ("self-assess", "file", "apply", "extend")
    },
    ("GET", "/portal/credentials"): PORTAL,
    ("POST", "/portal/credentials"): PORTAL,
    ("GET", "/portal/credentials/{credential_id}"): PORTAL,
}

#: The port's lookup and the journey of a lot (issue 18): officers look up; staff read a
#: journey under /port; the ledger's readers in the portal, an enterprise its own lots only.
MATRIX |= {
    ("GET", "/port/lookup"): OFFICERS,
    ("GET", "/port/lookup/persons/{person_id}"): OFFICERS,
    ("GET", "/port/lookup/vehicles/{vehicle_id}"): OFFICERS,
    ("GET", "/port/lookup/parties/{party_id}"): OFFICERS,
    ("GET", "/port/lots/{lot_id}/journey"): STAFF,
    ("GET", "/portal/ledger/lots/{lot_id}/journey"): READERS,
}

#: The officer's console (issue 18): officers of either line at their line's points, and
#: administrators. The stream answers HEAD with its status and headers, without streaming.
MATRIX |= {
    ("GET", "/port"): OFFICERS,
    ("GET", "/port/crossings/{crossing_id}"): OFFICERS,
    ("GET", "/port/kiosk/{point}"): OFFICERS,
    ("GET", "/port/stream"): OFFICERS,
    ("HEAD", "/port/stream"): OFFICERS,
}

#: Inspection and override pages (issue 18): officers of the object's line, administrators.
MATRIX |= {
    ("GET", "/port/inspections"): OFFICERS,
    ("GET", "/port/inspections/{inspection_id}"): OFFICERS,
    ("POST", "/port/inspections/{inspection_id}/assign"): OFFICERS,
    ("POST", "/port/inspections/{inspection_id}/start"): OFFICERS,
    ("POST", "/port/inspections/{inspection_id}/result"): OFFICERS,
    ("GET", "/port/inspections/{inspection_id}/photos/{photo_id}"): OFFICERS,
    ("POST", "/port/adjustments/{adjustment_id}/approve"): OFFICERS,
    ("POST", "/port/adjustments/{adjustment_id}/reject"): OFFICERS,
    ("GET", "/port/decisions/{decision_id}/override"): OFFICERS,
    ("POST", "/port/decisions/{decision_id}/override"): OFFICERS,
    ("GET", "/port/overrides"): OFFICERS,
    ("POST", "/port/overrides/{override_id}/confirm"): OFFICERS,
    ("POST", "/port/overrides/{override_id}/reject"): OFFICERS,
}

#: Endpoints whose objects belong to a party: an enterprise user is confined to its own.
REGISTRY = (
    "parties", "persons", "vehicles", "imports", "applications", "entries", "declarations", "lots",
)  # fmt: skip
PARTY_OBJECTS = {
    key for key in MATRIX if key[1].split("/")[3:4] and key[1].split("/")[3] in REGISTRY
}
# A centralised declaration period (R10) belongs to its party.
PARTY_OBJECTS |= {key for key in MATRIX if key[1].split("/")[3:4] == ["centralised-periods"]}
# An approval (R11, R41) belongs to the party it was issued to.
PARTY_OBJECTS |= {("GET", "/api/v1/approvals"), ("GET", "/api/v1/approvals/{approval_id}")}
# A credential belongs to the party its person is affiliated with.
PARTY_OBJECTS |= {
    ("POST", "/api/v1/credentials"),
    ("GET", "/api/v1/credentials/{credential_id}"),
}
# Projects and fund transfers belong to their lead, partners, payer and payee.
PARTY_OBJECTS |= {
    key for key in MATRIX if key[1].split("/")[3:4] in (["projects"], ["fund-transfers"])
}
# A data transfer application belongs to its exporter; routing (pure) belongs to nobody.
PARTY_OBJECTS |= {
    key
    for key in MATRIX
    if key[1].split("/")[3:4] == ["data-transfers"] and not key[1].endswith("/route")
}
# A webhook belongs to the party that registered it (the lists show the caller's own only).
PARTY_OBJECTS |= {key for key in MATRIX if "{webhook_id}" in key[1]}

# Declaration and e-ledger pages (issue 17): an object, or a report named by its party.
PARTY_OBJECTS |= {
    ("GET", "/portal/declarations/{declaration_id}"),
    ("GET", "/portal/declarations/{declaration_id}.json"),
    ("GET", "/portal/declarations/{declaration_id}.csv"),
    ("GET", "/portal/ledger/lots/{lot_id}"),
    ("GET", "/portal/ledger/statement"),
    ("GET", "/portal/ledger/statement.csv"),
    ("POST", "/portal/ledger/reconciliation"),
}
PARTY_OBJECTS |= LOAN_PARTY_OBJECTS
# The enterprise portal's pages naming an object by id: another party's answers 404.
PARTY_OBJECTS |= {
    key for key in MATRIX if key[1].startswith("/portal/") and key[1].endswith("_id}")
} | {("POST", "/portal/applications/{application_id}/submit")}
PARTY_OBJECTS |= {("POST", "/portal/applications/{application_id}/resubmit")}

# Portal pages naming a project, transfer, application, credential or person: another
# party's answers 404. The lists and blank forms name nothing but the user's own party.
PARTY_OBJECTS |= {
    key
    for key in MATRIX
    if key[1].startswith("/portal/") and ("{" in key[1] or key[1] == "/portal/credentials")
} | {("POST", "/portal/fund-transfers")}
PARTY_OBJECTS -= {("GET", "/portal/credentials")}

TODAY = dt.date(2026, 11, 23)
ACTOR = Actor("test", "matrix")


@dataclass
class World:
    """Two beneficiary parties and whatever objects a cell needs, made on demand."""

    session: Session
    profile: ZoneProfile
    parties: dict[str, int] = field(default_factory=dict)
    #: The caller's role: officers act on their own line's objects (inspections, overrides).
    role: Role | None = None

    def party(self, whose: str) -> int:
        if whose not in self.parties:
            self.parties[whose] = make_party(self.session, ACTOR).id
        return self.parties[whose]

    def approval(self, whose: str) -> int:
        data = ApprovalCreate.model_validate(approval_payload(self.party(whose)))
        return registry_approvals.record_approval(self.session, data, actor=ACTOR).id

    def uscc(self, whose: str) -> str:
        party = self.session.get(Party, self.party(whose))
        assert party is not None
        assert party.uscc is not None
        return party.uscc

    def person(self, whose: str) -> int:
        return make_person(self.session, ACTOR, self.party(whose)).id

    def vehicle(self, whose: str) -> int:
        return make_vehicle(self.session, ACTOR, self.profile, self.party(whose)).id

    def application(self, whose: str, *path: str) -> int:
        application = make_application(
            self.session, ACTOR, self.profile, party_id=self.party(whose)
        )
        for verb in path:
            if verb == "submit":
                service.submit(self.session, application, actor=ACTOR)
            elif verb == "request_information":
                service.request_information(self.session, application, note="why", actor=ACTOR)
        return application.id

    def entry(self, whose: str, *, suspended: bool = False) -> int:
        application = make_application(
            self.session, ACTOR, self.profile, party_id=self.party(whose)
        )
        service.submit(self.session, application, actor=ACTOR)
        entry = service.approve(
            self.session, application, profile=self.profile, actor=ACTOR, today=TODAY
        )
        if suspended:
            service.suspend(self.session, entry, note="inquiry", actor=ACTOR)
        return entry.id

    def lot(self, whose: str) -> int:
        """Ten bonded reagent kits admitted by a cleared first-line entry."""
        party = self.session.get(Party, self.party(whose))
        assert party is not None
        return admitted(self.session, party, self.profile, ACTOR, bonded=True).id

    def declaration(self, whose: str) -> int:
        """A research consumption of one kit: in-zone, so either line's officer may clear it."""
        party = self.session.get(Party, self.party(whose))
        assert party is not None
        lot_id = self.lot(whose)
        declaration = submit_declaration(
            self.session,
            party,
            self.profile,
            ACTOR,
            DeclarationKind.RESEARCH_CONSUMPTION,
            lines=[declaration_line(quantity="1", lot_id=lot_id, bonded=True)],
        )
        return declaration.id

    def user(self) -> tuple[int, str, str]:
        n = next(_names)
        password = f"a long enough password {n}"
        user = auth.create_user(
            self.session,
            username=f"matrix-user-{n}",
            display_name="Matrix",
            password=password,
            role=R.AUDITOR,
            party_id=None,
            actor=ACTOR,
        )
        self.session.flush()
        return user.id, user.username, password

    def token(self) -> int:
        user_id, _, _ = self.user()
        token, _ = auth.issue_token(
            self.session,
            name="matrix",
            roles=[R.AUDITOR],
            user_id=user_id,
            expires_at=utcnow() + dt.timedelta(days=3),
            actor=ACTOR,
        )
        self.session.flush()
        return token.id


_names = itertools.count(1)


def approval_payload(party_id: int) -> dict[str, Any]:
    """An R41 approval with a number of its own."""
    return {
        "kind": "human_genetic_resources",
        "number": f"MOST-HGR-2026-{next(_names):04d}",
        "issuer": "Ministry of Science and Technology",
        "party_id": party_id,
        "article_kinds": ["samples"],
        "quantity": "20",
        "unit": "ml",
        "valid_from": "2026-11-01",
        "valid_until": "2027-10-31",
    }


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None
    content: str | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def csv(header: str, row: str) -> dict[str, Any]:
    return {"content": f"{header}\n{row}\n", "headers": {"Content-Type": "text/csv"}}


def person_row(world: World, whose: str) -> str:
    birth = dt.date(1991, 4, 5)
    return (
        f"Zhao,Lei,{birth},mainland,CN,mainland_resident_id,{resident_id(birth)},CN,"
        f"{world.uscc(whose)},researcher"
    )


PERSON_HEADER = (
    "family_name,given_name,birth_date,residency,nationality,document_kind,document_number,"
    "document_issuing_country,affiliation_party,affiliation_role"
)
VEHICLE_HEADER = "plate,plate_region,kind,owner_party"

Builder = Callable[[World, str], Call]
V = "/api/v1"

BUILDERS: dict[tuple[str, str], Builder] = {
    ("GET", "/"): lambda w, o: Call("GET", "/"),
    ("GET", "/login"): lambda w, o: Call("GET", "/login"),
    ("POST", "/login"): lambda w, o: Call(
        "POST",
        "/login",
        content=urlencode(dict(zip(("username", "password"), w.user()[1:], strict=True))),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    ("POST", "/logout"): lambda w, o: Call("POST", "/logout"),
    ("GET", "/home"): lambda w, o: Call("GET", "/home"),
    ("POST", "/language"): lambda w, o: Call(
        "POST",
        "/language",
        content="lang=zh-Hant&next=/home",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    ("GET", "/audit/events"): lambda w, o: Call("GET", "/audit/events"),
    ("GET", "/audit/events/{seq}"): lambda w, o: Call("GET", "/audit/events/1"),
    ("GET", "/audit/events/{seq}/proof.json"): lambda w, o: Call(
        "GET", "/audit/events/1/proof.json"
    ),
    ("GET", "/api/docs"): lambda w, o: Call("GET", "/api/docs"),
    ("GET", f"{V}/health"): lambda w, o: Call("GET", f"{V}/health"),
    ("GET", "/healthz"): lambda w, o: Call("GET", "/healthz"),
    ("GET", "/readyz"): lambda w, o: Call("GET", "/readyz"),
    ("GET", "/metrics"): lambda w, o: Call("GET", "/metrics"),
    ("GET", f"{V}/profile"): lambda w, o: Call("GET", f"{V}/profile"),
    ("GET", f"{V}/reference/hs/{{code}}"): lambda w, o: Call("GET", f"{V}/reference/hs/902730"),
    ("GET", f"{V}/reference/industries"): lambda w, o: Call("GET", f"{V}/reference/industries"),
    ("GET", f"{V}/parties"): lambda w, o: Call("GET", f"{V}/parties?party={w.party(o)}"),
    ("POST", f"{V}/parties"): lambda w, o: Call("POST", f"{V}/parties", json=party_payload()),
    ("GET", f"{V}/parties/{{party_id}}"): lambda w, o: Call("GET", f"{V}/parties/{w.party(o)}"),
    ("GET", f"{V}/parties/{{party_id}}/waivers"): lambda w, o: Call(
        "GET", f"{V}/parties/{w.party(o)}/waivers"
    ),
    ("POST", f"{V}/parties/{{party_id}}/waivers"): lambda w, o: Call(
        "POST", f"{V}/parties/{w.party(o)}/waivers", json={"goods_kind": "reagents"}
    ),
    ("GET", f"{V}/parties/{{party_id}}/standings"): lambda w, o: Call(
        "GET", f"{V}/parties/{w.party(o)}/standings"
    ),
    ("POST", f"{V}/parties/{{party_id}}/standings"): lambda w, o: Call(
        "POST",
        f"{V}/parties/{w.party(o)}/standings",
        json={
            "change": "credit_level",
            "credit_level": "certified",
            "effective_on": "2026-11-02",
            "document_ref": "GACC-CREDIT-2026-0042",
        },
    ),
    ("GET", f"{V}/approvals"): lambda w, o: Call("GET", f"{V}/approvals?party_id={w.party(o)}"),
    ("POST", f"{V}/approvals"): lambda w, o: Call(
        "POST", f"{V}/approvals", json=approval_payload(w.party(o))
    ),
    ("GET", f"{V}/approvals/{{approval_id}}"): lambda w, o: Call(
        "GET", f"{V}/approvals/{w.approval(o)}"
    ),
    ("GET", f"{V}/persons"): lambda w, o: Call("GET", f"{V}/persons?party_id={w.party(o)}"),
    ("POST", f"{V}/persons"): lambda w, o: Call(
        "POST", f"{V}/persons", json=person_payload(w.party(o), birth=dt.date(1987, 8, 9))
    ),
    ("GET", f"{V}/persons/{{person_id}}"): lambda w, o: Call("GET", f"{V}/persons/{w.person(o)}"),
    ("GET", f"{V}/vehicles"): lambda w, o: Call("GET", f"{V}/vehicles?owner_party_id={w.party(o)}"),
    ("POST", f"{V}/vehicles"): lambda w, o: Call(
        "POST", f"{V}/vehicles", json=vehicle_payload(w.party(o))
    ),
    ("GET", f"{V}/vehicles/{{vehicle_id}}"): lambda w, o: Call(
        "GET", f"{V}/vehicles/{w.vehicle(o)}"
    ),
    ("POST", f"{V}/imports/persons"): lambda w, o: Call(
        "POST", f"{V}/imports/persons", **csv(PERSON_HEADER, person_row(w, o))
    ),
    ("POST", f"{V}/imports/vehicles"): lambda w, o: Call(
        "POST",
        f"{V}/imports/vehicles",
        **csv(VEHICLE_HEADER, f"粤B{next(_names) % 100000:05d},mainland,goods_vehicle,{w.uscc(o)}"),
    ),
    ("GET", f"{V}/applications"): lambda w, o: Call(
        "GET", f"{V}/applications?party_id={w.party(o)}"
    ),
    ("POST", f"{V}/applications"): lambda w, o: Call(
        "POST",
        f"{V}/applications",
        json={
            "subject_kind": "institution",
            "party_id": w.party(o),
            "flows": ["goods"],
            "lines": ["first"],
        },
    ),
    ("GET", f"{V}/applications/{{application_id}}"): lambda w, o: Call(
        "GET", f"{V}/applications/{w.application(o)}"
    ),
    ("POST", f"{V}/applications/{{application_id}}/submit"): lambda w, o: Call(
        "POST", f"{V}/applications/{w.application(o)}/submit"
    ),
    ("POST", f"{V}/applications/{{application_id}}/request-information"): lambda w, o: Call(
        "POST",
        f"{V}/applications/{w.application(o, 'submit')}/request-information",
        json={"note": "send the floor plan"},
    ),
    ("POST", f"{V}/applications/{{application_id}}/resubmit"): lambda w, o: Call(
        "POST",
        f"{V}/applications/{w.application(o, 'submit', 'request_information')}/resubmit",
        json={"answer": "attached"},
    ),
    ("POST", f"{V}/applications/{{application_id}}/approve"): lambda w, o: Call(
        "POST", f"{V}/applications/{w.application(o, 'submit')}/approve", json={}
    ),
    ("POST", f"{V}/applications/{{application_id}}/decline"): lambda w, o: Call(
        "POST", f"{V}/applications/{w.application(o, 'submit')}/decline", json={"note": "no"}
    ),
    ("GET", f"{V}/entries"): lambda w, o: Call("GET", f"{V}/entries?party_id={w.party(o)}"),
    ("GET", f"{V}/entries/{{entry_id}}"): lambda w, o: Call("GET", f"{V}/entries/{w.entry(o)}"),
    ("POST", f"{V}/entries/{{entry_id}}/suspend"): lambda w, o: Call(
        "POST", f"{V}/entries/{w.entry(o)}/suspend", json={"note": "inquiry"}
    ),
    ("POST", f"{V}/entries/{{entry_id}}/reinstate"): lambda w, o: Call(
        "POST", f"{V}/entries/{w.entry(o, suspended=True)}/reinstate", json={}
    ),
    ("POST", f"{V}/entries/{{entry_id}}/revoke"): lambda w, o: Call(
        "POST", f"{V}/entries/{w.entry(o)}/revoke", json={"note": "left"}
    ),
    ("POST", f"{V}/auth/login"): lambda w, o: Call(
        "POST",
        f"{V}/auth/login",
        json=dict(zip(("username", "password"), w.user()[1:], strict=True)),
    ),
    ("POST", f"{V}/auth/logout"): lambda w, o: Call("POST", f"{V}/auth/logout"),
    ("GET", f"{V}/auth/me"): lambda w, o: Call("GET", f"{V}/auth/me"),
    ("GET", f"{V}/users"): lambda w, o: Call("GET", f"{V}/users"),
    ("POST", f"{V}/users"): lambda w, o: Call(
        "POST",
        f"{V}/users",
        json={
            "username": f"new-user-{next(_names)}",
            "display_name": "New",
            "password": "a long enough password",
            "role": "zone_reviewer",
        },
    ),
    ("POST", f"{V}/users/{{user_id}}/deactivate"): lambda w, o: Call(
        "POST", f"{V}/users/{w.user()[0]}/deactivate"
    ),
    ("GET", f"{V}/tokens"): lambda w, o: Call("GET", f"{V}/tokens"),
    ("POST", f"{V}/tokens"): lambda w, o: Call(
        "POST",
        f"{V}/tokens",
        json={
            "name": "gate 3",
            "roles": ["gate_device"],
            "device_name": "gate-3",
            "crossing_points": ["FBZ_CHANNEL_1"],
            "expires_at": (utcnow() + dt.timedelta(days=30)).isoformat(),
        },
    ),
    ("POST", f"{V}/tokens/{{token_id}}/revoke"): lambda w, o: Call(
        "POST", f"{V}/tokens/{w.token()}/revoke"
    ),
    ("GET", f"{V}/audit/events"): lambda w, o: Call("GET", f"{V}/audit/events"),
    ("GET", f"{V}/audit/events/{{seq}}/proof"): lambda w, o: Call(
        "GET", f"{V}/audit/events/1/proof"
    ),
    ("GET", f"{V}/audit/checkpoints"): lambda w, o: Call("GET", f"{V}/audit/checkpoints"),
    ("POST", f"{V}/declarations"): lambda w, o: Call(
        "POST",
        f"{V}/declarations",
        json=declaration_body(
            w.party(o),
            DeclarationKind.FIRST_LINE_ENTRY,
            lines=[declaration_line(quantity="1", customs_value="1200.00", bonded=True)],
        ),
    ),
    ("GET", f"{V}/declarations"): lambda w, o: Call(
        "GET", f"{V}/declarations?party_id={w.party(o)}"
    ),
    ("GET", f"{V}/declarations/{{declaration_id}}"): lambda w, o: Call(
        "GET", f"{V}/declarations/{w.declaration(o)}"
    ),
    ("POST", f"{V}/declarations/{{declaration_id}}/accept"): lambda w, o: Call(
        "POST", f"{V}/declarations/{w.declaration(o)}/accept"
    ),
    ("POST", f"{V}/declarations/{{declaration_id}}/clear"): lambda w, o: Call(
        "POST", f"{V}/declarations/{w.declaration(o)}/clear"
    ),
    ("POST", f"{V}/declarations/{{declaration_id}}/refuse"): lambda w, o: Call(
        "POST", f"{V}/declarations/{w.declaration(o)}/refuse", json={"reason": "incomplete"}
    ),
    ("POST", f"{V}/centralised-periods"): lambda w, o: Call(
        "POST",
        f"{V}/centralised-periods",
        json={"party_id": centralising(w, o), "crossing_point": "HUANGGANG"},
    ),
    ("GET", f"{V}/centralised-periods/{{period_id}}"): lambda w, o: Call(
        "GET", f"{V}/centralised-periods/{centralised_period(w, o)}"
    ),
    ("POST", f"{V}/centralised-periods/{{period_id}}/lines"): lambda w, o: Call(
        "POST",
        f"{V}/centralised-periods/{centralised_period(w, o)}/lines",
        json=centralised_goods(),
    ),
    ("POST", f"{V}/centralised-periods/{{period_id}}/close"): lambda w, o: Call(
        "POST", f"{V}/centralised-periods/{centralised_period(w, o, goods=True)}/close"
    ),
    ("GET", f"{V}/lots"): lambda w, o: Call("GET", f"{V}/lots?party_id={w.party(o)}"),
    ("GET", f"{V}/lots/{{lot_id}}"): lambda w, o: Call("GET", f"{V}/lots/{w.lot(o)}"),
    ("GET", f"{V}/parties/{{party_id}}/statement"): lambda w, o: Call(
        "GET", f"{V}/parties/{w.party(o)}/statement?from=2026-11-01&to=2026-11-30"
    ),
    ("POST", f"{V}/parties/{{party_id}}/reconciliation"): lambda w, o: Call(
        "POST",
        f"{V}/parties/{w.party(o)}/reconciliation",
        json={"counted_on": TODAY.isoformat(), "counts": [{"lot_id": w.lot(o), "counted": "9"}]},
    ),
    ("GET", f"{V}/reports/supervision-ending"): lambda w, o: Call(
        "GET", f"{V}/reports/supervision-ending?days=30"
    ),
    ("GET", f"{V}/reports/taxes"): lambda w, o: Call(
        "GET", f"{V}/reports/taxes?from=2026-11-01&to=2026-11-30&party_id={w.party(o)}"
    ),
}
BUILDERS |= {
    ("GET", f"{V}/inspections"): lambda w, o: Call("GET", f"{V}/inspections?status=queued"),
    ("GET", f"{V}/inspections/{{inspection_id}}"): lambda w, o: Call(
        "GET", f"{V}/inspections/{inspection_for(w.session, w.role)}"
    ),
    ("POST", f"{V}/inspections/{{inspection_id}}/assign"): lambda w, o: Call(
        "POST", f"{V}/inspections/{inspection_for(w.session, w.role)}/assign", json={}
    ),
    ("POST", f"{V}/inspections/{{inspection_id}}/start"): lambda w, o: Call(
        "POST", f"{V}/inspections/{inspection_for(w.session, w.role, 'assigned')}/start"
    ),
    ("POST", f"{V}/inspections/{{inspection_id}}/result"): lambda w, o: Call(
        "POST",
        f"{V}/inspections/{inspection_for(w.session, w.role, 'in_progress')}/result",
        json={"result": "conforms"},
    ),
    ("POST", f"{V}/adjustments/{{adjustment_id}}/approve"): lambda w, o: Call(
        "POST", f"{V}/adjustments/{adjustment_for(w.session, w.role, w.lot(o))}/approve"
    ),
    ("POST", f"{V}/adjustments/{{adjustment_id}}/reject"): lambda w, o: Call(
        "POST",
        f"{V}/adjustments/{adjustment_for(w.session, w.role, w.lot(o))}/reject",
        json={"note": "recounted"},
    ),
    ("GET", f"{V}/decisions/{{decision_id}}/overrides"): lambda w, o: Call(
        "GET", f"{V}/decisions/{decision_for(w.session, w.role)}/overrides"
    ),
    ("POST", f"{V}/decisions/{{decision_id}}/overrides"): lambda w, o: Call(
        "POST",
        f"{V}/decisions/{decision_for(w.session, w.role)}/overrides",
        json={"to_outcome": "release", "reason": "verified at the counter"},
    ),
    ("POST", f"{V}/overrides/{{override_id}}/confirm"): lambda w, o: Call(
        "POST", f"{V}/overrides/{pending_override_for(w.session, w.role)}/confirm"
    ),
    ("POST", f"{V}/overrides/{{override_id}}/reject"): lambda w, o: Call(
        "POST",
        f"{V}/overrides/{pending_override_for(w.session, w.role)}/reject",
        json={"note": "entry still suspended"},
    ),
}
CREDENTIAL_KEY = SigningKey.generate()


def centralising(w: World, whose: str) -> int:
    """The party, with a whitelist entry listing the centralised declaration exemption (R10)."""
    party_id = w.party(whose)
    make_entry(
        w.session,
        ACTOR,
        w.profile,
        party_id,
        exemptions=["duty_free_research_goods", "centralised_declaration"],
    )
    return party_id


def centralised_goods() -> dict[str, Any]:
    """One research reagent kit crossed on the period's first day."""
    return {
        "crossed_on": "2026-11-01",
        "hs_code": "3822.19",
        "description": "Diagnostic reagent kit",
        "quantity": "1",
        "unit": "kit",
        "customs_value": "1200.00",
        "currency": "HKD",
        "origin": "HK",
        "goods_kind": "reagents",
        "research_own_use": True,
    }


def centralised_period(w: World, whose: str, *, goods: bool = False) -> int:
    """A November 2026 centralised period of the party (ended: it may be closed)."""
    party = w.session.get(Party, centralising(w, whose))
    assert party is not None
    period = centralised.open_period(
        w.session,
        party,
        CentralisedPeriodCreate(
            party_id=party.id, crossing_point="HUANGGANG", starts_on=dt.date(2026, 11, 1)
        ),
        profile=w.profile,
        actor=ACTOR,
    )
    if goods:
        line = CentralisedLineIn.model_validate(centralised_goods())
        centralised.record_line(w.session, period, line, profile=w.profile, actor=ACTOR)
    return period.id


def whitelisted_person(w: World, whose: str) -> int:
    """A researcher of the party with an approved individual whitelist entry."""
    person = make_person(w.session, ACTOR, w.party(whose))
    application = make_application(
        w.session,
        ACTOR,
        w.profile,
        subject_kind="individual",
        person_id=person.id,
        party_id=w.party(whose),
        flows=["people"],
        lines=["first"],
        exemptions=[],
    )
    service.submit(w.session, application, actor=ACTOR)
    service.approve(w.session, application, profile=w.profile, actor=ACTOR)
    return person.id


def credential(w: World, whose: str) -> credential_service.IssuedCredential:
    return credential_service.issue(
        w.session,
        whitelisted_person(w, whose),
        key=CREDENTIAL_KEY,
        profile=w.profile,
        actor=ACTOR,
        now=utcnow(),
    )


BUILDERS |= {
    ("POST", f"{V}/credentials"): lambda w, o: Call(
        "POST", f"{V}/credentials", json={"person_id": whitelisted_person(w, o)}
    ),
    ("GET", f"{V}/credentials/keys"): lambda w, o: Call("GET", f"{V}/credentials/keys"),
    ("GET", f"{V}/credentials/revocations"): lambda w, o: Call(
        "GET", f"{V}/credentials/revocations"
    ),
    ("POST", f"{V}/credentials/verify"): lambda w, o: Call(
        "POST", f"{V}/credentials/verify", json={"token": credential(w, o).token}
    ),
    ("GET", f"{V}/credentials/{{credential_id}}"): lambda w, o: Call(
        "GET", f"{V}/credentials/{credential(w, o).credential.id}"
    ),
    ("POST", f"{V}/credentials/{{credential_id}}/revoke"): lambda w, o: Call(
        "POST",
        f"{V}/credentials/{credential(w, o).credential.id}/revoke",
        json={"reason": "badge lost"},
    ),
}


def face_enrolled_person(w: World, whose: str) -> int:
    """A whitelisted researcher of the party, enrolled with the astronaut's face."""
    person_id = whitelisted_person(w, whose)
    person = w.session.get(Person, person_id)
    assert person is not None
    face_service.enrol(
        w.session,
        person,
        image=real_faces.astronaut(),
        purpose="laboratory access",
        consent_statement="hetao-faces-v1",
        consented=True,
        faces=w.profile.faces,
        verifier=face_support.verifier(),
        box=face_support.BOX,
        recorded_by=face_support.reviewer_id(w.session),
        actor=ACTOR,
        now=utcnow(),
    )
    return person_id


def face_body() -> dict[str, Any]:
    return {
        "image": base64.b64encode(real_faces.astronaut()).decode(),
        "purpose": "laboratory access",
        "consent": True,
    }


BUILDERS |= {
    ("GET", f"{V}/persons/{{person_id}}/face-enrolment"): lambda w, o: Call(
        "GET", f"{V}/persons/{face_enrolled_person(w, o)}/face-enrolment"
    ),
    ("PUT", f"{V}/persons/{{person_id}}/face-enrolment"): lambda w, o: Call(
        "PUT", f"{V}/persons/{whitelisted_person(w, o)}/face-enrolment", json=face_body()
    ),
    ("DELETE", f"{V}/persons/{{person_id}}/face-enrolment"): lambda w, o: Call(
        "DELETE", f"{V}/persons/{face_enrolled_person(w, o)}/face-enrolment"
    ),
    ("GET", "/review/persons/{person_id}/face"): lambda w, o: Call(
        "GET", f"/review/persons/{face_enrolled_person(w, o)}/face"
    ),
    ("POST", "/review/persons/{person_id}/face/enrol"): lambda w, o: face_form(
        f"/review/persons/{whitelisted_person(w, o)}/face/enrol"
    ),
    ("POST", "/review/persons/{person_id}/face/withdraw"): lambda w, o: form(
        f"/review/persons/{face_enrolled_person(w, o)}/face/withdraw"
    ),
}


def face_form(path: str) -> Call:
    """The desk's enrolment form as a browser posts it: the photo, the purpose, the consent."""
    boundary = "matrix-face"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="purpose"\r\n\r\nlaboratory\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="consent"\r\n\r\non\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="image"; filename="face.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    body = head + real_faces.astronaut() + f"\r\n--{boundary}--\r\n".encode()
    return Call(
        "POST",
        path,
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def crossing_body() -> dict[str, Any]:
    """An unknown traveller at Channel No. 1 (a REFUSE decision: still a 201)."""
    return {
        "event_id": f"matrix-{next(_names)}",
        "crossing_point": "FBZ_CHANNEL_1",
        "direction": "inbound",
        "occurred_at": utcnow().isoformat(),
        "subject": {
            "type": "person",
            "document": {"kind": "hk_identity_card", "number": "A1234563"},
        },
    }


def recorded_crossing(w: World) -> int:
    event, _ = crossing_service.record_crossing(
        w.session,
        CrossingIn.model_validate(crossing_body()),
        device=intake.Device("user:0", "matrix"),
        profile=w.profile,
        seed_key=bytes(32),
        actor=ACTOR,
    )
    return event.id


def rule_set_body() -> dict[str, Any]:
    """A valid rule set with a fresh version."""
    reason = {"code": "risk.matrix", "en": "Matrix", "zh-Hant": "矩陣", "zh-Hans": "矩阵"}
    return {
        "version": f"matrix-{next(_names)}",
        "activates_at": "2030-01-01T00:00:00+00:00",
        "description": "access matrix",
        "tables": [
            {
                "name": "matrix",
                "description": "one row",
                "hit_policy": "first",
                "inputs": ["crossing_point"],
                "rows": [
                    {
                        "when": {"crossing_point": "HUANGGANG"},
                        "outcome": "inspect",
                        "score": 50,
                        "reason": reason,
                    }
                ],
            }
        ],
    }


def stored_rule_set(w: World) -> str:
    row, _ = rule_sets.add_rule_set(w.session, rule_set_body(), profile=w.profile, actor=ACTOR)
    return row.version


BUILDERS |= {
    ("POST", f"{V}/crossings"): lambda w, o: Call("POST", f"{V}/crossings", json=crossing_body()),
    ("GET", f"{V}/crossings"): lambda w, o: Call("GET", f"{V}/crossings?outcome=refuse"),
    ("GET", f"{V}/crossings/{{crossing_id}}"): lambda w, o: Call(
        "GET", f"{V}/crossings/{recorded_crossing(w)}"
    ),
    ("POST", f"{V}/crossings/{{crossing_id}}/replay"): lambda w, o: Call(
        "POST", f"{V}/crossings/{recorded_crossing(w)}/replay"
    ),
    ("GET", f"{V}/rule-sets"): lambda w, o: Call("GET", f"{V}/rule-sets"),
    ("GET", f"{V}/rule-sets/{{version}}"): lambda w, o: Call(
        "GET", f"{V}/rule-sets/{stored_rule_set(w)}"
    ),
    ("POST", f"{V}/rule-sets"): lambda w, o: Call("POST", f"{V}/rule-sets", json=rule_set_body()),
}


def fund_transfer_body(w: World, whose: str) -> dict[str, Any]:
    zone = led_by(w.session, w.profile, w.party(whose))
    return transfer_body(zone.project, zone.lead, zone.partner)


def fund_transfer(w: World, whose: str, *verbs: str) -> int:
    """A transfer paid by ``whose`` (the project's lead) to a whitelisted HK partner."""
    return transfer_in(led_by(w.session, w.profile, w.party(whose)), *verbs).id


BUILDERS |= {
    ("POST", f"{V}/projects"): lambda w, o: Call(
        "POST",
        f"{V}/projects",
        json={
            "code": f"MATRIX-{next(_names)}",
            "title": "Matrix project",
            "lead_party_id": w.party(o),
            "funding_source": "central",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "budget": [{"year": 2026, "category": "travel", "amount": "1000.00"}],
        },
    ),
    ("GET", f"{V}/projects"): lambda w, o: Call("GET", f"{V}/projects"),
    ("GET", f"{V}/projects/{{project_id}}"): lambda w, o: Call(
        "GET", f"{V}/projects/{led_by(w.session, w.profile, w.party(o)).project.id}"
    ),
    ("POST", f"{V}/projects/{{project_id}}/close"): lambda w, o: Call(
        "POST", f"{V}/projects/{led_by(w.session, w.profile, w.party(o)).project.id}/close"
    ),
    ("GET", f"{V}/projects/{{project_id}}/report"): lambda w, o: Call(
        "GET", f"{V}/projects/{led_by(w.session, w.profile, w.party(o)).project.id}/report"
    ),
    ("GET", f"{V}/reports/funds-by-source"): lambda w, o: Call(
        "GET", f"{V}/reports/funds-by-source"
    ),
    ("POST", f"{V}/fund-transfers"): lambda w, o: Call(
        "POST",
        f"{V}/fund-transfers",
        json=fund_transfer_body(w, o),
    ),
    ("GET", f"{V}/fund-transfers"): lambda w, o: Call(
        "GET", f"{V}/fund-transfers?party_id={w.party(o)}"
    ),
    ("GET", f"{V}/fund-transfers/{{transfer_id}}"): lambda w, o: Call(
        "GET", f"{V}/fund-transfers/{fund_transfer(w, o)}"
    ),
    ("POST", f"{V}/fund-transfers/{{transfer_id}}/check"): lambda w, o: Call(
        "POST", f"{V}/fund-transfers/{fund_transfer(w, o)}/check"
    ),
    ("POST", f"{V}/fund-transfers/{{transfer_id}}/approve"): lambda w, o: Call(
        "POST", f"{V}/fund-transfers/{fund_transfer(w, o, 'check')}/approve", json={}
    ),
    ("POST", f"{V}/fund-transfers/{{transfer_id}}/hold"): lambda w, o: Call(
        "POST", f"{V}/fund-transfers/{fund_transfer(w, o, 'check')}/hold", json={"note": "why"}
    ),
    ("POST", f"{V}/fund-transfers/{{transfer_id}}/decline"): lambda w, o: Call(
        "POST", f"{V}/fund-transfers/{fund_transfer(w, o, 'check')}/decline", json={"note": "no"}
    ),
    ("POST", f"{V}/fund-transfers/{{transfer_id}}/remit"): lambda w, o: Call(
        "POST",
        f"{V}/fund-transfers/{fund_transfer(w, o, 'check', 'approve')}/remit",
        json={"bank_reference": "BOCHK-1", "remitted_on": TODAY.isoformat()},
    ),
    ("POST", f"{V}/fund-transfers/{{transfer_id}}/report"): lambda w, o: Call(
        "POST", f"{V}/fund-transfers/{fund_transfer(w, o, 'check', 'approve', 'remit')}/report"
    ),
}


def data_transfer(w: World, whose: str, state: str) -> int:
    """An application of ``whose`` (whitelisted for the data flow) brought to ``state``."""
    whitelist_for_data(w.session, ACTOR, w.profile, w.party(whose))
    return data_application_in_state(w.session, ACTOR, w.profile, w.party(whose), state).id


def data_verb(w: World, whose: str, state: str, verb: str, body: Any = None) -> Call:
    return Call("POST", f"{V}/data-transfers/{data_transfer(w, whose, state)}/{verb}", json=body)


def new_data_transfer(w: World, whose: str) -> Call:
    whitelist_for_data(w.session, ACTOR, w.profile, w.party(whose))
    return Call("POST", f"{V}/data-transfers", json=data_application_payload(w.party(whose)))


DATA_ROUTE_FACTS = {
    "cii_operator": False,
    "important_data": False,
    "personal_info_subjects": 100_000,
    "sensitive_personal_info_subjects": 0,
    "year_to_date": {"personal_info_subjects": 0, "sensitive_personal_info_subjects": 0},
    "exporter_region": "Shenzhen",
    "recipient_region": "HK",
    "purpose": "research",
}
BUILDERS |= {
    ("POST", f"{V}/data-transfers/route"): lambda w, o: Call(
        "POST", f"{V}/data-transfers/route", json=DATA_ROUTE_FACTS
    ),
    ("POST", f"{V}/data-transfers"): new_data_transfer,
    ("GET", f"{V}/data-transfers"): lambda w, o: Call(
        "GET", f"{V}/data-transfers?exporter_party_id={w.party(o)}"
    ),
    ("GET", f"{V}/data-transfers/{{application_id}}"): lambda w, o: Call(
        "GET", f"{V}/data-transfers/{data_transfer(w, o, 'draft')}"
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/self-assess"): lambda w, o: data_verb(
        w, o, "draft", "self-assess"
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/file"): lambda w, o: data_verb(
        w, o, "self_assessed", "file", {"reference": "GBA-1"}
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/apply"): lambda w, o: data_verb(
        w, o, "self_assessed_for_assessment", "apply", {"reference": "SA-1"}
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/approve"): lambda w, o: data_verb(
        w, o, "filed", "approve", {"reference": "OK-1"}
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/reject"): lambda w, o: data_verb(
        w, o, "filed", "reject", {"reason": "incomplete"}
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/activate"): lambda w, o: data_verb(
        w, o, "approved", "activate", {}
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/extend"): lambda w, o: data_verb(
        w,
        o,
        "expiring",
        "extend",
        {"personal_info_subjects": 150_000, "sensitive_personal_info_subjects": 0},
    ),
    ("POST", f"{V}/data-transfers/{{application_id}}/batches"): lambda w, o: data_verb(
        w, o, "active", "batches", data_batch().model_dump(mode="json")
    ),
    ("GET", f"{V}/data-transfers/{{application_id}}/batches"): lambda w, o: Call(
        "GET", f"{V}/data-transfers/{data_transfer(w, o, 'active')}/batches"
    ),
}


# --- declarations and e-ledger pages (issue 17) -----------------------------------------------
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BOUNDARY = "matrix-boundary"


def stocktake_upload(w: World, whose: str) -> Call:
    """A count of the party's lot, posted as the page's multipart form."""
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="party_id"\r\n\r\n'
        f"{w.party(whose)}\r\n"
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="count.csv"'
        f"\r\nContent-Type: text/csv\r\n\r\nlot_id,counted\n{w.lot(whose)},9\n\r\n"
        f"--{BOUNDARY}--\r\n"
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return Call("POST", "/portal/ledger/reconciliation", content=body, headers=headers)


def period_of(w: World, whose: str) -> str:
    return urlencode(
        {"from": TODAY.isoformat(), "to": TODAY.isoformat(), "party_id": w.party(whose)}
    )


BUILDERS |= {
    ("GET", "/portal/declarations"): lambda w, o: Call("GET", "/portal/declarations"),
    ("POST", "/portal/declarations"): lambda w, o: Call(
        "POST",
        "/portal/declarations",
        content=urlencode(portal_entry_form("", reference=f"MATRIX-{next(_names)}")),
        headers=FORM,
    ),
    ("GET", "/portal/declarations/new"): lambda w, o: Call("GET", "/portal/declarations/new"),
    ("GET", "/portal/declarations/{declaration_id}"): lambda w, o: Call(
        "GET", f"/portal/declarations/{w.declaration(o)}"
    ),
    ("GET", "/portal/declarations/{declaration_id}.json"): lambda w, o: Call(
        "GET", f"/portal/declarations/{w.declaration(o)}.json"
    ),
    ("GET", "/portal/declarations/{declaration_id}.csv"): lambda w, o: Call(
        "GET", f"/portal/declarations/{w.declaration(o)}.csv"
    ),
    ("GET", "/portal/hs"): lambda w, o: Call("GET", "/portal/hs?q=reagent"),
    ("GET", "/portal/hs/suggestions"): lambda w, o: Call("GET", "/portal/hs/suggestions?q=3822"),
    ("GET", "/portal/ledger"): lambda w, o: Call("GET", "/portal/ledger"),
    ("GET", "/portal/ledger/lots/{lot_id}"): lambda w, o: Call(
        "GET", f"/portal/ledger/lots/{w.lot(o)}"
    ),
    ("GET", "/portal/ledger/supervision"): lambda w, o: Call("GET", "/portal/ledger/supervision"),
    ("GET", "/portal/ledger/statement"): lambda w, o: Call(
        "GET", f"/portal/ledger/statement?{period_of(w, o)}"
    ),
    ("GET", "/portal/ledger/statement.csv"): lambda w, o: Call(
        "GET", f"/portal/ledger/statement.csv?{period_of(w, o)}"
    ),
    ("GET", "/portal/ledger/reconciliation"): lambda w, o: Call(
        "GET", "/portal/ledger/reconciliation"
    ),
    ("POST", "/portal/ledger/reconciliation"): stocktake_upload,
}


# --- notifications (issue 17): webhooks of the own and the other party ----------------------


def webhook(w: World, whose: str) -> int:
    """An active webhook of the party ``whose`` (its secret sealed under a throwaway key)."""
    made, _ = notification_service.register(
        w.session,
        w.party(whose),
        f"https://hooks-{next(_names)}.example.com/in",
        box=SecretBox(bytes(32)),
        actor=ACTOR,
    )
    return made.id


BUILDERS |= {
    ("GET", f"{V}/notifications"): lambda w, o: Call("GET", f"{V}/notifications"),
    ("GET", f"{V}/webhooks"): lambda w, o: Call("GET", f"{V}/webhooks"),
    ("POST", f"{V}/webhooks"): lambda w, o: Call(
        "POST", f"{V}/webhooks", json={"url": "https://hooks.example.com/matrix"}
    ),
    ("GET", f"{V}/webhooks/{{webhook_id}}"): lambda w, o: Call(
        "GET", f"{V}/webhooks/{webhook(w, o)}"
    ),
    ("POST", f"{V}/webhooks/{{webhook_id}}/disable"): lambda w, o: Call(
        "POST", f"{V}/webhooks/{webhook(w, o)}/disable"
    ),
    ("POST", f"{V}/webhooks/{{webhook_id}}/rotate-secret"): lambda w, o: Call(
        "POST", f"{V}/webhooks/{webhook(w, o)}/rotate-secret"
    ),
    ("GET", f"{V}/webhooks/{{webhook_id}}/deliveries"): lambda w, o: Call(
        "GET", f"{V}/webhooks/{webhook(w, o)}/deliveries"
    ),
    ("GET", "/portal/notifications"): lambda w, o: Call("GET", "/portal/notifications"),
    ("GET", "/portal/webhooks"): lambda w, o: Call("GET", "/portal/webhooks"),
    ("POST", "/portal/webhooks"): lambda w, o: Call(
        "POST",
        "/portal/webhooks",
        content=urlencode({"url": "https://hooks.example.com/matrix"}),
        headers=FORM,
    ),
    ("POST", "/portal/webhooks/{webhook_id}/rotate-secret"): lambda w, o: Call(
        "POST", f"/portal/webhooks/{webhook(w, o)}/rotate-secret"
    ),
    ("POST", "/portal/webhooks/{webhook_id}/disable"): lambda w, o: Call(
        "POST", f"/portal/webhooks/{webhook(w, o)}/disable"
    ),
    ("GET", "/portal/webhooks/{webhook_id}/deliveries"): lambda w, o: Call(
        "GET", f"/portal/webhooks/{webhook(w, o)}/deliveries"
    ),
}


# The registry's pages (issue 17): plain HTML forms, as a browser posts them.
def form(path: str, **fields: object) -> Call:
    return Call(
        "POST",
        path,
        content=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


BUILDERS |= loan_builders(Call, form)


def upload(path: str, text: str) -> Call:
    boundary = "matrix-boundary"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="rows.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        f"{text}\r\n--{boundary}--\r\n"
    )
    return Call(
        "POST",
        path,
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def portal_person(w: World, o: str) -> Call:
    birth = dt.date(1993, 2, 3)
    return form(
        "/portal/persons",
        family_name="Lin",
        given_name="Yu",
        birth_date=birth.isoformat(),
        residency="mainland",
        nationality="CN",
        document_kind="mainland_resident_id",
        document_number=resident_id(birth),
        document_issuing_country="CN",
        role="researcher",
    )


def portal_vehicle(w: World, o: str) -> Call:
    plates = vehicle_payload(0)
    return form(
        "/portal/vehicles",
        plate=plates["plate"],
        plate_region="cross_boundary",
        hk_plate=plates["hk_plate"],
        kind="channel1_car",
    )


BUILDERS |= {
    ("GET", "/review"): lambda w, o: Call("GET", f"/review?party={w.party(o)}"),
    ("GET", "/review/applications/{application_id}"): lambda w, o: Call(
        "GET", f"/review/applications/{w.application(o, 'submit')}"
    ),
    ("POST", "/review/applications/{object_id}/approve"): lambda w, o: form(
        f"/review/applications/{w.application(o, 'submit')}/approve", note="meets R2"
    ),
    ("POST", "/review/applications/{object_id}/decline"): lambda w, o: form(
        f"/review/applications/{w.application(o, 'submit')}/decline", note="not in the area"
    ),
    ("POST", "/review/applications/{object_id}/request-information"): lambda w, o: form(
        f"/review/applications/{w.application(o, 'submit')}/request-information", note="why"
    ),
    ("GET", "/review/entries/expiring"): lambda w, o: Call("GET", "/review/entries/expiring"),
    ("GET", "/review/entries/{entry_id}"): lambda w, o: Call(
        "GET", f"/review/entries/{w.entry(o)}"
    ),
    ("POST", "/review/entries/{object_id}/suspend"): lambda w, o: form(
        f"/review/entries/{w.entry(o)}/suspend", note="inquiry"
    ),
    ("POST", "/review/entries/{object_id}/reinstate"): lambda w, o: form(
        f"/review/entries/{w.entry(o, suspended=True)}/reinstate", note=""
    ),
    ("POST", "/review/entries/{object_id}/revoke"): lambda w, o: form(
        f"/review/entries/{w.entry(o)}/revoke", note="fraud"
    ),
    ("GET", "/review/parties/{party_id}"): lambda w, o: Call(
        "GET", f"/review/parties/{w.party(o)}"
    ),
    ("POST", "/review/parties/{party_id}/standings"): lambda w, o: form(
        f"/review/parties/{w.party(o)}/standings",
        change="credit_level",
        effective_on=TODAY.isoformat(),
        document_ref="GACC-1",
        credit_level="advanced_certified",
    ),
    ("GET", "/review/imports"): lambda w, o: Call("GET", "/review/imports"),
    ("POST", "/review/imports/{kind}"): lambda w, o: upload(
        "/review/imports/persons", f"{PERSON_HEADER}\n{person_row(w, o)}\n"
    ),
    ("GET", "/portal"): lambda w, o: Call("GET", "/portal"),
    ("GET", "/portal/applications"): lambda w, o: Call("GET", "/portal/applications"),
    ("GET", "/portal/applications/new"): lambda w, o: Call("GET", "/portal/applications/new"),
    ("POST", "/portal/applications"): lambda w, o: form(
        "/portal/applications", subject_kind="institution", flows="goods", lines="first"
    ),
    ("GET", "/portal/applications/{application_id}"): lambda w, o: Call(
        "GET", f"/portal/applications/{w.application(o)}"
    ),
    ("POST", "/portal/applications/{application_id}/submit"): lambda w, o: form(
        f"/portal/applications/{w.application(o)}/submit"
    ),
    ("POST", "/portal/applications/{application_id}/resubmit"): lambda w, o: form(
        f"/portal/applications/{w.application(o, 'submit', 'request_information')}/resubmit",
        answer="Building 3",
    ),
    ("GET", "/portal/persons"): lambda w, o: Call("GET", "/portal/persons"),
    ("POST", "/portal/persons"): portal_person,
    ("GET", "/portal/persons/{person_id}"): lambda w, o: Call(
        "GET", f"/portal/persons/{w.person(o)}"
    ),
    ("GET", "/portal/vehicles"): lambda w, o: Call("GET", "/portal/vehicles"),
    ("POST", "/portal/vehicles"): portal_vehicle,
    ("GET", "/portal/vehicles/{vehicle_id}"): lambda w, o: Call(
        "GET", f"/portal/vehicles/{w.vehicle(o)}"
    ),
}


# --- the administrator's pages (hetao.admin) --------------------------------------------------


def rule_set_upload() -> Call:
    """The rule set upload form: one JSON file, multipart."""
    boundary = "matrix-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.json"\r\n'
        f"Content-Type: application/json\r\n\r\n{json.dumps(rule_set_body())}\r\n--{boundary}--\r\n"
    )
    return Call(
        "POST",
        "/admin/rule-sets/check",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def reference_upload() -> Call:
    """A new version of the exchange rates, multipart."""
    boundary = "matrix-boundary"
    text = as_version(TableKind.RATES, f"MATRIX-{next(_names)}")
    fields = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("kind", "rates"), ("effective_from", "2030-01-01"))
    )
    body = (
        f'{fields}--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="r.csv"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n'
    )
    return Call(
        "POST",
        "/admin/reference",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def inactive_user(w: World) -> int:
    user_id, _, _ = w.user()
    user = auth_repository.get_user(w.session, user_id)
    auth.deactivate_user(w.session, user, actor=ACTOR)
    return user_id


BUILDERS |= {
    ("GET", "/admin"): lambda w, o: Call("GET", "/admin"),
    ("GET", "/admin/users"): lambda w, o: Call("GET", "/admin/users"),
    ("GET", "/admin/users/new"): lambda w, o: Call("GET", "/admin/users/new"),
    ("POST", "/admin/users"): lambda w, o: form(
        "/admin/users",
        username=f"matrix-page-{next(_names)}",
        display_name="Matrix",
        role="auditor",
        password="a long enough password",
    ),
    ("GET", "/admin/users/{user_id}"): lambda w, o: Call("GET", f"/admin/users/{w.user()[0]}"),
    ("POST", "/admin/users/{user_id}/role"): lambda w, o: form(
        f"/admin/users/{w.user()[0]}/role", role="zone_reviewer"
    ),
    ("POST", "/admin/users/{user_id}/password"): lambda w, o: form(
        f"/admin/users/{w.user()[0]}/password", new_password="another long password"
    ),
    ("POST", "/admin/users/{user_id}/deactivate"): lambda w, o: form(
        f"/admin/users/{w.user()[0]}/deactivate"
    ),
    ("POST", "/admin/users/{user_id}/reactivate"): lambda w, o: form(
        f"/admin/users/{inactive_user(w)}/reactivate"
    ),
    ("GET", "/admin/tokens"): lambda w, o: Call("GET", "/admin/tokens"),
    ("GET", "/admin/tokens/new"): lambda w, o: Call("GET", "/admin/tokens/new"),
    ("POST", "/admin/tokens"): lambda w, o: form(
        "/admin/tokens",
        name="matrix",
        user_id=str(w.user()[0]),
        roles="auditor",
        expires_at=(utcnow() + dt.timedelta(days=3)).date().isoformat(),
    ),
    ("POST", "/admin/tokens/{token_id}/revoke"): lambda w, o: form(
        f"/admin/tokens/{w.token()}/revoke"
    ),
    ("GET", "/admin/profile"): lambda w, o: Call("GET", "/admin/profile"),
    ("GET", "/admin/rule-sets"): lambda w, o: Call("GET", "/admin/rule-sets"),
    ("POST", "/admin/rule-sets/check"): lambda w, o: rule_set_upload(),
    ("GET", "/admin/reference"): lambda w, o: Call("GET", "/admin/reference"),
    ("POST", "/admin/reference"): lambda w, o: reference_upload(),
    ("POST", "/admin/rule-sets/backtest"): lambda w, o: form(
        "/admin/rule-sets/backtest", document=json.dumps(rule_set_body()), since="2026-11-01"
    ),
    ("POST", "/admin/rule-sets"): lambda w, o: form(
        "/admin/rule-sets", document=json.dumps(rule_set_body()), activates_at="2030-01-01T00:00"
    ),
}


def new_portal_application(w: World, whose: str) -> Call:
    """The portal opens applications for the user's own party (whitelisted here), whatever
    ``whose``: the form has no exporter field."""
    whitelist_for_data(w.session, ACTOR, w.profile, w.party("own"))
    fields = data_application_payload(w.party(whose))
    del fields["exporter_party_id"]
    fields["data_categories"] = ", ".join(fields["data_categories"])
    return form(
        "/portal/data-applications",
        **{k: v for k, v in fields.items() if v is not False},
    )


BUILDERS |= {
    ("GET", "/review/fund-transfers"): lambda w, o: Call("GET", "/review/fund-transfers"),
    ("GET", "/review/fund-transfers/{transfer_id}"): lambda w, o: Call(
        "GET", f"/review/fund-transfers/{fund_transfer(w, o)}"
    ),
    ("POST", "/review/fund-transfers/{transfer_id}/check"): lambda w, o: form(
        f"/review/fund-transfers/{fund_transfer(w, o)}/check"
    ),
    ("POST", "/review/fund-transfers/{transfer_id}/hold"): lambda w, o: form(
        f"/review/fund-transfers/{fund_transfer(w, o, 'check')}/hold", note="why"
    ),
    ("POST", "/review/fund-transfers/{transfer_id}/approve"): lambda w, o: form(
        f"/review/fund-transfers/{fund_transfer(w, o, 'check')}/approve"
    ),
    ("POST", "/review/fund-transfers/{transfer_id}/decline"): lambda w, o: form(
        f"/review/fund-transfers/{fund_transfer(w, o, 'check')}/decline", note="no"
    ),
    ("POST", "/review/fund-transfers/{transfer_id}/report"): lambda w, o: form(
        f"/review/fund-transfers/{fund_transfer(w, o, 'check', 'approve', 'remit')}/report"
    ),
    ("GET", "/portal/projects"): lambda w, o: Call("GET", "/portal/projects"),
    ("GET", "/portal/projects/{project_id}"): lambda w, o: Call(
        "GET", f"/portal/projects/{led_by(w.session, w.profile, w.party(o)).project.id}"
    ),
    ("GET", "/portal/fund-transfers"): lambda w, o: Call(
        "GET", f"/portal/fund-transfers?party_id={w.party(o)}"
    ),
    ("GET", "/portal/fund-transfers/new"): lambda w, o: Call("GET", "/portal/fund-transfers/new"),
    ("POST", "/portal/fund-transfers"): lambda w, o: form(
        "/portal/fund-transfers",
        **{k: v for k, v in fund_transfer_body(w, o).items() if k != "payer_party_id"},
    ),
    ("GET", "/portal/fund-transfers/{transfer_id}"): lambda w, o: Call(
        "GET", f"/portal/fund-transfers/{fund_transfer(w, o)}"
    ),
    ("POST", "/portal/fund-transfers/{transfer_id}/remit"): lambda w, o: form(
        f"/portal/fund-transfers/{fund_transfer(w, o, 'check', 'approve')}/remit",
        bank_reference="BOCHK-1",
        remitted_on=TODAY.isoformat(),
    ),
    ("GET", "/review/data-applications"): lambda w, o: Call("GET", "/review/data-applications"),
    ("GET", "/review/data-applications/{application_id}"): lambda w, o: Call(
        "GET", f"/review/data-applications/{data_transfer(w, o, 'draft')}"
    ),
    ("POST", "/review/data-applications/{application_id}/approve"): lambda w, o: form(
        f"/review/data-applications/{data_transfer(w, o, 'filed')}/approve", reference="OK-1"
    ),
    ("POST", "/review/data-applications/{application_id}/reject"): lambda w, o: form(
        f"/review/data-applications/{data_transfer(w, o, 'filed')}/reject", reason="incomplete"
    ),
    ("POST", "/review/data-applications/{application_id}/activate"): lambda w, o: form(
        f"/review/data-applications/{data_transfer(w, o, 'approved')}/activate"
    ),
    ("GET", "/portal/data-applications"): lambda w, o: Call(
        "GET", f"/portal/data-applications?exporter_party_id={w.party(o)}"
    ),
    ("GET", "/portal/data-applications/new"): lambda w, o: Call(
        "GET", "/portal/data-applications/new"
    ),
    ("POST", "/portal/data-applications"): new_portal_application,
    ("GET", "/portal/data-applications/{application_id}"): lambda w, o: Call(
        "GET", f"/portal/data-applications/{data_transfer(w, o, 'active')}"
    ),
    ("POST", "/portal/data-applications/{application_id}/self-assess"): lambda w, o: form(
        f"/portal/data-applications/{data_transfer(w, o, 'draft')}/self-assess"
    ),
    ("POST", "/portal/data-applications/{application_id}/file"): lambda w, o: form(
        f"/portal/data-applications/{data_transfer(w, o, 'self_assessed')}/file",
        reference="GBA-1",
    ),
    ("POST", "/portal/data-applications/{application_id}/apply"): lambda w, o: form(
        f"/portal/data-applications/{data_transfer(w, o, 'self_assessed_for_assessment')}/apply",
        reference="SA-1",
    ),
    ("POST", "/portal/data-applications/{application_id}/extend"): lambda w, o: form(
        f"/portal/data-applications/{data_transfer(w, o, 'expiring')}/extend",
        personal_info_subjects=150_000,
        sensitive_personal_info_subjects=0,
    ),
    ("GET", "/portal/credentials"): lambda w, o: Call("GET", "/portal/credentials"),
    ("POST", "/portal/credentials"): lambda w, o: form(
        "/portal/credentials", person_id=whitelisted_person(w, o)
    ),
    ("GET", "/portal/credentials/{credential_id}"): lambda w, o: Call(
        "GET", f"/portal/credentials/{credential(w, o).credential.id}"
    ),
}


BUILDERS |= {
    ("GET", "/port/lookup"): lambda w, o: Call("GET", "/port/lookup?q=chen&kind=person"),
    ("GET", "/port/lookup/persons/{person_id}"): lambda w, o: Call(
        "GET", f"/port/lookup/persons/{w.person(o)}"
    ),
    ("GET", "/port/lookup/vehicles/{vehicle_id}"): lambda w, o: Call(
        "GET", f"/port/lookup/vehicles/{w.vehicle(o)}"
    ),
    ("GET", "/port/lookup/parties/{party_id}"): lambda w, o: Call(
        "GET", f"/port/lookup/parties/{w.party(o)}"
    ),
    ("GET", "/port/lots/{lot_id}/journey"): lambda w, o: Call(
        "GET", f"/port/lots/{w.lot(o)}/journey"
    ),
    ("GET", "/portal/ledger/lots/{lot_id}/journey"): lambda w, o: Call(
        "GET", f"/portal/ledger/lots/{w.lot(o)}/journey"
    ),
}


def console_point(w: World) -> str:
    """A point of the caller's line: an officer sees only their own line's crossings."""
    return "SL_PASSENGER" if w.role is R.SECOND_LINE_OFFICER else "FBZ_CHANNEL_1"


def console_crossing(w: World) -> int:
    """A crossing recorded at a point of the caller's line."""
    body = CrossingIn.model_validate({**crossing_body(), "crossing_point": console_point(w)})
    event, _ = crossing_service.record_crossing(
        w.session,
        body,
        device=intake.Device("user:0", "matrix"),
        profile=w.profile,
        seed_key=bytes(32),
        actor=ACTOR,
    )
    return event.id


# The stream's GET is checked with HEAD: the same route and checks, and an answer that ends.
BUILDERS |= {
    ("GET", "/port"): lambda w, o: Call("GET", f"/port?point={console_point(w)}"),
    ("GET", "/port/crossings/{crossing_id}"): lambda w, o: Call(
        "GET", f"/port/crossings/{console_crossing(w)}"
    ),
    ("GET", "/port/kiosk/{point}"): lambda w, o: Call("GET", f"/port/kiosk/{console_point(w)}"),
    ("GET", "/port/stream"): lambda w, o: Call("HEAD", f"/port/stream?point={console_point(w)}"),
    ("HEAD", "/port/stream"): lambda w, o: Call("HEAD", f"/port/stream?point={console_point(w)}"),
}


def inspection_photo(w: World) -> str:
    """The path of a photo of a result recorded by an officer of the caller's line."""
    inspection = inspection_service.get_inspection(
        w.session, inspection_for(w.session, w.role, "in_progress")
    )
    line_officer = (
        R.SECOND_LINE_OFFICER if w.role is R.SECOND_LINE_OFFICER else R.FIRST_LINE_OFFICER
    )
    inspection_results.record_result(
        w.session,
        inspection,
        officer=inspection_officer(w.session, line_officer),
        result=InspectionResult.CONFORMS,
        photos=[inspection_photos.photo(b"\x89PNG\r\n\x1a\n" + bytes(32), index=0)],
    )
    (photo,) = inspection_repository.photos_of(w.session, inspection.id)
    return f"/port/inspections/{inspection.id}/photos/{photo.id}"


BUILDERS |= {
    ("GET", "/port/inspections"): lambda w, o: Call("GET", "/port/inspections"),
    ("GET", "/port/inspections/{inspection_id}"): lambda w, o: Call(
        "GET", f"/port/inspections/{inspection_for(w.session, w.role)}"
    ),
    ("POST", "/port/inspections/{inspection_id}/assign"): lambda w, o: form(
        f"/port/inspections/{inspection_for(w.session, w.role)}/assign", officer="workload"
    ),
    ("POST", "/port/inspections/{inspection_id}/start"): lambda w, o: form(
        f"/port/inspections/{inspection_for(w.session, w.role, 'assigned')}/start"
    ),
    ("POST", "/port/inspections/{inspection_id}/result"): lambda w, o: form(
        f"/port/inspections/{inspection_for(w.session, w.role, 'in_progress')}/result",
        result="conforms",
    ),
    ("GET", "/port/inspections/{inspection_id}/photos/{photo_id}"): lambda w, o: Call(
        "GET", inspection_photo(w)
    ),
    ("POST", "/port/adjustments/{adjustment_id}/approve"): lambda w, o: form(
        f"/port/adjustments/{adjustment_for(w.session, w.role, w.lot(o))}/approve"
    ),
    ("POST", "/port/adjustments/{adjustment_id}/reject"): lambda w, o: form(
        f"/port/adjustments/{adjustment_for(w.session, w.role, w.lot(o))}/reject",
        note="recounted",
    ),
    ("GET", "/port/decisions/{decision_id}/override"): lambda w, o: Call(
        "GET", f"/port/decisions/{decision_for(w.session, w.role)}/override"
    ),
    ("POST", "/port/decisions/{decision_id}/override"): lambda w, o: form(
        f"/port/decisions/{decision_for(w.session, w.role)}/override",
        to_outcome="release",
        reason="verified at the counter",
    ),
    ("GET", "/port/overrides"): lambda w, o: Call("GET", "/port/overrides"),
    ("POST", "/port/overrides/{override_id}/confirm"): lambda w, o: form(
        f"/port/overrides/{pending_override_for(w.session, w.role)}/confirm"
    ),
    ("POST", "/port/overrides/{override_id}/reject"): lambda w, o: form(
        f"/port/overrides/{pending_override_for(w.session, w.role)}/reject",
        note="entry still suspended",
    ),
}


#: The port's dashboards and second line (issue 18): the zone's figures for its staff, the
#: goods leaving for the mainland and their taxes for the second line; no enterprise user.
DASHBOARD_READERS = STAFF
SECOND_LINE_READERS = frozenset({R.SECOND_LINE_OFFICER, R.AUDITOR, R.ADMINISTRATOR})
MATRIX |= {
    ("GET", "/dashboards"): DASHBOARD_READERS,
    ("GET", "/dashboards/{chart}.csv"): DASHBOARD_READERS,
    ("GET", "/api/v1/dashboards/{chart}"): DASHBOARD_READERS,
    ("GET", "/port/second-line"): SECOND_LINE_READERS,
    ("GET", "/port/taxes"): SECOND_LINE_READERS,
    ("GET", "/port/taxes.csv"): SECOND_LINE_READERS,
}
BUILDERS |= {
    ("GET", "/dashboards"): lambda w, o: Call("GET", "/dashboards"),
    ("GET", "/dashboards/{chart}.csv"): lambda w, o: Call("GET", "/dashboards/stock.csv"),
    ("GET", "/api/v1/dashboards/{chart}"): lambda w, o: Call(
        "GET", f"{V}/dashboards/crossings-today?line=first"
    ),
    ("GET", "/port/second-line"): lambda w, o: Call(
        "GET", f"/port/second-line?party_id={w.party(o)}"
    ),
    ("GET", "/port/taxes"): lambda w, o: Call("GET", "/port/taxes"),
    ("GET", "/port/taxes.csv"): lambda w, o: Call("GET", "/port/taxes.csv?from=2026-11-01"),
}


def walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every endpoint with its full path, through included routers.

    FastAPI 0.16x keeps an included router as one lazy node (``original_router`` plus its
    ``include_context``) instead of copying its routes; older releases copied them.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from walk(route.original_router.routes, prefix + route.include_context.prefix)


def endpoints() -> set[tuple[str, str]]:
    """Every (method, path) the application answers: the JSON API and the pages."""
    app = create_app(profile=load_profile("hetao"))
    return {(method, path) for path, route in walk(app.routes) for method in route.methods or ()}


class TestRouteTable:
    def test_every_endpoint_is_in_the_matrix_and_nothing_else(self) -> None:
        routes = endpoints()
        missing = sorted(routes - MATRIX.keys())
        stale = sorted(MATRIX.keys() - routes)
        assert not missing, f"routes not in the access matrix: {missing}"
        assert not stale, f"matrix rows for routes that no longer exist: {stale}"
        assert MATRIX.keys() == BUILDERS.keys()


CELLS = [(key, role) for key in MATRIX for role in [*Role, None]]


def _id(value: object) -> str:
    if isinstance(value, tuple):
        return f"{value[0]} {value[1]}"
    return "anonymous" if value is None else str(value)


class TestAccessMatrix:
    @pytest.mark.parametrize(("route", "role"), CELLS, ids=_id)
    def test_cell(
        self,
        route: tuple[str, str],
        role: Role | None,
        anonymous_client: TestClient,
        session_maker: sessionmaker[Session],
        token_for: Callable[..., str],
        profile: ZoneProfile,
    ) -> None:
        admitted = MATRIX[route]
        with session_maker() as session:
            world = World(session, profile, role=role)
            own, other = world.party("own"), world.party("other")
            headers: dict[str, str] = {}
            if role is R.GATE_DEVICE:
                _, raw = auth.issue_token(
                    session,
                    name="gate",
                    roles=[R.GATE_DEVICE],
                    device_name="gate-1",
                    crossing_points=["FBZ_CHANNEL_1"],
                    expires_at=utcnow() + dt.timedelta(days=1),
                    actor=ACTOR,
                )
                headers = {"Authorization": f"Bearer {raw}"}
            # Some event and a checkpoint exist, so an audit proof can be made.
            own_party = session.get(Party, own)
            assert own_party is not None
            registry_standings.waive_exemption(
                session,
                own_party,
                WaiverCreate(goods_kind="samples", waived_on=TODAY),
                profile=profile,
                actor=ACTOR,
            )
            call_other = BUILDERS[route](world, "other")
            call_own = BUILDERS[route](world, "own") if role is R.ENTERPRISE_USER else None
            session.commit()
        if role is not None and role is not R.GATE_DEVICE:
            token = token_for(role, party_id=own if role is R.ENTERPRISE_USER else None)
            headers = {"Authorization": f"Bearer {token}"}

        response = send(anonymous_client, call_other, headers)
        if admitted is OPEN:
            assert response.status_code < 400, response.text
            return
        if role is None:
            # The API asks for credentials; a page sends the person to the sign-in form.
            expected = 401 if route[1].startswith("/api/") else 303
            assert response.status_code == expected, response.text
            return
        if role not in admitted:
            assert response.status_code == 403, (route, role, response.text)
            return
        if role is R.ENTERPRISE_USER and route in PARTY_OBJECTS:
            assert call_own is not None
            assert_confined(response, other)
            mine = send(anonymous_client, call_own, headers)
            assert succeeded(route, mine), (route, mine.text)
            return
        assert succeeded(route, response), (route, role, response.text)


def succeeded(route: tuple[str, str], response: Any) -> bool:
    """2xx; or, for a page's form, the 303 that follows a successful POST."""
    if response.status_code < 300:
        return True
    page_post = route[0] == "POST" and not route[1].startswith("/api/")
    return (
        page_post and response.status_code == 303 and "/login" not in response.headers["location"]
    )


def send(client: TestClient, call: Call, headers: dict[str, str]) -> Any:
    return client.request(
        call.method,
        call.url,
        json=call.json,
        content=call.content,
        headers={**call.headers, **headers},
        follow_redirects=False,
    )


def assert_confined(response: Any, other_party: int) -> None:
    """Another party's object is refused or invisible; a list shows none of its items."""
    if response.status_code in (403, 404):
        return
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    for item in items:
        owners = {item.get("party_id"), item.get("owner_party_id")}
        if "uscc" in item:  # a party itself
            owners.add(item["id"])
        assert other_party not in owners, item
