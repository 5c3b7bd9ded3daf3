"""What the declaration pages share: who may open them, the choices their forms offer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from hetao.api.security import Allow
from hetao.auth.principal import Principal, Role
from hetao.declarations.kinds import DeclarationKind
from hetao.declarations.models import DeclarationStatus
from hetao.ledger.access import READERS
from hetao.ledger.models import CustomsStatus
from hetao.profiles import ZoneProfile
from hetao.profiles.vocabulary import Flow
from hetao.web.forms import choices
from hetao.web.i18n import localized

#: Read declarations: staff, and an enterprise user for its own party (as the API).
Readers = Annotated[Principal, Depends(Allow(*READERS))]
#: Lodge on a page: an enterprise user, for its own party (the page fixes the party).
LODGERS = (Role.ENTERPRISE_USER,)
Lodgers = Annotated[Principal, Depends(Allow(*LODGERS))]
#: Reference look-ups: every person (devices use the API).
PEOPLE = Depends(Allow(*(frozenset(Role) - {Role.GATE_DEVICE})))
LODGER = Depends(Allow(*LODGERS))

#: Kinds the page's form can express: a transfer names a receiver and its reason, and a
#: transformation its product, which this form does not carry (the API does).
FORM_KINDS = tuple(
    kind
    for kind in DeclarationKind
    if kind not in (DeclarationKind.IN_ZONE_TRANSFER, DeclarationKind.TRANSFORMATION)
)
#: The statuses a declarant states of new goods; duty-free research status is the regime's
#: to grant (R4), never a choice on a form.
CLAIMED_STATUSES = (CustomsStatus.BONDED, CustomsStatus.DUTY_PAID)


def status_options() -> list[tuple[str, str]]:
    """Declaration states with their names in the page's language."""
    return choices("declarations.status", DeclarationStatus)


def kind_options() -> list[tuple[str, str]]:
    return choices("declarations.kind", FORM_KINDS)


def goods_kind_options(profile: ZoneProfile) -> list[tuple[str, str]]:
    return choices("declarations.goods_kind", profile.whitelist.waiver_goods_kinds)


def customs_status_options() -> list[tuple[str, str]]:
    return choices("ledger.customs_status", CLAIMED_STATUSES)


def crossing_point_options(profile: ZoneProfile) -> list[tuple[str, str]]:
    """The goods points of both lines, by their names in the page's language."""
    return [(p.code, localized(p.name)) for p in profile.crossing_points if Flow.GOODS in p.flows]
