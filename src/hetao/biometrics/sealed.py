"""Face templates sealed at rest under their own key file, apart from every other secret."""

from __future__ import annotations

from pathlib import Path

from hetao.config import Settings
from hetao.sealing import SealingBox

#: Where the key that seals face templates lives, inside the data directory. Deleting it
#: makes every stored template unreadable at once.
TEMPLATE_KEY_FILE = Path("secrets") / "face-templates.key"


class TemplateBox(SealingBox):
    """Seals and opens face templates (AES-256-GCM)."""

    purpose = b"hetao face template"
    kind = "face template"


def zone_template_box(settings: Settings) -> TemplateBox:
    """The zone's template box: the key file in its data directory, made on first use. The
    server, the gate consumer and the demo seal and open templates with this one key."""
    return TemplateBox.load_or_create(settings.resolve(TEMPLATE_KEY_FILE))
