"""`hetao tax assess FILE.json` prints the assessment as JSON; bad input exits 2 naming key, rule.

It uses the shipped SAMPLE tariff and rate tables (no database is touched).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hetao.cli import EXIT_BAD_INPUT, app

CAR = {
    "hs_code": "8703.23",
    "quantity": 1,
    "unit": "unit",
    "customs_value": "200000.00",
    "currency": "HKD",
    "origin": "DE",
    "status": "duty_free_research",
}


def document(**changes: Any) -> dict[str, Any]:
    """A good document: a car leaving through the second line, valued in HKD in March 2026."""
    return {
        "profile": "hetao",
        "movement": "second_line_exit",
        "date": "2026-03-15",
        "declarant": {"beneficiary": True, "kind": "csa_enterprise"},
        "lines": [CAR],
        **changes,
    }


def assess_file(
    tmp_path: Path, content: dict[str, Any] | str, *options: str
) -> tuple[int, str, str]:
    path = tmp_path / "request.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    result = CliRunner().invoke(app, ["tax", "assess", str(path), *options])
    return result.exit_code, result.stdout, result.stderr


class TestTaxAssess:
    def test_a_good_document_prints_the_assessment_with_amounts_as_strings(
        self, tmp_path: Path
    ) -> None:
        code, out, err = assess_file(tmp_path, document())
        assert code == 0, err
        result = json.loads(out)
        (line,) = result["lines"]
        # Shipped sample: HKD 0.9098 in 2026-03, duty 15 %, consumption tax 9 %, VAT 13 %.
        # 200,000.00 x 0.9098 = 181,960.00; duty 27,294.00;
        # CT 209,254.00 x 0.09 / 0.91 = 20,695.45; VAT 229,949.45 x 0.13 = 29,893.43
        assert {
            key: line[key] for key in ("dutiable_value_cny", "duty", "consumption_tax", "vat")
        } == {
            "dutiable_value_cny": "181960.00",
            "duty": "27294.00",
            "consumption_tax": "20695.45",
            "vat": "29893.43",
        }
        assert line["rule"] == "R7.second_line_exit_taxed"
        assert result["totals"] == {
            "duty": "27294.00",
            "consumption_tax": "20695.45",
            "vat": "29893.43",
            "total": "77882.88",
        }
        assert result["tariff_sample"] is True
        assert result["profile"] == "hetao"

    def test_the_profile_defaults_to_hetao_profile(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("HETAO_PROFILE", "hengqin")
        without = document()
        del without["profile"]
        code, out, err = assess_file(tmp_path, without)
        assert code == 0, err
        assert json.loads(out)["profile"] == "hengqin"

    def test_other_tables_can_be_given(self, tmp_path: Path) -> None:
        tariff = tmp_path / "tariff.csv"
        tariff.write_text(
            "version,code,valid_from,duty_rate,vat_rate,kind,description\n"
            "OFFICIAL-X,8703,2026-01-01,0.10,0.13,official,cars\n",
            encoding="utf-8",
        )
        code, out, err = assess_file(tmp_path, document(), "--tariff", str(tariff))
        assert code == 0, err
        result = json.loads(out)
        # 181,960.00 x 0.10 = 18,196.00
        assert result["lines"][0]["duty"] == "18196.00"
        assert (result["tariff_version"], result["tariff_sample"]) == ("OFFICIAL-X", False)

    @pytest.mark.parametrize(
        ("content", "key", "rule"),
        [
            (
                document(lines=[{**CAR, "customs_value": 200000.0}]),
                "lines[0].customs_value",
                "decimal_string_required",
            ),
            (
                document(lines=[{**CAR, "vat_rate": 0.13}]),
                "lines[0].vat_rate",
                "decimal_string_required",
            ),
            (document(lines=[{**CAR, "colour": "red"}]), "lines[0].colour", "extra_forbidden"),
            (document(priority="high"), "priority", "extra_forbidden"),
            (
                document(lines=[{**CAR, "hs_code": "8703.99"}]),
                "lines[0].hs_code",
                "hs2022.unknown_subheading",
            ),
            (document(lines=[{**CAR, "currency": "HKX"}]), "lines[0].currency", "iso4217.code"),
            (document(movement="smuggle"), "movement", "enum"),
            (document(date="2027-01-15"), "date", "exchange_rate.month_missing"),
            (
                document(exchange_rates={"HKD": 0.91}),
                "exchange_rates.HKD",
                "decimal_string_required",
            ),
            (document(profile="atlantis"), "profile", "unknown_profile"),
            ('{"movement": ', "(json)", "json_syntax"),
            ("[1, 2]", "(root)", "object_required"),
        ],
    )
    def test_bad_input_exits_2_naming_the_key_and_the_rule(
        self, tmp_path: Path, content: dict[str, Any] | str, key: str, rule: str
    ) -> None:
        code, out, err = assess_file(tmp_path, content)
        assert code == EXIT_BAD_INPUT
        assert out == ""
        assert f"{key}: " in err
        assert f"[{rule}]" in err

    def test_a_missing_file_exits_2(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(app, ["tax", "assess", str(tmp_path / "absent.json")])
        assert result.exit_code == EXIT_BAD_INPUT
        assert "cannot read" in result.stderr


class TestHainanProfile:
    def test_r23_the_cli_reads_the_catalogue_of_the_exclusions_file_it_is_given(
        self, tmp_path: Path
    ) -> None:
        entry = document(profile="hainan", movement="first_line_entry")
        code, out, err = assess_file(tmp_path, entry)
        assert code == 0, err
        (car,) = json.loads(out)["lines"]
        assert (car["rule"], car["exclusion"]["row_id"]) == (
            "R23.excluded_from_zero_tariff_taxed",
            "R23-TAXED-5",
        )
        # A file without the catalogue: the zero-tariff claim cannot be assessed.
        empty = tmp_path / "exclusions.csv"
        empty.write_text(
            "version,kind,table,row_id,rule,effect,code,valid_from,valid_to,description,source\n"
            "T-1,official,cars,CAR-1,R19,excluded,8703,2024-03-01,,cars,test\n",
            encoding="utf-8",
        )
        code, _, err = assess_file(tmp_path, entry, "--exclusions", str(empty))
        assert code == EXIT_BAD_INPUT
        assert "R23.exemption_list_not_in_force" in err

    def test_r24_a_document_gives_the_imported_inputs_and_what_was_paid_on_them(
        self, tmp_path: Path
    ) -> None:
        kit = {
            "hs_code": "382219",
            "quantity": "1",
            "unit": "kit",
            "customs_value": "30000.00",
            "currency": "CNY",
            "origin": "CN",
            "status": "duty_free_research",
            "inputs": [
                {
                    "hs_code": "382219",
                    "quantity": "5",
                    "unit": "kit",
                    "customs_value": "10000.00",
                    "currency": "CNY",
                    "status": "duty_free_research",
                },
                {
                    "hs_code": "220710",
                    "quantity": "20",
                    "unit": "l",
                    "customs_value": "4000.00",
                    "currency": "CNY",
                    "status": "duty_paid",
                    "taxes_paid": {"duty": "200.00", "import_vat": "546.00"},
                },
            ],
        }
        code, out, err = assess_file(tmp_path, document(profile="hainan", lines=[kit]))
        assert code == 0, err
        (line,) = json.loads(out)["lines"]
        # Sample tariff: 382219 duty 3 %: 300.00, VAT 10,300.00 x 13 % = 1,339.00; 220710 duty
        # 5 %: 200.00, VAT 4,200.00 x 13 % = 546.00, both paid and credited.
        assert line["rule"] == "R24.taxed_on_imported_inputs"
        assert (line["duty"], line["vat"]) == ("300.00", "1339.00")
        assert (line["duty_credited"], line["vat_credited"]) == ("200.00", "546.00")
        assert line["dutiable_value_cny"] == "14000.00"
