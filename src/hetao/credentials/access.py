"""Who may issue, read, revoke and verify zone credentials: the one place these rules live.

- issue: zone reviewers and administrators; an enterprise user for a person affiliated with
  its own party (the zone already approved that person's whitelist entry, so issuing adds no
  privilege; another party's person answers 404);
- show: staff, and enterprise users for their own affiliated persons;
- revoke: zone reviewers, administrators and customs officers (an officer who finds a misused
  credential stops it at once);
- keys: every authenticated caller (public keys are public; gates need them);
- revocation list: gate devices and staff;
- verify online: gate devices, customs officers and administrators.
"""

from __future__ import annotations

from hetao.auth.principal import Principal, Role
from hetao.credentials.models import ZoneCredential
from hetao.errors import PermissionDenied
from hetao.registry.access import STAFF, party_scope

OFFICERS = (Role.FIRST_LINE_OFFICER, Role.SECOND_LINE_OFFICER)

#: Issue a credential: the zone administration, or an enterprise for its own people.
ISSUERS = (Role.ZONE_REVIEWER, Role.ADMINISTRATOR, Role.ENTERPRISE_USER)
#: Read a credential's record: staff, and enterprises for their own people.
READERS = (*STAFF, Role.ENTERPRISE_USER)
#: Revoke: the zone administration and customs officers.
REVOKERS = (Role.ZONE_REVIEWER, Role.ADMINISTRATOR, *OFFICERS)
#: Public keys: anyone signed in, devices included.
KEY_READERS = tuple(Role)
#: The signed revocation list: gate devices and staff.
LIST_READERS = (Role.GATE_DEVICE, *STAFF)
#: Online verification: gates, officers, administrators.
VERIFIERS = (Role.GATE_DEVICE, *OFFICERS, Role.ADMINISTRATOR)


def check_credential(
    principal: Principal, credential: ZoneCredential, *, holder_affiliated: bool
) -> ZoneCredential:
    """An enterprise user reaches credentials of its own affiliated persons; others are 404.

    ``holder_affiliated``: whether the credential's person is affiliated with the principal's
    party (asked only of enterprise users).
    """
    if party_scope(principal) is None or holder_affiliated:
        return credential
    raise PermissionDenied(f"credential {credential.id} does not exist", hidden=True)
