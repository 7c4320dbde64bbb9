"""Chart builders across areas or categories: bars, a scatter, side-by-side panels.

Each builder returns (figure, table), like `charts`; no Streamlit.
"""
from __future__ import annotations

import html
import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import i18n
from core.i18n import _
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


NAME_PX = 20        # a category's name above its bars
MIX_MAX_HEIGHT = 1100


def category_mix(mix: pd.DataFrame, names: dict[str, str], threshold: int,
                 title: str | None = None, colours: dict[str, str] | None = None,
                 names_above: bool = True) -> tuple[go.Figure, pd.DataFrame]:
    """Share of active businesses in each category: a bar per area, the city's share as a
    grey tick across them. Every category is named (largest city share first; a category
    whose city figure is hidden last), the share axis reads at the top and at the bottom,
    and a hidden count says "withheld" by its name instead of leaving a blank row.

    `mix` as `mix.category_mix`; `colours` (geo_id → colour) as `theme.area_colours`.
    `names_above`: each name above its bars, inside the plot, so that the bars keep the
    whole width on a phone; False: names beside the bars (a wide slide)."""
    order = mix_order(mix)
    areas = [g for g in names if g != "city"]
    name_px = NAME_PX + 4 if names_above else 10
    bars_px = 8 + 6 * max(len(areas), 1)
    if len(order) * (bars_px + name_px) + 150 > MIX_MAX_HEIGHT:     # thinner bars, not taller
        bars_px = max(int((MIX_MAX_HEIGHT - 150) / max(len(order), 1)) - name_px,
                      4 * max(len(areas), 1))
    row = bars_px + name_px
    fig = go.Figure()
    notes: dict[str, list[str]] = {}
    for i, geo_id in enumerate(areas):
        rows = mix[mix["geo_id"] == geo_id].set_index("category").reindex(order)
        fig.add_trace(go.Bar(
            y=order, x=rows["share"], orientation="h", name=names[geo_id],
            marker_color=(colours or {}).get(geo_id, theme.colour(i)),
            text=_mix_text(rows, threshold), hovertemplate="%{y}: %{text}",
            textposition="none"))
        for category in _hidden(rows):
            notes.setdefault(category, []).append(names[geo_id])
    if "city" in names:
        rows = mix[mix["geo_id"] == "city"].set_index("category").reindex(order)
        fig.add_trace(go.Scatter(
            y=order, x=rows["share"], xaxis="x2", mode="markers", name=names["city"],
            marker={"symbol": "line-ns-open", "size": bars_px, "color": theme.CITY,
                    "line": {"width": 3, "color": theme.CITY}},
            text=_mix_text(rows, threshold), hovertemplate="%{y}: %{text}"))
        for category in _hidden(rows):
            notes.setdefault(category, []).append(names["city"])
    style(fig, len(order) * row + 150, x_title=_("share of businesses"), title=title)
    fig.update_layout(barmode="group", bargap=1 - bars_px / row, hovermode="y unified",
                      margin={"b": 110},
                      legend={"orientation": "h", "yref": "container", "y": 0,
                              "yanchor": "bottom", "x": 0, "traceorder": "normal"},
                      xaxis2={"overlaying": "x", "matches": "x", "side": "top",
                              "tickformat": ".0%", "showgrid": False, "automargin": True})
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(autorange="reversed", tickmode="array", tickvals=order, ticktext=order)
    shown = len(areas) + ("city" in names)
    said = {c: _("withheld") if len(who) == shown else
            _("withheld: {areas}").format(areas=", ".join(who))
            for c, who in notes.items()}
    if names_above:
        label_rows(fig, order, bars_px, said)
    else:
        for category, text in said.items():
            fig.add_annotation(x=0, y=category, xref="x", yref="y", xanchor="left", xshift=4,
                               text=html.escape(text), showarrow=False,
                               font={"size": 12, "color": "#444444"})
    return fig, mix_table(mix, names, order[::-1], threshold)


def mix_order(mix: pd.DataFrame) -> list[str]:
    """Categories by the city's share, largest first; one the city's figure hides, last."""
    city = mix[mix["geo_id"] == "city"]
    if city.empty:
        return sorted(mix["category"].unique())
    return city.sort_values(["city_share", "category"], ascending=[False, True],
                            na_position="last")["category"].tolist()


def _hidden(rows: pd.DataFrame) -> list[str]:
    flags = rows["suppressed"]
    return [c for c, h in flags.items() if h is True or (pd.notna(h) and bool(h))]


ROW_PX, ROW_BAR_PX = 42, 14    # a bar with its name above it


