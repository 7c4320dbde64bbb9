"""Charts that can be shown alone in a newsroom's iframe, without Streamlit.

`/embed?chart=map&metric=micro_per_1k_residents&year=2024` (see docs/exports.md). Each
chart is one entry of `EMBEDS`: the URL keys it reads and a function that builds it.
Every key is read from the URL once and checked against what this database has; a value
that is not allowed falls back to the default and adds a notice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import plotly.graph_objects as go

from core import metrics
from core.i18n import _

from . import bars, capital, charts, classify, exports, explorer, maps, mix, queries, urlstate
from .db import Database
from .wording import level_nouns

DEFAULT_CHART = "map"
DEFAULT_HEIGHT = 480
HEIGHTS = list(range(240, 1201, 20))
WIDEST = 1200             # an embed's width is measured below this (`frame.map_width`)
SIDE_LEGEND_WIDTH = 560   # a map at least this wide has its legend beside it, not below


@dataclass
class Embedded:
    """One chart, ready to show alone: title, figure, source line, and any notices about
    values of the link that were not allowed."""

    title: str
    figure: go.Figure | None
    source: str
    notices: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)   # the values used, for the URL


class Reader:
    """Reads URL values against what is allowed, collecting notices and the values used."""

    def __init__(self, raw: Mapping[str, str]):
        self.raw, self.notices, self.used = raw, [], {}

    def choice(self, key: str, allowed: list, default):
        parsed = urlstate.parse_choice(self.raw.get(key), key, allowed, default)
        if parsed.notice:
            self.notices.append(parsed.notice)
        self.used[key] = str(parsed.value)
        return parsed.value


def _neighborhood(db: Database, read: Reader) -> tuple[str, str]:
    hoods = queries.areas(db)
    names = dict(zip(hoods["geo_id"], hoods["name"]))
    chosen = read.choice("n", list(names), next(iter(names)))
    return chosen, names[chosen]


def map_chart(db: Database, read: Reader, shapes: Callable[[str], dict],
              width: int = maps.WIDTH_PX) -> Embedded:
    threshold = queries.suppression_threshold(db)
    start = explorer.DEFAULTS
    level = read.choice("level", queries.geo_levels(db) or [start.level], start.level)
    category = read.choice("category", [mix.ALL, *mix.categories(db, geo_level=level)],
                           start.category)
    choices = explorer.metric_choices(db, level, category)
    if not choices:
        return Embedded(_("Nothing to map"), None, "", read.notices)
    metric = metrics.get(read.choice("metric", choices, explorer.default_metric(choices)))
    years = explorer.years(db, metric.id, level, category)
    if not years:
        return Embedded(_("{figure}: no published values").format(figure=metric.label), None, "",
                        read.notices)
    year = read.choice("year", years, years[-1])
    scheme = read.choice("classes", list(classify.SCHEMES), start.classes)
    k = read.choice("k", list(classify.CLASS_COUNTS), start.k)
    title = explorer.title(metric, category)
    data = explorer.values(db, metric.id, year, level, category)
    view = maps.MapView(metric, level, scheme, k, threshold, title=title, width_px=width,
                        height_px=height(read.raw), legend_side=width >= SIDE_LEGEND_WIDTH)
    outline = None
    if read.raw.get("n"):        # a neighborhood to outline, only when the link names one
        hood = read.choice("n", list(queries.areas(db)["geo_id"]), "")
        outline = maps.feature(shapes("neighborhood"), hood)
    figure, _table = maps.choropleth(data, shapes(level), view, outline)
    kind = "neighborhoods" if level == "neighborhood" else "tracts"
    return Embedded(_("{title}, {year}, by {level}").format(title=title, year=year,
                                                            level=level_nouns(level)[0]), figure,
                    exports.source_line(db, [metric.id], (kind,)))


def trend_chart(db: Database, read: Reader, shapes) -> Embedded:
    """Any figure of `metrics_long` over the years. Loans and licence times as the Capital &
    red tape page draws them: low-count values as open circles, dollars on a dollar axis,
    no city line beside a count of loans or dollars in total."""
    present = set(queries.metric_ids(db))
    choices = [m for m in metrics.LONG_METRICS if m in present]
    metric = metrics.get(read.choice("metric", choices, explorer.default_metric(choices)))
    hood, name = _neighborhood(db, read)
    series = queries.area_series(db, [metric.id], [hood])
    threshold = queries.suppression_threshold(db)
    if metric.group in (metrics.CAPITAL, capital.RED_TAPE):
        with_city = capital.city_line(metric)
        figure, _table = capital.trend(series, metric, threshold, hood, with_city)
    else:
        with_city = metric.kind != "count"      # a city's count would dwarf the area's
        figure, _table = charts.area_trend(series, metric, threshold)
    where = _("{name} and the city").format(name=name) if with_city else name
    return Embedded(f"{metric.label}: {where}", figure,
                    exports.source_line(db, [metric.id]))


def mix_chart(db: Database, read: Reader, shapes) -> Embedded:
    years = mix.category_years(db) if queries.has_rows(db, "category_counts") else []
    hood, name = _neighborhood(db, read)
    if not years:
        return Embedded(_("Mix of businesses: no categories in this database"), None, "")
    year = read.choice("year", years, years[-1])
    shares = mix.category_mix(db, [hood], year)
    figure, _table = bars.category_mix(shares, {hood: name, "city": _("City")},
                                  queries.suppression_threshold(db))
    return Embedded(_("Kinds of business in {name} and the city, {year}").format(name=name,
                                                                                 year=year),
                    figure,
                    exports.source_line(db, ["category_count"]))


def jobs_chart(db: Database, read: Reader, shapes) -> Embedded:
    ids = metrics.JOBS_TRIO
    hood, name = _neighborhood(db, read)
    series = queries.area_series(db, ids, [hood], with_city=False)
    shown = [metrics.get(m) for m in ids if (series["metric_id"] == m).any()]
    if not shown:
        return Embedded(_("Jobs in {name}: no jobs figures in this database").format(name=name),
                        None, "")
    figure, _table = charts.several_lines(series, shown, queries.suppression_threshold(db), hood,
                                     y_title=_("jobs"))
    return Embedded(_("Jobs located in {name}").format(name=name), figure, exports.source_line(db, ids))


EMBEDS: dict[str, tuple[str, tuple[str, ...], Callable]] = {
    "map": ("A map of any figure, a neighborhood outlined",
            ("metric", "year", "level", "category", "classes", "k", "n"), map_chart),
    "trend": ("A figure over the years, a neighborhood and the city", ("metric", "n"),
              trend_chart),
    "mix": ("Kinds of business, a neighborhood and the city", ("n", "year"), mix_chart),
    "jobs": ("Jobs in a neighborhood", ("n",), jobs_chart),
}


def build(db: Database, raw: Mapping[str, str], shapes: Callable[[str], dict],
          width: int = WIDEST) -> Embedded:
    """The chart the URL asks for (`chart`, then its keys), with notices for bad values;
    `width`: the frame's width in pixels, as measured (a map fits itself to it)."""
    read = Reader(raw)
    chart = read.choice("chart", list(EMBEDS), DEFAULT_CHART)
    build_chart = EMBEDS[chart][2]
    result = build_chart(db, read, shapes, width) if chart == "map" else build_chart(db, read, shapes)
    result.notices = read.notices
    read.used["height"] = str(read.choice("height", HEIGHTS, DEFAULT_HEIGHT))
    result.params = read.used
    return result


def height(raw: Mapping[str, str]) -> int:
    """The chart's height in pixels from the URL (`height`, 240–1200), else the default."""
    return urlstate.parse_choice(raw.get("height"), "height", HEIGHTS, DEFAULT_HEIGHT).value
