"""Hostile input to the app: every URL key on every page, SQL in the dashboard, XSS in names.

- AppTest feeds each page every URL key at once with SQL fragments, script tags, a
  10,000-character string and unknown values: no exception, no error box, a fallback with a
  notice for the keys the page reads, the URL rewritten to the fallback, the database file
  unchanged.
- A static check reads every SQL string of dashboard/ and allows only interpolations that
  cannot carry a visitor's value; the app opens databases read-only.
- A browser test serves a database whose names hold script and onerror payloads: pages show
  them as text and `window.__pwned` stays undefined.
"""
from __future__ import annotations

import ast
import hashlib
import sys
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES
from tests.server import start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
APP = "../app.py"
URL_KEYS = ["city", "metric", "category", "level", "year", "classes", "k", "base", "n",
            "compare", "x"]
HOSTILE = {
    "sql": "'; DROP TABLE businesses; --",
    "script": "<script>window.__pwned=1</script>",
    "long": "x" * 10_000,
    "unknown": "nowhere-at-all",
    "tricky": "N1' OR '1'='1",
}
XSS = ["<script>window.__pwned=1</script>", "<img src=x onerror=window.__pwned=1>"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_page(path: str, params: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if path != PAGES[0].path:
        at.switch_page(path).run()
    return at


def url_value(at: AppTest, key: str):
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


@pytest.fixture
def tiny_env(tiny_dir, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tiny_dir))
    return tiny_dir


@pytest.mark.parametrize("kind", list(HOSTILE))
@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_every_url_key_with_hostile_values_falls_back(tiny_env, page, kind):
    db = tiny_env / "tiny.duckdb"
    before = digest(db)
    at = run_page(page.path, {key: HOSTILE[kind] for key in URL_KEYS})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    notices = " ".join(w.value for w in at.warning)
    if page.keys:
        assert "not available here" in notices, f"no notice on {page.url_path}"
    for key in page.keys:
        assert url_value(at, key) != HOSTILE[kind], f"{key} kept the hostile value"
    assert digest(db) == before


def test_hostile_values_on_the_demo_city_leave_it_unchanged(app_env):
    db = app_env / "demo.duckdb"
    before = digest(db)
    for page in PAGES:
        at = run_page(page.path, {key: HOSTILE["sql"] for key in URL_KEYS})
        assert not at.exception and not at.error, page.url_path
    assert digest(db) == before
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM businesses").fetchone()[0] > 0


def test_a_hostile_value_in_one_key_keeps_the_others(tiny_env):
    at = run_page("pages/map.py", {"metric": "jobs_total", "year": HOSTILE["sql"], "k": "5"})
    assert not at.exception and not at.error
    assert at.selectbox(key="w_metric").value == "jobs_total"
    assert at.selectbox(key="w_k").value == 5
    assert any("'year'" in w.value for w in at.warning)


# ----------------------------------------------------------------------------- SQL in dashboard/

SQL_CALLS = {"query", "scalar", "execute", "sql", "read_sql"}
# Helpers that take SQL text, and where it is among their arguments.
SQL_HELPERS = {"ranked_by_area": 1}
# Interpolations that cannot carry a visitor's value, and why.
SAFE_INTERPOLATIONS = {
    "_marks(metric_ids)": "only '?' placeholders",
    "_marks(geo_ids)": "only '?' placeholders",
    "_marks(values)": "only '?' placeholders",
    "_marks(kinds)": "only '?' placeholders",
    "', '.join(('?' for _ in kinds))": "only '?' placeholders",
    "area_names_sql(geo_level)": "one of two fixed queries; anything else raises",
    "names": "built from area_names_sql and a literal",
    "marks": "only '?' placeholders",
    "value": "mix.category_by_area: a column picked from a fixed dict by measure (else KeyError)",
    "table": "a table name from code, passed through has_table first (must exist)",
    "values_sql": "queries.ranked_by_area: SQL text its callers write (scanned there too)",
    "SOUND": "queries.SOUND: a constant SQL condition written in code",
    "low": "mix.category_by_area: a column or literal picked from a fixed dict by measure",
}


def literal_format(node: ast.AST) -> bool:
    """`TEMPLATE.format(v='value', ...)`: only literals go in."""
    return (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format"
            and all(isinstance(a, ast.Constant) for a in node.args)
            and all(isinstance(k.value, ast.Constant) for k in node.keywords))


def sql_interpolations() -> list[tuple[str, int, str]]:
    """Every expression formatted into a string handed to a database call in dashboard/."""
    found = []
    for path in sorted((ROOT / "dashboard").glob("*.py")):
        tree = ast.parse(path.read_text())
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
            where = 0 if isinstance(call.func, ast.Attribute) and name in SQL_CALLS \
                else SQL_HELPERS.get(name)
            if where is None or len(call.args) <= where:
                continue
            for node in ast.walk(call.args[where]):
                if isinstance(node, ast.FormattedValue) and not literal_format(node.value):
                    found.append((path.name, node.lineno, ast.unparse(node.value)))
                elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
                    found.append((path.name, node.lineno, "% formatting"))
                elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format" \
                        and not literal_format(node):
                    found.append((path.name, node.lineno, ast.unparse(node)))
    return found


def test_dashboard_sql_takes_values_as_parameters_only():
    found = sql_interpolations()
    assert found, "the scan found no SQL at all: it is not looking in the right place"
    unsafe = [f"{name}:{line}: {expr}" for name, line, expr in found
              if expr not in SAFE_INTERPOLATIONS]
    assert not unsafe, "SQL built from values that are not on the allow-list:\n" + "\n".join(unsafe)


def test_the_scan_catches_a_formatted_value(tmp_path, monkeypatch):
    """The check above can fail: a query formatted with a visitor's value is caught."""
    fake = tmp_path / "dashboard"
    fake.mkdir()
    (fake / "bad.py").write_text('def q(db, metric):\n'
                                 '    return db.query(f"SELECT * FROM m WHERE id = \'{metric}\'")\n')
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert sql_interpolations() == [("bad.py", 2, "metric")]


def test_area_names_refuse_an_unknown_level():
    from dashboard import queries
    with pytest.raises(ValueError):
        queries.area_names_sql("neighborhood; DROP TABLE businesses")


def test_the_app_opens_databases_read_only(tiny_dir):
    from dashboard.db import open_database
    db = open_database(tiny_dir / "tiny.duckdb")
    with pytest.raises(duckdb.Error, match="read-only"):
        db.con.execute("DROP TABLE businesses")
    with pytest.raises(duckdb.Error):
        db.query("SELECT 1; DROP TABLE businesses")
    assert db.scalar("SELECT count(*) FROM businesses") > 0


# ----------------------------------------------------------------------------- XSS in the browser

@pytest.fixture(scope="module")
def xss_dir(tmp_path_factory) -> Path:
    """The tiny city with script and onerror payloads in every name a page shows."""
    from data_pipeline.load import write_database
    from tests.tiny_city import tiny_city
    data = tiny_city()
    hoods = data.neighborhoods
    hoods["name"] = [f"{XSS[i % 2]} Area {i}" for i in range(len(hoods))]
    data.businesses["name"] = [XSS[i % 2] for i in range(len(data.businesses))]
    data.businesses["raw_category"] = XSS[0]
    first = data.businesses["category"].iloc[0]
    data.businesses.loc[data.businesses["category"] == first, "category"] = XSS[1]
    if data.tracts is not None:
        data.tracts["name"] = XSS[0]
    folder = tmp_path_factory.mktemp("xss")
    write_database(data, folder / "xss.duckdb")
    return folder


@pytest.fixture(scope="module")
def xss_server(xss_dir):
    server, url, log = start_server(xss_dir)
    yield url
    stop_server(server, log)


def settle(page) -> None:
    """Wait until the app has drawn the page and stopped running."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=60_000)
    page.wait_for_timeout(500)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(800)


@pytest.mark.browser
def test_names_with_script_are_shown_as_text_and_never_run(xss_server, browser):
    from tests.conftest import screenshot
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    seen_as_text = 0
    try:
        for spec in PAGES:
            extra = {"profile": "?n=N1", "jobs": "?n=N1", "diversity": "?n=N1",
                     "compare": "?compare=N1,N2"}.get(spec.url_path, "")
            page.goto(f"{xss_server}/{spec.url_path}{extra}")
            settle(page)
            assert page.evaluate("() => window.__pwned") is None, spec.url_path
            text = page.inner_text("body")
            seen_as_text += sum(payload in text for payload in XSS)
            assert "Traceback" not in text
            if spec.url_path == "profile":
                screenshot(page, "hostile-xss-profile")
        for element in page.query_selector_all("img[src='x']"):
            raise AssertionError(f"an <img> from a name was rendered: {element}")
    finally:
        context.close()
    assert not alerts
    assert seen_as_text >= 3, "the names did not show as text on the pages"
