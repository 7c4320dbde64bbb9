"""Synthetic inputs at scale: a Chicago-style business-license CSV export and N neighborhoods.

The registry has the portal's 34 columns, in the export's order and date format. Each
business location (account + site) holds one to six consecutive two-year license terms
(an ISSUE row, then RENEW rows), so renewals must be merged. Some rows are bad the way
the real export is bad: no coordinates (businesses outside Chicago), points outside every
neighborhood, terms that end before they start, unreadable dates, repeated row ids and a
missing account number.

The neighborhoods are Voronoi cells over a Chicago-sized box whose shared edges wiggle
(each edge is bent once, so neighbors still tile the box exactly), about 120 vertices per
polygon, written as GeoJSON with the Chicago profile's properties (`area_numbe`,
`community`).

Everything is generated with numpy and pyarrow in row chunks; files are cached under
`benchmarks/work/` by size and seed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

WORK = Path(__file__).resolve().parent / "work"
VERSION = 2                       # bump when the generated files change shape
EXTENT = (-87.94, 41.64, -87.52, 42.02)      # lon/lat box of a Chicago-sized city
FIRST_DAY, LAST_DAY = np.datetime64("2002-01-01"), np.datetime64("2025-06-30")
TERM_DAYS = 730
CHUNK_ROWS = 500_000

COLUMNS = [
    "ID", "LICENSE ID", "ACCOUNT NUMBER", "SITE NUMBER", "LEGAL NAME", "DOING BUSINESS AS NAME",
    "ADDRESS", "CITY", "STATE", "ZIP CODE", "WARD", "PRECINCT", "WARD PRECINCT",
    "POLICE DISTRICT", "LICENSE CODE", "LICENSE DESCRIPTION", "BUSINESS ACTIVITY ID",
    "BUSINESS ACTIVITY", "LICENSE NUMBER", "APPLICATION TYPE", "APPLICATION CREATED DATE",
    "APPLICATION REQUIREMENTS COMPLETE", "PAYMENT DATE", "CONDITIONAL APPROVAL",
    "LICENSE TERM START DATE", "LICENSE TERM EXPIRATION DATE", "LICENSE APPROVED FOR ISSUANCE",
    "DATE ISSUED", "LICENSE STATUS", "LICENSE STATUS CHANGE DATE", "SSA", "LATITUDE",
    "LONGITUDE", "LOCATION",
]

# (license code, license description, business activity id, business activity, weight)
LICENSES = [
    ("1010", "Limited Business License", "894", "Hair Services", 14),
    ("1010", "Limited Business License", "638", "Retail Sales of General Merchandise", 14),
    ("1010", "Limited Business License", "811",
     "Tax Preparation Services | Financial Services Commercial Office", 4),
    ("1010", "Limited Business License", "", "", 6),
    ("1006", "Retail Food Establishment", "781",
     "Sale of Food Prepared Onsite With Dining Area", 9),
    ("1006", "Retail Food Establishment", "775", "Retail Sales of Perishable Foods", 8),
    ("1012", "Home Occupation", "912", "Online Sales (Home Based Business)", 4),
    ("1012", "Home Occupation", "915", "Professional Consulting (Home Based Business)", 3),
    ("1781", "Tobacco", "796", "Retail Sale of Tobacco", 5),
    ("1011", "Home Repair", "659", "Home Repair Services", 3),
    ("4404", "Regulated Business License", "908", "Miscellaneous Personal Services", 5),
    ("1475", "Consumption on Premises - Incidental Activity", "629",
     "Consumption of Liquor on Premises", 3),
    ("1050", "Tavern", "630", "Tavern - Consumption of Liquor on Premises", 2),
    ("1604", "Peddler, non-food", "", "", 2),
    ("1315", "Mobile Food Dispenser", "", "", 2),
    ("7009", "Pharmaceutical Representative", "990",
     "Markets / Promotes Pharmaceuticals to Health Care Professionals", 2),
    ("7008", "Shared Housing Unit Operator", "981",
     "Shared Housing Operator - Host of More Than One Shared Housing Unit", 2),
    ("1584", "Day Care Center 2 - 6 Years", "", "", 1),
]
STREETS = ["N CLARK ST", "W CHICAGO AVE", "S HALSTED ST", "W NORTH AVE", "N MILWAUKEE AVE",
           "E 47TH ST", "S ASHLAND AVE", "W MADISON ST", "N BROADWAY", "S COTTAGE GROVE AVE"]
# Shares of businesses (or rows) made bad on purpose; each becomes a rejected row.
BAD_SHARES = {"no coordinates": 0.02, "outside the city": 0.005, "ends before start": 0.002,
              "unreadable date": 0.001, "repeated id": 0.001, "no account": 0.0005}


# ----------------------------------------------------------------------------- neighborhoods

def neighborhood_shapes(count: int, seed: int = 7, vertices: int = 120) -> np.ndarray:
    """`count` polygons tiling the city box: Voronoi cells with wiggly shared edges."""
    rng = np.random.default_rng(seed)
    west, south, east, north = EXTENT
    box = shapely.box(*EXTENT)
    seeds = shapely.multipoints(np.column_stack([rng.uniform(west, east, count),
                                                 rng.uniform(south, north, count)]))
    edges = shapely.voronoi_polygons(seeds, extend_to=box, only_edges=True)
    network = shapely.union_all([shapely.intersection(edges, box), box.boundary])
    mean_edge = shapely.length(network) / max(len(shapely.get_parts(network)), 1)
    step = mean_edge / max(vertices // 6, 2)
    bent = [_bend(line, step, rng) for line in shapely.get_parts(network)]
    polygons = shapely.get_parts(shapely.polygonize(bent))
    polygons = shapely.make_valid(polygons[shapely.area(polygons) > 0])
    return polygons[np.argsort(shapely.area(polygons))[::-1][:count]]


def _bend(line, step: float, rng: np.random.Generator):
    """The line cut into pieces of about `step`, inner vertices pushed sideways (less so near
    the ends): one crooked boundary that both neighbors share, like a real one."""
    coords = shapely.get_coordinates(shapely.segmentize(line, step))
    if len(coords) > 2:
        direction = coords[-1] - coords[0]
        normal = np.array([-direction[1], direction[0]]) / (np.hypot(*direction) or 1.0)
        along = np.linspace(0.0, 1.0, len(coords))[1:-1]
        offsets = rng.normal(0.0, step * 0.3, len(coords) - 2) * np.sin(np.pi * along)
        coords[1:-1] += offsets[:, None] * normal
    return shapely.linestrings(coords)


def write_neighborhoods(count: int, seed: int = 7, folder: Path | None = None) -> Path:
    """GeoJSON of `count` synthetic neighborhoods (cached); properties as Chicago's export."""
    path = (folder or WORK) / f"neighborhoods_{count}_s{seed}_v{VERSION}.geojson"
    if path.exists():
        return path
    shapes = neighborhood_shapes(count, seed)
    geometries = shapely.to_geojson(shapes, indent=None)
    features = [
        '{"type":"Feature","properties":' + json.dumps({"area_numbe": i + 1,
                                                       "community": f"AREA {i + 1}"})
        + ',"geometry":' + geometry + "}"
        for i, geometry in enumerate(geometries)]
    _write_atomically(path, '{"type":"FeatureCollection","features":[\n'
                      + ",\n".join(features) + "\n]}\n")
    return path


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".part")
    temp.write_text(text)
    temp.replace(path)


