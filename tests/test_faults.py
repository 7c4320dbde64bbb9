"""Faults in the pipeline: every one ends in a complete build or one clear sentence.

`build --city chicago` runs against fake servers (the recorded fixtures of
tests/fixtures/local, answered with `responses`) into which faults are injected: HTTP 429
and 503 with Retry-After, connections reset in the middle of Socrata paging, truncated and
malformed pages, timeouts, columns renamed or dropped upstream, a full disk, a read-only
target, and SIGKILL at random moments. After each, the database that was being served is
byte for byte what it was, and the next build resumes from the raw cache without asking
again for what it already has.
"""
from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pytest
import requests
import responses

from data_pipeline import http, load
from data_pipeline.cli import main
from data_pipeline.sources import socrata

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "tests" / "fixtures" / "local"
RECORDED = ROOT / "tests" / "fixtures" / "recorded" / "census"
PORTAL = "https://data.cityofchicago.org/resource/"
ROUTES = [
    ("businesses", re.compile(re.escape(PORTAL) + r"r5kz-chrr\.json")),
    ("neighborhoods", re.compile(re.escape(PORTAL) + r"igwz-8jzy\.geojson")),
    ("wards", re.compile(re.escape(PORTAL) + r"p293-wvbd\.geojson")),   # the profile's second layer
    ("tracts", re.compile(r"https://www2\.census\.gov/geo/tiger/GENZ\d{4}/shp/cb_\d{4}_17_tract_500k\.zip")),
    # the ZIP-code layer: the city limits and the national ZCTA file
    ("place", re.compile(r"https://www2\.census\.gov/geo/tiger/GENZ\d{4}/shp/cb_\d{4}_17_place_500k\.zip")),
    ("zcta", re.compile(r"https://www2\.census\.gov/geo/tiger/GENZ2020/shp/cb_2020_us_zcta520_500k\.zip")),
    ("acs", re.compile(r"https://api\.census\.gov/data/\d{4}/acs/acs5")),
    ("lodes", re.compile(r"https://lehd\.ces\.census\.gov/data/lodes/LODES8/il/wac/"
                         r"il_wac_S000_(JT0\d)_\d{4}\.csv\.gz")),
    ("xwalk", re.compile(r"https://lehd\.ces\.census\.gov/data/lodes/LODES8/il/il_xwalk\.csv\.gz")),
    ("cbp", re.compile(r"https://api\.census\.gov/data/\d{4}/cbp")),
    ("nonemp", re.compile(r"https://api\.census\.gov/data/\d{4}/nonemp")),
]
LAYER_ROUTES = ("wards", "place", "zcta")   # asked by the builds of the further layers
ZIPPED = {"place": "cb_2023_17_place_500k_1row.zip", "zcta": "cb_2020_us_zcta520_500k_5rows.zip"}
PAGE_SIZE = 1          # the 4 registry rows come in 5 pages: paging has a middle
JSON = {"Content-Type": "application/json"}


# ----------------------------------------------------------------------------- fake servers

def tract_zip() -> bytes:
    """The tract fixture as the Census Bureau ships tracts: a zipped shapefile."""
    import geopandas as gpd
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        gpd.read_file(LOCAL / "tracts.geojson").to_file(Path(folder) / "tracts.shp")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for part in sorted(Path(folder).iterdir()):
                archive.write(part, part.name)
        return out.getvalue()


