"""Neighborhood assignment alone: 1,000,000 points into 200 and into 2,000 polygons.

    .venv/bin/python -m benchmarks.bench_assign [--points 1000000] [--areas 200 2000]

`data_pipeline.geo.assign_points` (from 300,000 points a grid of cells answers the points away
from every edge; the rest are tested exactly, each prepared polygon against the points in its
bounding box) against two naive ways: `geopandas.sjoin` with the points frame and its spatial
index rebuilt on every call (nothing kept between calls), held to issue 14's target of at
least twice its speed, and a per-point loop testing `contains` against every polygon in turn,
timed on a subsample and extrapolated linearly. Both must give the same polygon for every
point, polygon vertices included (each on an edge, most on an edge two polygons share).
"""
from __future__ import annotations

import argparse
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_pipeline.geo import WGS84, assign_points

from . import synthetic
from .measure import Figure, Section, Target, seconds

LOOP_SAMPLE = 2_000
TARGET = Target(2.0, "≥ 2× sjoin", on_ratio=True)


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


def differences(lat: np.ndarray, lon: np.ndarray,
                shapes: gpd.GeoDataFrame) -> tuple[int, int]:
    """How many points, every polygon vertex added to them, `assign_points` and `sjoin_ids`
    put in different polygons (a vertex is on an edge, most on a shared edge, where the
    first polygon must win); and the number of vertices added."""
    corners = shapely.get_coordinates(shapes.geometry.to_numpy())
    lat, lon = np.concatenate([lat, corners[:, 1]]), np.concatenate([lon, corners[:, 0]])
    share = agreement(assign_points(lat, lon, shapes, "neighborhood_id"),
                      sjoin_ids(lat, lon, shapes))
    return round((1 - share) * len(lat)), len(corners)


def agreement_note(differing: int, count: int, vertices: int) -> str:
    checked = f"the {count:,} points and the polygons' {vertices:,} vertices"
    if differing:
        return f"a different polygon from sjoin for {differing:,} of {checked}"
    return f"the same polygon as sjoin for every one of {checked}"


def misses(figure: Figure, differing: int) -> list[str]:
    """What RESULTS.md must say when the figure misses its target or sjoin disagrees."""
    found = []
    if figure.met is False:
        found.append(f"{figure.name}: ×{figure.ratio:.1f} the speed of geopandas.sjoin, "
                     f"against {TARGET.text} ({figure.median:.2f} s against {figure.naive:.2f} s).")
    if differing:
        found.append(f"{figure.name}: a different polygon from sjoin for {differing:,} points.")
    return found


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
        differing, vertices = differences(lat, lon, shapes)
        sample = min(loop_sample, count)
        loop = seconds(lambda: loop_ids(lat[:sample], lon[:sample], shapes)) * count / sample
        name = f"{count:,} points into {areas:,} polygons"
        figure = Figure(f"{name}: assign_points", "s", ours, naive=sorted(naive)[len(naive) // 2],
                        naive_note=f"geopandas.sjoin rebuilt every call (median of {repeat})",
                        target=TARGET, note=agreement_note(differing, count, vertices))
        section.misses += misses(figure, differing)
        section.figures += [
            figure,
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
        runs = ", ".join(f"{run:.2f}" for run in figure.runs)
        target = f"{figure.target.text}: {'met' if figure.met else 'MISSED'}" if figure.target else ""
        print(f"{figure.name:<68} {figure.median:6.2f} s ({runs})  naive {figure.naive:7.2f} s  "
              f"×{figure.ratio:.1f}  {target}  {figure.note}")
    for miss in section.misses:
        print(miss)
    print("load averages (1, 5, 15 min): " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