# ----------------------------------------------------------------------------- businesses

@dataclass
class Locations:
    """One entry per business location (account + site), before expanding into terms."""

    account: np.ndarray
    site: np.ndarray
    license_number: np.ndarray
    started: np.ndarray          # datetime64[D] start of the first term
    terms: np.ndarray            # number of terms (rows)
    licence: np.ndarray          # index into LICENSES
    lat: np.ndarray
    lon: np.ndarray
    no_point: np.ndarray         # bool: exported without coordinates (outside Chicago)


def business_locations(rows: int, rng: np.random.Generator) -> Locations:
    """Enough business locations for at least `rows` license terms."""
    terms = rng.choice(np.arange(1, 7), size=rows + 1, p=[.35, .25, .15, .1, .08, .07])
    started = FIRST_DAY + rng.integers(0, (LAST_DAY - FIRST_DAY).astype(int), rows + 1)
    room = 1 + (LAST_DAY - started).astype(int) // TERM_DAYS     # terms that start by LAST_DAY
    terms = np.minimum(terms, room)
    count = int(np.searchsorted(np.cumsum(terms), rows)) + 1
    terms, started = terms[:count], started[:count]
    sites_per_account = rng.choice([1, 2, 3], size=count, p=[.85, .1, .05])
    account = np.repeat(np.arange(count), sites_per_account)[:count]
    first_of_account = np.searchsorted(account, account)
    weights = np.array([entry[-1] for entry in LICENSES], dtype=float)
    lat, lon = business_points(count, rng)
    return Locations(200_000 + account, 1 + np.arange(count) - first_of_account,
                     1_000_000 + np.arange(count), started, terms,
                     rng.choice(len(LICENSES), size=count, p=weights / weights.sum()),
                     lat, lon, rng.random(count) < BAD_SHARES["no coordinates"])


