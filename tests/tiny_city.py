"""A tiny hand-made city, small enough to compute every metric by hand.

    from tests.tiny_city import tiny_city
    load.write_database(tiny_city(), tmp_path / "tiny.duckdb")

Three neighborhoods side by side (N1, N2, N3, west to east), two census tracts (T1 under
N1 and the west part of N2, T2 under the rest), 24 businesses, years 2020–2023 (or from
`first_year`), LODES-like jobs for 2021–2022 and ZIP Business Patterns for 2022. The
businesses are listed in BUSINESSES so a test can read them as a table; tests/test_metrics.py
works out every metric from it by hand.

Every micro-business is one by exactly one of the profile's rules (MICRO_RULE: home-based,
sole proprietor or limited), and `registry_csv()` with `PROFILE` is the same registry as a
city would publish it, for the transform to mark (tests/test_transform.py). The Business
Patterns hold a row on each side of the micro class's boundaries: 'fewer than 5 employees'
(210, which overlaps 1 to 4) and '5 to 9' (220) beside '1 to 4' (212), and a county row.
"""
from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from data_pipeline import canonical as c
from core.categories import UNKNOWN_CATEGORY

RETAIL, FOOD, PRO, PERSONAL = ("Retail shops", "Restaurants, food & lodging",
                               "Professional services", "Personal services & repair")
SECTOR = {RETAIL: "44-45", FOOD: "72", PRO: "54", PERSONAL: "81", UNKNOWN_CATEGORY: None}
T1, T2 = "99001000100", "99001000200"
STEP = 0.01  # degrees per neighborhood, east-west

# id, neighborhood, tract, category, micro, opened, closed
BUSINESSES = [
    ("b01", "N1", T1, RETAIL, True, "2018-03-01", None),
    ("b02", "N1", T1, RETAIL, False, "2019-06-15", "2021-02-01"),
    ("b03", "N1", T1, FOOD, True, "2020-01-10", None),
    ("b04", "N1", T1, FOOD, False, "2020-05-05", "2020-11-30"),
    ("b05", "N1", T1, PRO, True, "2021-07-01", None),
    ("b06", "N1", T1, PRO, True, "2022-02-02", "2023-12-31"),   # closed on 31 Dec 2023
    ("b07", "N1", T1, PERSONAL, False, "2023-04-04", None),
    ("b08", "N1", T1, RETAIL, True, "2021-12-31", None),        # opened on 31 Dec 2021
    ("b09", "N2", T1, RETAIL, True, "2015-01-01", None),
    ("b10", "N2", T1, FOOD, True, "2019-09-09", "2020-03-03"),
    ("b11", "N2", T2, FOOD, False, "2020-02-20", None),
    ("b12", "N2", T2, PERSONAL, True, "2020-08-08", "2022-06-06"),
    ("b13", "N2", T2, PERSONAL, True, "2021-01-01", None),
    ("b14", "N2", T2, UNKNOWN_CATEGORY, False, "2022-10-10", None),
    ("b15", "N2", T1, PRO, True, "2022-01-15", "2022-09-09"),
    ("b16", "N2", T2, RETAIL, False, "2023-03-03", None),
    ("b17", "N3", T2, FOOD, True, "2017-07-07", None),
    ("b18", "N3", T2, FOOD, True, "2020-06-06", "2021-06-06"),
    ("b19", "N3", T2, PRO, False, "2021-03-03", None),
    ("b20", "N3", T2, RETAIL, True, "2023-05-05", None),
    ("b21", "N3", T2, PERSONAL, True, "2022-11-11", "2021-05-01"),  # closed before opening
    ("b22", "N3", None, RETAIL, True, "2021-04-04", None),       # no tract
    ("b23", "N2", T1, RETAIL, True, "2018-05-05", "2022-02-02"),
    ("b24", "N3", T2, PERSONAL, True, "2018-08-08", "2019-03-03"),
]

