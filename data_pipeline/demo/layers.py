"""Port Juniper's further sets of areas: six districts, and its twelve ZIP codes, each a
union of its neighborhoods.

The demo shows how a city is seen by more than one layer (`[[layers]]` of a profile).
Districts: the neighborhoods are split into a north and a south half (18 each, by the
latitude of a point inside each) and each half into west, middle and east (6 each, by
longitude). ZIP codes: each neighborhood lies in one demo ZIP code (`patterns.assign_zips`,
kept in the ZIP weights), three neighborhoods to a ZIP code. Every neighborhood lies wholly
in one area of each layer and every tract in one neighborhood, so the tract weights stay
nested (weight 1), and each table keyed by a neighborhood is re-keyed by its area, with
weights summed over the neighborhoods of an area.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import canonical as c

HALVES, PARTS = 2, 3     # districts: north/south, then west/middle/east within each half


@dataclass(frozen=True)
class DemoLayer:
    id: str                                   # as a profile's [[layers]] id
    singular: str
    plural: str
    group: Callable[[c.CityData], pd.Series]  # neighborhood_id → the area's id
    name: Callable[[str], str]                # the area's id → its name
    source_name: str                          # the boundaries' `sources` row


def district_of(neighborhoods: gpd.GeoDataFrame) -> pd.Series:
    """neighborhood_id → district id ("D1" … "D6", north-west first)."""
    centre = neighborhoods.geometry.representative_point()
    frame = pd.DataFrame({"id": neighborhoods["neighborhood_id"].to_numpy(),
                          "x": centre.x.to_numpy(), "y": centre.y.to_numpy()})
    frame = frame.sort_values("y", ascending=False, kind="stable")
    frame["half"] = np.arange(len(frame)) * HALVES // len(frame)
    frame = frame.sort_values(["half", "x"], kind="stable")
    size = frame.groupby("half")["id"].transform("size")
    frame["part"] = frame.groupby("half").cumcount() * PARTS // size
    number = frame["half"] * PARTS + frame["part"] + 1
    return pd.Series([f"D{n}" for n in number], index=frame["id"].to_numpy(), name="district")


def zip_of(data: c.CityData) -> pd.Series:
    """neighborhood_id → its ZIP code (the demo's ZIP weights give each neighborhood one)."""
    weights = data.zip_weights.sort_values("weight", ascending=False, kind="stable")
    return weights.drop_duplicates("neighborhood_id").set_index("neighborhood_id")["zip"]


LAYERS = (
    DemoLayer("districts", "district", "districts", lambda data: district_of(data.neighborhoods),
              lambda area: f"District {area[1:]}",
              "Port Juniper districts (synthetic: unions of six neighborhoods)"),
    DemoLayer("zips", "ZIP code", "ZIP codes", zip_of, lambda area: f"ZIP code {area}",
              "Port Juniper ZIP codes (synthetic: unions of three neighborhoods)"),
)


def regroup(data: c.CityData, layer: DemoLayer) -> c.CityData:
    """The same city with `layer`'s areas standing in for its neighborhoods (a copy)."""
    out = copy.deepcopy(data)
    to = layer.group(data)
    shapes = out.neighborhoods.assign(neighborhood_id=out.neighborhoods["neighborhood_id"].map(to))
    shapes = shapes.dissolve(by="neighborhood_id", as_index=False)
    shapes["name"] = shapes["neighborhood_id"].map(layer.name)
    out.neighborhoods = gpd.GeoDataFrame(shapes[c.NEIGHBORHOOD_COLUMNS], geometry="geometry",
                                         crs=data.neighborhoods.crs)
    out.businesses = _mapped(out.businesses, to)
    out.jobs = _mapped(out.jobs, to)
    out.tract_weights = _summed(_mapped(out.tract_weights, to), ["geoid", "neighborhood_id", "method"])
    out.zip_weights = _summed(_mapped(out.zip_weights, to), ["zip", "neighborhood_id", "method"])
    out.other_tables = {name: _mapped(table, to) for name, table in out.other_tables.items()}
    sources = out.sources.copy()
    row = sources["source_id"] == "demo_neighborhoods"
    sources.loc[row, "name"] = layer.source_name
    # the 36 neighborhood shapes read, merged into the layer's areas: raw = loaded + merged
    sources.loc[row, "rows_loaded"] = len(out.neighborhoods)
    sources.loc[row, "rows_merged"] = len(data.neighborhoods) - len(out.neighborhoods)
    out.sources = sources
    out.build_info = {**out.build_info, "layer": layer.id, "area_singular": layer.singular,
                      "area_plural": layer.plural}
    return out


def _mapped(frame: pd.DataFrame, to: pd.Series) -> pd.DataFrame:
    if "neighborhood_id" not in frame:
        return frame
    return frame.assign(neighborhood_id=frame["neighborhood_id"].map(to))


def _summed(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.groupby(keys, as_index=False, sort=False)["weight"].sum()[
        [k for k in frame.columns if k in keys or k == "weight"]]
