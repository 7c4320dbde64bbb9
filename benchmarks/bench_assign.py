"""Neighborhood assignment alone: 1,000,000 points into 200 and into 2,000 polygons.

    .venv/bin/python -m benchmarks.bench_assign [--points 1000000] [--areas 200 2000]

`data_pipeline.geo.assign_points` (each prepared polygon tests the points in its bounding box) against
two naive ways: `geopandas.sjoin` with the points frame and its spatial index rebuilt on
every call (nothing kept between calls), and a per-point loop testing `contains` against
every polygon in turn, timed on a subsample and extrapolated linearly.
"""
from __future__ import annotations

import argparse

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_pipeline.geo import WGS84, assign_points

from . import synthetic
from .measure import Figure, Section, seconds

LOOP_SAMPLE = 2_000


def polygons(areas: int) -> gpd.GeoDataFrame:
    shapes = synthetic.neighborhood_shapes(areas)
    ids = [str(i + 1) for i in range(len(shapes))]
    return gpd.GeoDataFrame({"neighborhood_id": ids}, geometry=shapes, crs=WGS84)


def points(count: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Business-like points over the city box (some clustered, a few outside)."""
    return synthetic.business_points(count, np.random.default_rng(seed))


def sjoin_ids(lat: np.ndarray, lon: np.ndarray, shapes: gpd.GeoDataFrame) -> np.ndarray:
    """The naive join: a fresh points frame and a fresh index on every call. A point on a
    shared edge goes to the first polygon of the frame, the rule `assign_points` follows,
    so the two must agree on every point."""
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=WGS84)
    joined = gpd.sjoin(frame, shapes, how="left", predicate="intersects")
    joined = joined.sort_values("index_right", kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    return joined["neighborhood_id"].to_numpy(dtype=object)


def loop_ids(lat: np.ndarray, lon: np.ndarray, shapes: gpd.GeoDataFrame) -> list:
    """Each point against each polygon in turn, no index."""
    pairs = list(zip(shapes["neighborhood_id"], shapes.geometry))
    found = []
    for y, x in zip(lat, lon):
        point = shapely.Point(x, y)
        found.append(next((area for area, polygon in pairs if polygon.contains(point)), None))
    return found


def agreement(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Share of points both methods put in the same polygon (or both in none)."""
    same = (ours == theirs) | (pd.isna(ours) & pd.isna(theirs))
    return float(np.mean(same))


def measure(count: int = 1_000_000, areas_list: tuple[int, ...] = (200, 2000), repeat: int = 3,
            loop_sample: int = LOOP_SAMPLE) -> Section:
    section = Section("Neighborhood assignment", (
        f"{count:,} points (half spread over the city, half in clusters, 0.5% outside) into "
        "synthetic neighborhoods of about 120 vertices each, in this process; seconds."))
    lat, lon = points(count)
    for areas in areas_list:
        shapes = polygons(areas)
        ours = [seconds(lambda: assign_points(lat, lon, shapes, "neighborhood_id"))
                for _ in range(repeat)]
        naive = [seconds(lambda: sjoin_ids(lat, lon, shapes)) for _ in range(repeat)]
        share = agreement(assign_points(lat, lon, shapes, "neighborhood_id"),
                          sjoin_ids(lat, lon, shapes))
        sample = min(loop_sample, count)
        loop = seconds(lambda: loop_ids(lat[:sample], lon[:sample], shapes)) * count / sample
        name = f"{count:,} points into {areas:,} polygons"
        section.figures += [
            Figure(f"{name}: assign_points", "s", ours, naive=sorted(naive)[len(naive) // 2],
                   naive_note=f"geopandas.sjoin rebuilt every call (median of {repeat})",
                   note=f"same polygon as sjoin for {share:.3%} of points"),
            Figure(f"{name}: assign_points (against a loop)", "s", ours, naive=loop,
                   naive_note=f"per-point loop over all polygons, timed on {sample:,} points, "
                   "extrapolated linearly")]
    return section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    section = measure(args.points, tuple(args.areas), args.repeat)
    for figure in section.figures:
        print(f"{figure.name:<60} {figure.median:8.2f} s   naive {figure.naive:8.2f} s   "
              f"×{figure.ratio:.1f}  {figure.note}")


if __name__ == "__main__":
    main()