class FakeServers:
    """The Chicago portal and the Census servers, answering from the local fixtures.

    `faults[route]` is a list of answers given, one per request, before the normal ones: a
    (status, headers, body) tuple, or an exception to raise (a reset, a timeout).
    `log` (a file) gets one line per request as it arrives; `delay` slows every answer.
    """

    def __init__(self, rows: list[dict] | None = None, log: Path | None = None,
                 delay: float = 0.0, zipped_tracts: bytes | None = None):
        self.rows = rows if rows is not None else json.loads((LOCAL / "chicago_soda.json").read_text())
        self.faults: dict[str, list] = {}
        self.calls: list[str] = []
        self.log, self.delay = log, delay
        self.zipped_tracts = zipped_tracts

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add_callback(responses.GET, re.compile(r"https://.*"), callback=self.answer)

    def answer(self, request):
        self.calls.append(request.url)
        if self.log is not None:
            with open(self.log, "a") as handle:
                handle.write(request.url + "\n")
        if self.delay:
            time.sleep(self.delay)
        route, match = self.route(request.url)
        queued = self.faults.get(route)
        if queued:
            fault = queued.pop(0)
            if isinstance(fault, BaseException):
                raise fault
            return fault
        return self.normal(route, match, request.url)

    @staticmethod
    def route(url: str):
        for name, pattern in ROUTES:
            match = pattern.match(url)
            if match:
                return name, match
        raise AssertionError(f"unexpected request {url}")

    def normal(self, route: str, match, url: str):
        query = dict(parse_qsl(urlsplit(url).query))
        if route == "businesses":
            offset, limit = int(query["$offset"]), int(query["$limit"])
            return 200, JSON, json.dumps(self.rows[offset:offset + limit])
        if route == "tracts":
            return 200, {}, self.zipped_tracts or tract_zip()
        if route in ("place", "zcta"):
            return 200, {}, (RECORDED / ZIPPED[route]).read_bytes()
        if route == "lodes":
            name = f"il_wac_S000_{match.group(1)}_2021.csv"
            return 200, {}, gzip.compress((LOCAL / name).read_bytes())
        if route == "xwalk":
            return 200, {}, gzip.compress((LOCAL / "il_xwalk.csv").read_bytes())
        if route == "cbp":
            scope = "zip-001" if query["for"].startswith("zip code") else "county-17"
            return 200, JSON, (LOCAL / f"cbp-2022-{scope}-00.json").read_bytes()
        files = {"neighborhoods": "neighborhoods.geojson", "wards": "wards.geojson", "acs": "acs5-2023-17031.json",
                 "nonemp": "nonemp-2022-17.json"}
        return 200, JSON, (LOCAL / files[route]).read_bytes()

    def asked(self, route: str) -> list[str]:
        return [url for url in self.calls if self.route(url)[0] == route]


def small_pages(monkeypatch) -> None:
    """Ask for the registry in pages of PAGE_SIZE rows, so that paging has a middle."""
    fetch = socrata.fetch_dataset

    def paged(*args, **kwargs):
        return fetch(*args, **{**kwargs, "page_size": PAGE_SIZE})
    monkeypatch.setattr(socrata, "fetch_dataset", paged)


def offsets(urls: list[str]) -> list[int]:
    return [int(dict(parse_qsl(urlsplit(u).query))["$offset"]) for u in urls]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_sentence_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    return lines[0]


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    monkeypatch.delenv("SOCRATA_APP_TOKEN", raising=False)
    return tmp_path / "data"


@pytest.fixture(scope="module")
def zipped_tracts() -> bytes:
    return tract_zip()


@pytest.fixture
def served(tmp_path, demo_db) -> Path:
    """The database being served: a copy of the demo city."""
    target = tmp_path / "served" / "chicago.duckdb"
    target.parent.mkdir()
    target.write_bytes(demo_db.read_bytes())
    return target


@pytest.fixture
def naps(monkeypatch) -> list[float]:
    """Every wait of the HTTP client, instead of waiting."""
    waits: list[float] = []
    monkeypatch.setattr(http.time, "sleep", waits.append)
    return waits


@pytest.fixture
def servers(monkeypatch, data_dir, naps, zipped_tracts):
    small_pages(monkeypatch)
    fakes = FakeServers(zipped_tracts=zipped_tracts)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fakes.install(mock)
        yield fakes


def build(served: Path, capsys) -> tuple[int, str]:
    code = main(["build", "--city", "chicago", "--db", str(served)])
    return code, capsys.readouterr().err


def city_name(db: Path) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT value FROM build_info WHERE key = 'city_name'").fetchone()[0]


def reconciled(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT source_id, rows_raw, rows_loaded + rows_merged + rows_rejected "
                           "FROM sources ORDER BY 1").fetchall()


def assert_complete(code: int, err: str, served: Path) -> None:
    assert code == 0, err
    assert city_name(served) == "Chicago"
    assert all(raw == accounted for _, raw, accounted in reconciled(served))


