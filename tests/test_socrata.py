"""Socrata paging, retries mid-paging, broken pages, deltas and boundaries, on recorded answers."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from data_pipeline.cache import RawCache
from core.errors import PipelineError
from data_pipeline.http import FetchError, HttpClient
from data_pipeline.sources import socrata

RECORDED = Path(__file__).parent / "fixtures" / "recorded" / "socrata"
DOMAIN, DATASET = "data.sfgov.org", "g8m3-pdis"
URL = f"https://{DOMAIN}/resource/{DATASET}.json"
ROWS = json.loads((RECORDED / "sf_registered_business_5rows.json").read_text())


@pytest.fixture
def naps() -> list[float]:
    return []


@pytest.fixture
def client(naps) -> HttpClient:
    return HttpClient(sleep=naps.append)


@pytest.fixture
def cache(tmp_path) -> RawCache:
    return RawCache(tmp_path / "raw", "sf")


def query(call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def serve_pages(rows: list[dict], page_size: int) -> None:
    """Answer like SODA: the slice of `rows` at $offset, $limit long."""
    def answer(request):
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
        offset, limit = int(q["$offset"]), int(q["$limit"])
        return 200, {"Content-Type": "application/json"}, json.dumps(rows[offset:offset + limit])
    responses.add_callback(responses.GET, URL, callback=answer)


@responses.activate
def test_pages_follow_offsets_in_a_stable_order_and_stop_at_a_short_page(cache, client):
    serve_pages(ROWS, page_size=2)
    paths = socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=2)
    asked = [query(call) for call in responses.calls]
    assert [(q["$offset"], q["$limit"]) for q in asked] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert all(q["$order"] == ":id" and q["$select"] == ":*, *" for q in asked)
    assert [p.name for p in paths] == ["page-00001.json", "page-00002.json", "page-00003.json"]
    assert [e["rows"] for e in cache.entries("businesses")] == [2, 2, 1]
    assert socrata.read_pages(paths) == ROWS


@responses.activate
def test_a_full_last_page_is_followed_by_an_empty_one(cache, client):
    serve_pages(ROWS[:4], page_size=2)
    paths = socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=2)
    assert [e["rows"] for e in cache.entries("businesses")] == [2, 2, 0]
    assert len(socrata.read_pages(paths)) == 4


@responses.activate
def test_a_connection_reset_mid_paging_is_retried_and_no_row_is_lost(cache, client, naps):
    responses.get(URL, json=ROWS[:2])
    responses.get(URL, body=requests.ConnectionError("Connection reset by peer"))
    responses.get(URL, json=ROWS[2:4])
    responses.get(URL, json=ROWS[4:])
    paths = socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=2)
    assert [query(c)["$offset"] for c in responses.calls] == ["0", "2", "2", "4"]
    assert naps == [1.0]
    assert socrata.read_pages(paths) == ROWS


@responses.activate
def test_a_truncated_page_names_the_url_and_offset_and_keeps_the_old_cache(cache, client):
    serve_pages(ROWS, page_size=2)
    socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=2)
    responses.reset()
    responses.get(URL, json=ROWS[:2])
    responses.get(URL, body=json.dumps(ROWS[2:4])[:-40])            # cut off mid-row
    with pytest.raises(FetchError) as caught:
        socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=2)
    message = str(caught.value)
    assert URL in message and "offset 2" in message and "not valid JSON" in message
    assert socrata.read_pages(cache.files("businesses")) == ROWS     # previous set untouched


@responses.activate
def test_a_page_that_is_not_an_array_of_rows_is_refused(cache, client):
    responses.get(URL, json={"message": "query.soql.no-such-column", "errorCode": "x"})
    with pytest.raises(FetchError, match=r"page at offset 0 that is not a JSON array of rows"):
        socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=2)


@responses.activate
def test_the_app_token_goes_in_a_header_never_in_the_cache(cache, client, monkeypatch):
    monkeypatch.setenv("SOCRATA_APP_TOKEN", "tok-SENTINEL-456")
    responses.get(URL, json=ROWS[:1])
    socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=2, where="naic_code IS NOT NULL")
    assert responses.calls[0].request.headers["X-App-Token"] == "tok-SENTINEL-456"
    assert "tok-SENTINEL" not in responses.calls[0].request.url
    assert query(responses.calls[0])["$where"] == "naic_code IS NOT NULL"
    manifest = (cache.path("businesses") / "manifest.json").read_text()
    assert "tok-SENTINEL" not in manifest


@responses.activate
def test_a_delta_adds_changed_rows_and_the_reader_lets_them_replace_older_ones(tmp_path, client):
    now = {"t": datetime(2026, 11, 1, tzinfo=timezone.utc)}
    cache = RawCache(tmp_path / "raw", "sf", clock=lambda: now["t"])
    serve_pages(ROWS, page_size=50)
    socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=50)
    responses.reset()
    changed = dict(ROWS[1], dba_name="Richmond's Super Shell & Deli",
                   **{":updated_at": "2026-11-19T10:00:00.000Z"})
    added = {":id": "row-zz01~abcd.efgh", ":updated_at": "2026-11-19T11:00:00.000Z",
             "ttxid": "1234567-01-001", "dba_name": "New Corner Store"}
    responses.get(URL, json=[changed, added])
    now["t"] += timedelta(days=19)
    paths = socrata.fetch_dataset(DOMAIN, DATASET, cache, client, page_size=50,
                                  since="2026-11-01T00:00:00")
    assert query(responses.calls[0])["$where"] == ":updated_at > '2026-11-01T00:00:00'"
    assert [p.name for p in paths] == ["page-00001.json", "delta-20261120T000000Z-00001.json"]
    rows = socrata.read_pages(paths)
    assert len(rows) == 6
    assert rows[1]["dba_name"] == "Richmond's Super Shell & Deli"       # replaced in place
    assert rows[-1]["dba_name"] == "New Corner Store"


@responses.activate
def test_boundaries_come_as_one_geojson_file(cache, client):
    body = (RECORDED / "sf_analysis_neighborhoods_2.geojson").read_bytes()
    responses.get(f"https://{DOMAIN}/resource/j2bu-swwd.geojson", body=body)
    path = socrata.fetch_geojson(DOMAIN, "j2bu-swwd", cache, client)
    assert path.read_bytes() == body
    entry = cache.entries("neighborhoods")[0]
    assert entry["rows"] == 2 and entry["params"] == {"$limit": socrata.GEOJSON_LIMIT}


def test_read_pages_refuses_a_file_that_is_not_a_page(tmp_path):
    bad = tmp_path / "page.json"
    bad.write_text('{"type": "FeatureCollection"}')
    with pytest.raises(PipelineError, match=r"page.json is not a SODA JSON page"):
        socrata.read_pages([bad])
