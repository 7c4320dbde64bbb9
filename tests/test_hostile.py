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

from dashboard.registry import PAGES
from tests.apptest import param, run_page
from tests.server import start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]
URL_KEYS = ["city", "metric", "category", "level", "year", "classes", "k", "base", "n",
            "compare", "x", "layer", "area"]
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
        assert param(at, key) != HOSTILE[kind], f"{key} kept the hostile value"
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

SQL_CALLS = {"query", "run", "scalar", "execute", "sql", "read_sql"}
# Helpers that take SQL text, and where it is among their arguments.
SQL_HELPERS = {"ranked_by_area": 1}
# What may be formatted or concatenated into SQL, where (file:function:expression), and why.
# A name is followed to what the function (or the module) assigns to it, so only the
# expressions that finally reach the SQL are listed; a string constant needs no entry.
SAFE_INTERPOLATIONS = {
    "db.py:query:sql": "the database wrapper runs what its callers write (scanned there)",
    "db.py:run:sql": "the database wrapper runs what its callers write (scanned there)",
    "db.py:scalar:sql": "the database wrapper runs what its callers write (scanned there)",
    "frame.py:_cached_query:sql": "the cache runs what its callers write (scanned there)",
    "geometry.py:neighbors:shapely.buffer(geoms, 1e-05)": "not SQL: shapely's STRtree.query",
    "mix.py:category_by_area:{'category_count': ('count', 'category_counts', 'false'), "
    "'location_quotient': ('lq', 'location_quotients', 'low_count')}[measure]":
        "a column, table and flag picked from a fixed dict by measure (else KeyError)",
    "mix.py:category_mix:', '.join(('?' for _ in geo_ids)) or 'NULL'": "only '?' placeholders",
    "queries.py:has_rows:table": "a table name from code, passed through has_table first (must exist)",
    "queries.py:area_shapes:area_sql(geo_level)": "one of two fixed queries; anything else raises",
    "queries.py:areas:area_sql(geo_level)": "one of two fixed queries; anything else raises",
    "queries.py:area_name:area_sql(geo_level)": "one of two fixed queries; anything else raises",
    "queries.py:ranked_by_area:area_sql(geo_level)": "one of two fixed queries; anything else raises",
    "queries.py:area_profile:area_sql(geo_level)": "one of two fixed queries; anything else raises",
    "queries.py:ranked_by_area:values_sql": "SQL text its callers write (scanned there too)",
    "queries.py:area_series:area_sql(geo_level)": "one of two fixed queries; anything else raises",
    "queries.py:processing_by_category:area_sql('neighborhood')": "a fixed query (a literal level)",
    **{f"queries.py:{function}:_marks({names})": "only '?' placeholders"
       for function, names in (("latest_city_values", "metric_ids"), ("city_series", "metric_ids"),
                               ("area_series", "metric_ids"), ("area_series", "geo_ids"),
                               ("area_profile", "metric_ids"))},
}


def literal_format(node: ast.AST) -> bool:
    """`TEMPLATE.format(v='value', ...)`: only literals go in."""
    return (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format"
            and all(isinstance(a, ast.Constant) for a in node.args)
            and all(isinstance(k.value, ast.Constant) for k in node.keywords))


def assignments(scope: ast.AST) -> dict[str, list[ast.AST]]:
    """Values assigned to each plain name in `scope` (not in functions nested in it)."""
    found: dict[str, list[ast.AST]] = {}
    todo = list(ast.iter_child_nodes(scope))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Assign):   # a, b = ...: each name may hold any of it
            targets = [n for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            targets = [node.target] if isinstance(node.target, ast.Name) else []
        else:
            targets = []
        for target in targets:
            if node.value is not None:
                found.setdefault(target.id, []).append(node.value)
        todo.extend(ast.iter_child_nodes(node))
    return found


class SqlScan:
    """What reaches the SQL text of one call: every expression formatted or concatenated
    into it, following names to the values the function or the module gives them."""

    def __init__(self, file: str, function: str, local: dict, module: dict):
        self.file, self.function, self.local, self.module = file, function, local, module
        self.found: list[tuple[str, int, str]] = []
        self.seen: set[int] = set()

    def record(self, node: ast.AST, text: str) -> None:
        self.found.append((self.file, node.lineno, f"{self.file}:{self.function}:{text}"))

    def text(self, node: ast.AST) -> None:
        """`node` is (part of) the SQL text itself."""
        if isinstance(node, ast.Constant):
            return
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.FormattedValue) and not literal_format(part.value):
                    self.value(part.value)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            self.text(node.left)
            self.text(node.right)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            self.record(node, "% formatting")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "format":
            if not literal_format(node):
                self.record(node, ast.unparse(node))
        else:
            self.value(node)

    def value(self, node: ast.AST) -> None:
        """`node` is put into the SQL text: a name is followed, anything else recorded."""
        if not isinstance(node, ast.Name):
            self.record(node, ast.unparse(node))
            return
        if id(node) in self.seen:
            return
        self.seen.add(id(node))
        values = self.local.get(node.id) or self.module.get(node.id)
        if not values:                       # a parameter: whatever the caller passed
            self.record(node, node.id)
        for value in values or []:
            if id(value) not in self.seen:
                self.seen.add(id(value))
                self.text(value)