# Which rule of PROFILE makes each micro-business one (all others match none).
HOME, SOLE, LIMITED = "home_based", "sole_proprietor", "limited"
MICRO_RULE = {"b01": HOME, "b03": SOLE, "b05": LIMITED, "b06": HOME, "b08": LIMITED,
              "b09": SOLE, "b10": HOME, "b12": LIMITED, "b13": HOME, "b15": SOLE, "b17": HOME,
              "b18": LIMITED, "b20": SOLE, "b21": HOME, "b22": LIMITED, "b23": HOME, "b24": SOLE}

# Tract residents (ACS) and the weights that split them (block-population method).
TRACTS = {T1: (150.0, 40.0), T2: (2000.0, 300.0)}            # population, MOE
WEIGHTS = [(T1, "N1", 0.6), (T1, "N2", 0.4), (T2, "N2", 0.25), (T2, "N3", 0.75)]

# Workplace jobs: block, tract, neighborhood (None: known by tract only), year,
# total, private, small firms, young firms.
JOBS = [
    ("990010001001001", T1, "N1", 2021, 40, 30, 12, 5),
    ("990010001001002", T1, "N2", 2021, 20, 20, 8, 4),
    ("990010002001001", T2, None, 2021, 100, 80, 20, 8),
    ("990010001001001", T1, "N1", 2022, 44, 32, 14, 6),
    ("990010001001002", T1, "N2", 2022, 18, 18, 9, 3),
    ("990010002001001", T2, None, 2022, 120, 100, 24, 12),
]

# ZIP Business Patterns 2022 and the ZIP weights.
PATTERNS = [  # zip, naics, size class, establishments
    ("99901", "00", "212", 10), ("99902", "00", "212", 25),   # 1 to 4 employees: micro
    ("99901", "00", "001", 40), ("99902", "72", "212", 7),   # other rows the marts skip:
    ("99901", "00", "210", 13), ("99902", "00", "210", 29),  # fewer than 5 (holds 1 to 4)
    ("99901", "00", "220", 6), ("99902", "00", "220", 11),   # 5 to 9 employees
]
# A county row: county codes and ZIP codes are both five digits, so only its level tells
# them apart.
COUNTY_PATTERNS = [("99901", "00", "212", 500)]
ZIP_WEIGHTS = [("99901", "N1", 0.5), ("99901", "N2", 0.5), ("99902", "N2", 0.2),
               ("99902", "N3", 0.8)]

# Licence applications with both dates (license_processing; tests/test_processing.py works
# the figures out): business, neighborhood, category, applied, issued.
PROCESSING = [
    ("b03", "N1", FOOD, "2019-12-01", "2020-01-10"),    # 40 days
    ("b11", "N2", FOOD, "2020-02-01", "2020-02-20"),    # 19 days
    ("b18", "N3", FOOD, "2020-05-01", "2020-06-06"),    # 36 days
    ("b19", "N3", PRO, "2021-03-01", "2021-03-03"),     # 2 days
]


def tiny_city(first_year: int = 2020, last_year: int = 2023) -> c.CityData:
    """The tiny city as a `CityData`, ready for `load.write_database`."""
    return c.CityData(
        city_name="Tiny Town (test city)", city_slug="tiny",
        neighborhoods=_neighborhoods(), businesses=_businesses(), sources=_sources(),
        tracts=_tracts(), tract_weights=_weights(), jobs=_jobs(),
        business_patterns=_patterns(), zip_weights=_zip_weights(),
        build_info={"is_demo": "false", "first_year": str(first_year),
                    "last_year": str(last_year), "seed": "0"},
        other_tables={"license_processing": _processing()})


def businesses_frame() -> pd.DataFrame:
    """BUSINESSES as a frame with parsed dates (for hand checks in tests)."""
    frame = pd.DataFrame(BUSINESSES, columns=["business_id", "neighborhood_id", "tract_geoid",
                                              "category", "is_micro", "opened", "closed"])
    frame["opened"] = pd.to_datetime(frame["opened"]).dt.date
    frame["closed"] = pd.to_datetime(frame["closed"]).dt.date
    return frame


