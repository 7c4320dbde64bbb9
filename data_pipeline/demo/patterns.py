"""Census business statistics of the demo city: ZIP Business Patterns and Nonemployers.

Both are drawn from the demo registry so the three views tell one story: ZIP
establishment counts follow the storefront (not home-based) businesses active in each
ZIP, split by employment size class; the county's nonemployer count follows the
home-based and sole-proprietor businesses. As in the real ZIP Business Patterns, cells
of fewer than 3 establishments are not published from 2017 on.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ZIP_PREFIX = "990"
PATTERN_SECTORS = ["23", "44-45", "54", "72", "81"]
NONEMPLOYER_SECTORS = ["23", "44-45", "48-49", "53", "54", "81"]

# EMPSZES codes of the Census Business Patterns API and their labels.
SIZE_CLASSES = {"001": "All establishments",
                "212": "Establishments with 1 to 4 employees",
                "220": "Establishments with 5 to 9 employees",
                "230": "Establishments with 10 to 19 employees",
                "241": "Establishments with 20 to 49 employees"}
# Share of employer establishments in 1-4, 5-9, 10-19, 20-49 and 50+ employees.
SIZE_MIX = {"72": [0.38, 0.22, 0.20, 0.15, 0.05], "44-45": [0.50, 0.22, 0.14, 0.09, 0.05],
            "54": [0.68, 0.14, 0.09, 0.06, 0.03], "23": [0.62, 0.17, 0.11, 0.07, 0.03],
            "81": [0.66, 0.20, 0.09, 0.04, 0.01]}
OTHER_MIX = [0.55, 0.18, 0.12, 0.09, 0.06]
# Average nonemployer receipts per business, thousands of dollars (first year).
RECEIPTS_1000 = {"23": 68, "44-45": 42, "48-49": 38, "53": 85, "54": 48, "81": 24}
OTHER_RECEIPTS = 40
FIRST_SUPPRESSED_YEAR = 2017


def assign_zips(neighborhoods: pd.DataFrame) -> pd.Series:
    """ZIP of each neighborhood: an inner and an outer ring cut into wedges of three."""
    distance = np.hypot(neighborhoods["x_km"], neighborhoods["y_km"]).to_numpy()
    angle = np.arctan2(neighborhoods["y_km"], neighborhoods["x_km"]).to_numpy()
    inner = np.argsort(distance)[: len(neighborhoods) // 3]
    is_inner = np.isin(np.arange(len(neighborhoods)), inner)
    zips = np.empty(len(neighborhoods), dtype=object)
    number = 1
    for ring in (is_inner, ~is_inner):
        members = np.flatnonzero(ring)[np.argsort(angle[ring])]
        for chunk in np.array_split(members, max(len(members) // 3, 1)):
            zips[chunk] = f"{ZIP_PREFIX}{number:02d}"
            number += 1
    return pd.Series(zips, index=neighborhoods["neighborhood_id"].to_numpy(), name="zip")


def active_on_december_31(businesses: pd.DataFrame, year: int) -> np.ndarray:
    end = np.datetime64(f"{year}-12-31")
    closed = businesses["closed"].to_numpy()
    return (businesses["opened"].to_numpy() <= end) & (np.isnat(closed) | (closed > end))


def zip_weights(businesses: pd.DataFrame, zip_of: pd.Series) -> pd.DataFrame:
    """Share of each ZIP's registry businesses that lie in each neighborhood."""
    counts = (businesses.assign(zip=businesses["neighborhood_id"].map(zip_of))
              .groupby(["zip", "neighborhood_id"]).size().rename("n").reset_index())
    counts["weight"] = counts["n"] / counts.groupby("zip")["n"].transform("sum")
    counts["method"] = "business_share"
    return counts[["zip", "neighborhood_id", "weight", "method"]]


