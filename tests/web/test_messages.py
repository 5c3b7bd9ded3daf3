"""Every string a page shows goes through t(): Chinese catalogues need no template change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hetao
from hetao.auth.principal import Role
from hetao.web.i18n import LANG, MESSAGES, role_name, t

TEMPLATES = Path(hetao.__file__).parent / "templates"
KEY_USE = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
#: Not prose: the exact command an auditor types, the same in every language.
VERBATIM = ("hetao audit check-proof proof.json --public-key public-key.pem",)


def templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


class TestMessages:
    @pytest.mark.parametrize("template", templates(), ids=lambda p: p.name)
    def test_every_key_a_template_names_is_in_the_catalogue(self, template: Path) -> None:
        keys = KEY_USE.findall(template.read_text(encoding="utf-8"))
        missing = [key for key in keys if key not in MESSAGES[LANG]]
        assert missing == []

    @pytest.mark.parametrize("template", templates(), ids=lambda p: p.name)
    def test_templates_hold_no_prose_of_their_own(self, template: Path) -> None:
        text = template.read_text(encoding="utf-8")
        for verbatim in VERBATIM:
            text = text.replace(verbatim, "")
        visible = TAG.sub(" ", JINJA.sub(" ", text))
        assert re.findall(r"[^\W\d_]{2,}", visible) == []

    def test_every_role_has_a_display_name(self) -> None:
        assert all(role_name(role) for role in Role)

    def test_fills_in_parameters(self) -> None:
        assert t("audit.event.title", seq=7) == "Audit event 7"

    def test_an_unknown_key_fails_loudly(self) -> None:
        with pytest.raises(KeyError):
            t("no.such.key")
