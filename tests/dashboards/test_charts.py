"""The SVG layout of a chart: bars in proportion to their values, whole ticks for counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hetao.dashboards.charts import BOTTOM, HEIGHT, TOP, Chart, Series, nice_ceiling, plot


def counts(kind: str = "stacked", unit: str = "count") -> Chart:
    return Chart(
        key="test",
        kind=kind,  # type: ignore[arg-type]
        unit=unit,  # type: ignore[arg-type]
        axis="point",
        categories=("A", "B"),
        series=(Series("release", (3, 0)), Series("refuse", (1, 2)), Series("n", (9, 9), False)),
        series_labels="dashboards.outcome",
    )


class TestPlot:
    @pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (3, 5), (7, 10), (11, 20), (21, 25)])
    def test_the_axis_tops_at_a_round_value(self, value: float, ceiling: float) -> None:
        assert nice_ceiling(value) == ceiling

    def test_stacked_bars_are_in_proportion_and_undrawn_series_are_left_out(self) -> None:
        layout = plot(counts(), categories=["A", "B"], series=["Released", "Refused", "n"],
                      number=str, x_label="x", y_label="y")  # fmt: skip
        span = HEIGHT - BOTTOM - TOP
        heights = {bar.title: round(bar.height / span * 5, 6) for bar in layout.bars}
        # The axis tops at 5 (whole ticks); A stacks 3 + 1, B has 2; a zero draws nothing.
        assert heights == {"A · Released: 3": 3, "A · Refused: 1": 1, "B · Refused: 2": 2}
        assert [tick.text for tick in layout.y_ticks] == ["0", "1", "2", "3", "4", "5"]
        assert [name for _, name in layout.legend] == ["Released", "Refused"]

    def test_a_percentage_axis_tops_at_100(self) -> None:
        chart = Chart(
            "p", "grouped", "percent", "rule", ("R1",), (Series("rate", (Decimal("50.0"),)),), "x"
        )
        layout = plot(chart, categories=["R1"], series=["Rate"], number=str, x_label="", y_label="")
        assert layout.y_ticks[-1].text == "100"
        assert round(layout.bars[0].height / (HEIGHT - BOTTOM - TOP), 6) == 0.5

    def test_a_line_chart_has_a_point_per_category(self) -> None:
        layout = plot(counts("line"), categories=["A", "B"], series=["Released", "Refused", "n"],
                      number=str, x_label="x", y_label="y")  # fmt: skip
        assert [len(line.points) for line in layout.lines] == [2, 2]
        assert layout.bars == ()