def _neighborhoods() -> gpd.GeoDataFrame:
    shapes = [box(i * STEP, 0.0, (i + 1) * STEP, STEP) for i in range(3)]
    return gpd.GeoDataFrame({"neighborhood_id": ["N1", "N2", "N3"],
                             "name": ["Northgate", "Millbrook", "Eastwater"]},
                            geometry=shapes, crs="EPSG:4326")


def _tracts() -> gpd.GeoDataFrame:
    rows = [{"geoid": geoid, "name": f"Census Tract {geoid[-6:-2]}", "acs_year": 2022,
             "population": pop, "population_moe": moe} for geoid, (pop, moe) in TRACTS.items()]
    frame = pd.DataFrame(rows).reindex(columns=[col for col in c.TRACT_COLUMNS if col != "geometry"])
    shapes = [box(0.0, 0.0, 1.5 * STEP, STEP), box(1.5 * STEP, 0.0, 3 * STEP, STEP)]
    return gpd.GeoDataFrame(frame, geometry=shapes, crs="EPSG:4326")


def _weights() -> pd.DataFrame:
    frame = pd.DataFrame(WEIGHTS, columns=["geoid", "neighborhood_id", "weight"])
    return frame.assign(method="block_population")


def _businesses() -> pd.DataFrame:
    frame = businesses_frame()
    hood = frame["neighborhood_id"].str[1].astype(int) - 1
    frame["longitude"] = (hood + 0.5) * STEP
    frame["latitude"] = 0.5 * STEP
    frame["source"] = "tiny_registry"
    frame["source_key"] = frame["business_id"]
    frame["name"] = "Business " + frame["business_id"]
    frame["license_type"] = "General"
    frame["raw_category"] = frame["category"]
    frame["naics_sector"] = frame["category"].map(SECTOR)
    rule = frame["business_id"].map(MICRO_RULE)
    assert (rule.notna() == frame["is_micro"]).all(), "MICRO_RULE and BUSINESSES disagree"
    frame["home_based"] = rule == HOME
    frame["sole_proprietor"] = rule == SOLE
    frame["name"] = frame["name"].mask(frame["sole_proprietor"])   # a person's own name
    frame["address"] = None
    frame["terms_merged"] = 1
    frame["geocode_match"] = None
    return frame[c.BUSINESS_COLUMNS]


def _processing() -> pd.DataFrame:
    frame = pd.DataFrame(PROCESSING, columns=["business_id", "neighborhood_id", "category",
                                              "applied", "issued"])
    frame["applied"] = pd.to_datetime(frame["applied"]).dt.date
    frame["issued"] = pd.to_datetime(frame["issued"]).dt.date
    frame["days"] = [(i - a).days for a, i in zip(frame["applied"], frame["issued"])]
    return frame.assign(source_id="tiny_registry", row_number=range(1, len(frame) + 1),
                        excluded=None)


def _jobs() -> pd.DataFrame:
    frame = pd.DataFrame(JOBS, columns=["geo_id", "tract_geoid", "neighborhood_id", "year",
                                        "jobs_total", "jobs_private", "jobs_small_firms",
                                        "jobs_young_firms"])
    return frame.assign(geo_level="block")[c.JOB_COLUMNS]


def _patterns() -> pd.DataFrame:
    columns = ["geo_id", "naics", "size_class", "establishments"]
    frame = pd.concat([pd.DataFrame(PATTERNS, columns=columns).assign(geo_level="zip"),
                       pd.DataFrame(COUNTY_PATTERNS, columns=columns).assign(geo_level="county")],
                      ignore_index=True)
    return frame.assign(year=2022, size_label=None)[c.BUSINESS_PATTERN_COLUMNS]


def _zip_weights() -> pd.DataFrame:
    frame = pd.DataFrame(ZIP_WEIGHTS, columns=["zip", "neighborhood_id", "weight"])
    return frame.assign(method="address_share")


