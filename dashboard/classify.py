"""Map classes: split values into k classes and say each class's range in plain words.

Quantiles and equal intervals come from mapclassify; natural breaks are the exact
Fisher–Jenks optimum, computed here with numpy (mapclassify's version needs numba to be
fast: without it, 2,000 values take tens of seconds).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from core import i18n
from core.i18n import N_, _

with warnings.catch_warnings():  # "Numba not installed": we do not use its slow paths
    warnings.simplefilter("ignore")
    import mapclassify

SCHEMES = {
    "quantiles": N_("Quantiles (same number of areas in each class)"),
    "breaks": N_("Natural breaks (groups of similar values)"),
    "equal": N_("Equal intervals (same width of values per class)"),
}
DEFAULT_SCHEME = "quantiles"
CLASS_COUNTS = (3, 4, 5, 6, 7)
DEFAULT_CLASSES = 5


@dataclass(frozen=True)
class Classes:
    """Upper bounds of each class, the class of each value, and the values' ranges."""

    bins: np.ndarray        # upper bound of each class (the last is the maximum)
    index: np.ndarray       # class of each input value, 0-based
    lows: list[float]       # smallest value in each class (nan for an empty class)
    highs: list[float]      # largest value in each class (nan for an empty class)
    counts: list[int]       # values in each class
    open_low: bool = False   # flagged values below the first class's range are drawn in it
    open_high: bool = False  # flagged values above the last class's range are drawn in it

    @property
    def k(self) -> int:
        return len(self.bins)


def classify(values, scheme: str = DEFAULT_SCHEME, k: int = DEFAULT_CLASSES) -> Classes:
    """Classes of `values` (no missing values) by a scheme in SCHEMES."""
    values = np.asarray(values, dtype=float)
    distinct = np.unique(values)
    k = max(1, min(k, distinct.size))
    if k == 1:
        bins = distinct[-1:]
    elif scheme == "breaks":
        bins = natural_breaks(values, k)
    elif scheme == "equal":
        bins = mapclassify.EqualInterval(values, k=k).bins
    elif scheme == "quantiles":
        bins = _quantile_bins(values, k)
    else:
        raise ValueError(f"unknown classification {scheme!r}")
    return _with_ranges(values, np.asarray(bins, dtype=float))


def classify_sound(values, sound, scheme: str = DEFAULT_SCHEME,
                   k: int = DEFAULT_CLASSES) -> Classes:
    """Classes whose breaks and ranges come from the sound values only (not low count, not
    unreliable): a flagged value is drawn in the class it falls in (the nearest end class
    when outside every range) but never sets a break or the extreme of a range. With no
    sound value at all, every value is classed."""
    values, sound = np.asarray(values, dtype=float), np.asarray(sound, dtype=bool)
    if not sound.any() or sound.all():
        return classify(values, scheme, k)
    base = classify(values[sound], scheme, k)
    index = np.minimum(np.searchsorted(base.bins, values, side="left"), base.k - 1)
    counts = [int((index == i).sum()) for i in range(base.k)]
    flagged = values[~sound]
    return Classes(base.bins, index, base.lows, base.highs, counts,
                   open_low=bool((flagged < base.lows[0]).any()),
                   open_high=bool((flagged > base.highs[-1]).any()))


def _quantile_bins(values: np.ndarray, k: int) -> np.ndarray:
    with warnings.catch_warnings():  # fewer distinct values than classes: mapclassify says so
        warnings.simplefilter("ignore")
        return np.unique(mapclassify.Quantiles(values, k=k).bins)


def _with_ranges(values: np.ndarray, bins: np.ndarray) -> Classes:
    index = np.searchsorted(bins, values, side="left")
    index = np.minimum(index, len(bins) - 1)
    lows, highs, counts = [], [], []
    for i in range(len(bins)):
        inside = values[index == i]
        counts.append(int(inside.size))
        lows.append(float(inside.min()) if inside.size else float("nan"))
        highs.append(float(inside.max()) if inside.size else float("nan"))
    return Classes(bins, index, lows, highs, counts)


MAX_UNITS = 500  # natural breaks consider at most this many candidate cut points


def natural_breaks(values, k: int) -> np.ndarray:
    """Fisher–Jenks: the k classes of sorted values with the least within-class squared
    deviation, by dynamic programming. Exact up to MAX_UNITS distinct values; beyond that
    classes may only end at one of MAX_UNITS evenly spaced cut points of the sorted values
    (the cost of each class is still computed from every value)."""
    distinct, weight = np.unique(np.asarray(values, dtype=float), return_counts=True)
    ends = np.unique(np.linspace(0, distinct.size, min(distinct.size, MAX_UNITS) + 1)
                     .round().astype(int))[1:] - 1           # last distinct value of each unit
    w1, s1, s2 = (np.concatenate([[0.0], np.cumsum(x)])[ends + 1]
                  for x in (weight, weight * distinct, weight * distinct ** 2))
    w1, s1, s2 = (np.concatenate([[0.0], x]) for x in (w1, s1, s2))
    cost = _class_costs(w1, s1, s2)
    n, k = ends.size, min(k, ends.size)
    best, cut = cost[0].copy(), np.zeros((k, n), dtype=int)
    for c in range(1, k):
        options = np.concatenate([[np.inf], best[:-1]])[:, None] + cost   # [start, end]
        cut[c] = np.argmin(options, axis=0)
        best = options[cut[c], np.arange(n)]
    return _bins_from_cuts(distinct[ends], cut, k)


def _class_costs(w1: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """Squared deviation of the class from unit `start` to unit `end` (inf if end < start)."""
    n = w1.size - 1
    start, end = np.arange(n)[:, None], np.arange(n)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        count = w1[end + 1] - w1[start]
        total = s1[end + 1] - s1[start]
        cost = s2[end + 1] - s2[start] - total ** 2 / count
    return np.where(start <= end, np.maximum(cost, 0.0), np.inf)


def _bins_from_cuts(uppers: np.ndarray, cut: np.ndarray, k: int) -> np.ndarray:
    bins, end = [], uppers.size - 1
    for c in range(k - 1, -1, -1):
        bins.append(uppers[end])
        end = cut[c, end] - 1
    return np.array(bins[::-1])


def legend_lines(classes: Classes, fmt: str, noun: str = "") -> list[str]:
    """One plain line per class: '14.0 to 18.5 businesses per 1,000 residents (9 areas)'."""
    lines, last = [], classes.k - 1

    def say(value) -> str:
        return i18n.number(value, fmt)

    for i, (low, high, count, upper) in enumerate(
            zip(classes.lows, classes.highs, classes.counts, classes.bins)):
        if count == 0:
            text = _("none up to {value}").format(value=say(upper))
        elif classes.open_high and i == last and not np.isnan(low):
            text = _("{value} or more").format(value=say(low))
        elif classes.open_low and i == 0 and not np.isnan(high):
            text = _("up to {value}").format(value=say(high))
        elif np.isnan(low) or say(low) == say(high):
            text = say(upper if np.isnan(low) else low)
        else:
            text = _("{low} to {high}").format(low=say(low), high=say(high))
        lines.append(f"{text}{' ' + noun if noun and count else ''}")
    return lines
