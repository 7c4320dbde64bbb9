"""Geography of the demo city: an irregular outline, neighborhoods and nested tracts.

Everything is built from ~3,500 small Voronoi cells ("blocks", like census blocks): a
tract is a union of blocks and a neighborhood a union of whole tracts, so every tract
lies exactly inside one neighborhood and the edges wobble the way block-built
boundaries do. Cells are drawn in kilometres around the city centre, warped by a smooth
random field so the neighborhoods are not plain Voronoi polygons, and converted to
longitude/latitude before any union so that shared edges stay exactly shared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo import WGS84, area_km2

CENTER_LON, CENTER_LAT = -95.5, 41.0          # open farmland in the real world: nothing here
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTER_LAT))
CITY_RADIUS_KM = 6.3
BLOCK_SPACING_KM = 0.19
NEIGHBORHOOD_COUNT = 36
BLOCKS_PER_TRACT = 20
STATE_FIPS, COUNTY_FIPS = "00", "001"


@dataclass
class Geography:
    """Neighborhoods and tracts in EPSG:4326, plus the city outline."""

    neighborhoods: gpd.GeoDataFrame   # neighborhood_id, name, role, geometry (+ x_km, y_km)
    tracts: gpd.GeoDataFrame          # geoid, name, neighborhood_id, geometry
    outline: shapely.Geometry         # the city boundary (union of the neighborhoods)


def build_geography(rng: np.random.Generator, role_names: dict[str, str],
                    other_names: list[str]) -> Geography:
    """Draw the city: blocks → neighborhoods → tracts, then name and place everything."""
    points, cells, inside = _blocks(rng)
    warped = _warp(points, rng)
    graph = _block_edges(points)
    keep = _largest_component(inside, graph)
    hood = _nearest_seed_labels(warped, keep, NEIGHBORHOOD_COUNT, rng, power=0.6)
    hood = _merge_fragments(hood, graph)
    tract = _split_into_tracts(warped, hood, rng)
    tract = _merge_fragments(tract, graph, parent=hood)
    cells = shapely.transform(cells, _km_to_lonlat)
    neighborhoods = _neighborhood_frame(cells, hood)
    tracts = _tract_frame(cells, tract, hood, neighborhoods)
    outline = shapely.union_all(neighborhoods.geometry.to_numpy())
    neighborhoods["area_km2"] = area_km2(neighborhoods.geometry)
    tracts["area_km2"] = area_km2(tracts.geometry)
    neighborhoods["role"] = _roles(neighborhoods, outline, rng)
    neighborhoods["name"] = _names(neighborhoods["role"], role_names, other_names, rng)
    return Geography(neighborhoods, tracts, outline)


def _km_to_lonlat(xy: np.ndarray) -> np.ndarray:
    return np.column_stack([CENTER_LON + xy[:, 0] / KM_PER_DEG_LON,
                            CENTER_LAT + xy[:, 1] / KM_PER_DEG_LAT])


def _outline_km(rng: np.random.Generator) -> shapely.Polygon:
    """A lumpy, star-shaped city limit: a circle with a few random harmonics."""
    theta = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    radius = np.ones_like(theta)
    for harmonic, amplitude in zip(range(2, 7), (0.10, 0.08, 0.06, 0.04, 0.03)):
        radius += amplitude * rng.uniform(0.5, 1.0) * np.cos(harmonic * theta
                                                             + rng.uniform(0, 2 * np.pi))
    radius *= CITY_RADIUS_KM
    return shapely.Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))


def _blocks(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jittered-grid seeds, their Voronoi cells (km) and which seeds lie inside the outline."""
    half = CITY_RADIUS_KM * 1.45
    ticks = np.arange(-half, half + 1e-9, BLOCK_SPACING_KM)
    gx, gy = np.meshgrid(ticks, ticks)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    grid += rng.uniform(-0.42, 0.42, grid.shape) * BLOCK_SPACING_KM
    inside = shapely.contains_xy(_outline_km(rng), grid[:, 0], grid[:, 1])
    envelope = shapely.box(-half - 1, -half - 1, half + 1, half + 1)
    diagram = shapely.voronoi_polygons(shapely.multipoints(grid), extend_to=envelope,
                                       ordered=True)
    cells = shapely.get_parts(diagram)
    return grid, cells, inside


