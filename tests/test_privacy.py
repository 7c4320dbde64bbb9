"""Privacy: no page, hover, table or export shows the address or the owner's name of a
home-based or sole-proprietor business, or a count of businesses below the threshold (3).

Two cities are scanned:

- a Riverton import (the worked example of docs/cities.md, plus a sole-proprietor rule)
  whose registry holds home-based businesses with distinctive addresses and sole
  proprietors trading under their own distinctive names — kept, merged and rejected rows;
- the demo city, whose home-based businesses' generated addresses are known from its seed.

Scanned: every table of the database (what the dashboard can query), every page rendered
by AppTest (markdown, titles, metrics, tables, selectors, plotly figures with their hover
text), and every export (CSV, XLSX, GeoJSON, the PDF brief's text via pypdf).
"""
from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES
from tests.apptest import run_page

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "tests" / "fixtures" / "local"
THRESHOLD = 3
BUSINESS_COUNTS = ["active_businesses", "micro_businesses", "formations", "closures"]
# "1 business", "2 new businesses" ... but not the rule that explains the word "withheld"
# ("fewer than 2 businesses", "counts below 2 businesses"): that names the threshold.
SMALL_COUNT = re.compile(r"(?<![\d.,])(?<!fewer than )(?<!below )[12] "
                         r"(?:new |closed |active |micro-)?(?:business|businesses)\b")

# Riverton: home-based addresses and sole proprietors' own names nobody may see.
HOME_ADDRESSES = ["17 Quiet Hollow Lane", "23 Secret Garden Way", "4 Hidden Nook Court",
                  "99 Faraway Cul-de-sac"]
OWNER_NAMES = ["Zelda Quintanilla", "Bartholomew Okonkwo-Vance", "Philippa Marchetti-Ross"]
SOLE_ADDRESSES = ["8 Sole Trader Row"]


def test_the_small_count_pattern_finds_counts_and_not_the_rule_that_explains_them():
    from dashboard.formatting import withheld_explanation
    assert SMALL_COUNT.findall("Eastwater: 2 businesses; Millbrook: 1 new business")
    assert SMALL_COUNT.findall("<br>Based on: 1 business<br>")
    for threshold in (1, 2, 3):
        assert not SMALL_COUNT.findall(withheld_explanation(threshold)), threshold
    assert not SMALL_COUNT.findall("12 businesses, 21 businesses, 1.2 businesses per 1,000")


def riverton_private_profile(folder: Path) -> Path:
    text = (ROOT / "docs" / "cities.md").read_text()
    block = re.search(r"Save this as `data/cities/riverton.toml`:\n\n```toml\n(.*?)```", text, re.S)
    profile = block.group(1).replace('longitude = ["Longitude"]',
                                     'longitude = ["Longitude"]\nownership = ["Ownership"]')
    profile += '\n[[micro.sole_proprietor]]\nfield = "ownership"\nequals = ["Individual"]\n'
    path = folder / "riverton.toml"
    path.write_text(profile)
    return path


def riverton_rows() -> list[dict]:
    """Enough storefronts to publish some counts, and the private rows among them."""
    rows, number = [], 0

    def add(name, category, home, owner, street, lat, lon, start="2019-05-01", end=""):
        nonlocal number
        number += 1
        rows.append({"Registration ID": f"R-{number:04d}", "Business Name": name,
                     "Trade Category": category, "Start Date": start, "End Date": end,
                     "Status": "Active" if not end else "Closed", "Home Based": home,
                     "Ownership": owner, "Street": street, "Zip": "99001",
                     "Latitude": lat, "Longitude": lon})
    for i in range(12):
        add(f"Storefront {i}", ["Retail", "Food Service"][i % 2], "N", "LLC", f"{i} Main St",
            45.105 + i * 0.0005, -122.915)
    for i in range(5):
        add(f"Dock Shop {i}", "Retail", "N", "Corporation", f"{i} Dock Rd", 45.11, -122.885 - i * 0.001)
    for i, street in enumerate(HOME_ADDRESSES[:3]):
        add(f"Home Studio {i}", "Personal Services", "Y", "LLC", street, 45.111, -122.911 + i * 0.001)
    for i, owner in enumerate(OWNER_NAMES[:2]):
        add(owner, "Construction", "N", "Individual", SOLE_ADDRESSES[0], 45.113, -122.893 + i * 0.001,
            start="2023-02-01")
    add(OWNER_NAMES[2], "Personal Services", "Y", "Individual", HOME_ADDRESSES[3],
        45.30, -122.70)                                           # outside the city: rejected
    add("Home Studio 9", "Personal Services", "Y", "LLC", HOME_ADDRESSES[0], 45.111, -122.911,
        start="2018-01-01", end="2019-04-30")                     # an earlier term: merged
    return rows


