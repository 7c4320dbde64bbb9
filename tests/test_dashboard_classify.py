"""Map classes and their legend: the classes a reader sees, checked by hand."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from dashboard import classify, maps
from core import metrics

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mapclassify

pytestmark = pytest.mark.filterwarnings("ignore:Numba not installed")


def test_quantiles_put_the_same_number_of_values_in_each_class():
    classes = classify.classify(np.arange(1, 11), "quantiles", 5)
    assert classes.counts == [2, 2, 2, 2, 2]
    assert classes.lows == [1, 3, 5, 7, 9] and classes.highs == [2, 4, 6, 8, 10]


def test_equal_intervals_split_the_range_evenly_and_may_leave_a_class_empty():
    classes = classify.classify([0, 1, 2, 9, 10], "equal", 5)   # bins 2, 4, 6, 8, 10
    assert list(classes.bins) == [2, 4, 6, 8, 10]
    assert classes.counts == [3, 0, 0, 0, 2]
    lines = classify.legend_lines(classes, "{:.0f}", "businesses")
    assert lines == ["0 to 2 businesses", "none up to 4", "none up to 6", "none up to 8",
                     "9 to 10 businesses"]


def test_natural_breaks_find_the_obvious_groups():
    values = [1, 2, 3, 20, 21, 22, 50, 51]
    classes = classify.classify(values, "breaks", 3)
    assert list(classes.bins) == [3, 22, 51]
    assert list(classes.index) == [0, 0, 0, 1, 1, 1, 2, 2]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_natural_breaks_match_mapclassify_fisher_jenks(seed):
    values = np.round(np.random.default_rng(seed).gamma(2, 3, 80), 1)
    expected = mapclassify.FisherJenks(values, k=5).bins
    assert np.allclose(classify.natural_breaks(values, 5), expected)


def within_class_spread(values: np.ndarray, bins: np.ndarray) -> float:
    index = np.searchsorted(bins, values, side="left")
    return sum(((values[index == i] - values[index == i].mean()) ** 2).sum()
               for i in range(len(bins)))


def test_natural_breaks_of_many_values_stay_close_to_the_exact_optimum(monkeypatch):
    values = np.random.default_rng(7).gamma(2, 3, 1200)
    coarse = classify.natural_breaks(values, 5)           # cut points limited to MAX_UNITS
    monkeypatch.setattr(classify, "MAX_UNITS", 10_000)
    exact = classify.natural_breaks(values, 5)
    assert len(coarse) == 5 and coarse[-1] == values.max()
    assert within_class_spread(values, exact) <= within_class_spread(values, coarse)
    assert within_class_spread(values, coarse) <= 1.001 * within_class_spread(values, exact)


def test_fewer_distinct_values_than_classes_give_fewer_classes():
    classes = classify.classify([4, 4, 4, 9], "quantiles", 5)
    assert classes.k == 2 and classes.counts == [3, 1]
    assert classify.legend_lines(classes, "{:,.1f}") == ["4.0", "9.0"]


def test_legend_says_hidden_areas_in_words_and_never_classes_them():
    frame = pd.DataFrame({
        "geo_id": ["A", "B", "C", "D"], "name": list("ABCD"),
        "value": [10.0, 20.0, None, 30.0], "numerator": [5, 10, None, 1],
        "denominator": [500, 500, 500, 33], "suppressed": [False, False, True, False],
        "unreliable": [False, False, False, True], "rank": [3, 2, None, 1], "ranked": 3})
    view = maps.MapView(metrics.get("micro_per_1k_residents"), k=3, threshold=3)
    classed, legend = maps.class_frame(frame, view)
    # D (30.0) is unreliable: drawn in the top class, but it sets no break and no range end
    assert list(classed["klass"]) == [0, 1, maps.HIDDEN_CLASS, 1]
    assert legend["range"].tolist() == [
        "10.0 micro-businesses per 1,000 residents",
        "20.0 or more micro-businesses per 1,000 residents",
        "withheld or no data"]
    hover = maps.hover_text(classed, view)
    assert "Micro-businesses per 1,000 residents: withheld" in hover[2]
    assert "Withheld: fewer than 3 businesses (0, 1 or 2), or hidden" in hover[2]   # the one explanation
    assert "Rank" not in hover[2] and "Based on" not in hover[2]
    assert "Withheld:" not in hover[0]
    assert "Rank: 1st of 3 neighborhoods (the highest)" in hover[3]
    assert "Based on: 1 ÷ 33 residents" in hover[3] and "unreliable" in hover[3]
    assert "registrations, not activity" in hover[0]   # the caveat travels with the number


def test_one_map_trace_carries_every_area_with_plain_class_labels():
    frame = pd.DataFrame({"geo_id": ["A", "B"], "name": ["A", "B"], "value": [1.0, None],
                          "numerator": [1, None], "denominator": [None, None],
                          "suppressed": [False, True], "unreliable": [False, False],
                          "rank": [1, None], "ranked": 1})
    geojson = {"type": "FeatureCollection", "bbox": [0, 0, 1, 1], "features": []}
    figure, _ = maps.choropleth(frame, geojson, maps.MapView(metrics.get("active_businesses")))
    (trace,) = figure.data
    assert list(trace.locations) == ["A", "B"]
    assert list(trace.colorbar.ticktext) == ["withheld or no data", "1 (1 area)"]
    assert figure.layout.map.style == maps.OFFLINE_STYLE


def test_low_count_values_never_set_a_class_break_or_end():
    """The tract headline of the issue: one value of 2,080 from 1 business must not stretch
    the top class to '19.5 to 2,080.0'."""
    values = [5.0, 8.0, 11.0, 14.0, 19.5, 2080.0]
    frame = pd.DataFrame({
        "geo_id": list("ABCDEF"), "name": list("ABCDEF"), "value": values,
        "numerator": [40, 50, 60, 70, 80, 1], "denominator": 1000.0,
        "suppressed": False, "unreliable": False,
        "low_count": [False] * 5 + [True], "rank": [5, 4, 3, 2, 1, None], "ranked": 5})
    view = maps.MapView(metrics.get("micro_per_1k_residents"), k=3, threshold=0)
    classed, legend = maps.class_frame(frame, view)
    top = legend["range"].tolist()[-1]
    assert "2,080" not in " ".join(legend["range"]) and top.endswith(
        "or more micro-businesses per 1,000 residents")
    assert classed["klass"].iloc[-1] == classed["klass"].max()     # drawn in the top class
    assert "no data" not in " ".join(legend["range"])              # nothing grey
    hover = maps.hover_text(classed, view)
    assert "low count: fewer than 20 businesses or events" in hover[-1]
