"""The Traditional and Simplified spellings of a query, from the packaged character table."""

from __future__ import annotations

import csv
import io
from importlib.resources import files

from hetao.reference.chinese_scripts import SPELLINGS_LIMIT, simplified, spellings


def table_rows() -> list[dict[str, str]]:
    text = files("hetao.reference").joinpath("data", "zh_traditional_simplified.csv")
    return list(csv.DictReader(io.StringIO(text.read_text(encoding="utf-8"))))


class TestTheTable:
    def test_pairs_one_character_with_another_once_each(self) -> None:
        rows = table_rows()
        assert len(rows) > 4000
        assert all(len(row["traditional"]) == len(row["simplified"]) == 1 for row in rows)
        assert all(row["traditional"] != row["simplified"] for row in rows)
        traditional = [row["traditional"] for row in rows]
        assert len(traditional) == len(set(traditional))

    def test_holds_the_characters_of_common_hong_kong_surnames(self) -> None:
        pairs = {row["traditional"]: row["simplified"] for row in table_rows()}
        for traditional, simple in zip("黃陳張劉鄭馮葉蕭", "黄陈张刘郑冯叶萧", strict=True):
            assert pairs[traditional] == simple


class TestSpellings:
    def test_folds_traditional_characters_and_keeps_the_rest(self) -> None:
        assert simplified("黃美玲 Wong 2026") == "黄美玲 Wong 2026"

    def test_a_text_without_chinese_has_only_itself(self) -> None:
        assert spellings("wong mei ling") == ["wong mei ling"]
        assert spellings("美玲") == ["美玲"]  # the same in both scripts

    def test_gives_the_text_then_both_scripts(self) -> None:
        assert spellings("黄美玲")[:2] == ["黄美玲", "黃美玲"]
        assert spellings("黃美玲")[:2] == ["黃美玲", "黄美玲"]

    def test_a_simplified_character_of_several_traditional_ones_gives_each(self) -> None:
        # 发 is both 發 (to issue) and 髮 (hair): a name may hold either.
        assert set(spellings("发")) == {"发", "發", "髮"}

    def test_a_long_text_is_bounded(self) -> None:
        found = spellings("发干台历后" * 200)
        assert 3 <= len(found) <= SPELLINGS_LIMIT
        assert found[0] == "发干台历后" * 200
        assert simplified(found[1]) == simplified(found[0])
