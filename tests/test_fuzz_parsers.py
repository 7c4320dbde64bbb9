"""Bad input to every parser: nothing crashes but with the pipeline's own error, naming the
file; every rejected row is kept with its reason; raw rows = loaded + merged + rejected.

Hypothesis draws the inputs: portal CSV exports and SODA JSON pages, GeoJSON and zipped
shapefiles, Census ACS / Business Patterns / Nonemployer answers, LODES CSV files and city
profiles, with bytes that are not UTF-8, missing and extra columns, empty files, huge
fields, impossible dates, points outside the city or with latitude and longitude swapped,
invalid and self-intersecting polygons and repeated ids. Examples are bounded (and
derandomized, so CI sees the same inputs every run; set ATLAS_FUZZ_RANDOM=1 to explore).

A parser that refuses everything in a sentence naming the file would pass "nothing
crashes", so every test also draws well-formed inputs (a clean export, a real fixture file,
a complete Census table): each of those must parse, and a share of all the inputs a test
tries must give a result (`fuzz`).
"""
from __future__ import annotations

import csv
import gzip
from collections import Counter
import io
import json
import os
import re
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_pipeline import city, readers
from core.errors import PipelineError, ReconciliationError
from data_pipeline.profiles import load_profile
from data_pipeline.sources import business_patterns, census_acs, census_tracts, lodes, nonemployer

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "tests" / "fixtures" / "local"
FUZZ = settings(max_examples=int(os.environ.get("ATLAS_FUZZ_EXAMPLES", "25")), deadline=None,
                database=None, derandomize=os.environ.get("ATLAS_FUZZ_RANDOM") != "1",
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
TRIED: Counter = Counter()
REFUSALS: list[str] = []
CLEAN, PARSED, REFUSED = "well-formed, parsed", "parsed", "refused in a sentence"


def tried_rows(counts: dict) -> None:
    for name, value in counts.items():
        TRIED[f"registry rows {name}"] += value


def fuzz(name: str, hostile, well_formed, check, examples: int | None = None,
         parsed_share: float = 0.15) -> Counter:
    """`check(case, clean)` on cases drawn from `hostile` (clean=False) and from
    `well_formed` (clean=True: a quarter as many); `check` returns CLEAN, PARSED or REFUSED
    and makes sure a well-formed case parsed. Then at least one well-formed case ran and
    at least `parsed_share` of all cases gave a result: a parser that refuses everything
    fails here even when every refusal is a sentence naming the file."""
    examples = examples or FUZZ.max_examples
    outcomes: Counter = Counter()
    for strategy, clean, count in ((hostile, False, examples),
                                   (well_formed, True, max(examples // 4, 5))):
        @settings(FUZZ, max_examples=count)
        @given(strategy)
        def run(case):
            outcomes[check(case, clean)] += 1
        run()
    total = sum(outcomes.values())
    for label, count in outcomes.items():
        TRIED[f"{name}: {label}"] += count
    assert outcomes[CLEAN] >= 1, f"{name}: no well-formed input was tried: {dict(outcomes)}"
    assert outcomes[CLEAN] + outcomes[PARSED] >= parsed_share * total, \
        f"{name}: only {outcomes[CLEAN] + outcomes[PARSED]} of {total} inputs parsed: {dict(outcomes)}"
    return outcomes


def outcome(call, path: Path, clean: bool):
    """(label, result) of `call` on `path`: a well-formed input must give a result."""
    result = expect_own_error(call, path)
    if clean:
        assert result is not None, f"a well-formed {path.name} was refused: {REFUSALS[-1]}"
        return CLEAN, result
    return (PARSED if result is not None else REFUSED), result


def riverton_profile(folder: Path) -> Path:
    text = (ROOT / "docs" / "cities.md").read_text()
    block = re.search(r"Save this as `data/cities/riverton.toml`:\n\n```toml\n(.*?)```", text, re.S)
    path = folder / "riverton.toml"
    path.write_text(block.group(1))
    return path


@pytest.fixture(scope="module")
def profile_file(tmp_path_factory) -> Path:
    return riverton_profile(tmp_path_factory.mktemp("profile"))


@pytest.fixture(scope="module")
def profile(profile_file):
    return load_profile(profile_file)


def expect_own_error(call, path: Path):
    """Run `call`; the only failure allowed is a PipelineError that names the file."""
    try:
        return call()
    except ReconciliationError as error:     # a parser lost rows: never acceptable
        raise AssertionError(f"rows lost: {error}") from error
    except PipelineError as error:
        REFUSALS.append(str(error)[:160])
        assert path.name in str(error), f"the error does not name the file: {error}"
        assert "\n" not in str(error).strip() or len(str(error)) < 2000
        return None


# ----------------------------------------------------------------------------- strategies

COLUMNS = ["Registration ID", "Business Name", "Trade Category", "Start Date", "End Date",
           "Status", "Home Based", "Street", "Zip", "Latitude", "Longitude"]
REQUIRED = {"Registration ID", "Start Date", "Latitude", "Longitude"}
INSIDE = (45.11, -122.90)          # a point in Riverton (lat, lon)

ids = st.sampled_from(["R-1", "R-2", "R-3", "R-4", "", "  ", "R-1 "])
texts = st.one_of(st.text(max_size=20), st.just("x" * 10_000), st.sampled_from(
    ["Café Zoë", "Retail", "Food Service", "'; DROP TABLE businesses; --", "<script>x</script>",
     "\u0000nul", "=cmd|' /C calc'!A0", "Consulting"]))
dates = st.one_of(st.sampled_from(["2020-02-29", "2021-02-30", "2023-13-01", "0000-00-00",
                                   "9999-12-31", "1900-01-01", "2022-06-30", "", "yesterday",
                                   "2024-01-01T00:00:00.000", "31/12/2020"]),
                  st.dates().map(str))
recent_dates = st.dates(date(1990, 1, 1), date(2025, 12, 31)).map(str)
latitudes = st.one_of(st.floats(44.9, 45.3), st.sampled_from(
    [INSIDE[0], INSIDE[1], 0.0, 91.0, -1e308, float("nan"), float("inf")]).map(str),
    st.sampled_from(["", "north", "45,11"]))
longitudes = st.one_of(st.floats(-123.1, -122.7), st.sampled_from(
    [INSIDE[1], INSIDE[0], 0.0, 181.0]).map(str), st.sampled_from(["", "west"]))


@st.composite
def registry_rows(draw, clean: bool = False) -> list[dict]:
    """Rows of a registry export; `clean`: at least one, every one usable (open, in the city)."""
    count = draw(st.integers(1 if clean else 0, 12))
    rows = []
    for _ in range(count):
        good = clean or draw(st.integers(0, 9)) < 6   # most rows are fine, as in a real export
        lat, lon = (draw(st.floats(45.101, 45.119)), draw(st.floats(-122.919, -122.881))) if good \
            else (draw(latitudes), draw(longitudes))
        if not good and draw(st.booleans()):
            lat, lon = lon, lat                       # swapped
        number = draw(st.integers(0, 40))
        rows.append({"Registration ID": f"R-{number}" if good else draw(ids),
                     "Business Name": draw(texts), "Trade Category": draw(texts),
                     "Start Date": draw(recent_dates if good else dates),
                     "End Date": "" if clean else draw(st.one_of(st.just(""), dates)),
                     "Status": draw(st.sampled_from(["Active", "Closed", "Withdrawn", ""])),
                     "Home Based": draw(st.sampled_from(["Y", "N", "", "yes"])),
                     "Street": draw(texts), "Zip": draw(st.sampled_from(["99001", "9", "", "99001-1234"])),
                     "Latitude": str(lat), "Longitude": str(lon)})
    return rows


@st.composite
def registry_csv(draw, clean: bool = False) -> bytes:
    """A portal CSV export; `clean`: well-formed (all columns, usable rows, no damage)."""
    dropped = draw(st.sets(st.sampled_from(COLUMNS), max_size=2)) \
        if not clean and draw(st.integers(0, 3)) == 0 else set()
    extra = [] if clean else draw(st.lists(st.sampled_from(["Extra", "Notes", "Registration ID"]),
                                           max_size=2))
    columns = [c for c in COLUMNS if c not in dropped] + extra
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in draw(registry_rows(clean)):
        writer.writerow([row.get(c, "extra") for c in columns])
    data = out.getvalue().encode("utf-8")
    damage = "none" if clean else draw(st.sampled_from(
        ["none", "none", "none", "cp1252", "latin1 byte", "truncate", "nul", "bom"]))
    if damage == "cp1252":
        data = data.replace("é".encode(), b"\xe9").replace("ë".encode(), b"\xeb")
    elif damage == "latin1 byte":
        data = data + b"R-9,Caf\xe9 \x81\x8d,Retail,2020-01-01,,,N,,,45.11,-122.90\n"
    elif damage == "truncate":
        data = data[:draw(st.integers(0, max(len(data) - 1, 0)))]
    elif damage == "nul":
        data = data.replace(b",", b"\x00,", 1)
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    return data


# ----------------------------------------------------------------------------- the registry

def check_database(db: Path) -> dict:
    """Rows reconcile, every rejected row is kept with a reason; the figures for the report."""
    with duckdb.connect(str(db), read_only=True) as con:
        raw, loaded, merged, rejected = con.execute(
            "SELECT rows_raw, rows_loaded, rows_merged, rows_rejected FROM sources "
            "WHERE kind = 'businesses'").fetchone()
        kept = con.execute("SELECT count(*), count(*) FILTER (WHERE coalesce(reason, '') = '') "
                           "FROM rejected_records WHERE source_id = 'businesses'").fetchone()
        stored = con.execute("SELECT count(*) FROM businesses").fetchone()[0]
    assert raw == loaded + merged + rejected
    assert kept == (rejected, 0)
    assert stored == loaded
    return {"raw": raw, "loaded": loaded, "merged": merged, "rejected": rejected}


def csv_rows(data: bytes) -> int | None:
    """Data rows of a CSV as a lenient reader counts them (None when it is not CSV)."""
    try:
        text = data.decode("utf-8-sig", errors="replace")
        return max(len(list(csv.reader(io.StringIO(text)))) - 1, 0)
    except csv.Error:
        return None


REGISTRY_EXAMPLES = int(os.environ.get("ATLAS_FUZZ_EXAMPLES", "60"))


def import_registry(tmp_path: Path, profile_file: Path, name: str, data: bytes, clean: bool):
    """Import one registry file; (label, the database's row counts or None)."""
    path = tmp_path / name
    path.write_bytes(data)
    db = tmp_path / "out.duckdb"
    label, built = outcome(lambda: city.import_files(
        profile_file, path, LOCAL / "riverton_neighborhoods.geojson", db=db), path, clean)
    if built is None:
        return label, None
    counts = check_database(db)
    tried_rows(counts)
    if clean:
        assert counts["loaded"] >= 1, f"a well-formed {name} loaded no business: {counts}"
    return label, counts


def test_portal_csv_exports_load_or_fail_in_a_sentence(tmp_path, profile_file):
    def check(data, clean):
        label, counts = import_registry(tmp_path, profile_file, "registry.csv", data, clean)
        expected = csv_rows(data)
        if counts and expected is not None and b"\x00" not in data and b"\r" not in data:
            assert counts["raw"] == expected
        return label
    fuzz("registry CSV", registry_csv(), registry_csv(clean=True), check, REGISTRY_EXAMPLES)


@st.composite
def soda_pages(draw, clean: bool = False) -> bytes:
    """A SODA JSON page; `clean`: well-formed (a JSON array of usable rows)."""
    rows = draw(registry_rows(clean))
    names = {"Registration ID": "registration_id", "Business Name": "business_name",
             "Trade Category": "trade_category", "Start Date": "start_date", "End Date": "end_date",
             "Status": "status", "Home Based": "home_based", "Street": "street", "Zip": "zip",
             "Latitude": "latitude", "Longitude": "longitude"}
    out = []
    for number, row in enumerate(rows):
        record = {names[k]: v for k, v in row.items() if v != "" or draw(st.booleans())}
        if draw(st.booleans()):
            record[":id"] = f"row-{draw(st.integers(0, 4))}"    # repeated :id: a later row wins
        if not clean and draw(st.integers(0, 9)) == 0:
            record["latitude"] = draw(st.sampled_from([None, 45.11, [1, 2], {"a": 1}, True]))
        out.append(record)
    shape = "rows" if clean else draw(st.sampled_from(["rows"] * 7 + ["object", "nested", "cut"]))
    if shape == "object":
        return json.dumps({"error": True, "message": "boom"}).encode()
    if shape == "nested":
        return json.dumps([out, 1, "x"]).encode()
    text = json.dumps(out).encode()
    return text[:len(text) // 2] if shape == "cut" else text


def test_soda_json_pages_load_or_fail_in_a_sentence(tmp_path, profile_file):
    def check(data, clean):
        return import_registry(tmp_path, profile_file, "page-00001.json", data, clean)[0]
    fuzz("registry SODA JSON", soda_pages(), soda_pages(clean=True), check, REGISTRY_EXAMPLES)


# ----------------------------------------------------------------------------- any bytes

def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


junk = st.one_of(st.binary(max_size=300), st.sampled_from([
    b"", b"\n", b"[]", b"{}", b"null", b"[[]]", b'[["a"]]', b"\xff\xfe\x00", b"PK\x03\x04junk",
    b"\x1f\x8bnot gzip", b'{"type": "FeatureCollection", "features": [1]}',
    b'{"type": "FeatureCollection"}', b"w_geocode,C000\n", b"w_geocode,C000\n1,x\n",
    b'[["NAME"], ["a", "b"]]', b"a,b\n1\n", "\u00e9\u00e9".encode("cp1252")]))


PARSERS = {
    "registry": ("registry.csv", lambda path, profile: readers.read_registry(path, profile)),
    "boundaries": ("bounds.geojson", lambda path, profile: readers.read_boundaries(path, profile)),
    "tracts (import)": ("tracts.geojson", lambda path, profile: readers.read_tracts(path, profile)),
    "tracts (Census)": ("cb_2023_99_tract_500k.zip", lambda path, profile: census_tracts.parse(path)),
    "ACS": ("acs5-2023-99001.json", lambda path, profile: census_acs.parse(path)),
    "LODES": ("rv_wac_S000_JT00_2021.csv", lambda path, profile: lodes.parse([path])),
    "LODES gzip": ("rv_wac_S000_JT00_2021.csv.gz", lambda path, profile: lodes.parse([path])),
    "Business Patterns": ("cbp-2022-county-99-00.json", lambda path, profile: business_patterns.parse(path)),
    "Nonemployer": ("nonemp-2022-99.json", lambda path, profile: nonemployer.parse(path)),
    "profile": ("riverton.toml", lambda path, profile: load_profile(path)),
}


def zipped(path: Path) -> bytes:
    """A GeoJSON fixture as the Census Bureau ships shapes: a zipped shapefile."""
    import geopandas as gpd
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        gpd.read_file(path).to_file(Path(folder) / "shapes.shp")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for part in sorted(Path(folder).iterdir()):
                archive.write(part, part.name)
        return out.getvalue()


# A real file each parser must read (the recorded fixtures), drawn among the junk.
SAMPLES = {
    "registry": lambda: (LOCAL / "riverton.csv").read_bytes(),
    "boundaries": lambda: (LOCAL / "riverton_neighborhoods.geojson").read_bytes(),
    "tracts (import)": lambda: riverton_tracts().read_bytes(),
    "tracts (Census)": lambda: zipped(riverton_tracts()),
    "ACS": lambda: (LOCAL / "acs5-2023-17031.json").read_bytes(),
    "LODES": lambda: (LOCAL / "il_wac_S000_JT00_2021.csv").read_bytes(),
    "LODES gzip": lambda: (LOCAL / "il_wac_S000_JT00_2021.csv").read_bytes(),
    "Business Patterns": lambda: (LOCAL / "cbp-2022-county-17-00.json").read_bytes(),
    "Nonemployer": lambda: (LOCAL / "nonemp-2022-17.json").read_bytes(),
    "profile": lambda: riverton_profile_text().encode(),
}


def riverton_tracts() -> Path:
    """The tract fixture moved to Riverton's county (GEOIDs 99001…)."""
    import tempfile
    path = Path(tempfile.mkdtemp()) / "tracts.geojson"
    path.write_text((LOCAL / "tracts.geojson").read_text().replace('"GEOID": "17031', '"GEOID": "99001'))
    return path


def riverton_profile_text() -> str:
    text = (ROOT / "docs" / "cities.md").read_text()
    return re.search(r"Save this as `data/cities/riverton.toml`:\n\n```toml\n(.*?)```", text,
                     re.S).group(1)


def result_rows(result) -> int:
    """Rows of what a parser gave back (a frame, a tuple holding one, boundaries, a profile)."""
    first = result[0] if isinstance(result, tuple) else result
    shapes = getattr(first, "shapes", None)
    return len(shapes) if shapes is not None else len(first) if hasattr(first, "__len__") else 1


@pytest.mark.parametrize("parser", list(PARSERS))
def test_any_bytes_give_a_result_or_the_pipelines_own_error(tmp_path, profile, parser):
    name, parse = PARSERS[parser]
    sample = SAMPLES[parser]()

    def check(data, clean):
        data = sample if clean else data
        if name.endswith(".gz"):
            data = gzip.compress(data)
        path = write(tmp_path, name, data)
        label, result = outcome(lambda: parse(path, profile), path, clean)
        if clean:
            assert result_rows(result) >= 1, f"{parser}: the fixture gave no rows"
        return label
    fuzz(f"junk: {parser}", junk, st.none(), check, parsed_share=0.0)   # clean: the fixture


# ----------------------------------------------------------------------------- Census tables

cell = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(
    ["-666666666", "-555555555.0", "1e400", "NaN", "12", "0", "-1"]),
    st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.just([1]), st.just({"a": 1}))


@st.composite
def census_table(draw, needed: list[str]) -> list:
    header = [h for h in needed if draw(st.integers(0, 19)) > 0]     # now and then one is missing
    header += draw(st.lists(st.sampled_from(["EXTRA", "NAME", "state"]), max_size=2))
    rows = draw(st.lists(st.lists(cell, min_size=max(len(header) - 1, 0), max_size=len(header) + 1),
                         max_size=6))
    fixed = []
    for row in rows:
        if draw(st.integers(0, 4)):
            row = (row + [None] * len(header))[:len(header)]
        if "tract" in header and header.index("tract") < len(row) and draw(st.booleans()):
            row[header.index("tract")] = draw(st.sampled_from(["000100", "100", "000100", ""]))
        fixed.append(row)
    return [header, *fixed]


ACS_NEEDED = ["NAME", *census_acs.VARIABLES.values(), *census_acs.MOE_VARIABLES.values(),
              "state", "county", "tract"]
CBP_NEEDED = ["ESTAB", "EMPSZES", "EMPSZES_LABEL", "NAICS2017", "state", "county"]
NONEMP_NEEDED = ["NESTAB", "NRCPTOT", "NAICS2017", "state", "county"]
GOOD_CELLS = {"NAME": st.text(min_size=1, max_size=30), "state": st.just("99"),
              "county": st.sampled_from(["001", "003"]), "EMPSZES": st.sampled_from(["001", "212", "220"]),
              "EMPSZES_LABEL": st.text(max_size=30), "NAICS2017": st.sampled_from(["00", "72", "44-45"])}


@st.composite
def census_answer(draw, needed: list[str]) -> list:
    """A well-formed Census API answer: every column asked for, one value each, counts as
    the API writes them, one row per tract."""
    tracts = draw(st.lists(st.integers(100, 999_999).map(lambda t: f"{t:06d}"), min_size=1,
                           max_size=6, unique=True))
    rows = [[tract if column == "tract" else draw(GOOD_CELLS.get(column, st.integers(0, 10**6).map(str)))
             for column in needed] for tract in tracts]
    return [list(needed), *rows]


def parse_answer(tmp_path: Path, name: str, table: list, clean: bool, parse):
    path = write(tmp_path, name, json.dumps(table).encode())
    label, result = outcome(lambda: parse(path), path, clean)
    if clean:
        frame = result[0] if isinstance(result, tuple) else result
        assert len(frame) == len(table) - 1, f"{name}: {len(frame)} rows of {len(table) - 1}"
    return label, result


def test_acs_answers(tmp_path):
    def check(table, clean):
        label, parsed = parse_answer(tmp_path, "acs5-2023-99001.json", table, clean, census_acs.parse)
        if parsed is not None:
            frame, stats = parsed
            assert stats["rows"] == len(frame)
            assert len(frame) + stats["duplicate_tracts"] == len(table) - 1
        return label
    fuzz("ACS table", census_table(ACS_NEEDED), census_answer(ACS_NEEDED), check)


def test_business_patterns_answers(tmp_path):
    def check(table, clean):
        return parse_answer(tmp_path, "cbp-2022-county-99-00.json", table, clean,
                            business_patterns.parse)[0]
    fuzz("Business Patterns table", census_table(CBP_NEEDED), census_answer(CBP_NEEDED), check)


def test_nonemployer_answers(tmp_path):
    def check(table, clean):
        return parse_answer(tmp_path, "nonemp-2022-99.json", table, clean, nonemployer.parse)[0]
    fuzz("Nonemployer table", census_table(NONEMP_NEEDED), census_answer(NONEMP_NEEDED), check)


lodes_cell = st.one_of(st.integers(-5, 10**6).map(str), st.sampled_from(["", "x", "1.5", "1e3", "-0"]))


good_block = st.integers(1, 10**10 - 1).map(lambda b: f"99001{b:010d}")
good_count = st.integers(0, 10**5).map(str)
lodes_rows = st.lists(st.tuples(st.sampled_from(["990010001001001", "90010001001001", "99001", "",
                                                 "x" * 40, "990010002001002"]),
                                lodes_cell, lodes_cell, lodes_cell), max_size=8)
lodes_headers = st.sampled_from(["w_geocode,C000,CNS07,CFS01", "w_geocode,C000",
                                 "bgrp,C000,CNS07,CFA01", "C000,CNS07,CFS01,w_geocode",
                                 "w_geocode,CNS07,CFS01,C001"])
# well-formed: the WAC header, blocks of the county, whole non-negative counts
good_lodes_files = st.tuples(st.lists(st.tuples(good_block, good_count, good_count, good_count),
                                      min_size=1, max_size=8, unique_by=lambda r: r[0]),
                             st.just("w_geocode,C000,CNS07,CFS01"), st.booleans())


def test_lodes_files(tmp_path):
    def check(case, clean):
        rows, header, gz = case
        width = len(header.split(","))
        lines = [header] + [",".join(list(row)[:width] + [""] * max(0, width - 4)) for row in rows]
        data = ("\n".join(lines) + "\n").encode()
        name = "rv_wac_S000_JT00_2021.csv" + (".gz" if gz else "")
        path = write(tmp_path, name, gzip.compress(data) if gz else data)
        label, parsed = outcome(lambda: lodes.parse([path], ["99001"]), path, clean)
        if parsed is not None:
            jobs, _, stats = parsed
            assert (jobs["jobs_total"].dropna() >= 0).all() or len(jobs) == 0
            if clean:
                assert jobs["jobs_total"].sum() == sum(int(r[1]) for r in rows)
        return label
    fuzz("LODES file", st.tuples(lodes_rows, lodes_headers, st.booleans()), good_lodes_files, check)


# ----------------------------------------------------------------------------- shapes

SQUARES = {"OT": [(-122.92, 45.10), (-122.90, 45.10), (-122.90, 45.12), (-122.92, 45.12)],
           "RS": [(-122.90, 45.10), (-122.88, 45.10), (-122.88, 45.12), (-122.90, 45.12)]}
BOWTIE = [(-122.92, 45.10), (-122.90, 45.12), (-122.90, 45.10), (-122.92, 45.12)]

rings = st.one_of(st.sampled_from([SQUARES["OT"], SQUARES["RS"], BOWTIE, [], [(0, 0)],
                                   [(-122.9, 45.1), (-122.9, 45.1), (-122.9, 45.1)],
                                   [(45.10, -122.92), (45.10, -122.90), (45.12, -122.90)]]),
                  st.lists(st.tuples(st.floats(-123, -122.8), st.floats(45.0, 45.2)),
                           min_size=3, max_size=6))


@st.composite
def feature_collection(draw) -> dict:
    features = []
    for _ in range(draw(st.integers(0, 6))):
        ring = draw(rings)
        closed = [list(p) for p in ring] + ([list(ring[0])] if ring and draw(st.booleans()) else [])
        geometry = draw(st.sampled_from(["polygon", "polygon", "polygon", "null", "point"]))
        shape = ({"type": "Polygon", "coordinates": [closed]} if geometry == "polygon" else
                 {"type": "Point", "coordinates": [-122.91, 45.11]} if geometry == "point" else None)
        properties = {"nbhd_code": draw(st.sampled_from(["OT", "RS", "OT", "", None, 7, 7.0])),
                      "nbhd_name": draw(st.one_of(st.none(), texts))}
        if draw(st.integers(0, 9)) == 0:
            properties.pop("nbhd_name")
        features.append({"type": "Feature", "properties": properties, "geometry": shape})
    return {"type": "FeatureCollection", "features": features}


@st.composite
def clean_collection(draw) -> dict:
    """One or two neighborhoods as the portal publishes them: closed squares, ids, names."""
    codes = draw(st.lists(st.sampled_from(list(SQUARES)), min_size=1, max_size=2, unique=True))
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"nbhd_code": code, "nbhd_name": draw(st.text(max_size=20))},
         "geometry": {"type": "Polygon", "coordinates": [[*map(list, SQUARES[code]), list(SQUARES[code][0])]]}}
        for code in codes]}


