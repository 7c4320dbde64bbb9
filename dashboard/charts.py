"""Chart builders over time: plotly figures and their table twins, no Streamlit.

Each builder returns (figure, table): the table holds what the chart shows, in words a
reader can quote ("withheld" where a figure is hidden, never a number).
"""
from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from core.i18n import N_, _
from core.metrics import Metric

from . import theme, wording

TITLE_WIDTH = 48    # characters per title line: a half-width chart still shows it whole
LEGEND_WIDTH = 30   # characters per legend line: an entry stays whole on a phone
EMPTY_TEXT = N_("Nothing to draw: every figure here is withheld or missing.")


def shown_values(frame: pd.DataFrame) -> pd.Series:
    """Values with hidden ones blanked (a gap in a line, never a zero)."""
    return frame["value"].where(~frame["suppressed"].astype(bool))


def text_values(frame: pd.DataFrame, metric: Metric, threshold: int) -> list[str]:
    return [wording.value_text(metric, v, bool(s), threshold)
            for v, s in zip(frame["value"], frame["suppressed"])]


def style(fig: go.Figure, height: int = 420, y_title: str = "", x_title: str = "Year",
          title: str | None = None, zero: bool = True) -> go.Figure:
    """The shared look: large type, light grid, room for the axis labels, the legend under
    the plot, a long title wrapped, and a sentence instead of an empty plot."""
    title = "<br>".join(textwrap.wrap(title, TITLE_WIDTH)) if title else None
    fig.update_layout(**theme.base_layout(title), height=height, hovermode="x unified",
                      legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    if title:
        fig.update_layout(margin={"t": 30 + 26 * (title.count("<br>") + 1)})
    by_year = x_title in ("Year", "Year opened", _("Year"), _("Year opened"))   # years speak for themselves; the legend sits there
    fig.update_xaxes(title=None if by_year else _(x_title), gridcolor=theme.GRID, automargin=True)
    if by_year:
        fig.update_xaxes(dtick=_year_step(fig), tickformat="d")
    wrap_legend(fig)
    fig.update_yaxes(title={"text": y_title, "standoff": 8}, gridcolor=theme.GRID,
                     automargin=True, rangemode="tozero" if zero else None,
                     zerolinecolor="#999999")
    if not any(_has_points(trace) for trace in fig.data):
        fig.add_annotation(text=_(EMPTY_TEXT), showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5, font={"size": 16, "color": "#555555"})
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def _year_step(fig: go.Figure) -> int | None:
    """Label every year up to 8 years; beyond, let the chart choose a step that fits its
    width (every 2nd year on a screen, every 5th on a phone: labels stay whole and level)."""
    years = {x for trace in fig.data for x in (trace.x if trace.x is not None else [])}
    return 1 if len(years) <= 8 else None


def wrap_legend(fig: go.Figure, width: int = LEGEND_WIDTH) -> go.Figure:
    """Long legend entries on two lines (a phone shows them whole)."""
    for trace in fig.data:
        if trace.name and len(trace.name) > width and "<br>" not in trace.name:
            trace.name = "<br>".join(textwrap.wrap(trace.name, width))
    return fig


def _has_points(trace) -> bool:
    """Whether the trace has a value to draw (on its value axis: x when its y holds
    categories, as a horizontal bar or the mix chart's city ticks)."""
    across = getattr(trace, "orientation", None) == "h" or (
        trace.y is not None and len(trace.y) and isinstance(list(trace.y)[0], str))
    values = trace.x if across else trace.y
    return values is not None and pd.to_numeric(pd.Series(list(values)),
                                                errors="coerce").notna().any()


def axis_format(metric: Metric) -> dict:
    """Tick format of a metric's values (percent for shares: whole percents, a decimal where
    the ticks are closer, so an axis from 0% to 1% does not read "0% 0% 0% 1%")."""
    if metric.format.endswith("%}"):
        return {"tickformat": ".1~%"}
    return {"tickformat": "+,~r" if metric.kind == "change" else ",~r"}


def area_trend(series: pd.DataFrame, metric: Metric, threshold: int, city: bool = True,
               title: str | None = None, height: int = 420,
               order: list[str] | None = None,
               colours: dict[str, str] | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """One line per area over the years, the city as a dashed grey reference line.

    `series` as `queries.area_series` for one metric (the city's geo_id is 'city'); areas
    take their colour from `colours` (geo_id → colour, see `theme.area_colours`), else from
    their place in `order`. For a count the city's total would dwarf a neighborhood, so the
    reference is left out."""
    rows = series[series["metric_id"] == metric.id]
    if metric.kind == "count" or not city:
        rows = rows[rows["geo_id"] != "city"]
    places = [g for g in (order or dict.fromkeys(rows["geo_id"])) if g != "city"] + ["city"]
    fig = go.Figure()
    for i, geo_id in enumerate(places):
        one = rows[rows["geo_id"] == geo_id]
        if one.empty:
            continue
        is_city = geo_id == "city"
        fig.add_trace(go.Scatter(
            x=one["year"], y=shown_values(one), name=one["name"].iat[0], mode="lines+markers",
            text=text_values(one, metric, threshold), hovertemplate="%{text}",
            line={"color": theme.CITY if is_city else (colours or {}).get(geo_id, theme.colour(i)),
                  "width": 2 if is_city else 3, "dash": "dash" if is_city else "solid"}))
    style(fig, height, y_title=metric.unit, title=title, zero=metric.kind != "change")
    fig.update_yaxes(**axis_format(metric))
    return fig, long_table(rows, metric, threshold)


def long_table(rows: pd.DataFrame, metric: Metric, threshold: int) -> pd.DataFrame:
    """Area, year, value in words, and a note for unreliable figures."""
    table = pd.DataFrame({
        "Area": rows["name"].to_numpy(), "Year": rows["year"].to_numpy(),
        metric.label: text_values(rows, metric, threshold),
        "Note": [wording.unreliable_text(metric) if u else "" for u in rows["unreliable"]],
    })
    return table.sort_values(["Area", "Year"], kind="stable")


def several_lines(series: pd.DataFrame, metrics: list[Metric], threshold: int,
                  geo_id: str, title: str | None = None, y_title: str = "",
                  height: int = 400) -> tuple[go.Figure, pd.DataFrame]:
    """Several metrics of one area over the years (e.g. jobs, small-firm and young-firm
    jobs), each its own colour."""
    fig, tables = go.Figure(), []
    for i, metric in enumerate(metrics):
        rows = series[(series["metric_id"] == metric.id) & (series["geo_id"] == geo_id)]
        fig.add_trace(go.Scatter(x=rows["year"], y=shown_values(rows), name=metric.label,
                                 mode="lines+markers", text=text_values(rows, metric, threshold),
                                 hovertemplate="%{text}",
                                 line={"color": theme.colour(i), "width": 3}))
        tables.append(long_table(rows, metric, threshold).set_index(["Area", "Year"])
                      .drop(columns="Note"))
    style(fig, height, y_title=y_title, title=title)
    if metrics:
        fig.update_yaxes(**axis_format(metrics[0]))
    table = pd.concat(tables, axis=1).fillna("").reset_index() if tables else pd.DataFrame()
    return fig, table


def flows(series: pd.DataFrame, threshold: int, geo_id: str, openings: Metric,
          closures: Metric, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Openings (purple, up) and closures (orange, down) by year, as bars."""
    fig = go.Figure()
    pieces = []
    for metric, colour, sign in ((openings, theme.GAIN, 1), (closures, theme.LOSS, -1)):
        rows = series[(series["metric_id"] == metric.id) & (series["geo_id"] == geo_id)]
        fig.add_trace(go.Bar(x=rows["year"], y=sign * shown_values(rows), name=metric.label,
                             marker_color=colour, text=text_values(rows, metric, threshold),
                             hovertemplate="%{text}", textposition="none"))
        pieces.append(long_table(rows, metric, threshold).set_index(["Area", "Year"])
                      .drop(columns="Note"))
    style(fig, 380, y_title=_("businesses"), title=title, zero=False)
    fig.update_layout(barmode="relative")
    fig.update_yaxes(tickformat=",d")
    return fig, pd.concat(pieces, axis=1).fillna("").reset_index()


def survival(series: pd.DataFrame, metrics: list[Metric], threshold: int, geo_id: str,
             title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Share of each year's new businesses still open after 1, 3, 5 years: the area (solid)
    and the city (dashed), by opening year."""
    fig, tables = go.Figure(), []
    for i, metric in enumerate(metrics):
        both = series[(series["metric_id"] == metric.id) & series["geo_id"].isin([geo_id, "city"])]
        for place, rows in both.groupby("geo_id", sort=False):
            is_city = place == "city"
            fig.add_trace(go.Scatter(
                x=rows["year"], y=shown_values(rows), mode="lines+markers",
                name=f"{metric.label.replace(_('Still open after'), _('After'))} — "
                     f"{_('city') if is_city else rows['name'].iat[0]}",
                text=text_values(rows, metric, threshold), hovertemplate="%{text}",
                line={"color": theme.colour(i), "width": 2 if is_city else 3,
                      "dash": "dash" if is_city else "solid"}))
        tables.append(long_table(both, metric, threshold).drop(columns="Note")
                      .set_index(["Area", "Year"]))
    style(fig, 400, y_title=_("share still open"), x_title="Year opened", title=title)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    table = pd.concat(tables, axis=1).fillna("").reset_index() if tables else pd.DataFrame()
    return fig, table