def _warp(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bend space with three smooth waves so straight Voronoi edges come out curved."""
    out = points.copy()
    for axis in (0, 1):
        for _ in range(3):
            wavelength = rng.uniform(3.0, 6.0)
            angle = rng.uniform(0, np.pi)
            k = 2 * np.pi / wavelength * np.array([np.cos(angle), np.sin(angle)])
            out[:, axis] += 0.22 * np.sin(points @ k + rng.uniform(0, 2 * np.pi))
    return out


def _block_edges(points: np.ndarray) -> np.ndarray:
    """Pairs of blocks sharing an edge (Delaunay neighbours of their seeds), both ways."""
    index = {(x, y): i for i, (x, y) in enumerate(points.tolist())}
    edges = shapely.delaunay_triangles(shapely.multipoints(points), only_edges=True)
    coords = shapely.get_coordinates(shapely.get_parts(edges)).reshape(-1, 2, 2)
    pairs = np.array([(index[tuple(a)], index[tuple(b)]) for a, b in coords.tolist()])
    return np.concatenate([pairs, pairs[:, ::-1]])


def _components(labels: np.ndarray, graph: np.ndarray) -> np.ndarray:
    """Connected-component id of each block, moving only along edges within one label."""
    same = graph[labels[graph[:, 0]] == labels[graph[:, 1]]]
    same = same[labels[same[:, 0]] >= 0]
    comp = np.arange(len(labels))
    while True:
        low = np.minimum(comp[same[:, 0]], comp[same[:, 1]])
        before = comp.copy()
        np.minimum.at(comp, same[:, 0], low)
        np.minimum.at(comp, same[:, 1], low)
        comp = comp[comp]
        if np.array_equal(comp, before):
            return comp


def _largest_component(inside: np.ndarray, graph: np.ndarray) -> np.ndarray:
    """Mask of the blocks in the city's main body (drops blocks touching it at a corner)."""
    comp = _components(np.where(inside, 0, -1), graph)
    return inside & (comp == np.bincount(comp[inside]).argmax())


def _nearest_seed_labels(warped: np.ndarray, keep: np.ndarray, count: int,
                         rng: np.random.Generator, power: float) -> np.ndarray:
    """Label kept blocks by the nearest of `count` spread-out seeds (a power diagram)."""
    candidates = np.flatnonzero(keep)
    seeds = _spread_seeds(warped[candidates], count, rng, from_centre=True)
    centres = warped[candidates][seeds]
    weights = rng.uniform(0, power, count)
    dist = ((warped[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2) - weights
    labels = dist.argmin(axis=1)
    labels[~keep] = -1
    return labels


def _spread_seeds(points: np.ndarray, count: int, rng: np.random.Generator,
                  from_centre: bool = False) -> np.ndarray:
    """Farthest-point sampling over a random half of the points: spread out, not regular.
    The first seed is the point nearest the centre (the future corridor) or a random one."""
    pool = rng.permutation(len(points))[: max(count, len(points) // 2)]
    first = pool[np.argmin((points[pool] ** 2).sum(axis=1))] if from_centre else pool[0]
    chosen = [first]
    nearest = ((points[pool] - points[first]) ** 2).sum(axis=1)
    for _ in range(count - 1):
        pick = pool[int(nearest.argmax())]
        chosen.append(pick)
        nearest = np.minimum(nearest, ((points[pool] - points[pick]) ** 2).sum(axis=1))
    return np.array(chosen)


def _split_into_tracts(warped: np.ndarray, hood: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """Cut each neighborhood into 4-8 compact tracts (a few k-means steps on its blocks)."""
    tract = np.full(len(hood), -1)
    next_label = 0
    for label in range(hood.max() + 1):
        members = np.flatnonzero(hood == label)
        k = int(np.clip(round(len(members) / BLOCKS_PER_TRACT), 4, 8))
        pts = warped[members]
        centres = pts[_spread_seeds(pts, k, rng)]
        for _ in range(4):
            nearest = ((pts[:, None, :] - centres[None]) ** 2).sum(axis=2).argmin(axis=1)
            centres = np.array([pts[nearest == j].mean(axis=0) if (nearest == j).any()
                                else centres[j] for j in range(k)])
        tract[members] = next_label + nearest
        next_label += k
    return tract


def _merge_fragments(labels: np.ndarray, graph: np.ndarray,
                     parent: np.ndarray | None = None) -> np.ndarray:
    """Give each detached piece of a region to the neighbouring region it touches most."""
    labels = labels.copy()
    group = parent if parent is not None else np.zeros(len(labels), dtype=int)
    for _ in range(10):
        comp = _components(labels, graph)
        sizes = pd.Series(np.bincount(comp, minlength=len(labels))[comp])
        main = comp[sizes.groupby(labels).transform("idxmax").to_numpy()]
        stray = (labels >= 0) & (comp != main)
        if not stray.any():
            return labels
        a, b = graph[:, 0], graph[:, 1]
        touch = stray[a] & (labels[b] != labels[a]) & (labels[b] >= 0) & (group[a] == group[b])
        votes = pd.DataFrame({"comp": comp[a[touch]], "to": labels[b[touch]]})
        winner = votes.groupby("comp")["to"].agg(lambda s: s.value_counts().index[0])
        moved = stray & np.isin(comp, winner.index)
        labels[moved] = winner.reindex(comp[moved]).to_numpy()
    return labels


def _sort_order(points: gpd.GeoSeries) -> np.ndarray:
    """North-to-south bands, west to east within a band: stable, readable ids."""
    centre = points.representative_point()
    band = np.floor((centre.y.max() - centre.y.to_numpy()) * KM_PER_DEG_LAT / 2.2)
    return np.lexsort((centre.x.to_numpy(), band))


def _neighborhood_frame(cells: np.ndarray, hood: np.ndarray) -> gpd.GeoDataFrame:
    labels = np.arange(hood.max() + 1)
    shapes = [shapely.union_all(cells[hood == label]) for label in labels]
    frame = gpd.GeoDataFrame({"label": labels}, geometry=shapes, crs=WGS84)
    frame = frame.iloc[_sort_order(frame.geometry)].reset_index(drop=True)
    frame.insert(0, "neighborhood_id", [f"N{i + 1:02d}" for i in range(len(frame))])
    centre = frame.geometry.representative_point()
    frame["x_km"] = (centre.x.to_numpy() - CENTER_LON) * KM_PER_DEG_LON
    frame["y_km"] = (centre.y.to_numpy() - CENTER_LAT) * KM_PER_DEG_LAT
    return frame


def _tract_frame(cells: np.ndarray, tract: np.ndarray, hood: np.ndarray,
                 neighborhoods: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Tracts numbered within their neighborhood: N07's tracts are 0701, 0702, …"""
    position = dict(zip(neighborhoods["label"], range(len(neighborhoods))))
    rows = []
    for label in np.unique(tract[tract >= 0]):
        members = tract == label
        rows.append((position[hood[members][0]], shapely.union_all(cells[members])))
    frame = gpd.GeoDataFrame({"hood": [r[0] for r in rows]},
                             geometry=[r[1] for r in rows], crs=WGS84)
    pieces = []
    for hood_position, group in frame.groupby("hood", sort=True):
        group = group.iloc[_sort_order(group.geometry)].copy()
        number = (hood_position + 1) * 100 + np.arange(1, len(group) + 1)
        group["geoid"] = [f"{STATE_FIPS}{COUNTY_FIPS}{n:04d}00" for n in number]
        group["name"] = [f"Census Tract {n}" for n in number]
        group["neighborhood_id"] = neighborhoods["neighborhood_id"].iloc[hood_position]
        pieces.append(group)
    out = pd.concat(pieces, ignore_index=True)
    return gpd.GeoDataFrame(out[["geoid", "name", "neighborhood_id", "geometry"]],
                            geometry="geometry", crs=WGS84)


def _roles(neighborhoods: gpd.GeoDataFrame, outline, rng: np.random.Generator) -> list[str]:
    """The story: one central corridor, an inner ring, residential middle, edges, and
    one industrial, one declining and one growing neighborhood."""
    distance = np.hypot(neighborhoods["x_km"], neighborhoods["y_km"]).to_numpy()
    on_edge = shapely.length(shapely.intersection(
        neighborhoods.geometry.boundary.to_numpy(), outline.boundary)) > 0
    order = np.argsort(distance)
    roles = np.where(on_edge, "edge", "residential").astype(object)
    roles[order[1:8]] = "mixed"
    roles[order[0]] = "corridor"
    inner = rng.permutation(order[1:8])
    roles[inner[0]], roles[inner[1]] = "industrial", "declining"
    edges = np.flatnonzero(roles == "edge")
    area = neighborhoods["area_km2"].to_numpy()[edges]
    roles[rng.choice(edges[area >= np.median(area)])] = "growing"   # room to grow
    return list(roles)


def _names(roles: pd.Series, role_names: dict[str, str], other_names: list[str],
           rng: np.random.Generator) -> list[str]:
    pool = iter(rng.permutation(np.array(other_names, dtype=object)))
    return [role_names[role] if role in role_names else next(pool) for role in roles]