def sql_interpolations() -> list[tuple[str, int, str]]:
    """Every expression formatted or concatenated into a string handed to a database call
    in dashboard/: (file, line, 'file:function:expression')."""
    found = []
    for path in sorted((ROOT / "dashboard").glob("*.py")):
        tree = ast.parse(path.read_text())
        module = assignments(tree)
        scopes = [(node.name, node) for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
        inner = {id(call) for _, scope in scopes for node in ast.walk(scope)
                 for call in [node] if isinstance(call, ast.Call)}
        scopes.append(("<module>", tree))
        done: set[int] = set()
        # innermost scope first, so that a call is scanned with its own function's names
        for name, scope in sorted(scopes, key=lambda s: len(list(ast.walk(s[1])))):
            local = assignments(scope) if scope is not tree else {}
            for call in ast.walk(scope):
                if not isinstance(call, ast.Call) or id(call) in done:
                    continue
                if scope is tree and id(call) in inner:
                    continue
                done.add(id(call))
                called = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
                where = 0 if isinstance(call.func, ast.Attribute) and called in SQL_CALLS \
                    else SQL_HELPERS.get(called)
                if where is None or len(call.args) <= where:
                    continue
                scan = SqlScan(path.name, name, local, module)
                scan.text(call.args[where])
                found += scan.found
    return found


def test_dashboard_sql_takes_values_as_parameters_only():
    found = sql_interpolations()
    assert found, "the scan found no SQL at all: it is not looking in the right place"
    unsafe = [f"{name}:{line}: {key}" for name, line, key in found if key not in SAFE_INTERPOLATIONS]
    assert not unsafe, "SQL built from values that are not on the allow-list:\n" + "\n".join(unsafe)
    unused = set(SAFE_INTERPOLATIONS) - {key for _, _, key in found}
    assert not unused, f"allow-list entries the code no longer needs: {sorted(unused)}"


def scan_of(tmp_path, monkeypatch, code: str) -> list[tuple[str, int, str]]:
    """What the scan finds in a dashboard/ holding one file, bad.py, with `code`."""
    fake = tmp_path / "dashboard"
    fake.mkdir()
    (fake / "bad.py").write_text(code)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    return sql_interpolations()


def test_the_scan_catches_a_formatted_value(tmp_path, monkeypatch):
    """The check above can fail: a query formatted with a visitor's value is caught."""
    code = 'def q(db, metric):\n    return db.query(f"SELECT * FROM m WHERE id = \'{metric}\'")\n'
    assert scan_of(tmp_path, monkeypatch, code) == [("bad.py", 2, "bad.py:q:metric")]


def test_the_scan_catches_a_value_under_an_allow_listed_name(tmp_path, monkeypatch):
    """`value` is allowed in mix.category_by_area, not in any other function or file."""
    code = ('def category_by_area(db, value):\n'
            '    return db.query(f"SELECT * FROM m WHERE id = \'{value}\'")\n')
    found = scan_of(tmp_path, monkeypatch, code)
    assert found == [("bad.py", 2, "bad.py:category_by_area:value")]
    assert not {key for *_, key in found} & set(SAFE_INTERPOLATIONS)


def test_the_scan_catches_an_f_string_held_in_a_variable(tmp_path, monkeypatch):
    code = ('def q(db, metric):\n'
            '    where = "id = \'" + metric + "\'"\n'
            '    sql = f"SELECT * FROM m WHERE {where}"\n'
            '    return db.query(sql)\n')
    assert scan_of(tmp_path, monkeypatch, code) == [("bad.py", 2, "bad.py:q:metric")]


def test_the_scan_catches_string_concatenation(tmp_path, monkeypatch):
    code = ('def q(db, metric):\n'
            '    return db.query("SELECT * FROM m WHERE id = \'" + metric + "\'")\n'
            'def r(db, kind):\n'
            '    sql = "SELECT * FROM m"\n'
            '    sql += " WHERE kind = " + kind\n'
            '    return db.query(sql)\n')
    assert scan_of(tmp_path, monkeypatch, code) == [("bad.py", 2, "bad.py:q:metric"),
                                                    ("bad.py", 5, "bad.py:r:kind")]


def test_the_scan_lets_constants_and_placeholders_through(tmp_path, monkeypatch):
    code = ('BASE = "SELECT * FROM m"\n'
            'def q(db, metric):\n'
            '    sql = BASE + " WHERE id = ?"\n'
            '    return db.query(sql, [metric])\n')
    assert scan_of(tmp_path, monkeypatch, code) == []


def test_area_names_refuse_an_unknown_level():
    from dashboard import queries
    with pytest.raises(ValueError):
        queries.area_sql("neighborhood; DROP TABLE businesses")


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
    seen_as_text, checked = 0, []
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
            injected = page.evaluate(INJECTED)
            assert not injected, f"{spec.url_path} rendered markup from a name: {injected}"
            checked.append(spec.url_path)
    finally:
        context.close()
    assert not alerts
    assert seen_as_text >= 3, "the names did not show as text on the pages"
    assert checked == [spec.url_path for spec in PAGES]


# Elements a payload would create if it were rendered as markup, not text: the <img
# src=x> (and anything with an onerror handler), and a <script> holding the payload (the
# app's own scripts hold none).
INJECTED = """() => [
    ...document.querySelectorAll("img[src='x'], [onerror]"),
    ...[...document.querySelectorAll('script')].filter(e => e.textContent.includes('__pwned')),
].map(e => e.outerHTML.slice(0, 120))"""
