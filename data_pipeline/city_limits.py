"""The city's own edges: which boundary features are the city's, cut to its city limits.

A county-wide boundary file also holds neighbouring towns and unincorporated land. The
profile's `[boundaries]` table keeps only the features whose `keep_property` has one of
`keep_values` (or drops those with one of `drop_values`), matched ignoring case and
surrounding spaces; with `clip_to_place` every feature is clipped to the Census place of
`geography.place_fips`. Features cut off either way are not errors: `readers.read_boundaries`
rejects each with its reason, so the boundary file's rows still reconcile.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import geo
from core.errors import PipelineError
from .profiles import Profile

OUTSIDE_LIMITS = "outside the city limits"
INSIDE_SHARE = 0.01   # a feature with less of its area than this inside the limits is outside them
SHOWN_VALUES = 12     # values listed in an error before "…"


def outside_reasons(values: pd.Series, column: str, profile: Profile,
                    file_name: str) -> np.ndarray:
    """'outside the city: <column> is <value>' for each feature the profile's filter cuts off.

    `values` is the feature property `column` (the profile's `boundaries.keep_property`);
    features kept get None. A filter that keeps nothing is an error.
    """
    rules = profile.boundaries
    text = _text(values)
    folded = text.str.casefold()
    if rules.keep_values:
        cut = ~folded.isin({_fold(v) for v in rules.keep_values})
    else:
        cut = folded.isin({_fold(v) for v in rules.drop_values})
    cut = cut.to_numpy(dtype=bool)
    if cut.all():
        raise PipelineError(_keeps_nothing(text, column, profile, file_name))
    reasons = np.full(len(values), None, dtype=object)
    reasons[cut] = [f"outside the city: {column} is {value or 'empty'}" for value in text[cut]]
    return reasons


def _text(values: pd.Series) -> pd.Series:
    """Property values as stripped text ('City ' → 'City', 31.0 → '31'); missing → ''."""
    text = values.astype("string").str.strip().str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return text.fillna("")


def _fold(value: str) -> str:
    return str(value).strip().casefold()


def _keeps_nothing(text: pd.Series, column: str, profile: Profile, file_name: str) -> str:
    rules = profile.boundaries
    key, wanted = (("boundaries.keep_values", rules.keep_values) if rules.keep_values
                   else ("boundaries.drop_values", rules.drop_values))
    found = sorted(set(text) - {""})
    shown = ", ".join(found[:SHOWN_VALUES]) + (", …" if len(found) > SHOWN_VALUES else "")
    verb = "keeps no feature" if rules.keep_values else "drops every feature"
    return (f"{profile.display_path}: {key} {list(wanted)} {verb} of {file_name}, whose "
            f"{column} values are {shown or 'all empty'}; use values from that list.")


def clip(features: gpd.GeoDataFrame,
         place: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Features clipped to the place's polygon, and which of them lie (nearly) outside it.

    Clipped in EPSG:4326, where the features are, and repaired; a feature with less than
    `INSIDE_SHARE` of its area inside is outside (the other features keep what is inside).
    """
    limits = shapely.union_all(place.geometry.to_numpy())
    shapely.prepare(limits)
    before = np.nan_to_num(geo.area_km2(features.geometry))
    clipped = features.copy()
    clipped["geometry"] = shapely.intersection(features.geometry.to_numpy(), limits)
    clipped = geo.make_valid(clipped)
    after = np.nan_to_num(geo.area_km2(clipped.geometry))
    return clipped, after < INSIDE_SHARE * before
