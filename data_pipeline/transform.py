"""Registry rows → business locations, in SQL over the registry's working database.

The registry is table `raw` of a DuckDB working database (`readers.read_registry`,
`scratch.py`). Every step is SQL over it; Python sees only distinct values: each
distinct date text, category, point, status, ZIP code and flag value is interpreted
once by `transform_fields` and joined back (`scratch.lookup`).

1. Map the profile's columns to canonical ones (text in SQL, the rest by lookup).
2. Read points as portals publish them: swapped latitude and longitude are swapped back
   (and counted); a longitude that repeats the latitude is a portal error. With geocoding
   on, rows with an address and no usable point are placed by the Census Geocoder.
   Reject rows that cannot be used, with their reason: a repeated row id, no business
   key, no or unparseable dates, a term that ends before it starts, no coordinates (and
   why: no geocoder match, not geocoded yet, a repeated latitude), a point outside every
   neighborhood. Nothing is dropped silently.
3. Merge license terms and renewals into one business location per business key:
   opened = the earliest start; closed = the latest term's end when that is before the
   data's as-of date, or the status date when the latest term's status says closed or
   revoked; terms_merged counts the rows merged.
4. Place each location in a neighborhood and a tract (point in polygon, each distinct
   point once), map its category to a NAICS sector and a plain-language category, and
   apply the privacy rules: no address for home-based businesses, no name for sole
   proprietors.

Raw rows = loaded + merged + rejected, always.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import geopandas as gpd
import numpy as np
import pandas as pd

from core import categories

from . import canonical as c
from . import geo
from . import transform_fields as tf
from .profiles import Profile
from .readers import Registry
from .scratch import KEY, Staged, joined, lit, lookup, q
from .sources.census_geocoder import Geocoder

WITHHELD = "name, address and location withheld (home-based business or sole proprietor)"
REPEATED_LATITUDE = "longitude repeats the latitude: a portal error"
NO_MATCH = "no coordinates; the Census geocoder found no match for the address"
TIE = "no coordinates; the Census geocoder found several matches for the address"
NOT_GEOCODED = "no coordinates; address not geocoded yet (build with network access)"
NOT_YET = "not geocoded"      # geocode_match of a row whose address has no answer yet
PLACED = ("exact", "non-exact")
# What Python's str.strip() (and Arrow's) removes: Unicode white space.
WHITESPACE = "".join(chr(i) for i in range(0x110000) if chr(i).isspace())
FLAGS = ("home_based", "sole_proprietor", "limited")


@dataclass
class BusinessResult:
    """The registry transformed: tables of the working database `con`, and their counts."""

    con: duckdb.DuckDBPyConnection
    source_id: str
    rows_raw: int
    rows_merged: int
    rows_loaded: int
    rows_rejected: int
    as_of: pd.Timestamp
    swapped_coordinates: int = 0  # rows whose latitude and longitude were swapped back
    geocoded: int | None = None   # distinct addresses the geocoder placed; None: not asked

    def staged(self, table: str) -> Staged:
        """`businesses`, `rejected`, `unmapped_categories`, `zip_weights` or `terms` (every
        raw row judged, with its neighborhood and reason), as loaded."""
        return Staged(self.con, table)

    @property
    def businesses(self) -> pd.DataFrame:
        """The business locations in BUSINESS_COLUMNS (the table also keeps each one's ZIP)."""
        return self.staged("businesses").df()[c.BUSINESS_COLUMNS]

    @property
    def rejected(self) -> pd.DataFrame:
        return self.staged("rejected").df()

    @property
    def unmapped(self) -> pd.DataFrame:
        return self.staged("unmapped_categories").df()

    @property
    def zips(self) -> pd.Series:
        """The ZIP code of each business location, in the order of `businesses`."""
        return self.con.execute("SELECT zip FROM businesses").df()["zip"].astype("string")

    def zip_codes(self) -> list[str]:
        """The distinct ZIP codes of the business locations, sorted."""
        return [row[0] for row in self.con.execute(
            "SELECT DISTINCT zip FROM businesses WHERE zip IS NOT NULL ORDER BY 1").fetchall()]

    def rejected_reasons(self) -> dict[str, int]:
        """Rejected rows by reason, most first."""
        return dict(self.con.execute("SELECT reason, count(*) FROM rejected GROUP BY 1 "
                                     "ORDER BY 2 DESC, 1").fetchall())

    def place_tracts(self, tracts: gpd.GeoDataFrame) -> None:
        """Each business location's tract (`tract_geoid`), each distinct point tested once."""
        place(self.con, "tract_points", "businesses", tracts, "geoid")
        self.con.execute(f"""
            UPDATE businesses b SET tract_geoid = p.geoid FROM tract_points p
            WHERE b.latitude = p.{q(KEY + 'latitude')} AND b.longitude = p.{q(KEY + 'longitude')}""")  # noqa: S608 (reviewed: quoted names only)


def transform_businesses(registry: Registry, profile: Profile, neighborhoods: gpd.GeoDataFrame,
                         tracts: gpd.GeoDataFrame | None = None, source_id: str = "businesses",
                         as_of=None, geocoder: Geocoder | None = None) -> BusinessResult:
    """Turn raw registry rows into canonical business locations plus rejects.

    With geocoding on in the profile, rows that have an address but no usable point get
    the point `geocoder` finds for the address (see sources/census_geocoder.py).
    """
    con = registry.con
    bounds = tuple(neighborhoods.total_bounds) if len(neighborhoods) else None
    extract_terms(registry, profile, bounds)
    geocoded = geocode_terms(con, geocoder) if profile.geocode.enabled else None
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else latest_date(con)
    place(con, "areas", "terms", neighborhoods, "neighborhood_id")
    judge(con)
    reject(registry, profile, source_id)
    merge_terms(con, as_of.date())
    canonical_businesses(con, source_id)
    result = BusinessResult(con, source_id, registry.rows, *_counts(con), as_of,
                            con.execute("SELECT count(*) FROM terms WHERE swapped").fetchall()[0][0],
                            geocoded)
    if tracts is not None and len(tracts):
        result.place_tracts(tracts)
    return result


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    kept, loaded, rejected = con.execute("""
        SELECT (SELECT count(*) FROM judged WHERE reason IS NULL),
               (SELECT count(*) FROM businesses), (SELECT count(*) FROM rejected)""").fetchall()[0]
    return kept - loaded, loaded, rejected


# ----------------------------------------------------------------------------- terms

def text(column: str) -> str:
    """SQL: a raw column as stripped text; empty cells NULL (as `transform_fields.text`).

    Stripping every kind of Unicode white space is slow, so a value that starts and ends
    with a printable ASCII character (nearly all) is taken as it is."""
    value = f"r.{q(column)}"
    return (f"CASE WHEN {value}[1] BETWEEN '!' AND '~' AND {value}[-1] BETWEEN '!' AND '~' "
            f"THEN {value} ELSE nullif(trim({value}, {lit(WHITESPACE)}), '') END")


def first_text(columns: tuple[str, ...]) -> str:
    """SQL: the first non-empty value among `columns`."""
    return f"coalesce({', '.join(text(c) for c in columns)})" if columns else "NULL::VARCHAR"


def joined_text(columns: tuple[str, ...], sep: str) -> str:
    """SQL: non-empty values of `columns` joined by `sep`, runs of white space as one space,
    `sep` and spaces trimmed from the ends; NULL if nothing is left."""
    if not columns:
        return "NULL::VARCHAR"
    parts = f" || {lit(sep)} || ".join(f"coalesce({text(c)}, '')" for c in columns)
    return f"nullif(trim({squeeze(parts)}, {lit(sep.strip() + ' ')}), '')"


def squeeze(value: str) -> str:
    """SQL: runs of white space (RE2's \\s, as `transform_fields.squeeze_spaces`) as one
    space; the regular expression runs only on values that have such a run (DuckDB
    computes the repeated `value` once)."""
    runs = " OR ".join(f"contains({value}, {run})" for run in
                       ("'  '", "chr(9)", "chr(10)", "chr(12)", "chr(13)"))
    return f"CASE WHEN {runs} THEN regexp_replace({value}, '\\s+', ' ', 'g') ELSE {value} END"


def business_key(columns: tuple[str, ...]) -> str:
    """SQL: the key columns joined by '-'; NULL when any part is missing."""
    return " || '-' || ".join(text(c) for c in columns)


def extract_terms(registry: Registry, profile: Profile, bounds=None) -> None:
    """Table `terms`: one row per raw row, the canonical fields parsed but not yet judged.

    `bounds` (the city's bounding box) tells swapped coordinates from places elsewhere.
    """
    con, f, formats = registry.con, profile.fields, profile.date_formats
    selects, joins = [], []

    def looked_up(name: str, keys, func, columns: dict[str, str]) -> None:
        keys = list(dict.fromkeys(keys))
        if not keys:
            selects.extend(f"{default} AS {q(column)}" for column, (_, default) in columns.items())
            return
        lookup(con, name, "raw", keys, func)
        joins.append(joined(name, keys, name))
        selects.extend(f"coalesce({name}.{q(source)}, {default}) AS {q(column)}"
                       for column, (source, default) in columns.items())

    date_fields = {"opened": f.opened, "end": f.closed,
                   "status_date": (f.status_date,) if f.status_date else ()}
    if processing_columns(registry, profile):
        date_fields |= {"applied": profile.processing.applied, "issued": profile.processing.issued}
    for field, columns in date_fields.items():
        looked_up(f"dates_{field}", columns,
                  lambda frame, columns=columns: dict(zip(("value", "bad"),
                                                          tf.dates(frame, columns, formats))),
                  {field: ("value", "NULL::DATE"), f"{field}_bad": ("bad", "false")})
    point_keys = [f.latitude, f.longitude] if f.latitude and f.longitude else []
    point_keys += [f.location] if f.location else []
    looked_up("points", point_keys, lambda frame: _points(frame, profile, bounds),
              {c: (c, d) for c, d in (("latitude", "NULL::DOUBLE"), ("longitude", "NULL::DOUBLE"),
                                      ("swapped", "false"), ("repeated", "false"))})
    looked_up("sectors", [*f.category, *([f.naics] if f.naics else [])],
              lambda frame: dict(zip(("raw_category", "naics_sector"), tf.sectors(frame, profile))),
              {"raw_category": ("raw_category", "NULL"), "naics_sector": ("naics_sector", "NULL")})
    looked_up("status", [f.status] if f.status and profile.closed_statuses else [],
              lambda frame: {"closed": tf.closed_status(frame, profile)},
              {"status_closed": ("closed", "false")})
    looked_up("zips", [f.zip] if f.zip else [], lambda frame: {"zip": tf.zip_codes(frame, f.zip)},
              {"zip": ("zip", "NULL::VARCHAR")})
    for kind in FLAGS:
        rules = getattr(profile, kind)
        looked_up(f"flag_{kind}", [rule.field for rule in rules],
                  lambda frame, rules=rules: {"flag": tf.flag(frame, rules)},
                  {kind: ("flag", "false")})
    if profile.geocode.enabled:
        g = profile.geocode
        looked_up("places", [c for c in (g.city_field, g.state_field) if c],
                  lambda frame: dict(zip(("city", "state"), tf.geocode_places(frame, profile))),
                  {"city": ("city", lit(g.city or "")), "state": ("state", lit(g.state or ""))})
    fields = [
        "r.rowid + 1 AS row_number",
        f"{text(f.row_id) if f.row_id else 'NULL::VARCHAR'} AS row_id",
        f"{business_key(f.key)} AS key",
        f"{first_text(f.name)} AS name",
        f"{text(f.license_type) if f.license_type else 'NULL::VARCHAR'} AS license_type",
        f"{joined_text(f.address, ' ')} AS address",
        "NULL::VARCHAR AS geocode_match",
    ]
    con.execute(f"""
        CREATE OR REPLACE TABLE unjudged AS
        SELECT {', '.join(fields + selects)} FROM raw r {' '.join(joins)}""")  # noqa: S608 (reviewed: quoted names and literals of the profile)
    con.execute("""
        CREATE OR REPLACE TABLE terms AS
        SELECT t.* EXCLUDE (repeated_id), CASE
            WHEN repeated_id THEN 'repeated row id'
            WHEN key IS NULL THEN 'no business key'
            WHEN opened_bad THEN 'unparseable opening date'
            WHEN opened IS NULL THEN 'no opening date'
            WHEN end_bad THEN 'unparseable closing date'
            WHEN "end" < opened THEN 'term ends before it starts' END AS problem
        FROM (SELECT *, row_id IS NOT NULL AND row_number() OVER (PARTITION BY row_id
                        ORDER BY row_number) > 1 AS repeated_id
              FROM unjudged) t""")
    con.execute("DROP TABLE unjudged")


def _points(frame: pd.DataFrame, profile: Profile, bounds) -> dict:
    """Published points of distinct (latitude, longitude, location) values, repaired."""
    latitude, longitude, swapped, repeated = tf.repair_points(
        *tf.published_points(frame, profile), bounds)
    return {"latitude": latitude, "longitude": longitude, "swapped": swapped,
            "repeated": repeated}


def processing_columns(registry: Registry, profile: Profile) -> bool:
    """Whether the profile maps processing dates and the registry has every column."""
    wanted = [name for names in profile.processing.columns().values() for name in names]
    return profile.processing.enabled and all(name in registry.columns for name in wanted)


# ----------------------------------------------------------------------------- geocoding

def geocode_terms(con: duckdb.DuckDBPyConnection, geocoder: Geocoder | None) -> int | None:
    """Points by address for usable rows with an address and no point (in place).

    Each such row gets its `geocode_match` ('exact', 'non-exact', 'tie', 'no match', or
    'not geocoded' when the geocoder has no answer yet — or there is no geocoder) and, when
    matched, the point. Returns how many distinct addresses were placed (None: no answers).
    """
    wanted = ("(latitude IS NULL OR longitude IS NULL) AND address IS NOT NULL "
              "AND problem IS NULL")
    asked = con.execute(f"""
        SELECT row_number, address AS street, city, state, zip FROM terms WHERE {wanted}
        ORDER BY row_number""").df()  # noqa: S608 (reviewed: code-owned SQL)
    if not len(asked):
        return None
    if geocoder is None:
        con.execute(f"UPDATE terms SET geocode_match = ? WHERE {wanted}", [NOT_YET])  # noqa: S608 (reviewed: code-owned SQL)
        return None
    found = geocoder(asked.drop(columns="row_number").astype(object).where(asked.notna(), None))
    match = found["match"].to_numpy(dtype=object)
    placed = np.isin(match, PLACED)
    answers = pd.DataFrame({
        "row_number": asked["row_number"].to_numpy(dtype="int64"),
        "match": np.where(pd.isna(match), NOT_YET, match).astype(str),
        "latitude": np.where(placed, found["latitude"].to_numpy(dtype=float), np.nan),
        "longitude": np.where(placed, found["longitude"].to_numpy(dtype=float), np.nan)})
    con.register("answers", answers)
    con.execute("""
        UPDATE terms t SET geocode_match = a.match,
               latitude = coalesce(CASE WHEN isnan(a.latitude) THEN NULL ELSE a.latitude END, t.latitude),
               longitude = coalesce(CASE WHEN isnan(a.longitude) THEN NULL ELSE a.longitude END, t.longitude)
        FROM answers a WHERE t.row_number = a.row_number""")
    con.unregister("answers")
    answered = pd.notna(match).any()
    return int(found.loc[placed, "id"].nunique()) if answered else None


# ----------------------------------------------------------------------------- judging

def place(con: duckdb.DuckDBPyConnection, name: str, table: str, polygons: gpd.GeoDataFrame,
          id_column: str) -> None:
    """Table `name`: each distinct point of `table` with the id of the polygon holding it."""
    points = f"(SELECT latitude, longitude FROM {table} WHERE latitude IS NOT NULL AND longitude IS NOT NULL)"  # noqa: S608 (reviewed: code-owned table name)
    lookup(con, name, points, ["latitude", "longitude"],
           lambda frame: {id_column: geo.assign_points(frame["latitude"], frame["longitude"],
                                                       polygons, id_column)})


def latest_date(con: duckdb.DuckDBPyConnection) -> pd.Timestamp:
    """The data's as-of date when none is given: the latest start it records (not after today)."""
    today = pd.Timestamp.today().normalize()
    latest = con.execute("SELECT max(opened) FROM terms").fetchall()[0][0]
    return today if latest is None else min(pd.Timestamp(latest), today)


def judge(con: duckdb.DuckDBPyConnection) -> None:
    """Table `judged`: each term with its neighborhood and the first reason it cannot be
    used (NULL: kept). A row without a point says why: the geocoder found no match or
    several, its address is not geocoded yet, or the portal repeated the latitude."""
    con.execute(f"""
        CREATE OR REPLACE VIEW judged AS
        SELECT t.* EXCLUDE (problem), a.neighborhood_id, coalesce(t.problem, CASE
            WHEN t.latitude IS NULL OR t.longitude IS NULL THEN CASE
                WHEN t.geocode_match = 'no match' THEN {lit(NO_MATCH)}
                WHEN t.geocode_match = 'tie' THEN {lit(TIE)}
                WHEN t.geocode_match = {lit(NOT_YET)} THEN {lit(NOT_GEOCODED)}
                WHEN t.repeated THEN {lit(REPEATED_LATITUDE)}
                ELSE 'no coordinates' END
            WHEN a.neighborhood_id IS NULL THEN 'outside the city' END) AS reason
        FROM terms t LEFT JOIN areas a
          ON a.{q(KEY + 'latitude')} = t.latitude AND a.{q(KEY + 'longitude')} = t.longitude""")  # noqa: S608 (reviewed: code-owned literals)


def reject(registry: Registry, profile: Profile, source_id: str) -> None:
    """Table `rejected`: rejected rows with their reason and the raw row as JSON under its
    original column names (a home-based or sole-proprietor row keeps only the fields that
    identify neither a person nor a home)."""
    pairs = list(zip(registry.original_columns, registry.columns))
    keep = _shareable_columns(registry, profile)
    full = ", ".join(f"{lit(original)}, r.{q(api)}" for original, api in pairs)
    shared = "".join(f"{lit(original)}, r.{q(api)}, " for original, api in pairs
                     if original in keep)
    registry.con.execute(f"""
        CREATE OR REPLACE TABLE rejected AS
        SELECT ? AS source_id, j.row_number, j.reason,
               CASE WHEN j.home_based OR j.sole_proprietor
                    THEN json_object({shared}'withheld', {lit(WITHHELD)})::VARCHAR
                    ELSE json_object({full})::VARCHAR END AS raw
        FROM judged j JOIN raw r ON r.rowid = j.row_number - 1
        WHERE j.reason IS NOT NULL ORDER BY j.row_number""", [source_id])  # noqa: S608 (reviewed: quoted names and literals)


def _shareable_columns(registry: Registry, profile: Profile) -> set[str]:
    """Original names of the mapped columns that identify neither a person nor a home."""
    f = profile.fields
    private = set(f.name) | set(f.address) | {f.latitude, f.longitude, f.location}
    used = {name for names in f.columns().values() for name in names} - private
    to_original = dict(zip(registry.columns, registry.original_columns))
    return {to_original.get(name, name) for name in used}


# ----------------------------------------------------------------------------- merging

def merge_terms(con: duckdb.DuckDBPyConnection, as_of) -> None:
    """View `locations`: one row per business key, in order of the key's first kept row:
    the latest term's details (latest start, then latest end, a term without an end
    last, then the later row), the earliest start, flags of any term, the closing date."""
    day = f"DATE {lit(as_of.isoformat())}"
    con.execute(f"""
        CREATE OR REPLACE VIEW locations AS
        WITH kept AS (SELECT * FROM judged WHERE reason IS NULL),
        merged AS (
            SELECT key, min(row_number) AS first_seen, min(opened) AS first_opened,
                   count(*) AS terms_merged, bool_or(home_based) AS any_home_based,
                   bool_or(sole_proprietor) AS any_sole_proprietor, bool_or(limited) AS any_limited,
                   arg_max(row_number, (opened, coalesce("end", DATE '9999-12-31'), row_number))
                       AS latest
            FROM kept GROUP BY key),
        closing AS (
            SELECT t.* EXCLUDE (opened, home_based, sole_proprietor, limited),
                   m.first_seen, m.first_opened AS opened, m.terms_merged,
                   m.any_home_based AS home_based, m.any_sole_proprietor AS sole_proprietor,
                   m.any_limited AS limited,
                   CASE WHEN t.status_closed THEN least(coalesce(t.status_date, t."end", {day}), {day})
                        WHEN t."end" < {day} THEN t."end" END AS closed_raw
            FROM merged m JOIN kept t ON t.row_number = m.latest)
        SELECT * EXCLUDE (closed_raw),
               CASE WHEN closed_raw < opened THEN opened ELSE closed_raw END AS closed
        FROM closing ORDER BY first_seen""")  # noqa: S608 (reviewed: a date literal)


def canonical_businesses(con: duckdb.DuckDBPyConnection, source_id: str) -> None:
    """Tables `businesses` (BUSINESS_COLUMNS, the privacy rules applied, plus each
    location's ZIP code), `unmapped_categories` and `zip_weights`."""
    con.register("sector_names", pd.DataFrame({"sector": list(categories.SECTORS),
                                               "category": list(categories.SECTORS.values())}))
    con.execute("""
        CREATE OR REPLACE TABLE businesses AS
        SELECT $source || ':' || key AS business_id, $source AS source, key AS source_key,
               CASE WHEN sole_proprietor THEN NULL ELSE name END AS name, license_type,
               raw_category, coalesce(s.category, $unknown) AS category, naics_sector,
               home_based, sole_proprietor, home_based OR sole_proprietor OR limited AS is_micro,
               opened, closed, CASE WHEN home_based THEN NULL ELSE address END AS address,
               latitude, longitude, neighborhood_id, NULL::VARCHAR AS tract_geoid,
               terms_merged::BIGINT AS terms_merged, geocode_match, zip
        FROM locations l LEFT JOIN sector_names s ON s.sector = l.naics_sector
        ORDER BY first_seen""", {"source": source_id, "unknown": categories.UNKNOWN_CATEGORY})
    con.unregister("sector_names")
    con.execute("""
        CREATE OR REPLACE TABLE unmapped_categories AS
        SELECT $source AS source_id, coalesce(raw_category, '(no category)') AS raw_category,
               count(*) AS rows
        FROM businesses WHERE naics_sector IS NULL GROUP BY 2 ORDER BY 3 DESC, 2""",
                {"source": source_id})
    con.execute("""
        CREATE OR REPLACE TABLE zip_weights AS
        SELECT zip, neighborhood_id, count(*) / sum(count(*)) OVER (PARTITION BY zip) AS weight,
               'business_share' AS method
        FROM businesses WHERE zip IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2""")
    con.execute("DROP VIEW locations")
