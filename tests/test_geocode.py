"""Address-only registries: the Census Geocoder's batch service, its cache, and builds from it.

The service is replayed with `responses`: a callback reads the multipart form the pipeline
sends and answers in the service's wire format (CSV without header, every field quoted,
`No_Match` and `Tie` lines ending after the third field, the point as one
"longitude,latitude" field), with lines in an order of its own. The registry is the
hand-made Chicago export of tests/fixtures/local without its coordinate columns.
"""
from __future__ import annotations

import csv
import io
import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import responses

from core import paths

from data_pipeline import city, profiles, readers, transform
from data_pipeline.cache import RawCache
from core.errors import PipelineError
from data_pipeline.http import FetchError, HttpClient
from data_pipeline.sources import census_geocoder
from data_pipeline.city import assemble

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "tests" / "fixtures" / "local"
RECORDED = ROOT / "tests" / "fixtures" / "recorded" / "census" / "geocoder_addressbatch.csv"
REALDATA = ROOT.parent / "shared" / "realdata"
URL = census_geocoder.URL
POINT_COLUMNS = ["LATITUDE", "LONGITUDE", "LOCATION"]


# The service, replayed ------------------------------------------------------------------------

def form(request) -> dict[str, bytes]:
    """The fields of a multipart form as sent."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + request.body)
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}


def answer_line(fields: list[str], answer) -> list[str]:
    """The service's line for one address: `answer` is None (No_Match), "tie", or (lat, lon, exact)."""
    sent = ", ".join(fields[1:])
    if answer is None:
        return [fields[0], sent, "No_Match"]
    if answer == "tie":
        return [fields[0], sent, "Tie"]
    lat, lon, exact = answer
    return [fields[0], sent, "Match", "Exact" if exact else "Non_Exact", sent.upper(),
            f"{lon},{lat}", "111863418", "L"]


class Service:
    """The batch service: answers each address by `answers[street]`; keeps what it was sent."""

    def __init__(self, answers):
        self.answers = answers
        self.batches: list[list[list[str]]] = []
        self.benchmarks: list[str] = []

    def __call__(self, request):
        sent = form(request)
        lines = list(csv.reader(io.StringIO(sent["addressFile"].decode())))
        self.batches.append(lines)
        self.benchmarks.append(sent["benchmark"].decode())
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for fields in reversed(lines):             # the service keeps no order
            writer.writerow(answer_line(fields, self.answers(fields)))
        return 200, {"Content-Type": "text/csv"}, out.getvalue()

    @property
    def sent(self) -> list[list[str]]:
        return [line for batch in self.batches for line in batch]


LOCAL_ANSWERS = {
    "4100 N BROADWAY": (41.95, -87.65, True), "5000 S HALSTED ST": (41.85, -87.65, False),
    "5100 S HALSTED ST": (41.84, -87.66, True), "123 N ELM ST APT 2": None,
    "1 MAIN ST": (42.05, -87.69, True), "13000 S HALSTED ST": "tie",
    "4300 N BROADWAY": (41.97, -87.66, True), "5200 S HALSTED ST": (41.83, -87.64, True),
    "77 W HOME AVE": (41.91, -87.68, True), "5300 S HALSTED ST": (41.82, -87.66, True),
}


def serve(answers=LOCAL_ANSWERS) -> Service:
    service = Service(lambda fields: answers.get(fields[1], None))
    responses.add_callback(responses.POST, URL, callback=service)
    return service


# An address-only Chicago ----------------------------------------------------------------------

def address_only_profile(folder: Path, slug: str = "chicago") -> Path:
    """data/cities/chicago.toml without point columns, geocoding on, city and state from columns."""
    text = (ROOT / "data" / "cities" / "chicago.toml").read_text()
    for line in ('latitude = "latitude"\n', 'longitude = "longitude"\n', 'location = "location"\n'):
        assert line in text
        text = text.replace(line, "", 1)
    text = text.replace("[aliases]\n", '[aliases]\ncity = ["CITY"]\nstate = ["STATE"]\n', 1)
    text += '\n[geocode]\nenabled = true\ncity_field = "city"\nstate_field = "state"\n'
    path = folder / f"{slug}.toml"
    path.write_text(text)
    return path