# ----------------------------------------------------------------------------- HTTP faults

def test_a_clean_build_asks_each_thing_once(servers, served, capsys):
    code, err = build(served, capsys)
    assert_complete(code, err, served)
    assert offsets(servers.asked("businesses")) == [0, 1, 2, 3, 4]
    assert len(servers.calls) == len(set(servers.calls)) == 5 + 1 + 1 + 1 + 1 + 16 + 1 + 2 + 1 + 2
    assert [s for s, *_ in reconciled(served)] == ["acs", "business_patterns", "businesses",
                                                   "lodes", "neighborhoods", "nonemployers", "tracts"]
    with duckdb.connect(str(served), read_only=True) as con:      # the crosswalk places blocks
        points = con.execute("SELECT geoid, latitude, longitude FROM block_points ORDER BY 1").fetchall()
        blocks = [b for (b,) in con.execute("SELECT DISTINCT geo_id FROM jobs "
                                            "WHERE geo_level = 'block' ORDER BY 1").fetchall()]
    assert [p[0] for p in points] == blocks and len(blocks) >= 3      # Cook County's only
    assert points[0] == ("170310001001000", 41.95, -87.65)


def test_429_and_503_are_waited_out_as_retry_after_asks(servers, served, capsys, naps):
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    servers.faults["businesses"] = [(429, {"Retry-After": "7"}, "slow down")]
    servers.faults["acs"] = [(503, {"Retry-After": later}, "busy"),
                             (503, {"Retry-After": "100000"}, "busy")]
    servers.faults["lodes"] = [(503, {}, "busy")]
    code, err = build(served, capsys)
    assert_complete(code, err, served)
    assert naps[0] == 7.0
    assert 25 <= naps[1] <= 30          # an HTTP date: the seconds until then
    assert naps[2] == http.MAX_RETRY_AFTER
    assert naps[3] == 1.0               # no Retry-After: the first backoff
    assert offsets(servers.asked("businesses")) == [0, 0, 1, 2, 3, 4]


def fail_registry_pages(servers: FakeServers, faults: list, from_page: int = 3) -> None:
    """Answer registry requests from the `from_page`-th on with `faults`, one each, in turn."""
    normal, seen = servers.normal, {"n": 0}

    def failing(route, match, url):
        if route == "businesses":
            seen["n"] += 1
            if seen["n"] >= from_page and faults:
                fault = faults.pop(0)
                if isinstance(fault, BaseException):
                    raise fault
                return fault
        return normal(route, match, url)
    servers.normal = failing


def test_a_connection_reset_mid_paging_is_tried_again(servers, served, capsys):
    reset = ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")
    fail_registry_pages(servers, [requests.ConnectionError(reset)])
    code, err = build(served, capsys)
    assert_complete(code, err, served)
    assert offsets(servers.asked("businesses")) == [0, 1, 2, 2, 3, 4]


def failing_then_resumed(servers, served, capsys, faults: list, message: str) -> None:
    """A fault on the third registry page that outlasts the retries: a sentence, the old
    database, and a next build that asks only for the pages it does not have."""
    before = digest(served)
    fail_registry_pages(servers, faults)
    code, err = build(served, capsys)
    assert code == 1
    assert re.search(message, one_sentence_error(err)), err
    assert digest(served) == before
    assert not list(served.parent.glob(".*building*"))
    first = offsets(servers.asked("businesses"))
    servers.calls.clear()
    code, err = build(served, capsys)
    assert_complete(code, err, served)
    assert offsets(servers.asked("businesses")) == [2, 3, 4], f"first run asked {first}"


def test_a_connection_reset_for_good_fails_in_a_sentence_and_the_next_build_resumes(servers, served, capsys):
    resets = [requests.ConnectionError("Connection reset by peer") for _ in range(5)]
    failing_then_resumed(servers, served, capsys, resets,
                         r"^Error: Could not reach the portal at https://data\.cityofchicago\.org/"
                         r"resource/r5kz-chrr\.json: the connection failed or was reset, five times")