def label_rows(fig: go.Figure, categories: list[str], bar_px: int = ROW_BAR_PX,
                notes: dict[str, str] | None = None) -> go.Figure:
    """Each category's name above its bar, inside the plot at its left edge, instead of
    beside it: the bars keep the chart's whole width on a phone, and every name is shown
    (a crowded axis would skip some). Bars take `bar_px` of each row."""
    fig.update_yaxes(showticklabels=False, ticks="")
    for category in categories:
        note = f" — {notes[category]}" if notes and category in notes else ""
        fig.add_annotation(x=0, y=category, xref="paper", yref="y", xanchor="left",
                           yanchor="bottom", yshift=bar_px / 2 + 2, showarrow=False,
                           text=html.escape(category + note), font={"size": 14})
    if fig.data and getattr(fig.data[0], "type", "") == "bar" and fig.layout.bargap is None:
        fig.update_layout(bargap=1 - bar_px / ROW_PX)
    return fig


def _mix_text(rows: pd.DataFrame, threshold: int) -> list[str]:
    texts = []
    for count, share, hidden in zip(rows["count"], rows["share"], rows["suppressed"]):
        if hidden is True or (pd.notna(hidden) and bool(hidden)):
            texts.append(suppressed_text(threshold))
        elif pd.isna(count):
            texts.append(_("none"))
        else:
            texts.append(_("{share} ({count} businesses)").format(
                share=i18n.percent(share), count=i18n.integer(count)))
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
        textposition="none", customdata=[_lq_words(v) for v in shown["lq"]],
        hovertemplate="%{y}: %{customdata}<extra></extra>"))
    style(fig, max(320, ROW_PX * len(shown) + 90), x_title=_("against the city"), title=title,
          zero=False)
    label_rows(fig, list(shown["category"]))
    # Each value right of its bar's end, or right of the centre line for a bar that goes
    # left: never on the category names at the left.
    for category, log, value in zip(shown["category"], logs, shown["lq"]):
        fig.add_annotation(x=max(float(log), 0.0), y=category, xref="x", yref="y",
                           xanchor="left", xshift=4, text=i18n.number(value, "{:.2f}") + "×", showarrow=False,
                           font={"size": 13})
    ticks = [t for t in LQ_TICKS if abs(np.log10(t)) <= reach]
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(tickvals=np.log10(ticks), ticktext=[f"{t:g}×".replace(".", "," if i18n.language() == "es" else ".")
                                                       for t in ticks],
                     range=[-reach, reach], zeroline=True, zerolinewidth=2, zerolinecolor="#333333")
    table = pd.DataFrame({
        "Category": lq["category"],
        "Location quotient": [i18n.number(v, "{:.2f}") if not s and pd.notna(v) else
                              suppressed_text(threshold)
                              for v, s in zip(lq["lq"], lq["suppressed"])],
        "In words": [_lq_words(v) if not s and pd.notna(v) else "" for v, s in
                     zip(lq["lq"], lq["suppressed"])]})
    return fig, table


def _lq_words(lq: float) -> str:
    if lq >= 1.1:
        return _("{times}× as common as in the city").format(times=i18n.number(lq, "{:.1f}"))
    if lq <= 0.9:
        return _("{times}× as common (less than the city)").format(times=i18n.number(lq, "{:.1f}"))
    return _("about as common as in the city")


