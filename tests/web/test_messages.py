"""Every text a page shows comes from the catalogues, and each catalogue has every message.

A key named in a template or a page module and missing from any language fails here, and so
does a key one language has and another lacks, a text left empty, a Chinese text left in
English, or a ``{placeholder}`` one language forgets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import hetao
from hetao.auth.principal import Role
from hetao.reasons import placeholders
from hetao.web.i18n import (
    LANGUAGES,
    MESSAGES,
    as_language,
    choose_language,
    language,
    negotiate,
    role_name,
    t,
)
from hetao.web.navigation import MENU

PACKAGE = Path(hetao.__file__).parent
TEMPLATES = PACKAGE / "templates"
PAGE_MODULES = PACKAGE / "web"
KEY_USE = re.compile(r"""\bt\(\s*["']([\w.-]+)["']\s*[,)]""")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
TAG = re.compile(r"<[^>]*>", re.DOTALL)
CJK = re.compile(r"[\u3400-\u9fff]")
#: Not prose: the exact command an auditor types, the same in every language.
VERBATIM = ("hetao audit check-proof proof.json --public-key public-key.pem",)
#: Texts that are the same in every language: a language's own name, codes, symbols.
SAME_IN_EVERY_LANGUAGE = frozenset({"lang.en", "lang.zh-Hant", "lang.zh-Hans"})


def templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def sources() -> list[Path]:
    return templates() + sorted(PAGE_MODULES.rglob("*.py"))


class TestCatalogues:
    @pytest.mark.parametrize("source", sources(), ids=lambda p: p.name)
    def test_every_key_a_page_names_is_in_every_language(self, source: Path) -> None:
        keys = KEY_USE.findall(source.read_text(encoding="utf-8"))
        missing = [(lang, key) for key in keys for lang in LANGUAGES if key not in MESSAGES[lang]]
        assert missing == []

    @pytest.mark.parametrize("lang", LANGUAGES[1:])
    def test_each_language_has_the_same_keys_as_english(self, lang: str) -> None:
        english, other = set(MESSAGES["en"]), set(MESSAGES[lang])  # type: ignore[index]
        assert sorted(english - other) == [], f"missing from {lang}"
        assert sorted(other - english) == [], f"only in {lang}"

    @pytest.mark.parametrize("lang", LANGUAGES)
    def test_no_text_is_empty(self, lang: str) -> None:
        assert [key for key, text in MESSAGES[lang].items() if not text.strip()] == []  # type: ignore[index]

    @pytest.mark.parametrize("lang", LANGUAGES[1:])
    def test_chinese_texts_are_translated(self, lang: str) -> None:
        untranslated = [
            key
            for key, text in MESSAGES[lang].items()  # type: ignore[index]
            if key not in SAME_IN_EVERY_LANGUAGE and not CJK.search(text)
        ]
        assert untranslated == []

    @pytest.mark.parametrize("lang", LANGUAGES[1:])
    def test_placeholders_are_the_same_in_every_language(self, lang: str) -> None:
        differ = [
            key
            for key, text in MESSAGES["en"].items()
            if placeholders(text) != placeholders(MESSAGES[lang][key])  # type: ignore[index]
        ]
        assert differ == []

    @pytest.mark.parametrize("template", templates(), ids=lambda p: p.name)
    def test_templates_hold_no_prose_of_their_own(self, template: Path) -> None:
        text = template.read_text(encoding="utf-8")
        for verbatim in VERBATIM:
            text = text.replace(verbatim, "")
        visible = TAG.sub(" ", JINJA.sub(" ", text))
        assert re.findall(r"[^\W\d_]{2,}", visible) == []

    def test_every_role_and_menu_entry_has_a_name_in_every_language(self) -> None:
        for lang in LANGUAGES:
            with language(lang):
                assert all(role_name(role) for role in Role)
                assert all(t(item.key) for item in MENU)


class TestChoosingALanguage:
    def test_fills_in_parameters_in_the_language_of_the_page(self) -> None:
        assert t("audit.event.title", seq=7) == "Audit event 7"
        with language("zh-Hant"):
            assert t("audit.event.title", seq=7) == "審計事件 7"
        with language("zh-Hans"):
            assert t("audit.event.title", seq=7) == "审计事件 7"

    def test_an_unknown_key_fails_loudly(self) -> None:
        with pytest.raises(KeyError):
            t("no.such.key")

    @pytest.mark.parametrize(
        ("header", "chosen"),
        [
            (None, "en"),
            ("", "en"),
            ("zh-TW,zh;q=0.9,en;q=0.8", "zh-Hant"),
            ("zh-HK", "zh-Hant"),
            ("zh-Hant-MO", "zh-Hant"),
            ("zh-CN,zh;q=0.9", "zh-Hans"),
            ("zh", "zh-Hans"),
            ("fr, en;q=0.1", "en"),
            ("de, fr", "en"),
            ("en;q=0.5, zh-Hans", "zh-Hans"),
            ("zh-Hans;q=0, en", "en"),
            ("zh-Hans;q=nonsense, zh-TW", "zh-Hant"),
            ("," * 5000, "en"),
        ],
    )
    def test_accept_language_decides_without_a_choice(
        self, header: str | None, chosen: str
    ) -> None:
        assert negotiate(header) == chosen

    def test_a_saved_choice_wins_over_the_browser(self) -> None:
        assert choose_language("zh-Hans", "zh-TW") == "zh-Hans"
        assert choose_language("ZH-HANT", "en") == "zh-Hant"
        assert choose_language("klingon", "zh-TW") == "zh-Hant"

    def test_only_our_languages_are_names_of_languages(self) -> None:
        assert [as_language(x) for x in ("en", "zh-hans", "fr", "", None)] == [
            "en",
            "zh-Hans",
            None,
            None,
            None,
        ]