def test_a_truncated_page_fails_in_a_sentence_and_the_next_build_resumes(servers, served, capsys):
    cut = (200, JSON, '[{"id": "2000-20210101", "license_id": "70')
    failing_then_resumed(servers, served, capsys, [cut], r"not valid JSON .*cut off.*run the build again")


def test_an_error_object_instead_of_a_page_fails_in_a_sentence(servers, served, capsys):
    error = (200, JSON, json.dumps({"error": True, "message": "query timeout"}))
    failing_then_resumed(servers, served, capsys, [error],
                         r"sent a page at offset 2 that is not a JSON array of rows")


def test_a_page_of_html_fails_in_a_sentence(servers, served, capsys):
    page = (200, {"Content-Type": "text/html"}, "<!DOCTYPE html><html>maintenance</html>")
    failing_then_resumed(servers, served, capsys, [page], r"sent a web page instead of")


def test_timeouts_on_the_boundaries_fail_in_a_sentence(servers, served, capsys):
    before = digest(served)
    servers.faults["neighborhoods"] = [requests.Timeout("read timed out") for _ in range(5)]
    code, err = build(served, capsys)
    assert code == 1
    assert "did not answer in time, five times" in one_sentence_error(err)
    assert digest(served) == before


def test_a_census_server_that_times_out_leaves_that_input_out(servers, served, capsys):
    servers.faults["acs"] = [requests.Timeout("read timed out") for _ in range(5)]
    code, err = build(served, capsys)
    assert_complete(code, err, served)
    assert "ACS 5-year tract figures not available (Could not reach Census API" in err
    assert "acs" not in [s for s, *_ in reconciled(served)]


# ----------------------------------------------------------------------------- schema changes

def test_a_renamed_required_column_fails_in_a_sentence_naming_it(servers, served, capsys):
    before = digest(served)
    servers.rows = [{("license_start" if k == "license_start_date" else k): v
                     for k, v in row.items()} for row in servers.rows]
    code, err = build(served, capsys)
    assert code == 1
    line = one_sentence_error(err)
    assert "no column 'license_start_date'" in line and "fields.opened" in line
    assert "[aliases]" in line
    assert digest(served) == before


def test_a_dropped_optional_column_still_builds_and_reconciles(servers, served, capsys):
    servers.rows = [{k: v for k, v in row.items() if k not in ("license_description", "address")}
                    for row in servers.rows]
    code, err = build(served, capsys)
    assert_complete(code, err, served)
    with duckdb.connect(str(served), read_only=True) as con:
        assert con.execute("SELECT count(*), count(address) FROM businesses").fetchone() == (2, 0)


def test_a_census_table_without_a_variable_leaves_that_input_out(servers, served, capsys):
    table = json.loads((LOCAL / "acs5-2023-17031.json").read_text())
    dropped = table[0].index("B01003_001E")
    answer = (200, JSON, json.dumps([[*row[:dropped], *row[dropped + 1:]] for row in table]))
    servers.faults["acs"] = [answer] * 3   # the wards and ZIP-code layers' builds ask again
    code, err = build(served, capsys)
    assert_complete(code, err, served)
    assert "ACS 5-year tract figures not available (Census API at " in err
    assert "without 'B01003_001E'" in err
    assert "acs" not in [s for s, *_ in reconciled(served)]
    assert not (served.parent.parent / "data" / "raw" / "chicago" / "acs").exists()


# ----------------------------------------------------------------------------- the target

def test_a_read_only_target_fails_in_a_sentence(servers, capsys, data_dir):
    target = Path("/proc/atlas-test/chicago.duckdb")     # /proc: read-only even for root
    code = main(["build", "--city", "chicago", "--db", str(target)])
    err = capsys.readouterr().err
    assert code == 1
    line = one_sentence_error(err)
    assert line.startswith(f"Error: Could not write the database {target}")
    assert "choose a writable place with --db" in line
    assert not target.exists()


