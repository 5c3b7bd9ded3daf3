"""The chart data the API serves: the same names and numbers as the page's table."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from hetao.dashboards.labels import Named


class CategoryOut(BaseModel):
    code: str
    label: str


class SeriesOut(BaseModel):
    key: str
    label: str
    #: Plotted on the chart (the others are table columns only, such as counts under a rate).
    drawn: bool
    values: list[int | Decimal]


class ChartOut(BaseModel):
    """One chart: categories along its axis, and a series of values over them per column."""

    chart: str
    title: str
    kind: str
    unit: str
    unit_label: str
    axis: str
    categories: list[CategoryOut]
    series: list[SeriesOut]

    @classmethod
    def of(cls, named: Named) -> ChartOut:
        chart = named.chart
        return cls(
            chart=chart.key,
            title=named.title,
            kind=chart.kind,
            unit=chart.unit,
            unit_label=named.unit,
            axis=chart.axis,
            categories=[
                CategoryOut(code=code, label=name)
                for code, name in zip(chart.categories, named.categories, strict=True)
            ],
            series=[
                SeriesOut(
                    key=column.key, label=name, drawn=column.drawn, values=list(column.values)
                )
                for column, name in zip(chart.series, named.series, strict=True)
            ],
        )