@pytest.fixture(scope="module")
def private_dir(tmp_path_factory) -> Path:
    from data_pipeline import city
    folder = tmp_path_factory.mktemp("private")
    profile = riverton_private_profile(folder)
    registry = folder / "riverton.csv"
    pd.DataFrame(riverton_rows()).to_csv(registry, index=False)
    data = folder / "data"
    data.mkdir()
    city.import_files(profile, registry, LOCAL / "riverton_neighborhoods.geojson",
                      db=data / "riverton.duckdb", suppression_threshold=THRESHOLD)
    city.import_files(profile, registry, LOCAL / "riverton_neighborhoods.geojson",
                      db=folder / "riverton_truth.duckdb", suppression_threshold=0)
    return data


def given_away(data: Path) -> set[tuple]:
    """Small counts that a reader works out from the counts that are never withheld (a
    neighborhood's or the city's active businesses) even with every other count hidden:
    hiding them protects nothing, so they may be shown. Decided by the test's own
    linear-programme reader (tests/test_metrics_properties.py), not by the engine."""
    from tests.test_metrics_properties import pinned_counts, reader_view
    truth = data.parent / "riverton_truth.duckdb"
    with duckdb.connect(str(truth), read_only=True) as t, \
            duckdb.connect(str(data / "riverton.duckdb"), read_only=True) as p:
        cells, lines = reader_view(t, p)
    never = (cells["measure"] == "active_businesses") & cells["geo_level"].isin(
        ["neighborhood", "city"])
    hidden = (~never & ~cells["geo_level"].str.startswith("rest_")).to_numpy(bool)
    found = pinned_counts(cells["truth"].to_numpy(float), hidden, lines, THRESHOLD)
    pinned = cells.loc[found]
    return set(zip(pinned["geo_id"], pinned["year"], pinned["category"]))


PRIVATE = HOME_ADDRESSES + OWNER_NAMES + SOLE_ADDRESSES


@pytest.fixture(scope="module")
def demo_private() -> list[str]:
    """Addresses of the demo city's home-based businesses (never of a storefront too)."""
    from data_pipeline import demo
    from data_pipeline.demo import census as demo_census, geography as demo_geography
    from data_pipeline.demo import licenses as demo_licenses, registry as demo_registry
    from data_pipeline.demo.words import HOME_LICENSES
    rng = np.random.default_rng(42)
    place = demo_geography.build_geography(rng, demo.ROLE_NAMES, demo.NEIGHBORHOOD_NAMES)
    tracts = demo_census.describe_residents(place.tracts, place.neighborhoods, demo.LAST_YEAR, rng)
    world = demo_registry.simulate_businesses(place.neighborhoods, tracts, demo.FIRST_YEAR,
                                              demo.LAST_YEAR, rng)
    raw = demo_licenses.raw_registry(world, place.outline, demo.AS_OF, rng)
    home = raw["license_type"].isin(HOME_LICENSES)
    public = set(raw.loc[~home, "address"].dropna())
    private = sorted(set(raw.loc[home, "address"].dropna()) - public)
    assert len(private) > 100
    return private


# ----------------------------------------------------------------------------- the database