@pytest.mark.parametrize("where", ["loading", "building marts", "checking row counts"])
def test_a_full_disk_mid_build_keeps_the_served_database(servers, served, capsys, monkeypatch, where):
    before = digest(served)
    progress = __import__("data_pipeline.cli", fromlist=["_progress"])._progress

    def full_disk_at(start):
        step = progress(start)

        def failing(message: str) -> None:
            step(message)
            if message.startswith(where):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return failing
    monkeypatch.setattr("data_pipeline.cli._progress", full_disk_at)
    code, err = build(served, capsys)
    assert code == 1
    assert "(the disk is full)" in one_sentence_error(err)
    assert digest(served) == before
    assert sorted(p.name for p in served.parent.iterdir()) == ["chicago.duckdb"]


def test_a_full_disk_inside_duckdb_keeps_the_served_database(servers, served, capsys, monkeypatch):
    before = digest(served)

    def no_space(con):
        raise duckdb.IOException("IO Error: Could not write file: No space left on device")
    monkeypatch.setattr(load, "check_database", no_space)
    code, err = build(served, capsys)
    assert code == 1
    assert "(the disk is full)" in one_sentence_error(err)
    assert digest(served) == before
    assert sorted(p.name for p in served.parent.iterdir()) == ["chicago.duckdb"]


def test_a_target_that_turns_read_only_at_the_swap_keeps_the_served_database(
        servers, served, capsys, monkeypatch):
    before = digest(served)

    replace = os.replace

    def read_only(source, target):
        if str(target).endswith(".duckdb"):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return replace(source, target)
    monkeypatch.setattr(load.os, "replace", read_only)
    code, err = build(served, capsys)
    monkeypatch.undo()
    assert code == 1
    assert "(the folder cannot be written to)" in one_sentence_error(err)
    assert digest(served) == before
    assert sorted(p.name for p in served.parent.iterdir()) == ["chicago.duckdb"]


def test_a_full_disk_while_saving_the_raw_cache_fails_in_a_sentence(
        servers, served, capsys, monkeypatch, data_dir):
    before = digest(served)
    real_fsync, written = os.fsync, {"n": 0}

    def fsync_until_full(fd):
        written["n"] += 1
        if written["n"] >= 5:       # the boundaries (file, manifest) and a page fit, the next not
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync_until_full)
    code, err = build(served, capsys)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert code == 1
    line = one_sentence_error(err)
    assert "in the raw cache" in line and "(the disk is full)" in line
    assert digest(served) == before
    assert not list(data_dir.rglob(".*.tmp-*"))
    servers.calls.clear()
    code, err = build(served, capsys)               # space again: resume where it stopped
    assert_complete(code, err, served)
    assert offsets(servers.asked("businesses"))[0] == 1


def test_debug_shows_the_traceback(servers, served, capsys):
    servers.faults["neighborhoods"] = [(404, {}, "not found")]
    with pytest.raises(Exception, match="refused the request with HTTP 404"):
        main(["--debug", "build", "--city", "chicago", "--db", str(served)])


# ----------------------------------------------------------------------------- SIGKILL

RUNNER = """
import json, sys
import responses
from data_pipeline.cli import main
from tests import test_faults as t

config = json.loads(open(sys.argv[1]).read())
fakes = t.FakeServers(log=config["log"], delay=config["delay"],
                      zipped_tracts=open(config["zip"], "rb").read())
fetch = t.socrata.fetch_dataset
t.socrata.fetch_dataset = lambda *a, **k: fetch(*a, **{**k, "page_size": t.PAGE_SIZE})
with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
    fakes.install(mock)
    code = main(config["args"])
sys.exit(code)
"""


