"""The demo city's businesses as they really are (before a registry records them).

Openings are drawn per neighborhood and year from its role (level, trend, the 2020
dip), closures from a yearly risk that depends on the sector, the business's age, the
year and the neighborhood. Each business then gets a sector, a home-based flag, an
owner type, a license, a fictional name and address, and a point inside its tract.
`licenses` turns this into the messy license-term rows a city portal would serve.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import roles
from . import words

SIMULATION_START = 2005   # businesses opened earlier than the first year form its stock
DAY = np.timedelta64(1, "D")


def simulate_businesses(neighborhoods: gpd.GeoDataFrame, tracts: gpd.GeoDataFrame,
                        first_year: int, last_year: int,
                        rng: np.random.Generator) -> pd.DataFrame:
    """One row per business location active at some point from `first_year` on."""
    years = np.arange(SIMULATION_START, last_year + 1)
    hood, year = _openings(neighborhoods, years, first_year, rng)
    role = neighborhoods["role"].to_numpy()[hood]
    out = pd.DataFrame({"neighborhood_id": neighborhoods["neighborhood_id"].to_numpy()[hood],
                        "role": role})
    out["opened"] = _day_in_year(year, rng)
    out["sector"] = _sectors(role, rng)
    home_share = np.array([roles.SECTOR_HOME.get(s, roles.DEFAULT_HOME)
                           for s in out["sector"]])
    home_share *= np.array([roles.ROLES[r].home_factor for r in role])
    out["home_based"] = rng.random(len(out)) < np.clip(home_share, 0, 0.95)
    out["closed"] = _closures(out, years, rng)
    alive = out["closed"].isna() | (out["closed"] >= np.datetime64(f"{first_year}-01-01"))
    out = out[alive.to_numpy()].sort_values("opened", kind="stable").reset_index(drop=True)
    out.insert(0, "business_key", [f"demo-{i + 1:06d}" for i in range(len(out))])
    _describe(out, rng)
    _place(out, tracts, rng)
    return out.drop(columns=["role"])


def _openings(neighborhoods: gpd.GeoDataFrame, years: np.ndarray, first_year: int,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Neighborhood index and year of every opening (Poisson counts per cell)."""
    area = neighborhoods["area_km2"].to_numpy()
    cast = [roles.ROLES[r] for r in neighborhoods["role"]]
    level = np.array([c.openings_per_km2 for c in cast]) * area * rng.lognormal(0, 0.15, len(cast))
    trend = np.array([c.trend for c in cast]) * rng.normal(1, 0.006, len(cast))
    effect = np.ones((len(cast), len(years)))
    for j, y in enumerate(years):
        effect[:, j] = [c.dip_2020 if y == 2020 else roles.OPENING_YEAR_EFFECT.get(y, 1.0)
                        for c in cast]
    expected = level[:, None] * trend[:, None] ** (years - first_year)[None, :] * effect
    counts = rng.poisson(expected)
    growing = np.flatnonzero(neighborhoods["role"].to_numpy() == "growing")
    # The story: up every year (sorted draws, plus one more each year so no year ties).
    counts[growing] = np.sort(counts[growing], axis=1) + np.arange(len(years))
    hood = np.repeat(np.repeat(np.arange(len(cast)), len(years)), counts.ravel())
    year = np.repeat(np.tile(years, len(cast)), counts.ravel())
    return hood, year


