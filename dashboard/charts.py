"""Chart builders: plotly figures and their table twins, no Streamlit."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import theme


def city_trend(series: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Lines of city-wide metrics by year; suppressed years are gaps, not zeros."""
    fig = go.Figure()
    for i, (metric_id, label) in enumerate(labels.items()):
        rows = series[series["metric_id"] == metric_id]
        fig.add_trace(go.Scatter(
            x=rows["year"], y=rows["value"].where(~rows["suppressed"].astype(bool)),
            name=label, mode="lines+markers",
            line={"color": theme.CATEGORICAL[i % len(theme.CATEGORICAL)], "width": 3}))
    fig.update_layout(**theme.base_layout(), height=420, hovermode="x unified",
                      legend={"orientation": "h", "y": -0.15})
    fig.update_xaxes(title="Year", dtick=1)
    fig.update_yaxes(title="Businesses", rangemode="tozero", gridcolor="#e5e5e5")
    return fig


def trend_table(series: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """The table twin of `city_trend`: one row per year, one column per metric."""
    wide = series.assign(value=series["value"].where(~series["suppressed"].astype(bool)))
    wide = wide.pivot(index="year", columns="metric_id", values="value")
    return wide[list(labels)].rename(columns=labels).reset_index().rename(columns={"year": "Year"})
