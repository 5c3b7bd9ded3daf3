"""Every reason code of every domain renders in three languages, and no code is two domains'."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from hetao.datatransfer import channel, routing
from hetao.engine import reasons as crossing_reasons
from hetao.engine.rules import load_rule_set, shipped_rule_set_path
from hetao.funds import rules as funds_rules
from hetao.loans import rules as loans_rules
from hetao.reasons import (
    LANGUAGES,
    CodeTaken,
    Reason,
    Template,
    placeholders,
    register,
    registered,
    stored_reasons,
)
from hetao.tax import rules as tax_rules

#: Each domain's own catalogue, as the domain holds it.
DOMAINS: dict[str, Mapping[str, Template]] = {
    "crossing": crossing_reasons.CATALOGUE,
    "funds": funds_rules.CATALOGUE.templates,
    "datatransfer.route": routing.CATALOGUE.templates,
    "datatransfer.batch": channel.CATALOGUE.templates,
    "tax": tax_rules.CATALOGUE.templates,
    "loans": loans_rules.CATALOGUE.templates,
}
RULE_SETS = sorted(shipped_rule_set_path().parent.glob("*.json"))


def risk_codes() -> set[str]:
    """The codes the rows of the shipped rule sets give (the crossing's risk tables)."""
    return {
        row.reason.code
        for path in RULE_SETS
        for table in load_rule_set(path).tables
        for row in table.rows
    }


def assert_rendered(texts: Mapping[str, str], names: frozenset[str]) -> None:
    """Three texts, each with every parameter's value in and no placeholder left."""
    assert set(texts) == set(LANGUAGES)
    for lang, text in texts.items():
        assert text.strip(), lang
        assert "{" not in text, (lang, text)
        assert "}" not in text, (lang, text)
        for name in names:
            assert f"<{name}:{lang}>" in text or f"<{name}>" in text, (lang, name, text)


class TestCatalogues:
    def test_every_domain_registers_its_whole_catalogue_and_nothing_else_is_registered(
        self,
    ) -> None:
        for domain, templates in DOMAINS.items():
            assert templates, domain
            for code, template in templates.items():
                assert registered()[code] == (domain, template), code
        assert set(registered()) == {code for t in DOMAINS.values() for code in t}

    def test_no_code_belongs_to_two_domains_nor_to_a_risk_table(self) -> None:
        owner: dict[str, str] = {}
        for domain, templates in DOMAINS.items():
            for code in templates:
                assert code not in owner, f"{code} is {owner[code]}'s and {domain}'s"
                owner[code] = domain
        assert RULE_SETS
        assert not risk_codes() & owner.keys()

    def test_a_code_another_domain_has_is_refused(self) -> None:
        taken = funds_rules.RMB_ACCOUNT_MISSING
        with pytest.raises(CodeTaken, match=taken):
            register("elsewhere", {taken: Template(None, "x", "x", "x")})
        assert registered()[taken][0] == "funds"

    @pytest.mark.parametrize("code", sorted(registered()))
    def test_every_code_renders_in_three_languages_with_its_parameters(self, code: str) -> None:
        _, template = registered()[code]
        names = template.placeholders
        for lang, text in template.texts().items():
            assert placeholders(text) == names, f"{code} {lang} names other parameters"
        assert "" not in names, f"{code} has a bare {{}}"
        per_language = {n: {lang: f"<{n}:{lang}>" for lang in LANGUAGES} for n in names}
        assert_rendered(template.render(per_language), names)
        assert_rendered(template.render({n: f"<{n}>" for n in names}), names)

    def test_a_reason_is_refused_without_one_of_its_parameters(self) -> None:
        with pytest.raises(ValueError, match="limit"):
            routing.CATALOGUE.reason("R33.personal_info_volume", n=5)

    @pytest.mark.parametrize("path", RULE_SETS, ids=lambda p: Path(p).name)
    def test_every_row_of_a_shipped_rule_set_renders_in_three_languages(self, path: Path) -> None:
        for table in load_rule_set(path).tables:
            for row in table.rows:
                names = frozenset(row.reason.fields)
                for lang in LANGUAGES:
                    assert placeholders(row.reason.text[lang]) == names, (row.rule, lang)
                texts = row.reason.render({n: f"<{n}>" for n in names})
                assert_rendered(texts, names)


class TestStoredShapes:
    def test_the_shape_of_today_reads_back_as_itself(self) -> None:
        reason = routing.CATALOGUE.reason("R34.below_thresholds", n=1_200, limit=100_000)
        assert reason.as_json()["text"]["en"].startswith("1,200 people's")
        assert Reason.from_stored(reason.as_json()) == reason
        per_language = channel.CATALOGUE.reason(
            "volume_exceeded", sent=1, batch=2, category=channel.PERSONAL_INFORMATION, approved=2
        )
        assert Reason.from_stored(per_language.as_json()).as_json() == per_language.as_json()

    def test_a_bare_fund_code_reads_under_its_code_now_with_its_texts(self) -> None:
        (renamed, kept, unknown) = stored_reasons(
            ["whitelist.expired", "project.closed", "no.such_code"]
        )
        assert renamed == funds_rules.reason(funds_rules.WHITELIST_EXPIRED)
        assert kept == funds_rules.reason(funds_rules.PROJECT_CLOSED)
        assert (unknown.rule, unknown.text["zh-Hant"]) == (None, "no.such_code")

    def test_a_batch_refusal_of_code_and_message_keeps_its_message(self) -> None:
        read = Reason.from_stored({"code": "approval_expired", "message": "ended"})
        assert read == Reason("approval_expired", None, {}, dict.fromkeys(LANGUAGES, "ended"))

    def test_a_route_reason_of_three_fields_keeps_its_texts(self) -> None:
        stored = {"code": "R35.emergency", "en": "e", "zh_hant": "t", "zh_hans": "s"}
        read = Reason.from_stored(stored)
        assert read == Reason(
            "R35.emergency", "R35", {}, {"en": "e", "zh-Hant": "t", "zh-Hans": "s"}
        )

    @pytest.mark.parametrize("stored", [None, 3, {"message": "no code"}, ["R35.emergency"]])
    def test_anything_else_is_not_a_reason(self, stored: object) -> None:
        with pytest.raises(ValueError, match="not a stored reason"):
            Reason.from_stored(stored)