def _day_in_year(year: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    start = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    length = ((year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - start) // DAY
    return start + np.floor(rng.random(len(year)) * length).astype("int64") * DAY


def _sectors(role: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    sector = np.empty(len(role), dtype=object)
    for name, cast in roles.ROLES.items():
        mask = role == name
        codes = np.array(list(cast.sectors), dtype=object)
        weights = np.array(list(cast.sectors.values()))
        sector[mask] = rng.choice(codes, size=int(mask.sum()), p=weights / weights.sum())
    return sector


def _closures(out: pd.DataFrame, years: np.ndarray, rng: np.random.Generator) -> pd.Series:
    """Closing date of each business (NaT while open): first year a risk draw hits."""
    opened = out["opened"].to_numpy()
    open_year = opened.astype("datetime64[Y]").astype(int) + 1970
    age = years[None, :] - open_year[:, None]
    base = np.array([roles.SECTOR_HAZARD.get(s, roles.DEFAULT_HAZARD) for s in out["sector"]])
    base *= np.array([roles.ROLES[r].hazard for r in out["role"]])
    base *= np.where(out["home_based"], 0.85, 1.0)
    by_age = np.select([age == 1, age == 2, age >= 5], [1.35, 1.2, 0.75], 1.0)
    by_year = np.array([roles.CLOSING_YEAR_EFFECT.get(y, 1.0) for y in years])
    year_end = (open_year - 1969).astype("datetime64[Y]").astype("datetime64[D]") - DAY
    days_left = (year_end - opened) // DAY
    risk = base[:, None] * by_age * by_year[None, :]
    risk[age == 0] = (risk * (days_left / 365.0)[:, None])[age == 0]
    hits = (rng.random(risk.shape) < risk) & (age >= 0)
    closes = hits.any(axis=1)
    close_year = years[hits.argmax(axis=1)]
    in_year = _day_in_year(close_year, rng)
    same_year = close_year == open_year
    after_open = opened + (1 + np.floor(rng.random(len(opened)) * days_left)).astype("int64") * DAY
    closed = np.where(same_year, after_open, in_year)
    return pd.Series(np.where(closes, closed, np.datetime64("NaT")), index=out.index)


def _describe(out: pd.DataFrame, rng: np.random.Generator) -> None:
    """License description, license type, owner type, name and street address."""
    n = len(out)
    sector = out["sector"].to_numpy()
    home = out["home_based"].to_numpy()
    description = _descriptions(sector, home, rng)
    sole = rng.random(n) < np.where(home, 0.55, 0.15)
    ownership = np.where(sole, "Sole proprietor",
                         rng.choice(["LLC", "Corporation", "Partnership"], n, p=[0.6, 0.3, 0.1]))
    limited = (~home & (rng.random(n) < np.where(sole, 0.4, 0.1))
               & ~np.isin(sector, ["72", "62"]))   # small premises, limited license
    license_type = np.array([words.LICENSE_BY_SECTOR.get(s, words.GENERAL_LICENSE)
                             for s in sector], dtype=object)
    license_type[limited] = words.LIMITED_LICENSE
    license_type[home] = np.where(description[home] == words.CHILD_CARE_HOME,
                                  "Family child care home", "Home occupation")
    out["description"] = description
    out["license_type"] = license_type
    out["ownership"] = ownership
    out["name"] = _names(sector, ownership, rng)
    numbers = rng.integers(1, 120, n) * 20 + rng.integers(0, 20, n)
    streets = rng.choice(np.array(words.STREETS, dtype=object), n)
    out["address"] = [f"{num} {street}" for num, street in zip(numbers.tolist(), streets)]


def _descriptions(sector: np.ndarray, home: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The registry's license text: storefront texts, home texts where they differ."""
    home_texts = {t for texts in words.HOME_DESCRIPTIONS.values() for t in texts}
    by_sector: dict[str, list[str]] = {}
    for text, code in words.RAW_CATEGORIES.items():
        if text not in home_texts:
            by_sector.setdefault(code, []).append(text)
    description = np.empty(len(sector), dtype=object)
    for code, texts in by_sector.items():
        for at_home in (False, True):
            mask = (sector == code) & (home == at_home)
            options = words.HOME_DESCRIPTIONS.get(code, texts) if at_home else texts
            description[mask] = rng.choice(np.array(options, dtype=object), int(mask.sum()))
    unmapped = rng.random(len(sector)) < 0.006
    description[unmapped] = rng.choice(np.array(words.UNMAPPED_DESCRIPTIONS, dtype=object),
                                       int(unmapped.sum()))
    return description


def _names(sector: np.ndarray, ownership: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'Copper Kitchen LLC'; None for a sole proprietor trading under their own name."""
    n = len(sector)
    start = rng.choice(np.array(words.NAME_STARTS, dtype=object), n)
    end = np.empty(n, dtype=object)
    for code in np.unique(sector):
        mask = sector == code
        options = words.NAME_ENDS.get(code, words.GENERIC_ENDS)
        end[mask] = rng.choice(np.array(options, dtype=object), int(mask.sum()))
    suffix = np.select([ownership == "LLC", ownership == "Corporation"], [" LLC", " Inc."], "")
    names = pd.Series(start) + " " + pd.Series(end) + pd.Series(suffix)
    own_name = (ownership == "Sole proprietor") & (rng.random(n) < 0.5)
    return np.where(own_name, None, names.to_numpy(dtype=object))


def _place(out: pd.DataFrame, tracts: gpd.GeoDataFrame, rng: np.random.Generator) -> None:
    """Pick a tract (homes follow residents, storefronts follow commerce), then a point."""
    tract_of = np.empty(len(out), dtype=object)
    for hood, rows in out.groupby("neighborhood_id").indices.items():
        local = tracts[tracts["neighborhood_id"] == hood]
        home = out["home_based"].to_numpy()[rows]
        for mask, weight in ((home, local["population"]), (~home, local["commerce"])):
            p = weight.to_numpy(dtype=float) / weight.sum()
            tract_of[rows[mask]] = rng.choice(local["geoid"].to_numpy(), int(mask.sum()), p=p)
    out["tract_geoid"] = tract_of
    lon = np.empty(len(out))
    lat = np.empty(len(out))
    shapes = tracts.set_index("geoid").geometry
    for geoid, rows in out.groupby("tract_geoid").indices.items():
        lon[rows], lat[rows] = points_inside(shapes[geoid], len(rows), rng)
    out["longitude"], out["latitude"] = lon, lat


def points_inside(polygon: shapely.Geometry, count: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`count` uniform random points strictly inside `polygon` (vectorized rejection)."""
    shapely.prepare(polygon)
    minx, miny, maxx, maxy = polygon.bounds
    xs, ys = [], []
    found = 0
    while found < count:
        draw = 2 * (count - found) + 16
        x, y = rng.uniform(minx, maxx, draw), rng.uniform(miny, maxy, draw)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        found += int(inside.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]