def without_points(source: Path, target: Path, extra: str = "") -> Path:
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    frame.drop(columns=POINT_COLUMNS).to_csv(target, index=False)
    if extra:
        with open(target, "a") as handle:
            handle.write(extra)
    return target


NEW_ROW = ("990-20240101,9015,990,1,NEW SHOP LLC,NEW SHOP,5300 S HALSTED ST,CHICAGO,IL,60609,"
           "Retail Food Establishment,,ISSUE,01/01/2024,12/31/2025,01/01/2024,AAI,\n")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("data_pipeline.http.time.sleep", lambda seconds: None)
    return tmp_path


@pytest.fixture
def profile_path(data_dir) -> Path:
    return address_only_profile(data_dir)


@pytest.fixture
def licenses(data_dir) -> Path:
    return without_points(LOCAL / "chicago_licenses.csv", data_dir / "licenses.csv")


def table(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def reasons(db: Path) -> dict[int, str]:
    rows = table(db, "SELECT row_number, reason FROM rejected_records WHERE source_id = 'businesses'")
    return dict(zip(rows["row_number"], rows["reason"]))


# The wire format and the batches --------------------------------------------------------------

def test_answers_are_read_in_the_wire_format():
    answers = census_geocoder.parse([RECORDED])
    assert answers["1"] == census_geocoder.Geocode("exact", 38.84601622386617, -76.92748724230096)
    assert answers["2"] == census_geocoder.Geocode("non-exact", 41.95, -87.65)
    assert answers["3"].match == "no match" and np.isnan(answers["3"].latitude)
    assert answers["4"].match == "tie"


def test_a_web_page_or_a_line_that_is_no_geocode_is_one_sentence(tmp_path):
    cache, client = RawCache(tmp_path, "chicago"), HttpClient(sleep=lambda s: None)
    addresses = census_geocoder.with_ids(pd.DataFrame(
        {"street": ["1 A ST"], "city": ["CHICAGO"], "state": ["IL"], "zip": ["60601"]}))
    with responses.RequestsMock() as replay:
        replay.post(URL, body="<html><body>Service unavailable</body></html>")
        with pytest.raises(FetchError, match=r"^The Census Geocoder at https://geocoding.geo.census"
                                             r".gov/geocoder/locations/addressbatch sent a web page "
                                             r"instead of geocodes; check geocode.benchmark"):
            census_geocoder.fetch(addresses, cache, client)
    with responses.RequestsMock() as replay:
        replay.post(URL, body='"x","1 A ST, CHICAGO, IL, 60601","Match","Exact","1 A ST","north"\n')
        with pytest.raises(FetchError, match=r"sent an answer that cannot be read \(line 1 has the "
                                             r"point 'north', not 'longitude,latitude'\); try "
                                             r"again later\.$"):
            census_geocoder.fetch(addresses, cache, client)
    assert cache.entries("geocodes") == []             # nothing broken enters the cache


@responses.activate
def test_more_than_10000_addresses_go_in_batches_each_address_once(tmp_path):
    service = serve({})
    streets = [f"{n} N CLARK ST" for n in range(10_001)]
    addresses = census_geocoder.with_ids(pd.DataFrame(
        {"street": streets + streets[:50], "city": "Chicago", "state": "il", "zip": "60610"}))
    cache = RawCache(tmp_path, "chicago")
    paths_ = census_geocoder.fetch(addresses, cache, HttpClient())
    assert [len(batch) for batch in service.batches] == [10_000, 1]
    ids = [line[0] for line in service.sent]
    assert len(ids) == len(set(ids)) == 10_001
    assert service.sent[0][1:] == ["0 N CLARK ST", "CHICAGO", "IL", "60610"]   # no header line
    assert service.benchmarks == ["Public_AR_Current"] * 2
    assert [p.name for p in paths_] == ["batch-00001.csv", "batch-00002.csv"]
    assert [e["params"] for e in cache.entries("geocodes")] == [
        {"benchmark": "Public_AR_Current", "addresses": 10_000},
        {"benchmark": "Public_AR_Current", "addresses": 1}]
    assert len(census_geocoder.parse(paths_)) == 10_001
    request = responses.calls[0].request
    assert request.req_kwargs["timeout"] == (10, census_geocoder.READ_TIMEOUT)


def test_the_geocoder_is_described_and_documented():
    info = census_geocoder.SOURCE
    for field in ("name", "publisher", "url", "license", "description", "wire_format"):
        assert info.get(field), f"census_geocoder.SOURCE has no {field}"
    docs = (ROOT / "docs" / "sources.md").read_text()
    assert info["name"] in docs and info["url"] in docs and info["license"] in docs
    cities = (ROOT / "docs" / "cities.md").read_text()
    for key in profiles.SPEC:
        if key.startswith("geocode."):
            assert f"`{key}`" in cities, f"docs/cities.md does not document {key}"
    for reason in (transform.NO_MATCH, transform.TIE, transform.NOT_GEOCODED,
                   transform.REPEATED_LATITUDE):
        assert " ".join(reason.split()) in " ".join(cities.split())


def test_an_address_is_keyed_by_its_normalised_text():
    addresses = pd.DataFrame({"street": ["4100 n  Broadway ", "4100 N BROADWAY", "4100 N BROADWAY"],
                              "city": ["Chicago", "CHICAGO", "CHICAGO"], "state": "IL",
                              "zip": ["60613", "60613", None]})
    ids = census_geocoder.with_ids(addresses)["id"].tolist()
    assert ids[0] == ids[1] != ids[2]


# Builds ---------------------------------------------------------------------------------------

@responses.activate
def test_an_address_only_registry_is_geocoded_once_and_placed(profile_path, licenses, monkeypatch):
    monkeypatch.setattr(census_geocoder, "BATCH_SIZE", 4)
    service = serve()
    steps = []
    db = city.import_files(profile_path, licenses, LOCAL / "neighborhoods.geojson", geocode=True,
                           on_step=steps.append)
    # Usable rows with an address: 9 distinct addresses (the bakery's 3 terms share one).
    assert [len(batch) for batch in service.batches] == [4, 4, 1]
    streets = [line[1] for line in service.sent]
    assert len(streets) == len(set(streets)) == 9 and "4200 N BROADWAY" not in streets  # rejected row
    assert ["4100 N BROADWAY", "CHICAGO", "IL", "60613"] in [line[1:] for line in service.sent]
    assert "geocoding 9 addresses with the Census Geocoder (3 requests)" in steps
    placed = table(db, "SELECT source_key, geocode_match, latitude, longitude, neighborhood_id "
                       "FROM businesses ORDER BY source_key").set_index("source_key")
    assert placed["geocode_match"].to_dict() == {
        "100-1": "exact", "1000-1": "exact", "200-1": "non-exact", "300-1": "exact",
        "800-1": "exact", "900-2": "exact"}
    assert placed.loc["100-1", ["latitude", "longitude", "neighborhood_id"]].tolist() == [41.95, -87.65, "1"]
    assert reasons(db) == {6: transform.NO_MATCH, 7: "outside the city", 8: transform.TIE,
                           9: "term ends before it starts", 10: "repeated row id",
                           13: "unparseable opening date"}
    sources = table(db, "SELECT * FROM sources").set_index("source_id")
    assert sources.loc["businesses", ["rows_raw", "rows_loaded", "rows_merged", "rows_rejected"]].tolist() \
        == [14, 6, 2, 6]
    geocodes = sources.loc["geocodes"]
    assert geocodes[["kind", "vintage", "url", "rows_raw", "rows_loaded", "rows_rejected"]].tolist() == \
        ["geocodes", "Public_AR_Current", URL, 7, 7, 0]
    assert geocodes["name"] == census_geocoder.SOURCE["name"] and geocodes["fetched_at"] is not None


@responses.activate
def test_home_based_rows_without_a_match_keep_their_address_out_of_the_rejects(profile_path, licenses):
    serve()
    db = city.import_files(profile_path, licenses, LOCAL / "neighborhoods.geojson", geocode=True)
    raw = json.loads(table(db, "SELECT raw FROM rejected_records WHERE row_number = 6")["raw"][0])
    assert raw["LICENSE DESCRIPTION"] == "Home Occupation" and "withheld" in raw
    assert not {"ADDRESS", "CITY", "LEGAL NAME", "DOING BUSINESS AS NAME"} & set(raw)
    assert "ELM" not in table(db, "SELECT string_agg(raw, ' ') AS r FROM rejected_records")["r"][0]


@responses.activate
def test_the_cache_serves_the_next_builds_and_offline_ones(profile_path, licenses, data_dir):
    service = serve()
    city.import_files(profile_path, licenses, LOCAL / "neighborhoods.geojson", geocode=True)
    assert len(service.batches) == 1
    db = city.import_files(profile_path, licenses, LOCAL / "neighborhoods.geojson", geocode=True)
    assert len(service.batches) == 1                     # every address cached: no request
    assert table(db, "SELECT count(*) n FROM businesses")["n"][0] == 6
    cache = RawCache(paths.raw_cache_dir(), "chicago")
    cache.write("businesses", "licenses.csv", licenses.read_bytes(), "https://example.test/", {}, 14)
    cache.write("neighborhoods", "areas.geojson", (LOCAL / "neighborhoods.geojson").read_bytes(),
                "https://example.test/", {}, 2)
    steps = []
    db = city.build_city(profile_path, offline=True, on_step=steps.append)
    assert len(service.batches) == 1
    assert table(db, "SELECT count(*) n FROM businesses WHERE geocode_match IS NOT NULL")["n"][0] == 6
    assert not any("not geocoded yet" in s for s in steps)
    assert reasons(db)[8] == transform.TIE


@responses.activate
def test_new_addresses_offline_are_said_in_one_sentence_and_rejected_until_geocoded(
        profile_path, licenses, data_dir):
    service = serve()
    city.import_files(profile_path, licenses, LOCAL / "neighborhoods.geojson", geocode=True)
    more = without_points(LOCAL / "chicago_licenses.csv", data_dir / "more.csv", extra=NEW_ROW)
    steps = []
    db = city.import_files(profile_path, more, LOCAL / "neighborhoods.geojson", on_step=steps.append)
    assert len(service.batches) == 1                     # import without --geocode: cache only
    assert "geocoding addresses from the cache only; pass --geocode to ask the Census Geocoder " \
           "for new ones" in steps
    assert "1 address not geocoded yet: import with --geocode to geocode them; their rows are " \
           "rejected until then" in steps
    assert reasons(db)[15] == transform.NOT_GEOCODED == \
        "no coordinates; address not geocoded yet (build with network access)"
    cache = RawCache(paths.raw_cache_dir(), "chicago")
    cache.write("businesses", "more.csv", more.read_bytes(), "https://example.test/", {}, 15)
    cache.write("neighborhoods", "areas.geojson", (LOCAL / "neighborhoods.geojson").read_bytes(),
                "https://example.test/", {}, 2)
    steps.clear()
    db = city.build_city(profile_path, offline=True, on_step=steps.append)
    assert [s for s in steps if "geocod" in s] == [
        "1 address not geocoded yet: a build with network access will geocode them; their rows "
        "are rejected until then"]
    assert reasons(db)[15] == transform.NOT_GEOCODED
    db = city.import_files(profile_path, more, LOCAL / "neighborhoods.geojson", geocode=True)
    assert [line[1] for line in service.batches[-1]] == ["5300 S HALSTED ST"]   # only the new one
    assert 15 not in reasons(db)


def test_a_geocoder_that_does_not_answer_leaves_new_rows_waiting(profile_path, licenses, data_dir):
    with responses.RequestsMock() as replay:
        replay.add_callback(responses.POST, URL, callback=Service(lambda f: LOCAL_ANSWERS.get(f[1])))
        city.import_files(profile_path, licenses, LOCAL / "neighborhoods.geojson", geocode=True)
    more = without_points(LOCAL / "chicago_licenses.csv", data_dir / "more.csv", extra=NEW_ROW)
    steps = []
    with responses.RequestsMock() as replay:
        replay.post(URL, status=503)
        db = city.import_files(profile_path, more, LOCAL / "neighborhoods.geojson", geocode=True,
                               on_step=steps.append)
        assert len(replay.calls) == 5
    assert any(s.startswith("the Census Geocoder is not available (The Census Geocoder at "
                            f"{URL} answered HTTP 503 five times") for s in steps)
    assert reasons(db)[15] == transform.NOT_GEOCODED
    assert table(db, "SELECT rows_loaded FROM sources WHERE source_id = 'geocodes'")["rows_loaded"][0] == 7


def test_a_repeated_latitude_is_geocoded_by_address_when_geocoding_is_on(profile_path, licenses,
                                                                         data_dir):
    text = (LOCAL / "chicago_licenses.csv").read_text().replace(
        "AAI,,41.84,-87.66,", "AAI,,41.84,41.84,")      # OLD SHOP's point: a repeated latitude
    path = data_dir / "repeated.csv"
    path.write_text(text)
    profile = profiles.load_profile(address_only_profile(data_dir, "with_points"))
    profile = profiles.Profile(**{**vars(profile), "fields": profiles.Fields(
        **{**vars(profile.fields), "latitude": "latitude", "longitude": "longitude"})})
    registry = readers.read_registry(path, profile)
    areas = readers.read_boundaries(LOCAL / "neighborhoods.geojson", profile).shapes
    asked = []

    def geocoder(addresses):
        asked.extend(addresses["street"])
        return pd.DataFrame({"id": "x", "match": "exact", "latitude": 41.84, "longitude": -87.66},
                            index=addresses.index)

    result = transform.transform_businesses(registry, profile, areas, geocoder=geocoder)
    assert "5100 S HALSTED ST" in asked and "4100 N BROADWAY" not in asked
    old_shop = result.businesses.set_index("source_key").loc["300-1"]
    assert old_shop[["geocode_match", "latitude", "neighborhood_id"]].tolist() == ["exact", 41.84, "2"]
    assert result.businesses.set_index("source_key").loc["100-1", "geocode_match"] is None


def test_the_profile_keys_of_geocoding(tmp_path):
    path = address_only_profile(tmp_path)
    profile = profiles.load_profile(path)
    assert profile.geocode == profiles.Geocode(True, "Chicago", "city", "IL", "state",
                                               "Public_AR_Current")
    text = path.read_text().replace('address = "address"\n', "").replace(
        "enabled = true", "enabled = true\nbenchmrk = \"x\"")
    path.write_text(text)
    with pytest.raises(PipelineError) as error:
        profiles.load_profile(path)
    assert "key 'geocode.enabled' needs 'fields.address'" in str(error.value)
    assert "key 'geocode.benchmrk' is not a known key" in str(error.value)
    off = profiles.load_profile("chicago").geocode
    assert (off.enabled, off.city, off.state) == (False, "Chicago", "IL")


# Conformance: the real Chicago sample without its coordinates ----------------------------------

CHICAGO = REALDATA / "chicago_business_licenses" / "business_licenses_sample10k_csv_2024.csv"
AREAS = REALDATA / "chicago_community_areas" / "community_areas_current.geojson"


def normal(values: pd.Series) -> pd.Series:
    return values.str.upper().str.replace(r"\s+", " ", regex=True).str.strip()


def sample_answers(sample: pd.DataFrame):
    """The geocoder's answers made from the sample's own points: every address with a point is
    matched there, except a few answered Tie or No_Match; addresses without one: No_Match."""
    key = normal(sample["ADDRESS"]) + "|" + normal(sample["CITY"]) + "|" + normal(sample["STATE"])
    has = sample["LATITUDE"] != ""
    points = sample[has].assign(key=key[has]).drop_duplicates("key").set_index("key")
    placed = sorted(points.index)
    ties, misses = set(placed[::1000]), set(placed[500::1000])
    answers = {k: (p.LATITUDE, p.LONGITUDE, i % 7 != 0)
               for i, (k, p) in enumerate(points.iterrows())}
    answers |= {k: "tie" for k in ties} | {k: None for k in misses}
    return answers, key, ties, misses


@pytest.mark.skipif(not CHICAGO.is_file(), reason=f"the real-data samples are not at {REALDATA}")
@responses.activate
def test_the_chicago_sample_without_coordinates_is_placed_where_its_coordinates_put_it(data_dir):
    sample = pd.read_csv(CHICAGO, dtype=str, keep_default_na=False)
    answers, key, ties, misses = sample_answers(sample)
    service = Service(lambda f: answers.get("|".join(f[1:4]), None))
    responses.add_callback(responses.POST, URL, callback=service)
    stripped = without_points(CHICAGO, data_dir / "address_only.csv")
    profile_path = address_only_profile(data_dir)
    db = city.import_files(profile_path, stripped, AREAS, geocode=True)

    chicago = profiles.load_profile("chicago")
    kept = assemble(chicago, {"businesses": [CHICAGO], "neighborhoods": [AREAS]},
                    lambda message: None)
    geocoded = table(db, "SELECT business_id, neighborhood_id, latitude, longitude, geocode_match "
                         "FROM businesses").set_index("business_id")
    sources = table(db, "SELECT * FROM sources").set_index("source_id")
    # Every row reconciles, and every distinct address was asked for once, in one request.
    for row in sources.itertuples():
        assert row.rows_raw == row.rows_loaded + row.rows_merged + row.rows_rejected, row.Index
    assert sources.loc["businesses", "rows_raw"] == 10_000
    sent = ["|".join(line[1:]) for line in service.sent]       # street, city, state, ZIP
    assert len(service.batches) == 1 and len(sent) == len(set(sent)) > 9_000
    # Matched businesses land in the community area their own coordinates give.
    both = kept.businesses.merge(geocoded.reset_index(), on="business_id", suffixes=("", "_geocoded"))
    assert len(both) == len(geocoded) > 7_000
    assert (both["neighborhood_id"] == both["neighborhood_id_geocoded"]).all()
    assert np.allclose(both["latitude"], both["latitude_geocoded"])
    assert set(geocoded["geocode_match"]) == {"exact", "non-exact"}
    placed = [line for line in service.sent if isinstance(answers.get("|".join(line[1:4])), tuple)]
    assert sources.loc["geocodes", "rows_loaded"] == len(placed)
    # The same rows are rejected for the same reasons, but for the geocoder's own.
    before = dict(zip(kept.rejected.query("source_id == 'businesses'")["row_number"],
                      kept.rejected.query("source_id == 'businesses'")["reason"]))
    after = reasons(db)
    expected = {}
    for number, address in enumerate(key, start=1):
        reason = before.get(number)
        if reason == "no coordinates":
            reason = transform.NO_MATCH
        elif reason in (None, "outside the city") and address in ties:
            reason = transform.TIE
        elif reason in (None, "outside the city") and address in misses:
            reason = transform.NO_MATCH
        if reason is not None:
            expected[number] = reason
    assert after == expected
    counts = pd.Series(after).value_counts()
    assert counts[transform.NO_MATCH] >= 755 and counts[transform.TIE] >= 5