def scatter(x: pd.DataFrame, y: pd.DataFrame, x_metric: Metric, y_metric: Metric,
            highlight: str | None = None, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Each area as a dot: one metric against another; the chosen area in orange. Every dot
    names its area on hover; the chosen one and the outlying ones are labelled where the
    labels do not run into each other. The y axis is named above the plot (a turned title
    would run into the chart's title)."""
    both = x[["geo_id", "name", "value", "suppressed"]].merge(
        y[["geo_id", "value", "suppressed"]], on="geo_id", suffixes=("_x", "_y"))
    both = both[~both["suppressed_x"] & ~both["suppressed_y"]].dropna(subset=["value_x", "value_y"])
    both = both.reset_index(drop=True)
    chosen = both["geo_id"] == highlight
    labelled = readable_labels(both, highlight)
    fig = go.Figure()
    for rows, colour, size, label in ((both[~chosen], theme.CATEGORICAL[0], 11, i18n.areas(plural=True, capital=True)),
                                      (both[chosen], theme.HIGHLIGHT, 17, _("Chosen"))):
        fig.add_trace(go.Scatter(
            x=rows["value_x"], y=rows["value_y"], mode="markers+text", name=label,
            marker={"color": colour, "size": size, "line": {"color": "white", "width": 1}},
            customdata=rows["geo_id"],
            text=[labelled.get(i, ("", ""))[0] for i in rows.index],
            textposition=[labelled.get(i, ("", "top center"))[1] for i in rows.index],
            textfont={"size": 12, "color": "#333333"},
            hovertext=[f"<b>{n}</b><br>{x_metric.label}: {i18n.number(a, x_metric.format)}<br>"
                       f"{y_metric.label}: {i18n.number(b, y_metric.format)}"
                       for n, a, b in zip(rows["name"], rows["value_x"], rows["value_y"])],
            hovertemplate="%{hovertext}<extra></extra>"))
    style(fig, 480, y_title="", x_title=x_metric.label, title=title, zero=False)
    fig.add_annotation(text=y_metric.label, xref="paper", yref="paper", x=0, y=1,
                       xanchor="left", yanchor="bottom", yshift=6, showarrow=False,
                       font={"size": 14, "color": "#1a1a1a"})
    fig.update_layout(hovermode="closest", showlegend=bool(chosen.any()))
    fig.update_xaxes(dtick=None)
    table = pd.DataFrame({"Area": both["name"],
                          x_metric.label: [i18n.number(v, x_metric.format) for v in both["value_x"]],
                          y_metric.label: [i18n.number(v, y_metric.format) for v in both["value_y"]]})
    return fig, table


LABEL_BOX = (440, 300)   # a small plot (a phone's): labels that do not collide here never do


def readable_labels(both: pd.DataFrame, highlight: str | None = None,
                    most: int = 10) -> dict[int, tuple[str, str]]:
    """Row index → (name, text position) for the dots worth naming whose labels do not
    overlap each other: the chosen area first, then the highest, lowest and farthest out."""
    if both.empty:
        return {}
    width, height = LABEL_BOX
    x, y = both["value_x"].astype(float), both["value_y"].astype(float)
    px = (x - x.min()) / max(x.max() - x.min(), 1e-9) * width
    py = (y.max() - y) / max(y.max() - y.min(), 1e-9) * height
    out = (((px - width / 2) / width) ** 2 + ((py - height / 2) / height) ** 2)
    order = list(both.index[both["geo_id"] == highlight])
    order += [y.idxmax(), y.idxmin(), x.idxmax(), x.idxmin()]
    order += list(out.sort_values(ascending=False).index)
    dots = [(px[j] - 7, py[j] - 7, px[j] + 7, py[j] + 7) for j in both.index]
    boxes: list[tuple[float, float, float, float]] = []
    labels: dict[int, tuple[str, str]] = {}
    for i in dict.fromkeys(order):
        name = str(both.at[i, "name"])
        w, h = 7.0 * len(name) + 4, 15.0
        side = "top left" if px[i] > width * 0.8 else "top right" if px[i] < width * 0.2 \
            else "top center"
        left = px[i] - w if side == "top left" else px[i] if side == "top right" else px[i] - w / 2
        box = (left, py[i] - 8 - h, left + w, py[i] - 8)
        others = boxes + [d for j, d in zip(both.index, dots) if j != i]
        chosen = both.at[i, "geo_id"] == highlight      # the chosen area is always named
        if not chosen and any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                              for b in others):
            continue
        boxes.append(box)
        labels[i] = (f"<b>{html.escape(name)}</b>" if chosen else html.escape(name), side)
        if len(labels) >= most:
            break
    return labels


def side_by_side(profile: pd.DataFrame, metrics: list[Metric], names: dict[str, str],
                 threshold: int, colours: dict[str, str] | None = None
                 ) -> tuple[go.Figure, pd.DataFrame]:
    """One small panel per metric: a bar per area on the same scale, the city as a dashed
    line (for rates, shares and indexes; a city total would dwarf a neighborhood count).
    Each panel's title names its year (a survival rate names the year the businesses
    opened), left-aligned and wrapped so that a phone shows it whole.

    `profile`: geo_id, metric_id, year, value, suppressed, city_value."""
    ids = list(names)
    titles = [panel_title(profile, m) for m in metrics]
    lines = max((t.count("<br>") + 1 for t in titles), default=1)
    bar_px, name_px = 16, 18
    # a panel's title stands TITLE_PAD px above it: the first name, set above its bar, rises
    # a few px over the panel's top
    panel, gap = len(ids) * (bar_px + name_px + 8) + 6, 19 * lines + 40 + TITLE_PAD
    height = len(metrics) * panel + max(len(metrics) - 1, 0) * gap + 60
    fig = make_subplots(rows=len(metrics), cols=1, subplot_titles=titles,
                        vertical_spacing=gap / max(height - 50, 1))
    for row, metric in enumerate(metrics, start=1):
        axis = "" if row == 1 else str(row)
        for name in (names[i] for i in ids):     # each name above its bar: bars keep the width
            fig.add_annotation(x=0, xref=f"x{axis} domain", y=name, yref=f"y{axis}",
                               xanchor="left", yanchor="bottom", yshift=bar_px / 2,
                               text=html.escape(name), showarrow=False, font={"size": 14})
        rows = profile[profile["metric_id"] == metric.id].set_index("geo_id").reindex(ids)
        rows["name"] = [names[i] for i in ids]
        rows["suppressed"] = rows["suppressed"].fillna(False).astype(bool)
        words = text_values(rows, metric, threshold)
        shown = rows["value"].where(~rows["suppressed"])
        for name, value, said in zip(rows["name"], shown, words):
            if pd.isna(value):   # no bar ('withheld', 'not yet back'): the words at its start
                fig.add_annotation(x=0, xref=f"x{axis} domain", y=name, yref=f"y{axis}",
                                   xanchor="left", text=html.escape(said), showarrow=False,
                                   font={"size": 13, "color": "#555555"})
        fig.add_trace(go.Bar(
            y=rows["name"], x=shown, orientation="h",
            marker_color=[(colours or {}).get(g, theme.colour(i)) for i, g in enumerate(ids)],
            showlegend=False, text=[w if pd.notna(v) else "" for v, w in zip(shown, words)],
            textposition="outside", cliponaxis=False, customdata=words,
            hovertemplate="%{y}: %{customdata}<extra></extra>"), row=row, col=1)
        city = rows["city_value"].dropna()
        if metric.kind != "count" and len(city):
            fig.add_vline(x=float(city.iat[0]), line_dash="dash", line_color=theme.CITY,
                          line_width=2, row=row, col=1)
        fig.update_xaxes(**axis_format(metric), rangemode="tozero", row=row, col=1)
    style(fig, height, x_title="", zero=False)
    first = titles[0].count("<br>") + 1 if titles else 1   # room for the first panel's title
    fig.update_layout(hovermode="closest",
                      margin={"l": 10, "r": 70, "t": 8 + TITLE_PAD + 19 * first, "b": 10},
                      bargap=1 - bar_px / (bar_px + name_px + 8))
    fig.update_annotations(selector={"xref": "paper"}, x=0, xanchor="left", align="left",
                           font={"size": 15}, yshift=TITLE_PAD)
    fig.update_yaxes(autorange="reversed", showticklabels=False, ticks="")
    return fig, compare_table(profile, metrics, names, threshold)


PANEL_TITLE_WIDTH = 36
TITLE_PAD = 8


def panel_title(profile: pd.DataFrame, metric: Metric) -> str:
    """'Still open after 3 years (businesses opened in 2022) — city 71% (dashed)', wrapped."""
    years = profile.loc[profile["metric_id"] == metric.id, "year"].dropna()
    text = metric.label + (f" ({wording.year_phrase(metric, int(years.max()))})" if len(years) else "")
    if metric.kind != "count":
        text += " — " + _("city {value}").format(value=_city_text(profile, metric))
    return "<br>".join(textwrap.wrap(text, PANEL_TITLE_WIDTH))


def _city_text(profile: pd.DataFrame, metric: Metric) -> str:
    city = profile.loc[profile["metric_id"] == metric.id, "city_value"].dropna()
    return _("{value} (dashed)").format(value=i18n.number(city.iat[0], metric.format)) \
        if len(city) else _("not available")


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
                          if geo_id in one.index else _("no data"))
        city = one["city_value"].dropna()
        line["City"] = i18n.number(city.iat[0], metric.format) if len(city) else _("no data")
        rows.append(line)
    return pd.DataFrame(rows)


def sectors(jobs: pd.DataFrame, threshold: int, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Jobs by industry as bars, largest on top; hidden sectors listed in the table only.

    `jobs`: category, jobs, suppressed (as `mix.hide_small`)."""
    shown = jobs[~jobs["suppressed"]].sort_values("jobs")
    total = jobs["jobs"].sum()
    fig = go.Figure(go.Bar(
        y=shown["category"], x=shown["jobs"], orientation="h", marker_color=theme.CATEGORICAL[0],
        text=[f"{i18n.integer(v)} ({i18n.percent(v / total)})" if total else i18n.integer(v)
              for v in shown["jobs"]],
        textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{text}<extra></extra>"))
    style(fig, max(300, ROW_PX * len(shown) + 80), x_title=_("jobs"), title=title)
    fig.update_layout(hovermode="closest", margin={"l": 10, "r": 90, "t": 50 if title else 10})
    fig.update_xaxes(tickformat=",d", dtick=None)
    label_rows(fig, list(shown["category"]))
    table = pd.DataFrame({
        "Industry": jobs["category"],
        "Jobs": [suppressed_text(threshold) if s else i18n.integer(v) for v, s
                 in zip(jobs["jobs"], jobs["suppressed"])]})
    return fig, table