def business_points(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Half spread over the city, half in commercial clusters; a few outside the city."""
    west, south, east, north = EXTENT
    lon, lat = rng.uniform(west, east, count), rng.uniform(south, north, count)
    clustered = rng.random(count) < 0.5
    centres = np.column_stack([rng.uniform(west, east, 40), rng.uniform(south, north, 40)])
    pick = rng.integers(0, 40, clustered.sum())
    lon[clustered] = np.clip(centres[pick, 0] + rng.normal(0, 0.01, pick.size), west, east)
    lat[clustered] = np.clip(centres[pick, 1] + rng.normal(0, 0.008, pick.size), south, north)
    outside = rng.random(count) < BAD_SHARES["outside the city"]
    lon[outside] = west - rng.uniform(0.01, 0.2, outside.sum())
    return np.round(lat, 9), np.round(lon, 9)


def _term_rows(loc: Locations) -> tuple[np.ndarray, np.ndarray]:
    """For each row, its location index and its term number (0 = the issuing term)."""
    owner = np.repeat(np.arange(len(loc.terms)), loc.terms)
    first_row = np.repeat(np.cumsum(loc.terms) - loc.terms, loc.terms)
    return owner, np.arange(len(owner)) - first_row


def write_registry(rows: int, seed: int = 11, folder: Path | None = None) -> Path:
    """A Chicago business-licenses CSV export of `rows` rows (cached)."""
    path = (folder or WORK) / f"licenses_{rows}_s{seed}_v{VERSION}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    locations = business_locations(rows, rng)
    owner, term = _term_rows(locations)
    owner, term = owner[:rows], term[:rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".part")
    options = pacsv.WriteOptions(quoting_style="needed")
    schema = pa.schema([(name, pa.string()) for name in COLUMNS])
    with pacsv.CSVWriter(temp, schema, write_options=options) as writer:
        for start in range(0, len(owner), CHUNK_ROWS):
            stop = start + CHUNK_ROWS
            table = registry_chunk(locations, owner[start:stop], term[start:stop], start, rng)
            writer.write_table(table.select(COLUMNS).cast(schema))
    temp.replace(path)
    return path


def registry_chunk(loc: Locations, owner: np.ndarray, term: np.ndarray, first_row: int,
                   rng: np.random.Generator) -> pa.Table:
    """The export's columns for the rows (`owner`, `term`), all as text."""
    n = len(owner)
    start = loc.started[owner] + term * TERM_DAYS
    columns = {**_identity(loc, owner, start, first_row, rng), **_place(loc, owner),
               **_licence(loc, owner), **_term_dates(loc, owner, term, start, rng)}
    return pa.table({name: columns[name] for name in COLUMNS if name in columns}
                    | {"SSA": _nulls_but(rng.random(n) < 0.05, _text(rng.integers(1, 70, n)))})


def _identity(loc: Locations, owner: np.ndarray, start: np.ndarray, first_row: int,
              rng: np.random.Generator) -> dict[str, pa.Array]:
    n = len(owner)
    number = _text(loc.license_number[owner])
    row_id = pc.binary_join_element_wise(number, _date_text(start, "%Y%m%d"), "-")
    repeated = np.flatnonzero(rng.random(n) < BAD_SHARES["repeated id"])
    repeated = repeated[repeated > 0]
    ids = row_id.to_numpy(zero_copy_only=False)
    ids[repeated] = ids[repeated - 1]
    account = _text(loc.account[owner])
    return {"ID": pa.array(ids, pa.string()),
            "LICENSE ID": _text(2_000_000 + first_row + np.arange(n)),
            "ACCOUNT NUMBER": _nulls_but(rng.random(n) >= BAD_SHARES["no account"], account),
            "SITE NUMBER": _text(loc.site[owner]), "LICENSE NUMBER": number,
            "LEGAL NAME": pc.binary_join_element_wise("OWNER", account, " "),
            "DOING BUSINESS AS NAME": pc.binary_join_element_wise("SHOP", number, " ")}


def _place(loc: Locations, owner: np.ndarray) -> dict[str, pa.Array]:
    """Address, ZIP, ward and coordinates; rows without a point are outside Chicago."""
    lat, lon, inside = loc.lat[owner], loc.lon[owner], ~loc.no_point[owner]
    number = loc.license_number[owner]
    streets = pa.array(STREETS).take(pa.array(number % len(STREETS)))
    house = _text(100 + (number * 7919) % 9000)
    west, south, east, north = EXTENT
    zips = _text(60601 + np.clip((lat - south) / (north - south) * 55, 0, 55).astype(int))
    ward, precinct = _text(1 + number % 50), _text(1 + (number * 31) % 60)
    lat_text, lon_text = _text(lat), _text(lon)
    location = pc.binary_join_element_wise("(", pc.binary_join_element_wise(
        lat_text, lon_text, ", "), ")", "")
    mask = lambda values: _nulls_but(inside, values)          # noqa: E731
    return {"ADDRESS": pc.binary_join_element_wise(house, streets, " "),
            "CITY": pa.array(np.where(inside, "CHICAGO", "EVANSTON")),
            "STATE": pa.array(np.full(len(owner), "IL")),
            "ZIP CODE": pc.if_else(pa.array(inside), zips, pa.scalar("60201")),
            "WARD": mask(ward), "PRECINCT": mask(precinct),
            "WARD PRECINCT": mask(pc.binary_join_element_wise(ward, precinct, "-")),
            "POLICE DISTRICT": mask(_text(1 + number % 25)),
            "LATITUDE": mask(lat_text), "LONGITUDE": mask(lon_text), "LOCATION": mask(location)}


def _licence(loc: Locations, owner: np.ndarray) -> dict[str, pa.Array]:
    which = pa.array(loc.licence[owner])
    def pick(i: int) -> pa.Array:
        column = pa.array([e[i] for e in LICENSES]).take(which)
        return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)

    return {"LICENSE CODE": pick(0), "LICENSE DESCRIPTION": pick(1),
            "BUSINESS ACTIVITY ID": pick(2), "BUSINESS ACTIVITY": pick(3)}