def test_geojson_boundaries_account_for_every_feature(tmp_path, profile):
    def check(collection, clean):
        path = write(tmp_path, "bounds.geojson", json.dumps(collection).encode())
        label, found = outcome(lambda: readers.read_boundaries(path, profile), path, clean)
        if found is not None:
            assert found.rows_raw == len(collection["features"])
            assert found.rows_raw == len(found.shapes) + found.rows_merged + len(found.rejected)
            assert all(reason for _, reason, _ in found.rejected)
            assert found.shapes.geometry.is_valid.all()
            assert found.shapes["neighborhood_id"].is_unique
            if clean:
                assert len(found.shapes) == len(collection["features"])
        return label
    fuzz("GeoJSON boundaries", feature_collection(), clean_collection(), check)


def test_zipped_shapefiles(tmp_path, profile):
    def check(case, clean):
        collection, damage = case
        path = zipped_shapefile(tmp_path, collection, damage)
        label, found = outcome(lambda: readers.read_boundaries(path, profile), path, clean)
        if found is not None:
            assert found.rows_raw == len(found.shapes) + found.rows_merged + len(found.rejected)
        return label
    fuzz("zipped shapefile", st.tuples(feature_collection(), st.sampled_from(["none", "truncate", "no prj"])),
         st.tuples(clean_collection(), st.just("none")), check)