def business_patterns(businesses: pd.DataFrame, zip_of: pd.Series, years: np.ndarray,
                      rng: np.random.Generator) -> pd.DataFrame:
    """Employer establishments by ZIP, year, sector ('00' = all) and size class."""
    storefronts = businesses[~businesses["home_based"].to_numpy()]
    zips = storefronts["neighborhood_id"].map(zip_of).to_numpy()
    sector = storefronts["naics_sector"].fillna("99").to_numpy()
    frames = [_patterns_of_year(storefronts, zips, sector, year, rng) for year in years]
    out = pd.concat(frames, ignore_index=True)
    hidden = (out["year"] >= FIRST_SUPPRESSED_YEAR) & (out["establishments"] < 3)
    return out[~hidden].reset_index(drop=True)


def _patterns_of_year(storefronts: pd.DataFrame, zips: np.ndarray, sector: np.ndarray,
                      year: int, rng: np.random.Generator) -> pd.DataFrame:
    active = active_on_december_31(storefronts, year)
    counts = pd.crosstab(zips[active], sector[active])
    employers = np.round(counts.to_numpy() * 0.62 * rng.lognormal(0, 0.08, counts.shape))
    mix = np.array([SIZE_MIX.get(s, OTHER_MIX) for s in counts.columns])
    by_size = np.stack([rng.multinomial(employers[:, j].astype(int), mix[j])
                        for j in range(len(counts.columns))], axis=1)  # zip × sector × size
    rows = []
    for naics, cube in [("00", by_size.sum(axis=1))] + [
            (s, by_size[:, list(counts.columns).index(s)]) for s in PATTERN_SECTORS
            if s in counts.columns]:
        table = np.column_stack([cube.sum(axis=1), cube[:, :4]])
        for code, column in zip(SIZE_CLASSES, table.T):
            rows.append(pd.DataFrame({"geo_id": counts.index.to_numpy(), "naics": naics,
                                      "size_class": code, "establishments": column}))
    out = pd.concat(rows, ignore_index=True)
    out.insert(0, "geo_level", "zip")
    out.insert(2, "year", year)
    out["size_label"] = out["size_class"].map(SIZE_CLASSES)
    return out[["geo_level", "geo_id", "year", "naics", "size_class", "size_label",
                "establishments"]]


def nonemployers(businesses: pd.DataFrame, county_fips: str, years: np.ndarray,
                 rng: np.random.Generator) -> pd.DataFrame:
    """County nonemployer businesses and receipts: the city's micro stock, scaled up
    to the whole county, by year and sector ('00' = all sectors)."""
    micro = businesses[(businesses["home_based"] | businesses["sole_proprietor"]).to_numpy()]
    sector = micro["naics_sector"].fillna("99").to_numpy()
    codes = sorted(set(sector))
    rows = []
    for year in years:
        active = active_on_december_31(micro, year)
        count = pd.Series(sector[active]).value_counts().reindex(codes, fill_value=0)
        bump = {2020: 1.04, 2021: 1.08}.get(int(year), 1.0)
        firms = np.round(count.to_numpy() * 2.6 * bump * rng.lognormal(0, 0.04, len(codes)))
        per_firm = np.array([RECEIPTS_1000.get(c, OTHER_RECEIPTS) for c in codes])
        per_firm = per_firm * 1.025 ** (year - years[0]) * (0.94 if year == 2020 else 1.0)
        receipts = np.round(firms * per_firm * rng.lognormal(0, 0.05, len(codes)))
        rows.append((year, "00", firms.sum(), receipts.sum()))
        rows += [(year, c, f, r) for c, f, r in zip(codes, firms, receipts)
                 if c in NONEMPLOYER_SECTORS]
    out = pd.DataFrame(rows, columns=["year", "naics", "establishments", "receipts_1000"])
    out.insert(0, "county_fips", county_fips)
    out["year"] = out["year"].astype(int)
    out["establishments"] = out["establishments"].astype(int)
    return out