def table_text(db: Path, skip: set[tuple[str, str]] = frozenset()) -> dict[str, str]:
    """Every text column of every table, as one string per table."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        for table in tables:
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "AND data_type = 'VARCHAR'", [table]).fetchall()]
            columns = [c for c in columns if (table, c) not in skip]
            if columns:
                values = set()
                for column in columns:
                    values |= {r[0] for r in con.execute(
                        f'SELECT DISTINCT "{column}" FROM "{table}"').fetchall() if r[0]}
                out[table] = "\n".join(sorted(values))
    return out


_PATTERNS: dict[tuple, re.Pattern] = {}


def leaks(text: str, private: list[str]) -> list[str]:
    """The private strings found in `text` as whole words ('101 3rd Ave' is not in '1101 3rd Ave')."""
    key = tuple(private)
    if key not in _PATTERNS:
        words = "|".join(re.escape(p) for p in sorted(private, key=len, reverse=True))
        _PATTERNS[key] = re.compile(rf"(?<![\w-])(?:{words})(?![\w-])")
    return sorted(set(_PATTERNS[key].findall(text)))


def test_the_private_city_keeps_what_it_must_and_withholds_the_rest(private_dir):
    db = private_dir / "riverton.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        home = con.execute("SELECT count(*), count(address) FROM businesses WHERE home_based").fetchone()
        sole = con.execute("SELECT count(*), count(name) FROM businesses WHERE sole_proprietor").fetchone()
        rejected = con.execute("SELECT raw FROM rejected_records").fetchall()
    assert home[0] >= 3 and home[1] == 0
    assert sole[0] >= 2 and sole[1] == 0
    assert any("withheld" in raw for (raw,) in rejected), "the rejected private row is kept"


def test_no_table_holds_a_private_address_or_owner_name(private_dir):
    found = {table: leaks(text, HOME_ADDRESSES + OWNER_NAMES)
             for table, text in table_text(private_dir / "riverton.duckdb").items()}
    assert not {t: f for t, f in found.items() if f}


def test_no_table_of_the_demo_holds_a_demo_home_address(demo_db, demo_private):
    # rejected_records.raw included: the demo withholds private fields there as a real
    # import does.
    texts = table_text(demo_db)
    found = {table: leaks(text, demo_private) for table, text in texts.items()}
    assert not {t: f[:3] for t, f in found.items() if f}


# ----------------------------------------------------------------------------- the pages

def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def rendered(at: AppTest) -> tuple[str, list[pd.DataFrame], list[dict]]:
    """All text of a page (element protos, incl. plotly specs), its tables and figures."""
    texts, frames, figures = [], [], []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            texts.append(str(proto))
        if getattr(node, "type", "") in ("arrow_data_frame", "dataframe", "table"):
            try:
                frames.append(node.value)
            except Exception:   # noqa: BLE001 - an element that holds no table
                pass
        spec = getattr(proto, "spec", None)
        if isinstance(spec, str) and spec.startswith("{"):
            figures.append(json.loads(spec))
    texts += [f.to_csv(index=False) for f in frames]
    return "\n".join(texts), frames, figures


def numbers_in(values) -> list[float]:
    out = []
    for value in values:
        if isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value):
            out.append(float(value))
        elif isinstance(value, str) and re.fullmatch(r"[\d,]+(\.\d+)?", value.strip()):
            out.append(float(value.replace(",", "")))
    return out


def assert_no_small_counts(text: str, figures: list[dict], metric_is_count: bool, where: str) -> None:
    assert not SMALL_COUNT.findall(text), f"{where}: {SMALL_COUNT.findall(text)[:3]}"
    if not metric_is_count:
        return
    for figure in figures:
        for trace in figure.get("data", []):
            if trace.get("type") in ("choropleth", "choroplethmap", "choroplethmapbox"):
                small = [z for z in numbers_in(trace.get("z", [])) if 0 <= z < THRESHOLD]
                assert not small, f"{where}: a map colours an area by a count below 3 ({small})"


PAGE_VIEWS = [(spec.path, {}) for spec in PAGES] + [
    ("pages/profile.py", {"n": "OT"}), ("pages/profile.py", {"n": "RS"}),
    ("pages/compare.py", {"compare": "OT,RS"}), ("pages/diversity.py", {"n": "RS"}),
    *[("pages/map.py", {"metric": m, "year": str(y)}) for m in BUSINESS_COUNTS for y in (2019, 2023)],
    ("pages/map.py", {"category": "Personal services & repair", "year": "2023"}),
    ("pages/map.py", {"metric": "formations_per_100_active", "year": "2023"}),
]


@pytest.fixture
def private_env(private_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(private_dir))
    return private_dir


@pytest.mark.parametrize("path, params", PAGE_VIEWS,
                         ids=[f"{p.split('/')[-1][:-3]}-{'-'.join(v.values()) or 'default'}"
                              for p, v in PAGE_VIEWS])
def test_pages_show_no_private_detail_and_no_small_count(private_env, path, params):
    at = run_page(path, params)
    text, frames, figures = rendered(at)
    assert not leaks(text, PRIVATE), f"{path} {params}: {leaks(text, PRIVATE)}"
    is_count = params.get("metric") in BUSINESS_COUNTS or "category" in params
    assert_no_small_counts(text, figures, is_count, f"{path} {params}")
    if path.endswith("map.py") and is_count:
        ranking = next(f for f in frames if "Value" in f.columns and len(f) >= 2)
        small = [v for v in numbers_in(ranking["Value"]) if 0 <= v < THRESHOLD]
        assert not small, f"the ranking shows counts below 3: {small}"


def test_the_demo_pages_show_no_home_address(app_env, demo_private):
    for spec in PAGES:
        text, _, _ = rendered(run_page(spec.path))
        assert not leaks(text, demo_private), spec.url_path


# ----------------------------------------------------------------------------- the exports

def export_texts(db_path: Path) -> dict[str, str]:
    """Every export of every neighborhood and every business-count map, as text."""
    from pypdf import PdfReader

    from dashboard import brief, exports
    from dashboard.db import open_database
    db = open_database(db_path)
    made = date(2026, 1, 1)
    hoods = db.query("SELECT neighborhood_id FROM neighborhoods ORDER BY 1")["neighborhood_id"]
    years = db.query("SELECT DISTINCT year FROM metrics_long ORDER BY 1")["year"].tolist()
    out = {}
    for hood in [*hoods, None]:
        if hood is not None:
            figures = exports.neighborhood_figures(db, hood)
            meta = exports.figures_meta(db, hood, made)
            out[f"figures {hood} csv"] = exports.as_csv(figures, meta).decode("utf-8")
            workbook = pd.read_excel(io.BytesIO(exports.as_xlsx(figures, meta)), sheet_name=None)
            out[f"figures {hood} xlsx"] = "\n".join(f.to_csv(index=False) for f in workbook.values())
        pdf = PdfReader(io.BytesIO(brief.make_brief(db, hood, made)))
        out[f"brief {hood}"] = "\n".join(page.extract_text() for page in pdf.pages)
    for metric in BUSINESS_COUNTS:
        for year in years:
            out[f"geojson {metric} {year}"] = exports.map_geojson(db, metric, year).decode("utf-8")
    return out


@pytest.fixture(scope="module")
def private_exports(private_dir) -> dict[str, str]:
    return export_texts(private_dir / "riverton.duckdb")


def test_exports_hold_no_private_detail(private_exports):
    found = {name: leaks(text, PRIVATE) for name, text in private_exports.items()}
    assert not {n: f for n, f in found.items() if f}
    assert len(private_exports) >= 10


def test_exports_hold_no_small_count(private_exports):
    for name, text in private_exports.items():
        assert not SMALL_COUNT.findall(text), f"{name}: {SMALL_COUNT.findall(text)[:3]}"
        if name.startswith("geojson"):
            for feature in json.loads(text)["features"]:
                props, value = feature["properties"], feature["properties"]["value"]
                if props["metric_id"] == "active_businesses":   # never withheld: the rule
                    continue
                assert value is None or value >= THRESHOLD, f"{name}: {props}"
    hidden = sum(f["properties"]["suppressed"] for name, text in private_exports.items()
                 if name.startswith("geojson") for f in json.loads(text)["features"])
    assert hidden > 0, "no count was small enough to hide: the check saw nothing to check"


def test_figures_exports_blank_every_hidden_count(private_dir):
    from dashboard import exports
    from dashboard.db import open_database
    db = open_database(private_dir / "riverton.duckdb")
    away = given_away(private_dir)
    for hood in ("OT", "RS"):
        frame = exports.neighborhood_figures(db, hood)
        # A neighborhood's number of active businesses is never withheld, whatever its size.
        counts = frame[frame["metric_id"].isin([*BUSINESS_COUNTS, "category_count"])
                       & (frame["metric_id"] != "active_businesses")]
        shown = counts[~counts["suppressed"].astype(bool) & counts["value"].notna()]
        small = shown[shown["value"] < THRESHOLD]
        keys = set(zip([hood] * len(small), small["year"], small["category"].fillna("")))
        assert keys <= away, small            # a small count shown only if it is given away
        assert counts[counts["suppressed"].astype(bool)]["value"].isna().all()
        assert counts["suppressed"].astype(bool).any()