def _term_dates(loc: Locations, owner: np.ndarray, term: np.ndarray, start: np.ndarray,
                rng: np.random.Generator) -> dict[str, pa.Array]:
    """Application, term and status dates; a few terms end before they start or are unreadable."""
    n = len(owner)
    days = lambda low, high: rng.integers(low, high, n).astype("timedelta64[D]")  # noqa: E731
    issuing = term == 0
    end = start + TERM_DAYS
    end = np.where(rng.random(n) < BAD_SHARES["ends before start"], start - 30, end)
    last = term == loc.terms[owner] - 1
    status = np.where(last & (rng.random(n) < 0.05), "AAC", "AAI")
    status = np.where(last & (rng.random(n) < 0.003), "REV", status)
    approved = start + days(0, 30)
    complete = start - days(20, 60)
    start_text = _date_text(start)
    unreadable = pa.array(rng.random(n) < BAD_SHARES["unreadable date"])
    return {"APPLICATION TYPE": pa.array(np.where(issuing, "ISSUE", "RENEW")),
            "APPLICATION CREATED DATE": _nulls_but(issuing, _date_text(complete - days(0, 10))),
            "APPLICATION REQUIREMENTS COMPLETE": _date_text(complete),
            "PAYMENT DATE": _date_text(complete + days(1, 20)),
            "CONDITIONAL APPROVAL": pa.array(np.full(n, "N")),
            "LICENSE TERM START DATE": pc.if_else(unreadable, pa.scalar("13/45/2019"), start_text),
            "LICENSE TERM EXPIRATION DATE": _date_text(end),
            "LICENSE APPROVED FOR ISSUANCE": _date_text(approved),
            "DATE ISSUED": _date_text(approved + days(0, 5)),
            "LICENSE STATUS": pa.array(status),
            "LICENSE STATUS CHANGE DATE": _nulls_but(status != "AAI",
                                                     _date_text(start + days(30, 600)))}


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _date_text(days: np.ndarray, fmt: str = "%m/%d/%Y") -> pa.Array:
    return pc.strftime(pa.array(days.astype("datetime64[s]")), format=fmt)


