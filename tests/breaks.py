"""Breaking the product on purpose: every break here must make at least one test fail.

Each `Break` changes one piece of text in one file (exactly one occurrence: a break whose
text has moved is reported as stale, not silently skipped) and names the tests that must
catch it. Three lists:

- `SQL_MUTATIONS`: operator flips, off-by-one years, dropped filters and wrong constants in
  the SQL marts (mutmut does not read SQL), run against the tests that cover the marts;
- `ISSUE_BREAKS`: the ways the product was broken while the tests still passed (issue 15),
  each now caught;
- `FIGURES`: breaks whose number of failing tests docs/reliability.md quotes.

    python -m tests.breaks run [--set sql|issue|figures] [--only ID ...]
    python -m tests.breaks docs        # rewrite the generated blocks of docs/*.md

`run` copies the working tree (tracked and untracked files, not ignored ones; with
`--head`, the last commit) to a temporary folder, runs each list of tests once on the
unbroken copy (a test that already fails there is left out and reported), then applies
one break at a time, runs its tests with the same Python, restores the file, and records
the outcome in tests/breaks_results.json; the repository itself is never changed. `make mutants` runs the SQL mutations after mutmut; `make breaks`
runs all three lists. tests/test_breaks.py (part of `make test`) only checks that every
break still applies, names tests that exist, and has a recorded result that failed a test.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "tests" / "breaks_results.json"
TIMEOUT = 1800          # seconds for one break's tests


@dataclass(frozen=True)
class Break:
    id: str
    what: str                  # one line, plain words
    path: str                  # file changed, relative to the repository
    old: str | None            # text replaced (exactly one occurrence); None: `new` is appended
    new: str
    tests: tuple[str, ...]     # pytest arguments: test files or node ids, optionally -k EXPR
    kind: str = ""             # for SQL mutations: operator, year, filter, constant, operand
    every: bool = False        # run every test (to count the failures), not stop at the first

    def key(self) -> str:
        """Changes when the break changes: a recorded result is for this exact break."""
        text = json.dumps([self.path, self.old, self.new, list(self.tests), self.every])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def apply(self, text: str) -> str:
        if self.old is None:
            return text + self.new
        found = text.count(self.old)
        if found != 1:
            raise StaleBreak(f"{self.id}: the text to change occurs {found} times in {self.path}, "
                             "not once; update the break")
        return text.replace(self.old, self.new)


class StaleBreak(ValueError):
    pass


# --- The SQL marts ---------------------------------------------------------------------------

SQL = "data_pipeline/sql/marts/"
MART_TESTS = ("tests/test_metrics.py", "tests/test_metrics_properties.py",
              "tests/test_disclosure.py", "-k", "not demo")


def sql(id_: str, kind: str, file: str, old: str, new: str, what: str,
        tests: tuple[str, ...] = MART_TESTS) -> Break:
    return Break(id_, what, SQL + file, old, new, tests, kind)


CAPITAL_TESTS = ("tests/test_capital.py",)
RESILIENCE_TESTS = ("tests/test_resilience.py", "-k", "not demo and not chicago")
PROCESSING_TESTS = ("tests/test_processing.py", "-k", "not real_chicago")


SQL_MUTATIONS: list[Break] = [
    # 10_frame.sql
    sql("span-15-years", "year", "10_frame.sql", "last.last_year - 14", "last.last_year - 15",
        "a data span of 16 years instead of 15 when the build sets no years"),
    sql("years-end", "year", "10_frame.sql", "range(first_year, last_year + 1)",
        "range(first_year, last_year)", "the last year left out"),
    sql("closed-before-opened", "filter", "10_frame.sql",
        "greatest(coalesce(year(closed)::INTEGER, 9999), year(opened)::INTEGER) AS close_year",
        "coalesce(year(closed)::INTEGER, 9999) AS close_year",
        "a business closed before it opened closes before its opening year"),
    sql("residents-moe", "operator", "10_frame.sql",
        "CASE WHEN count(moe) = count(*) THEN sqrt(sum(moe * moe)) END AS residents_moe",
        "CASE WHEN count(moe) = count(*) THEN sum(moe) END AS residents_moe",
        "a neighborhood's residents' MOE summed instead of root-sum-squared"),
    sql("city-area", "operator", "10_frame.sql", "SELECT 'city', 'city', sum(area_km2) FROM neighborhoods",
        "SELECT 'city', 'city', max(area_km2) FROM neighborhoods", "the city's area is its largest neighborhood's"),
    sql("tract-area-share", "operand", "10_frame.sql", "t.area_km2 * coalesce(s.share, 1.0)",
        "t.area_km2", "a tract's area counted whole, not by its share inside the city"),
    # 20_cells.sql
    sql("active-opened-this-year", "operator", "20_cells.sql",
        "ON p.open_year <= y.year AND p.close_year > y.year",
        "ON p.open_year < y.year AND p.close_year > y.year",
        "a business opened during the year is not active on 31 December"),
    sql("active-closed-this-year", "operator", "20_cells.sql",
        "ON p.open_year <= y.year AND p.close_year > y.year",
        "ON p.open_year <= y.year AND p.close_year >= y.year",
        "a business closed during the year is still active on 31 December"),
    sql("survivors-1y", "operator", "20_cells.sql", "FILTER (WHERE close_year > open_year + 1)",
        "FILTER (WHERE close_year >= open_year + 1)", "a business closed after one year survives it"),
    sql("survivors-5y", "year", "20_cells.sql", "FILTER (WHERE close_year > open_year + 5)",
        "FILTER (WHERE close_year > open_year + 4)", "survival after 5 years counted after 4"),
    sql("survival-3y-horizon", "year", "20_cells.sql",
        "CASE WHEN g.year + 3 <= sp.last_year", "CASE WHEN g.year + 3 < sp.last_year",
        "the last cohort that reached 3 years is left out"),
    sql("tract-flows", "filter", "20_cells.sql",
        "DELETE FROM _business_counts WHERE geo_level = 'tract' AND measure NOT IN ('active', 'micro');",
        "DELETE FROM _business_counts WHERE false;",
        "new and closed businesses published by tract"),
    sql("micro-not-available", "filter", "20_cells.sql",
        "DELETE FROM _business_counts WHERE measure = 'micro'\n  AND NOT EXISTS",
        "DELETE FROM _business_counts WHERE measure = 'micro'\n  AND false AND NOT EXISTS",
        "a registry that marks no micro-business publishes 0 micro-businesses"),
    sql("jobs-placed-twice", "filter", "20_cells.sql",
        "FROM jobs j JOIN tract_neighborhood_weights tw ON tw.geoid = j.tract_geoid\n"
        "WHERE j.neighborhood_id IS NULL",
        "FROM jobs j JOIN tract_neighborhood_weights tw ON tw.geoid = j.tract_geoid",
        "jobs known by neighborhood also split by the tract weights"),
    sql("census-micro-5-to-9", "constant", "20_cells.sql", "bp.size_class = '212'",
        "bp.size_class IN ('212', '220')", "the Census micro class widened to 1-9 employees"),
    sql("census-micro-under-5", "constant", "20_cells.sql", "bp.size_class = '212'",
        "bp.size_class IN ('210', '212')", "the Census 'fewer than 5' class counted beside 1-4"),
    sql("census-micro-sectors", "filter", "20_cells.sql", "bp.geo_level = 'zip' AND bp.naics = '00' AND",
        "bp.geo_level = 'zip' AND", "every sector's row summed beside the all-sector total"),
    sql("census-micro-counties", "filter", "20_cells.sql", "WHERE bp.geo_level = 'zip' AND bp.naics",
        "WHERE bp.naics", "county rows apportioned as if they were ZIP codes"),
    sql("flow-line-dropped", "filter", "20_cells.sql",
        "WHERE y.year > (SELECT first_year FROM _span) AND c.geo_level IN ('neighborhood', 'city')",
        "WHERE y.year > (SELECT first_year FROM _span) AND c.geo_level IN ('neighborhood', 'city')"
        " AND false",
        "the suppression forgets that active(y) - active(y-1) = new(y) - closed(y)"),
    sql("mix-line-dropped", "filter", "20_cells.sql",
        "WHERE (measure = 'category' OR measure = 'active')",
        "WHERE (measure = 'category' OR measure = 'active') AND false",
        "the suppression forgets that categories add up to the active businesses"),
    # 30_metrics.sql
    sql("per-1000", "constant", "30_metrics.sql", "1000 * p.shown / nullif(r.residents, 0)",
        "100 * p.shown / nullif(r.residents, 0)", "a rate per 100 residents labelled per 1,000"),
    sql("unreliable-residents", "operator", "30_metrics.sql", "r.residents < 100 OR",
        "r.residents > 100 OR", "rates over many residents marked unreliable, few not"),
    sql("per-100-active-lag", "year", "30_metrics.sql", "AND a.geo_id = f.geo_id AND a.year = f.year - 1",
        "AND a.geo_id = f.geo_id AND a.year = f.year",
        "openings per 100 businesses active at the end of the year, not its start"),
    sql("jobs-change-lag", "year", "30_metrics.sql", "('jobs_change', 'jobs_total', 'jobs_total', 1)",
        "('jobs_change', 'jobs_total', 'jobs_total', 0)", "the change in jobs from the same year"),
    sql("share-hidden-part", "operator", "30_metrics.sql",
        "p.shown / nullif(d.shown, 0),\n       p.shown, d.shown, p.hidden OR d.hidden",
        "p.shown / nullif(d.shown, 0),\n       p.shown, d.shown, d.hidden",
        "a share is shown when its part is withheld"),
    sql("diversity-unknown", "filter", "30_metrics.sql",
        "WHERE active > 0 AND geo_id <> '~unassigned'\n      AND category <> (SELECT unknown_category FROM settings)",
        "WHERE active > 0 AND geo_id <> '~unassigned'",
        "'Other or unclassified' counted as a kind of business in the diversity indices"),
    sql("low-count-boundary", "operator", "45_flags.sql",
        "ELSE m.denominator END\n      < (SELECT low_count_below FROM settings)",
        "ELSE m.denominator END\n      <= (SELECT low_count_below FROM settings)",
        "a rate from exactly 20 events flagged low count"),
    sql("low-count-basis", "operand", "45_flags.sql",
        "WHEN 'numerator' THEN m.numerator ELSE m.denominator END",
        "WHEN 'numerator' THEN m.denominator ELSE m.numerator END",
        "the low-count flag decided by the wrong count"),
    # 35_capital.sql
    sql("loans-unweighted", "operand", "35_capital.sql", "sum(weight) AS loans,",
        "count(*) AS loans,", "a loan counted whole in every neighborhood of its ZIP code",
        CAPITAL_TESTS),
    sql("loan-median-third", "constant", "35_capital.sql", "running >= total / 2 - 1e-9",
        "running >= total / 3 - 1e-9", "the median amount taken at a third of the loans",
        CAPITAL_TESTS),
    sql("loans-5-jobs-small", "operator", "35_capital.sql", "FILTER (WHERE jobs < 5)",
        "FILTER (WHERE jobs <= 5)", "a borrower with 5 jobs counted as having fewer than 5",
        CAPITAL_TESTS),
    sql("loans-per-1k-last-year", "year", "35_capital.sql",
        "AND a.geo_id = f.geo_id AND a.year = f.year;",
        "AND a.geo_id = f.geo_id AND a.year = f.year - 1;",
        "loans per 1,000 businesses active a year before", CAPITAL_TESTS),
    sql("self-employed-any-program", "filter", "35_capital.sql", "WHERE f.family = 'ppp';",
        ";", "SBA loans counted as PPP loans to the self-employed", CAPITAL_TESTS),
    # 36_resilience.sql
    sql("downturn-window-2021", "year", "36_resilience.sql",
        "FROM level WHERE year BETWEEN 2020 AND 2022 GROUP BY ALL),",
        "FROM level WHERE year BETWEEN 2020 AND 2021 GROUP BY ALL),",
        "the downturn's low looked for in 2020-2021 only", RESILIENCE_TESTS),
    sql("downturn-low-earlier-year", "operator", "36_resilience.sql",
        "SELECT l.geo_level, l.geo_id, l.measure, max(v.year) AS low_year",
        "SELECT l.geo_level, l.geo_id, l.measure, min(v.year) AS low_year",
        "of two equal lows, the earlier year", RESILIENCE_TESTS),
    sql("recovery-below-2019", "operator", "36_resilience.sql",
        "FILTER (WHERE v.year > f.low_year AND v.shown >= f.base)",
        "FILTER (WHERE v.year > f.low_year AND v.shown > f.base)",
        "getting back to exactly the 2019 level not counted as recovered", RESILIENCE_TESTS),
    # 37_processing.sql
    sql("processing-median-lower", "operand", "37_processing.sql",
        "median_days := sorted[(n + 1) // 2],", "median_days := sorted[n // 2 + 1],",
        "the median taken one application higher when the count is even", PROCESSING_TESTS),
    sql("processing-over-30-inclusive", "operator", "37_processing.sql",
        "count(*) FILTER (WHERE days > 30)) AS s\n    FROM _processing_places GROUP BY ALL)\nSELECT g.",
        "count(*) FILTER (WHERE days >= 30)) AS s\n    FROM _processing_places GROUP BY ALL)\nSELECT g.",
        "an application issued after exactly 30 days counted as over 30", PROCESSING_TESTS),
    # 40_categories.sql
    sql("lq-inverted", "operand", "40_categories.sql",
        "round(c.share / nullif(city.city_share, 0), 2) AS lq",
        "round(city.city_share / nullif(c.share, 0), 2) AS lq", "the location quotient upside down"),
    sql("lq-low-count", "operator", "40_categories.sql",
        "coalesce(c.count < (SELECT low_count_below FROM settings), false) AS low_count",
        "coalesce(c.count > (SELECT low_count_below FROM settings), false) AS low_count",
        "large categories flagged low count, small ones not"),
    sql("category-count-unhidden", "operand", "40_categories.sql",
        "SELECT geo_level, geo_id, year, category, shown AS count, hidden AS suppressed",
        "SELECT geo_level, geo_id, year, category, value AS count, hidden AS suppressed",
        "a withheld category count published anyway"),
    # 50_registry.sql
    sql("micro-reason", "operator", "50_registry.sql",
        "WHEN b.metric_id LIKE 'micro%' AND NOT h.micro", "WHEN b.metric_id LIKE 'micro%' AND h.micro",
        "a registry without micro-businesses not told why"),
    sql("disclosure-withheld", "filter", "50_registry.sql",
        "count(f.metric_id) FILTER (WHERE f.suppressed) AS withheld",
        "count(f.metric_id) AS withheld", "every figure counted as withheld"),
]


# --- Issue 15: breaks that went unnoticed ----------------------------------------------------

def issue(id_: str, what: str, path: str, old: str | None, new: str, *tests: str) -> Break:
    return Break(id_, what, path, old, new, tests, every=True)


SCAN = "tests/test_hostile.py::test_dashboard_sql_takes_values_as_parameters_only"
ISSUE_BREAKS: list[Break] = [
    issue("jobs-page-title-only", "the jobs page shows only its title (st.stop() after it)",
          "pages/jobs.py", 'st.title(_("Job creation"))\n', 'st.title(_("Job creation"))\nst.stop()\n',
          "tests/test_app.py", "tests/test_browser.py", "-k", "every_page or renders"),
    issue("map-without-areas", "the map draws no areas (its shapes emptied in maps.py)",
          "dashboard/maps.py",
          "    trace = go.Choroplethmap(\n        geojson=geojson, locations=frame[\"geo_id\"], z=frame[\"klass\"],",
          "    trace = go.Choroplethmap(\n        geojson={'type': 'FeatureCollection', 'features': []},"
          " locations=frame[\"geo_id\"], z=frame[\"klass\"],",
          "tests/test_browser.py::test_map_page_draws_the_map",
          "tests/test_browser_exports.py::test_map_png_download_has_the_preset_size"),
    issue("micro-without-limited", "is_micro = home | sole (the 'limited' rule dropped)",
          "data_pipeline/transform.py", "home_based OR sole_proprietor OR limited AS is_micro",
          "home_based OR sole_proprietor AS is_micro", "tests/test_transform.py"),
    issue("micro-without-sole", "is_micro = home | limited (the sole-proprietor rule dropped)",
          "data_pipeline/transform.py", "home_based OR sole_proprietor OR limited AS is_micro",
          "home_based OR limited AS is_micro", "tests/test_transform.py"),
    issue("census-micro-1-to-9", "the Census micro class widened from 1-4 to 1-9 employees",
          SQL + "20_cells.sql", "bp.size_class = '212'", "bp.size_class IN ('212', '220')",
          "tests/test_metrics.py"),
    issue("redact-without-query-pattern", "http.redact forgets the key= pattern (only secrets "
          "set in the environment are removed)", "data_pipeline/http.py",
          "    return SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, out)", "    return out",
          "tests/test_http.py", "tests/test_secrets.py"),
    issue("redact-without-key", "the key= parameter left out of the secret query names",
          "data_pipeline/http.py", r"(?:key|api_key|", r"(?:api_key|",
          "tests/test_http.py", "tests/test_secrets.py"),
    issue("img-on-the-profile", "an <img src=x> injected on the profile page", "pages/profile.py",
          "st.title(name)\n", "st.title(name)\nst.markdown('<img src=x>', unsafe_allow_html=True)\n",
          "tests/test_hostile.py::test_names_with_script_are_shown_as_text_and_never_run"),
    issue("sql-allow-listed-name", "SQL formatted with a visitor's value under an allow-listed name",
          "dashboard/queries.py", None, '\n\ndef _broken(db, value):\n'
          '    return db.query(f"SELECT * FROM metrics_long WHERE metric_id = \'{value}\'")\n', SCAN),
    issue("sql-fstring-variable", "SQL built as an f-string held in a variable",
          "dashboard/queries.py", None, '\n\ndef _broken(db, metric):\n'
          '    sql = f"SELECT * FROM metrics_long WHERE metric_id = \'{metric}\'"\n'
          '    return db.query(sql)\n', SCAN),
    issue("sql-concatenation", "SQL built by string concatenation", "dashboard/queries.py", None,
          '\n\ndef _broken(db, metric):\n'
          '    return db.query("SELECT * FROM metrics_long WHERE metric_id = \'" + metric + "\'")\n',
          SCAN),
    issue("nothing-hidden", "a build asked to withhold small counts hides nothing",
          "data_pipeline/marts.py", "if suppression_threshold > 0\n",
          "if suppression_threshold < 0\n",
          "tests/test_metrics_properties.py::test_no_hidden_small_count_can_be_worked_out"),
    issue("patterns-refused", "the Business Patterns parser refuses every file",
          "data_pipeline/sources/business_patterns.py", "    path = Path(path)\n    raw = ",
          "    path = Path(path)\n    raise PipelineError(f'{path} refused')\n    raw = ",
          "tests/test_fuzz_parsers.py"),
    issue("registry-refused", "the registry reader refuses every file", "data_pipeline/readers.py",
          'def read_registry(', 'def read_registry(*args, **kwargs):\n'
          '    raise PipelineError(f"{args[0]} refused")\n\n\ndef _read_registry(',
          "tests/test_fuzz_parsers.py"),
    issue("brief-one-page", "the brief fits on one page (no second page)", "dashboard/brief_pdf.py",
          "    pdf.add_page()\n    _heading(pdf, _(\"The business mix\")",
          "    _heading(pdf, _(\"The business mix\")", "tests/test_brief.py"),
]


# --- Figures quoted in docs/reliability.md ---------------------------------------------------

FIGURES: list[Break] = [
    Break("privacy-threshold-1", "the private city built with a suppression threshold of 1",
          "tests/test_privacy.py", "db=data / \"riverton.duckdb\", suppression_threshold=THRESHOLD)",
          "db=data / \"riverton.duckdb\", suppression_threshold=1)", ("tests/test_privacy.py",),
          every=True),
    Break("home-address-kept", "the home-based address mask removed from transform.py",
          "data_pipeline/transform.py", "CASE WHEN home_based THEN NULL ELSE address END AS address",
          "address", ("tests/test_privacy.py", "tests/test_transform.py"),
          every=True),
    Break("redact-nothing", "http.redact returns its text unchanged", "data_pipeline/http.py",
          "    out = str(text)\n    secrets =", "    return str(text)\n    secrets =",
          ("tests/test_secrets.py",), every=True),
]

SETS = {"sql": SQL_MUTATIONS, "issue": ISSUE_BREAKS, "figures": FIGURES}
ALL = [b for group in SETS.values() for b in group]


# --- Running ---------------------------------------------------------------------------------

def working_copy(into: Path, head: bool = False) -> Path:
    """The working tree's files (tracked and untracked, not ignored) under `into`/main; with
    `head`, the files of the last commit instead."""
    target = into / "main"
    if head:
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return target
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def pytest(copy: Path, tests: tuple[str, ...], first: bool, leave_out: list[str] = ()):
    """Run `tests` in `copy`: (failing test ids, tests run, skipped, exit code, output tail)."""
    report = copy / "break-report.xml"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-o", "addopts=--strict-markers", f"--junitxml={report}",
               *(["-x"] if first else []), *(f"--deselect={t}" for t in leave_out), *tests]
    try:
        done = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=TIMEOUT,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        code, tail = done.returncode, (done.stdout + done.stderr)[-1500:]
    except subprocess.TimeoutExpired:
        code, tail = -1, f"timed out after {TIMEOUT} s"
    return (*junit_outcome(report), code, tail)


def run_break(brk: Break, copy: Path, leave_out: list[str]) -> dict:
    """Apply `brk` in `copy`, run its tests (but those failing unbroken), restore."""
    path = copy / brk.path
    original = path.read_text() if path.exists() else ""
    path.write_text(brk.apply(original))
    started = time.monotonic()
    try:
        failed, ran, skipped, code, tail = pytest(copy, brk.tests, not brk.every, leave_out)
    finally:
        if original or brk.old is not None:
            path.write_text(original)
        else:
            path.unlink()
    return {"key": brk.key(), "killed": bool(failed), "failed": failed, "ran": ran,
            "skipped": skipped, "exit": code, "seconds": round(time.monotonic() - started, 1),
            **({"failing_unbroken": leave_out} if leave_out else {}),
            **({} if failed else {"output": tail})}


def junit_outcome(report: Path) -> tuple[list[str], int, int]:
    """(failing test ids, tests run, tests skipped) from a pytest JUnit XML report."""
    if not report.exists():
        return [], 0, 0
    failed, ran, skipped = [], 0, 0
    for case in ET.parse(report).getroot().iter("testcase"):
        ran += 1
        if case.find("skipped") is not None:
            skipped += 1
        if case.find("failure") is not None or case.find("error") is not None:
            module = case.get("classname", "").replace(".", "/")
            failed.append(f"{module}.py::{case.get('name')}")
    report.unlink()
    return sorted(set(failed)), ran, skipped


def load_results() -> dict:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def save_results(results: dict) -> None:
    RESULTS.write_text(json.dumps(dict(sorted(results.items())), indent=1) + "\n")


def run(breaks: list[Break], head: bool = False) -> int:
    results = load_results()
    survivors, unbroken = [], {}
    with tempfile.TemporaryDirectory(prefix="atlas-breaks-") as folder:
        copy = working_copy(Path(folder), head)
        for brk in breaks:
            if brk.tests not in unbroken:      # what already fails without a break
                unbroken[brk.tests] = pytest(copy, brk.tests, False)[0]
                if unbroken[brk.tests]:
                    print(f"failing without any break (left out): {unbroken[brk.tests]}")
            outcome = run_break(brk, copy, unbroken[brk.tests])
            results[brk.id] = outcome
            save_results(results)
            word = "caught" if outcome["killed"] else "NOT CAUGHT"
            print(f"{brk.id:32} {word:10} {len(outcome['failed']):3} failing of {outcome['ran']:3}"
                  f"  {outcome['seconds']:6.1f} s  {(outcome['failed'] or [''])[0]}", flush=True)
            if not outcome["killed"]:
                survivors.append(brk.id)
    print(f"{len(breaks) - len(survivors)} of {len(breaks)} breaks caught"
          + (f"; not caught: {', '.join(survivors)}" if survivors else ""))
    return 1 if survivors else 0


# --- Generated documentation -----------------------------------------------------------------

def figure_lines(results: dict) -> str:
    """The 'broken on purpose' figures of docs/reliability.md."""
    lines = []
    for brk in FIGURES:
        got = results.get(brk.id, {})
        files = sorted({f.split("::")[0] for f in got.get("failed", [])})
        lines.append(f"- {brk.what}: **{len(got.get('failed', []))} tests fail** "
                     f"(of {got.get('ran', 0)} run; in {', '.join(f'`{f}`' for f in files)}).")
    return "\n".join(lines) + "\n"


def break_table(breaks: list[Break], results: dict, sql_kind: bool) -> str:
    head = ("| break | kind | what it does | caught by |\n|---|---|---|---|\n" if sql_kind else
            "| break | what it does | tests that fail |\n|---|---|---|\n")
    rows = []
    for brk in breaks:
        what = brk.what.replace("|", "\\|")          # a pipe would end the table's cell
        got = results.get(brk.id, {})
        failed = got.get("failed", [])
        caught = (f"`{failed[0]}`" if sql_kind and failed else
                  ", ".join(f"`{f.split('::')[-1]}`" for f in failed[:4])
                  + (f" and {len(failed) - 4} more" if len(failed) > 4 else "")
                  if failed else "**not caught**")
        rows.append(f"| `{brk.id}` | {brk.kind} | {what} | {caught} |" if sql_kind else
                    f"| `{brk.id}` | {what} | {caught} |")
    return head + "\n".join(rows) + "\n"


BLOCKS = {  # (file, marker) -> text
    ("docs/reliability.md", "figures"): lambda r: figure_lines(r),
    ("docs/testing.md", "sql-mutations"): lambda r: break_table(SQL_MUTATIONS, r, True),
    ("docs/testing.md", "issue-breaks"): lambda r: break_table(ISSUE_BREAKS, r, False),
}


def block(text: str, marker: str) -> str | None:
    """The generated text between a marker's start and end comments (None: no markers)."""
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    if start not in text or end not in text:
        return None
    return text.split(start, 1)[1].split(end, 1)[0]


def write_docs(results: dict) -> None:
    for (name, marker), make in BLOCKS.items():
        path = ROOT / name
        text = path.read_text()
        old = block(text, marker)
        if old is None:
            continue
        path.write_text(text.replace(f"<!-- {marker}:start -->\n{old}",
                                     f"<!-- {marker}:start -->\n{make(results)}", 1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.breaks", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="apply each break in a copy and run its tests")
    runner.add_argument("--set", choices=list(SETS), action="append")
    runner.add_argument("--only", nargs="+", metavar="ID")
    runner.add_argument("--head", action="store_true", help="the last commit, not the working tree")
    commands.add_parser("docs", help="rewrite the generated blocks of docs/*.md from the results")
    args = parser.parse_args(argv)
    if args.command == "docs":
        write_docs(load_results())
        return 0
    chosen = [b for name in (args.set or list(SETS)) for b in SETS[name]]
    if args.only:
        unknown = set(args.only) - {b.id for b in ALL}
        if unknown:
            parser.error(f"no break named {', '.join(sorted(unknown))}")
        chosen = [b for b in ALL if b.id in args.only]
    code = run(chosen, args.head)
    write_docs(load_results())
    return code


if __name__ == "__main__":
    sys.exit(main())