def zipped_shapefile(tmp_path: Path, collection: dict, damage: str) -> Path:
    """The polygons of `collection` as a zipped shapefile, damaged as asked."""
    import geopandas as gpd
    from shapely.geometry import shape as to_shape
    features = [f for f in collection["features"]
                if f["geometry"] and f["geometry"]["type"] == "Polygon"
                and len(f["geometry"]["coordinates"][0]) >= 4]
    if not features:
        features = [{"type": "Feature", "properties": {"nbhd_code": "OT", "nbhd_name": "Old Town"},
                     "geometry": {"type": "Polygon", "coordinates": [[*SQUARES["OT"], SQUARES["OT"][0]]]}}]
    frame = gpd.GeoDataFrame(
        {"nbhd_code": [str(f["properties"].get("nbhd_code")) for f in features],
         "nbhd_name": [str(f["properties"].get("nbhd_name"))[:200] for f in features]},
        geometry=[to_shape(f["geometry"]) for f in features], crs="EPSG:4326")
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    frame.to_file(folder / "bounds.shp")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        for part in sorted(folder.iterdir()):
            if not (damage == "no prj" and part.suffix == ".prj"):
                out.write(part, part.name)
    data = archive.getvalue()
    if damage == "truncate":
        data = data[:len(data) // 2]
    return write(tmp_path, "bounds.zip", data)


# ----------------------------------------------------------------------------- profiles

PROFILE_KEYS = ["name", "portal.domain", "geography.state_fips", "geography.county_fips",
                "years.first", "years.lodes", "fields.key", "fields.opened", "dates.formats",
                "fields.latitude", "categories.sectors", "micro.home_based", "aliases.zip",
                "portal.max_age_days", "unknown_key"]
values = st.one_of(st.just('"x"'), st.just("1"), st.just("-5"), st.just("[]"), st.just("{}"),
                   st.just('["a", 1]'), st.just("true"), st.just('"' + "y" * 5000 + '"'),
                   st.just("1e400"), st.just("1979-05-27"))


profile_edits = st.tuples(st.lists(st.tuples(st.sampled_from(PROFILE_KEYS), values), max_size=3),
                          st.one_of(st.none(), st.integers(0, 3000)))


def test_profiles_with_wrong_keys_and_values(tmp_path, profile_file):
    def check(case, clean):
        path = edited_profile(tmp_path, profile_file, *case)
        return outcome(lambda: load_profile(path), path, clean)[0]
    # well-formed: the worked example as it is
    fuzz("city profile", profile_edits, st.just(([], None)), check, parsed_share=0.0)


def edited_profile(tmp_path: Path, profile_file: Path, changes: list, cut: int | None) -> Path:
    text = profile_file.read_text()
    for key, value in changes:
        table, _, name = key.rpartition(".")
        text += f"\n[{table}]\n{name} = {value}\n" if table else ""
        text = (f"{name} = {value}\n" + text) if not table else text
    if cut is not None:
        text = text[:cut]
    return write(tmp_path, "riverton.toml", text.encode())


KINDS = ["registry CSV", "registry SODA JSON", *(f"junk: {p}" for p in PARSERS), "ACS table",
         "Business Patterns table", "Nonemployer table", "LODES file", "GeoJSON boundaries",
         "zipped shapefile", "city profile"]


def fuzz_summary(tried: Counter) -> str:
    """The figures of a run, as docs/reliability.md quotes them (its `fuzz` block)."""
    rows = ["| input | tried | well-formed (each parsed) | others parsed | refused in a sentence |",
            "|---|---:|---:|---:|---:|"]
    total = 0
    for kind in KINDS:
        counts = [tried[f"{kind}: {label}"] for label in (CLEAN, PARSED, REFUSED)]
        total += sum(counts)
        rows.append(f"| {kind} | {sum(counts)} | " + " | ".join(map(str, counts)) + " |")
    raw, loaded, merged, rejected = (tried[f"registry rows {k}"]
                                     for k in ("raw", "loaded", "merged", "rejected"))
    return (f"Last run (derandomized, as in CI): **{total} inputs**.\n\n" + "\n".join(rows)
            + f"\n\nThe registry files that built a database held {raw:,} raw rows = {loaded:,} "
            f"loaded + {merged:,} merged + {rejected:,} rejected, each rejected row kept with its "
            "reason. **Rows lost: 0.**\n")


def test_the_fuzzers_tried_many_inputs():
    """Run last in this file: how many inputs each parser got; with the default settings and
    the whole file run, docs/reliability.md must quote these very figures."""
    if not TRIED:
        pytest.skip("run with the rest of the file")
    print("\n" + "\n".join(f"{name}: {count}" for name, count in sorted(TRIED.items())))
    assert sum(TRIED.values()) >= 100
    complete = all(any(k.startswith(f"{kind}: ") for k in TRIED) for kind in KINDS)
    if not complete or os.environ.get("ATLAS_FUZZ_RANDOM") or os.environ.get("ATLAS_FUZZ_EXAMPLES"):
        return
    text = (ROOT / "docs" / "reliability.md").read_text()
    quoted = text.split("<!-- fuzz:start -->\n")[1].split("<!-- fuzz:end -->")[0]
    # The inputs per parser are fixed by the derandomized draws; the rows the generated
    # registries held depend on what else ran in the session, so the doc's row sentence is
    # checked for what it promises (rows add up, none lost), not for its exact numbers.
    # How many inputs each parser got (and how many were well-formed) is fixed by the
    # derandomized draws; which of the others parse or are refused, and the rows the
    # generated registries hold, depend on what else ran in the session (hypothesis shares
    # state across tests), so those columns are not compared.
    def fixed(text: str) -> list[tuple[str, ...]]:
        rows = [line.split("|")[1:4] for line in text.splitlines() if line.startswith("| ")]
        return [tuple(cell.strip() for cell in row) for row in rows[1:]]
    assert fixed(quoted) == fixed(fuzz_summary(TRIED)), \
        "docs/reliability.md quotes other fuzz figures; put these between its fuzz markers:\n" \
        + fuzz_summary(TRIED)
    raw, loaded, merged, rejected = (TRIED[f"registry rows {k}"]
                                     for k in ("raw", "loaded", "merged", "rejected"))
    assert raw == loaded + merged + rejected > 0 and "**Rows lost: 0.**" in quoted
