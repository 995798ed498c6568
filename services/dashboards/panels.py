"""The few panel shapes our dashboards use, on grafana-foundation-sdk's builders.

Every panel reads the one Prometheus data source (uid ``prometheus``, provisioned in
deploy/grafana/provisioning); a query is an expression and its legend. Panel ids and query
refIds are given here, not left to Grafana, so the generated JSON is stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, Panel, RowPanel

PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
WIDTH = 24  # Grafana's grid
HEIGHT = 7


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class Chart:
    """A time series panel (``stat=False``) or a single-value panel."""

    title: str
    queries: Sequence[Query]
    unit: str = "none"
    width: int = 8
    stat: bool = False


@dataclass(frozen=True)
class Row:
    title: str
    charts: Sequence[Chart]


def q(expr: str, legend: str) -> Query:
    return Query(expr, legend)


def _targets(queries: Sequence[Query]) -> list[prometheus.Dataquery]:
    return [
        prometheus.Dataquery().expr(query.expr).legend_format(query.legend).ref_id(chr(65 + i))
        for i, query in enumerate(queries)
    ]


def _panel(chart: Chart, panel_id: int) -> Builder[Panel]:
    built: timeseries.Panel | stat.Panel = stat.Panel() if chart.stat else timeseries.Panel()
    built = (
        built.id(panel_id).title(chart.title).datasource(PROMETHEUS).unit(chart.unit)
        .span(chart.width).height(5 if chart.stat else HEIGHT)
    )  # fmt: skip
    for target in _targets(chart.queries):
        built = built.with_target(target)
    return built


def build(uid: str, title: str, rows: Sequence[Row]) -> dashboard.Dashboard:
    """The dashboard: rows top to bottom, each row's charts left to right (wrapping at 24)."""
    board = (
        dashboard.Dashboard(title).uid(uid).tags(["tweetcare"]).timezone("utc")
        .refresh("10s").time("now-1h", "now")
    )  # fmt: skip
    panel_id = 0
    for row in rows:
        panel_id += 1
        header: Builder[RowPanel] = dashboard.Row(row.title).id(panel_id)
        board = board.with_row(header)
        for chart in row.charts:
            panel_id += 1
            board = board.with_panel(_panel(chart, panel_id))
    return board
