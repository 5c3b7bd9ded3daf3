"""Names of a chart's categories and series in the page's language, and its numbers written out."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from hetao.dashboards.charts import Chart, Number, Plot, plot
from hetao.dashboards.service import NO_INDUSTRY, RANDOM, UNROUTED
from hetao.profiles import ZoneProfile
from hetao.reference import hs
from hetao.reference.industries import industry
from hetao.web.i18n import current_language, format_day, format_number, label, localized, t


@functools.cache
def _sections() -> dict[str, hs.HsSection]:
    """Each HS section by numeral, found through its chapters."""
    found: dict[str, hs.HsSection] = {}
    for number in range(1, 100):
        chapter = f"{number:02d}"
        if hs.lookup(chapter) is not None:
            section = hs.section_of(chapter)
            found.setdefault(section.numeral, section)
    return found


@functools.lru_cache(maxsize=8192)
def _written(_language: str, _kind: str, _text: str, value: Number) -> str:
    return format_number(value)


def written(value: Number) -> str:
    """``format_number``, remembered: a dashboard writes the same few numbers (0, 1, ...) a
    thousand times, and Babel takes tens of microseconds for each. Keyed by the text too, as
    Decimal("1.0") == Decimal("1.00") == 1 must not share a spelling."""
    return _written(current_language(), type(value).__name__, str(value), value)


@functools.lru_cache(maxsize=1024)
def _day(_language: str, day: dt.date) -> str:
    return format_day(day)


def section_name(numeral: str) -> str:
    language = current_language()
    if language != "en" and (title := hs.title_zh(numeral, language)):
        return f"{numeral} · {title}"
    section = _sections().get(numeral)
    return f"{numeral} · {section.name.capitalize()}" if section else numeral


def industry_name(code: str) -> str:
    if code == NO_INDUSTRY:
        return t("dashboards.industry.none")
    found = industry(code)
    if found is None:
        return code
    return {"en": found.name_en, "zh-Hant": found.name_zh_hant, "zh-Hans": found.name_zh_hans}[
        current_language()
    ]


def category_name(profile: ZoneProfile, axis: str, code: str) -> str:
    """A category's name as the table and axis show it."""
    if axis == "hour":
        return f"{code}:00"
    if axis == "day":
        return _day(current_language(), dt.date.fromisoformat(code))
    if axis == "point":
        point = next((p for p in profile.crossing_points if p.code == code), None)
        return localized(point.name) if point else code
    if axis == "lane":
        lane = next((lane for lane in profile.selection.lanes if lane.name == code), None)
        return localized(lane.label) if lane else code
    if axis == "rule":
        return t("dashboards.rule.random") if code == RANDOM else code
    if axis == "section":
        return section_name(code)
    if axis == "industry":
        return industry_name(code)
    if axis == "route":
        return t("dashboards.route.unrouted") if code == UNROUTED else label("data.route", code)
    if axis == "source":
        return label("funds.source", code)
    return code


@dataclass(frozen=True, slots=True)
class Named:
    """A chart with its names in the page's language: what the table, API and CSV show."""

    chart: Chart
    title: str
    categories: tuple[str, ...]
    series: tuple[str, ...]
    unit: str

    def rows(self) -> list[tuple[str, list[Number]]]:
        """Per category: its name and the value of each series."""
        return [
            (name, [column.values[i] for column in self.chart.series])
            for i, name in enumerate(self.categories)
        ]

    def cells(self) -> list[tuple[str, list[str]]]:
        """The table as the page writes it: per category, its name and each value written."""
        return [(name, [written(value) for value in values]) for name, values in self.rows()]

    def drawing(self) -> Plot:
        """The chart's shapes; days are written short under the axis (the table has them whole)."""
        return plot(
            self.chart,
            categories=self.categories,
            ticks=[c[5:] for c in self.chart.categories] if self.chart.axis == "day" else None,
            series=self.series,
            number=written,
            x_label=t(f"dashboards.axis.{self.chart.axis}"),
            y_label=self.unit,
        )


def named(profile: ZoneProfile, chart: Chart) -> Named:
    """``chart`` with every code named in the page's language."""
    return Named(
        chart=chart,
        title=t(f"dashboards.chart.{chart.key}"),
        categories=tuple(category_name(profile, chart.axis, c) for c in chart.categories),
        series=tuple(label(chart.series_labels, s.key) for s in chart.series),
        unit=t(f"dashboards.unit.{chart.unit}"),
    )
