"""Port Juniper's second set of areas: six districts, each the union of six neighborhoods.

The demo shows how a city is seen by more than one layer (`[[layers]]` of a profile).
Its neighborhoods are split into a north and a south half (18 each, by the latitude of a
point inside each) and each half into west, middle and east (6 each, by longitude): the
district of a neighborhood is one of those six. Every neighborhood lies wholly in one
district and every tract in one neighborhood, so the districts' tract weights stay nested
(weight 1), and each table keyed by a neighborhood is re-keyed by its district, with
weights summed over the neighborhoods of a district.
"""
from __future__ import annotations

import copy

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import canonical as c

LAYER = "districts"
SINGULAR, PLURAL = "district", "districts"
HALVES, PARTS = 2, 3     # north/south, then west/middle/east within each half


def district_of(neighborhoods: gpd.GeoDataFrame) -> pd.Series:
    """neighborhood_id → district id ("D1" … "D6", north-west first)."""
    centre = neighborhoods.geometry.representative_point()
    frame = pd.DataFrame({"id": neighborhoods["neighborhood_id"].to_numpy(),
                          "x": centre.x.to_numpy(), "y": centre.y.to_numpy()})
    frame = frame.sort_values("y", ascending=False, kind="stable")
    frame["half"] = np.arange(len(frame)) * HALVES // len(frame)
    frame = frame.sort_values(["half", "x"], kind="stable")
    frame["part"] = frame.groupby("half").cumcount() * PARTS // frame.groupby("half")["id"].transform("size")
    number = frame["half"] * PARTS + frame["part"] + 1
    return pd.Series([f"D{n}" for n in number], index=frame["id"].to_numpy(), name="district")


def name_of(district: str) -> str:
    return f"District {district[1:]}"


def regroup(data: c.CityData) -> c.CityData:
    """The same city with its districts standing in for its neighborhoods (a copy)."""
    out = copy.deepcopy(data)
    to = district_of(out.neighborhoods)
    shapes = out.neighborhoods.assign(neighborhood_id=out.neighborhoods["neighborhood_id"].map(to))
    shapes = shapes.dissolve(by="neighborhood_id", as_index=False)
    shapes["name"] = shapes["neighborhood_id"].map(name_of)
    out.neighborhoods = gpd.GeoDataFrame(shapes[c.NEIGHBORHOOD_COLUMNS], geometry="geometry",
                                         crs=data.neighborhoods.crs)
    out.businesses = _mapped(out.businesses, to)
    out.jobs = _mapped(out.jobs, to)
    out.tract_weights = _summed(_mapped(out.tract_weights, to), ["geoid", "neighborhood_id", "method"])
    out.zip_weights = _summed(_mapped(out.zip_weights, to), ["zip", "neighborhood_id", "method"])
    out.other_tables = {name: _mapped(table, to) for name, table in out.other_tables.items()}
    sources = out.sources.copy()
    row = sources["source_id"] == "demo_neighborhoods"
    sources.loc[row, "name"] = "Port Juniper districts (synthetic: unions of six neighborhoods)"
    # the 36 neighborhood shapes read, merged into 6 districts: raw = loaded + merged
    sources.loc[row, "rows_loaded"] = len(out.neighborhoods)
    sources.loc[row, "rows_merged"] = len(data.neighborhoods) - len(out.neighborhoods)
    out.sources = sources
    out.build_info = {**out.build_info, "layer": LAYER, "area_singular": SINGULAR,
                      "area_plural": PLURAL}
    return out


def _mapped(frame: pd.DataFrame, to: pd.Series) -> pd.DataFrame:
    if "neighborhood_id" not in frame:
        return frame
    return frame.assign(neighborhood_id=frame["neighborhood_id"].map(to))


def _summed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.groupby(keys, as_index=False, sort=False)["weight"].sum()[
        [k for k in frame.columns if k in keys or k == "weight"]]
