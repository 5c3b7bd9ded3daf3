"""Panels a higher domain adds to a lower domain's page, without the lower one importing it.

The enterprise portal's home belongs to the registry, the lowest domain; notifications sit
above it. Each panel source registers here when its views module is imported, and the home
shows what the sources give, in the order they registered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hetao.auth.principal import Principal


@dataclass(frozen=True, slots=True)
class Panel:
    """A partial template and the values it renders with."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)


PanelSource = Callable[[Session, Principal], Panel | None]

_PORTAL_HOME: list[PanelSource] = []


def on_portal_home(source: PanelSource) -> PanelSource:
    """Register ``source`` to add a panel to the enterprise portal's home (a decorator)."""
    if source not in _PORTAL_HOME:
        _PORTAL_HOME.append(source)
    return source


def portal_home_panels(session: Session, principal: Principal) -> list[Panel]:
    """The panels the registered sources give for ``principal``."""
    return [panel for source in _PORTAL_HOME if (panel := source(session, principal))]