def _sources() -> pd.DataFrame:
    when = dt.datetime(2024, 1, 15, 12, 0)
    rows = [  # source_id, kind, name, vintage, rows
        ("tiny_registry", "businesses", "Tiny Town Business Registry", "2024-01-15", len(BUSINESSES)),
        ("tiny_areas", "neighborhoods", "Tiny Town Neighborhoods", "2023", 3),
        ("acs", "acs", "ACS 5-year estimates", "2018-2022", len(TRACTS)),
        ("lodes", "jobs", "LEHD LODES WAC", "LODES8 2021-2022", len(JOBS)),
        ("zbp", "business_patterns", "ZIP Business Patterns", "2022",
         len(PATTERNS) + len(COUNTY_PATTERNS)),
    ]
    return pd.DataFrame([{
        "source_id": sid, "kind": kind, "name": name, "publisher": "Test fixture",
        "url": None, "vintage": vintage, "license": "public domain", "fetched_at": when,
        "sha256": None, "rows_raw": n, "rows_loaded": n, "rows_merged": 0, "rows_rejected": 0,
    } for sid, kind, name, vintage, n in rows])


# --- The registry as a city publishes it -----------------------------------------------------

PROFILE = """
name = "Tiny Town (test city)"
registry_note = "One row per business, as tests/tiny_city.py lists them."

[portal]
domain = "data.tiny.example"
businesses = "tiny-biz1"
businesses_title = "Tiny Town Business Registry"
neighborhoods = "tiny-nbh1"
neighborhoods_title = "Tiny Town Neighborhoods"
publisher = "Test fixture"
license = "Public domain"

[geography]
state_fips = "99"
state_abbr = "TT"
county_fips = ["001"]
neighborhood_id = "neighborhood_id"
neighborhood_name = "name"

[years]
first = 2020
last = 2023
acs = 2022
lodes = [2021, 2022]
cbp = 2022

[fields]
row_id = "license_id"
key = "license_id"
name = "business_name"
category = "category"
opened = "opened"
closed = "closed"
latitude = "latitude"
longitude = "longitude"

[dates]
formats = ["%Y-%m-%d"]

[aliases]
license_id = ["License ID"]
business_name = ["Business Name"]
category = ["Category"]
opened = ["Opened"]
closed = ["Closed"]
home_occupation = ["Home Occupation"]
ownership = ["Ownership"]
license_kind = ["License Kind"]
latitude = ["Latitude"]
longitude = ["Longitude"]

[[micro.home_based]]
field = "home_occupation"
equals = ["Y"]

[[micro.sole_proprietor]]
field = "ownership"
equals = ["Individual"]

[[micro.limited]]
field = "license_kind"
contains = ["pop-up"]

[categories.sectors]
"Retail shops" = "44-45"
"Restaurants, food & lodging" = "72"
"Professional services" = "54"
"Personal services & repair" = "81"
"""
# What a row that matches no rule holds instead: close to the rules, not matching them.
NOT_MICRO = {"home_occupation": "N", "ownership": "Individual LLC", "license_kind": "General"}


def registry_rows() -> list[dict]:
    """BUSINESSES as registry rows: one rule's column set for each micro-business."""
    rows = []
    for row in businesses_frame().itertuples(index=False):
        rule = MICRO_RULE.get(row.business_id)
        hood = int(row.neighborhood_id[1]) - 1
        rows.append({
            "License ID": row.business_id, "Business Name": f"Business {row.business_id}",
            "Category": row.category if row.category in SECTOR and SECTOR[row.category] else "",
            "Opened": str(row.opened), "Closed": "" if pd.isna(row.closed) else str(row.closed),
            "Home Occupation": "Y" if rule == HOME else NOT_MICRO["home_occupation"],
            "Ownership": "Individual" if rule == SOLE else NOT_MICRO["ownership"],
            "License Kind": "Pop-Up Market Stall" if rule == LIMITED else NOT_MICRO["license_kind"],
            "Latitude": 0.4 * STEP, "Longitude": (hood + 0.5) * STEP})  # lat ≠ lon
    return rows


def neighborhoods() -> gpd.GeoDataFrame:
    """The three neighborhoods (for a transform of `registry_rows`)."""
    return _neighborhoods()
