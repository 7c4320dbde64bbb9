"""Chart builders across areas or categories: bars, a scatter, side-by-side panels.

Each builder returns (figure, table), like `charts`; no Streamlit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.metrics import Metric

from . import theme, wording
from .charts import axis_format, style, text_values
from .formatting import suppressed_text

LQ_TICKS = [0.1, 0.25, 0.5, 1, 2, 4, 10]


def gains_and_losses(frame: pd.DataFrame, metric: Metric, threshold: int, n: int = 8,
                     title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The n areas that gained most and the n that lost most (a change metric), as bars;
    each bar's label carries its value."""
    shown = frame[frame["value"].notna() & ~frame["suppressed"].astype(bool)]
    gained = shown[shown["value"] > 0].nlargest(n, "value")
    lost = shown[shown["value"] < 0].nsmallest(n, "value")
    rows = pd.concat([gained, lost.iloc[::-1]])          # largest gain first
    values = text_values(rows, metric, threshold)
    labels = [f"{name}  {value}" for name, value in zip(rows["name"], values)]
    fig = go.Figure(go.Bar(
        x=rows["value"], y=labels, orientation="h",
        marker_color=[theme.GAIN if v > 0 else theme.LOSS for v in rows["value"]],
        hovertemplate="%{y}<extra></extra>"))
    style(fig, max(300, 30 * len(rows) + 90), x_title=metric.unit, title=title, zero=False)
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(**axis_format(metric))
    return fig, pd.DataFrame({"Area": rows["name"], metric.label: values})