def _nulls_but(keep: np.ndarray, values: pa.Array) -> pa.Array:
    """`values` where `keep`, empty elsewhere."""
    return pc.if_else(pa.array(np.asarray(keep, dtype=bool)), values,
                      pa.scalar(None, values.type))


# ----------------------------------------------------------------------------- real-shaped

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"
REAL_SAMPLE = REAL / "chicago_business_licenses" / "business_licenses_sample10k_csv_2024.csv"
REAL_AREAS = REAL / "chicago_community_areas" / "community_areas_current.geojson"
POINT_GROUPS = 10     # copies fall in this many groups of distinct points (addresses repeat)


def write_real_shaped(rows: int, sample: Path = REAL_SAMPLE, folder: Path | None = None) -> Path:
    """The real Chicago licence sample resampled to `rows` rows, every column kept (cached).

    Copy k of the sample keeps every value but its identities: `ID`, `LICENSE ID` and
    `ACCOUNT NUMBER` get the suffix `~k` (so copies are other businesses, not repeats),
    and its points move north by (k mod 10) × 0.00001° (about a metre), so the registry
    holds ten times the sample's distinct points, as a real one repeats its addresses.
    The sample's own bad rows (no point, no date…) are repeated with it.
    """
    import duckdb
    path = (folder or WORK) / f"real_licenses_{rows}_v1.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".part")
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE TABLE sample AS SELECT row_number() OVER () AS n, * "
                    "FROM read_csv(?, all_varchar = true, header = true)", [str(sample)])
        size = con.execute("SELECT count(*) FROM sample").fetchone()[0]
        columns = [row[0] for row in con.execute("DESCRIBE sample").fetchall()][1:]
        copies = -(-rows // size)
        changed = {"ID": "ID", "LICENSE ID": "LICENSE ID", "ACCOUNT NUMBER": "ACCOUNT NUMBER"}
        select = []
        for name in columns:
            quoted = '"' + name.replace('"', '""') + '"'
            if name in changed:
                select.append(f"CASE WHEN k = 0 THEN {quoted} ELSE {quoted} || '~' || k END")
            elif name == "LATITUDE":
                select.append(f"CASE WHEN k % {POINT_GROUPS} = 0 OR {quoted} IS NULL THEN {quoted} "
                              f"ELSE printf('%.9f', {quoted}::DOUBLE + (k % {POINT_GROUPS}) * 1e-5) END")
            else:
                select.append(quoted)
            select[-1] += f" AS {quoted}"
        query = (f"SELECT {', '.join(select)} FROM range({copies}) r(k), sample "  # noqa: S608 (generated input)
                 f"ORDER BY k, n LIMIT {int(rows)}")
        con.execute(f"COPY ({query}) TO '{temp}' (HEADER, DELIMITER ',')")
    temp.replace(path)
    return path
