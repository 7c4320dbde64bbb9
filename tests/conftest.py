"""Shared fixtures: one demo database per test session, a live Streamlit server, a browser."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# "Find my neighborhood" never asks the Census Geocoder in tests (the servers started here
# inherit it too); tests of the online search record its answers with `responses`.
os.environ["ATLAS_GEOCODER"] = "off"
REALDATA = ROOT.parent / "shared" / "realdata"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A data folder holding the demo city's database, built once per test session."""
    from data_pipeline.demo import build_demo
    folder = tmp_path_factory.mktemp("data")
    build_demo(folder / "demo.duckdb")
    return folder


@pytest.fixture(scope="session")
def demo_db(demo_dir) -> Path:
    return demo_dir / "demo.duckdb"


@pytest.fixture(scope="session")
def withheld_dir(tmp_path_factory) -> Path:
    """A data folder with the demo city built as a registry that is not public row by row
    (`--suppress-below 3`): small counts and their complements withheld."""
    from data_pipeline.demo import build_demo
    folder = tmp_path_factory.mktemp("withheld")
    build_demo(folder / "demo.duckdb", suppression_threshold=3, layers=False)   # neighborhoods only
    return folder


@pytest.fixture(scope="session")
def withheld_db(withheld_dir) -> Path:
    return withheld_dir / "demo.duckdb"


@pytest.fixture
def withheld_env(withheld_dir, monkeypatch) -> Path:
    """Point the app at the demo built with suppression on."""
    monkeypatch.setenv("ATLAS_DATA_DIR", str(withheld_dir))
    return withheld_dir


@pytest.fixture
def app_env(demo_dir, monkeypatch) -> Path:
    """Point the app at the session's demo database."""
    monkeypatch.setenv("ATLAS_DATA_DIR", str(demo_dir))
    return demo_dir


def browser_available() -> bool:
    return Path(CHROMIUM).exists()


def require_browser() -> None:
    """Skip without Chromium on a developer's machine; fail in CI, where it must be there."""
    if browser_available():
        return
    message = "Debian's chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must run the browser tests.")
    pytest.skip(message)


@pytest.fixture(scope="session")
def streamlit_server(demo_dir):
    """`streamlit run app.py` headless on 127.0.0.1 at a free port, on the demo database."""
    from tests.server import start_server, stop_server
    server, url, log = start_server(demo_dir)
    yield url
    stop_server(server, log)


BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


ARTIFACTS = ROOT / "tests" / "artifacts"


def screenshot(page, name: str) -> Path:
    """Save what the test saw, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    """A data folder holding only the tiny hand-made city (tests/tiny_city.py), built as a
    registry that is not public row by row (counts below 3 withheld), so the tests of the
    exports, brief and images see withheld figures beside published ones."""
    from data_pipeline.load import write_database
    from tests.tiny_city import tiny_city
    folder = tmp_path_factory.mktemp("tiny")
    write_database(tiny_city(), folder / "tiny.duckdb", suppression_threshold=3)
    return folder


@pytest.fixture(scope="session")
def partial_dir(tmp_path_factory) -> Path:
    """A data folder holding the tiny city as a real import without LODES jobs, census
    tracts (so no residents) or Census Business Patterns would be."""
    from data_pipeline import canonical as c
    from data_pipeline.load import write_database
    from tests.tiny_city import tiny_city
    data = tiny_city()
    data.tracts, data.tract_weights = None, None
    data.jobs = c.empty_frame(c.JOB_COLUMNS)
    data.business_patterns = c.empty_frame(c.BUSINESS_PATTERN_COLUMNS)
    data.zip_weights = c.empty_frame(c.ZIP_WEIGHT_COLUMNS)
    data.businesses["tract_geoid"] = None
    data.sources = data.sources[data.sources["kind"].isin(["businesses", "neighborhoods"])]
    folder = tmp_path_factory.mktemp("partial")
    write_database(data, folder / "partial.duckdb")
    return folder