def category_mix(mix: pd.DataFrame, names: dict[str, str], threshold: int,
                 title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Share of active businesses in each category, one bar per area, the city in grey.

    `mix` as `mix.category_mix`; hidden counts show no bar and say 'withheld'."""
    order = (mix[mix["geo_id"] == "city"].sort_values("city_share")["category"].tolist()
             or sorted(mix["category"].unique()))
    fig = go.Figure()
    places = [g for g in names if g != "city"] + ["city"]
    for i, geo_id in enumerate(places):
        rows = mix[mix["geo_id"] == geo_id].set_index("category").reindex(order)
        fig.add_trace(go.Bar(
            y=order, x=rows["share"], orientation="h", name=names[geo_id],
            marker_color=theme.MUTED if geo_id == "city" else theme.colour(i),
            text=_mix_text(rows, threshold), hovertemplate="%{y}: %{text}",
            textposition="none"))
    style(fig, max(380, 26 * len(order) * max(1, len(places) - 0) + 60),
          x_title="share of businesses", title=title)
    fig.update_layout(barmode="group", hovermode="y unified",
                      legend={"orientation": "h", "y": -0.08, "x": 0, "traceorder": "normal"})
    fig.update_xaxes(tickformat=".0%")
    return fig, mix_table(mix, names, order, threshold)


def _mix_text(rows: pd.DataFrame, threshold: int) -> list[str]:
    texts = []
    for count, share, hidden in zip(rows["count"], rows["share"], rows["suppressed"]):
        if hidden is True or (pd.notna(hidden) and bool(hidden)):
            texts.append(suppressed_text(threshold))
        elif pd.isna(count):
            texts.append("none")
        else:
            texts.append(f"{share:.0%} ({count:,.0f} businesses)")
    return texts


def mix_table(mix: pd.DataFrame, names: dict[str, str], order: list[str],
              threshold: int) -> pd.DataFrame:
    """Category × area: 'share (count)' or 'withheld'."""
    table = pd.DataFrame({"Category": order[::-1]})
    for geo_id, name in names.items():
        rows = mix[mix["geo_id"] == geo_id].set_index("category").reindex(order[::-1])
        table[name] = _mix_text(rows, threshold)
    return table


def quotients(lq: pd.DataFrame, name: str, threshold: int,
              title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Location quotients as bars around 1 on a log scale: purple where the area has
    unusually much of a category, orange where it has unusually little."""
    shown = lq[~lq["suppressed"].astype(bool) & lq["lq"].notna() & (lq["lq"] > 0)]
    shown = shown.sort_values("lq")
    logs = np.log10(shown["lq"].to_numpy(dtype=float))
    reach = max(float(np.abs(logs).max(initial=0.0)) * 1.6, np.log10(1.5))   # room for labels
    fig = go.Figure(go.Bar(
        y=shown["category"], x=logs, base=0, orientation="h",
        marker_color=[theme.GAIN if v >= 1 else theme.LOSS for v in shown["lq"]],
        text=[f"{v:.2f}×" for v in shown["lq"]], textposition="outside", cliponaxis=False,
        customdata=[_lq_words(v) for v in shown["lq"]],
        hovertemplate="%{y}: %{customdata}<extra></extra>"))
    style(fig, max(320, 28 * len(shown) + 90), x_title="against the city", title=title,
          zero=False)
    ticks = [t for t in LQ_TICKS if abs(np.log10(t)) <= reach]
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(tickvals=np.log10(ticks), ticktext=[f"{t:g}×" for t in ticks],
                     range=[-reach, reach], zeroline=True, zerolinewidth=2, zerolinecolor="#333333")
    table = pd.DataFrame({
        "Category": lq["category"],
        "Location quotient": [f"{v:.2f}" if not s and pd.notna(v) else
                              suppressed_text(threshold)
                              for v, s in zip(lq["lq"], lq["suppressed"])],
        "In words": [_lq_words(v) if not s and pd.notna(v) else "" for v, s in
                     zip(lq["lq"], lq["suppressed"])]})
    return fig, table


def _lq_words(lq: float) -> str:
    if lq >= 1.1:
        return f"{lq:.1f}× as common as in the city"
    if lq <= 0.9:
        return f"{lq:.1f}× as common (less than the city)"
    return "about as common as in the city"


def scatter(x: pd.DataFrame, y: pd.DataFrame, x_metric: Metric, y_metric: Metric,
            highlight: str | None = None, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Each area as a dot: one metric against another; the chosen area in orange."""
    both = x[["geo_id", "name", "value", "suppressed"]].merge(
        y[["geo_id", "value", "suppressed"]], on="geo_id", suffixes=("_x", "_y"))
    both = both[~both["suppressed_x"] & ~both["suppressed_y"]].dropna(subset=["value_x", "value_y"])
    chosen = both["geo_id"] == highlight
    fig = go.Figure()
    for rows, colour, size, label in ((both[~chosen], theme.CATEGORICAL[0], 11, "Neighborhoods"),
                                      (both[chosen], theme.HIGHLIGHT, 17, "Chosen")):
        fig.add_trace(go.Scatter(
            x=rows["value_x"], y=rows["value_y"], mode="markers", name=label,
            marker={"color": colour, "size": size, "line": {"color": "white", "width": 1}},
            customdata=rows["geo_id"], text=rows["name"],
            hovertemplate=(f"<b>%{{text}}</b><br>{x_metric.label}: %{{x}}<br>"
                           f"{y_metric.label}: %{{y}}<extra></extra>")))
    style(fig, 460, y_title=y_metric.label, x_title=x_metric.label, title=title)
    fig.update_layout(hovermode="closest", showlegend=bool(chosen.any()))
    fig.update_xaxes(dtick=None)
    table = pd.DataFrame({"Area": both["name"],
                          x_metric.label: [x_metric.format.format(v) for v in both["value_x"]],
                          y_metric.label: [y_metric.format.format(v) for v in both["value_y"]]})
    return fig, table


def side_by_side(profile: pd.DataFrame, metrics: list[Metric], names: dict[str, str],
                 threshold: int) -> tuple[go.Figure, pd.DataFrame]:
    """One small panel per metric: a bar per area on the same scale, the city as a dashed
    line (for rates, shares and indexes; a city total would dwarf a neighborhood count).

    `profile`: geo_id, metric_id, year, value, suppressed, city_value."""
    ids = list(names)
    titles = [f"{m.label} — city {_city_text(profile, m)}" if m.kind != "count" else m.label
              for m in metrics]
    fig = make_subplots(rows=len(metrics), cols=1, subplot_titles=titles,
                        vertical_spacing=0.09 / max(1, len(metrics) / 4))
    for row, metric in enumerate(metrics, start=1):
        rows = profile[profile["metric_id"] == metric.id].set_index("geo_id").reindex(ids)
        rows["name"] = [names[i] for i in ids]
        rows["suppressed"] = rows["suppressed"].fillna(False).astype(bool)
        fig.add_trace(go.Bar(
            y=rows["name"], x=rows["value"].where(~rows["suppressed"]), orientation="h",
            marker_color=[theme.colour(i) for i in range(len(ids))], showlegend=False,
            text=text_values(rows, metric, threshold), textposition="outside", cliponaxis=False,
            hovertemplate="%{y}: %{text}<extra></extra>"), row=row, col=1)
        city = rows["city_value"].dropna()
        if metric.kind != "count" and len(city):
            fig.add_vline(x=float(city.iat[0]), line_dash="dash", line_color=theme.CITY,
                          line_width=2, row=row, col=1)
        fig.update_xaxes(**axis_format(metric), rangemode="tozero", row=row, col=1)
    style(fig, 150 * len(metrics) + 80, x_title="", zero=False)
    fig.update_layout(hovermode="closest", margin={"l": 10, "r": 70, "t": 40, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return fig, compare_table(profile, metrics, names, threshold)


def _city_text(profile: pd.DataFrame, metric: Metric) -> str:
    city = profile.loc[profile["metric_id"] == metric.id, "city_value"].dropna()
    return f"{metric.format.format(city.iat[0])} (dashed)" if len(city) else "not available"


def compare_table(profile: pd.DataFrame, metrics: list[Metric], names: dict[str, str],
                  threshold: int) -> pd.DataFrame:
    """Metric × area (and the city) in words."""
    rows = []
    for metric in metrics:
        one = profile[profile["metric_id"] == metric.id].set_index("geo_id")
        line = {"Figure": metric.label,
                "Year": int(one["year"].max()) if len(one) else None}
        for geo_id, name in names.items():
            line[name] = (wording.value_text(metric, one.at[geo_id, "value"],
                                             bool(one.at[geo_id, "suppressed"]), threshold)
                          if geo_id in one.index else "no data")
        city = one["city_value"].dropna()
        line["City"] = metric.format.format(city.iat[0]) if len(city) else "no data"
        rows.append(line)
    return pd.DataFrame(rows)


def sectors(jobs: pd.DataFrame, threshold: int, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Jobs by industry as bars, largest on top; hidden sectors listed in the table only.

    `jobs`: category, jobs, suppressed (as `mix.hide_small`)."""
    shown = jobs[~jobs["suppressed"]].sort_values("jobs")
    total = jobs["jobs"].sum()
    fig = go.Figure(go.Bar(
        y=shown["category"], x=shown["jobs"], orientation="h", marker_color=theme.CATEGORICAL[0],
        text=[f"{v:,.0f} ({v / total:.0%})" if total else f"{v:,.0f}" for v in shown["jobs"]],
        textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{text}<extra></extra>"))
    style(fig, max(300, 30 * len(shown) + 80), x_title="jobs", title=title)
    fig.update_layout(hovermode="closest", margin={"l": 10, "r": 90, "t": 50 if title else 10})
    fig.update_xaxes(tickformat=",d", dtick=None)
    table = pd.DataFrame({
        "Industry": jobs["category"],
        "Jobs": [suppressed_text(threshold) if s else f"{v:,.0f}" for v, s
                 in zip(jobs["jobs"], jobs["suppressed"])]})
    return fig, table