def request_key(url: str, params=None) -> tuple:
    """A request as (address, sorted query pairs), from a URL or from a manifest entry."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query)
    for name, value in (params or {}).items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((name, str(one)))
    return f"{parts.scheme}://{parts.netloc}{parts.path}", tuple(sorted(pairs))


def cached_requests(raw: Path) -> set[tuple]:
    """Every request whose answer the raw cache holds (finished or set aside)."""
    found = set()
    for manifest in raw.glob("*/*/manifest.json"):
        for entry in json.loads(manifest.read_text())["entries"]:
            if (manifest.parent / entry["file"]).is_file():
                found.add(request_key(entry["url"], entry["params"]))
    return found


class Runner:
    """Runs `build --city chicago` in a child process against the fake servers."""

    def __init__(self, tmp: Path, served: Path, zipped: bytes):
        self.tmp, self.served, self.log = tmp, served, tmp / "requests.log"
        (tmp / "tracts.zip").write_bytes(zipped)
        self.config = tmp / "runner.json"
        self.config.write_text(json.dumps({
            "log": str(self.log), "delay": 0.1, "zip": str(tmp / "tracts.zip"),
            "args": ["build", "--city", "chicago", "--db", str(served)]}))
        self.env = {**os.environ, "ATLAS_DATA_DIR": str(tmp / "data"), "PYTHONPATH": str(ROOT)}
        for secret in ("CENSUS_API_KEY", "SOCRATA_APP_TOKEN"):
            self.env.pop(secret, None)

    def requests(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def start(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", RUNNER, str(self.config)], cwd=ROOT,
                                env=self.env, stderr=subprocess.PIPE, text=True)

    def kill_after_request(self, number: int, rng: random.Random) -> int:
        """SIGKILL the build while (or just after) it makes its `number`-th request."""
        done = len(self.requests())
        build = self.start()
        while build.poll() is None and len(self.requests()) < done + number:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.15))
        return self._kill(build)

    def kill_at_step(self, step: str) -> int:
        build = self.start()
        for line in build.stderr:
            if step in line:
                break
        return self._kill(build)

    @staticmethod
    def _kill(build: subprocess.Popen) -> int:
        if build.poll() is None:
            os.kill(build.pid, signal.SIGKILL)
        build.communicate()
        return build.returncode


def test_builds_killed_at_random_moments_keep_the_served_database_and_resume(
        tmp_path, served, zipped_tracts):
    seed = int(os.environ.get("ATLAS_FAULT_SEED") or time.time())
    rng = random.Random(seed)
    runner = Runner(tmp_path, served, zipped_tracts)
    before = digest(served)
    total = 5 + 1 + 1 + 1 + 1 + 16 + 1 + 2 + 1 + 2   # an uninterrupted build's requests
    kills = 0
    for _ in range(3):
        asked = len(set(runner.requests()))
        remaining = max(total - asked, 1)
        had = cached_requests(tmp_path / "data" / "raw")
        start = len(runner.requests())
        code = runner.kill_after_request(rng.randint(1, remaining), rng)
        kills += code == -signal.SIGKILL
        # a further layer's request comes after the city's own database was swapped in
        layered = any(FakeServers.route(u)[0] in LAYER_ROUTES for u in runner.requests()[start:])
        if code == 0 or layered:   # the build finished (everything was cached), or its first
            assert city_name(served) == "Chicago", f"seed {seed}"   # database did
            assert all(raw == accounted for _, raw, accounted in reconciled(served))
            before = digest(served)
        assert digest(served) == before, f"seed {seed}"
        again = {request_key(u) for u in runner.requests()[start:]} & had
        assert not again, f"seed {seed}: asked again for {sorted(again)}"
    if runner.kill_at_step(rng.choice(["loading", "building marts", "checking row counts"])) \
            == -signal.SIGKILL:
        kills += 1
    assert digest(served) == before, f"seed {seed}"
    had = cached_requests(tmp_path / "data" / "raw")
    start = len(runner.requests())
    final = runner.start()
    _, err = final.communicate()
    assert final.returncode == 0, err
    assert city_name(served) == "Chicago"
    assert all(raw == accounted for _, raw, accounted in reconciled(served))
    last = [request_key(u) for u in runner.requests()[start:]]
    assert not set(last) & had, f"seed {seed}: the last build asked again for cached answers"
    asked = [request_key(u) for u in runner.requests()]
    assert len(set(asked)) == total, f"seed {seed}"
    # Only a request in flight when a build was killed may have been asked twice.
    assert len(asked) - len(set(asked)) <= kills, f"seed {seed}: {len(asked)} requests"
    # no half-built file left behind: the city and its wards and ZIP-code layers, nothing else
    assert sorted(p.name for p in served.parent.iterdir()) == [
        "chicago.duckdb", "chicago.wards.duckdb", "chicago.zips.duckdb"]
