"""The HTTP client: timeouts, bounded retries on 429/5xx/connection errors, clear errors, no secrets."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
import responses

from data_pipeline.http import (FetchError, HttpClient, census_key, decode_json, redact,
                                retry_after_seconds, socrata_token)

ACS_URL = "https://api.census.gov/data/2022/acs/acs5"
PORTAL_URL = "https://data.example.org/resource/abcd-1234.json"
RECORDED = Path(__file__).parent / "fixtures" / "recorded"
SENTINEL_KEY = "SENTINEL-KEY-123"


@pytest.fixture
def naps() -> list[float]:
    return []


@pytest.fixture
def client(naps) -> HttpClient:
    return HttpClient(max_retries=5, backoff=1.0, sleep=naps.append)


@pytest.fixture
def key(monkeypatch) -> str:
    monkeypatch.setenv("CENSUS_API_KEY", SENTINEL_KEY)
    return SENTINEL_KEY


@responses.activate
def test_every_request_has_a_timeout_and_our_user_agent(client):
    responses.get(PORTAL_URL, json=[])
    client.get(PORTAL_URL)
    request = responses.calls[0].request
    assert request.req_kwargs["timeout"] == (10, 60)
    assert request.headers["User-Agent"].startswith("MainStreetAtlas/")


@responses.activate
def test_429_waits_as_long_as_retry_after_says_then_succeeds(client, naps):
    responses.get(PORTAL_URL, status=429, headers={"Retry-After": "3"})
    responses.get(PORTAL_URL, json=[{"a": "1"}])
    response = client.get(PORTAL_URL)
    assert response.json() == [{"a": "1"}]
    assert naps == [3.0]
    assert len(responses.calls) == 2


def test_retry_after_as_an_http_date_and_its_cap():
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert retry_after_seconds("86400") == 120
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@responses.activate
def test_500s_until_attempts_run_out_end_in_one_clear_sentence_without_the_key(client, naps, key):
    responses.get(ACS_URL, status=500, body="Internal Server Error")
    params = [("get", "NAME"), ("for", "tract:*"), ("key", key)]
    with pytest.raises(FetchError) as caught:
        client.get(ACS_URL, params=params, secret_params=("key",))
    message = str(caught.value)
    assert message == (f"Census API at {ACS_URL} answered HTTP 500 five times; try again later "
                       "or build with --offline.")
    assert key not in message and key not in caught.value.url
    assert caught.value.status == 500
    assert len(responses.calls) == 5
    assert naps == [1.0, 2.0, 4.0, 8.0]          # exponential backoff between the five attempts


@responses.activate
def test_a_connection_reset_is_retried(client, naps):
    responses.get(PORTAL_URL, body=requests.ConnectionError("Connection reset by peer"))
    responses.get(PORTAL_URL, json=[])
    assert client.get(PORTAL_URL).json() == []
    assert naps == [1.0]


@responses.activate
def test_connection_failures_that_never_end_name_the_url_but_not_the_key(client, key):
    # requests puts the whole URL, key included, into its own error text.
    responses.get(ACS_URL, body=requests.ConnectionError(f"Max retries exceeded with url: "
                                                         f"/data/2022/acs/acs5?key={key}"))
    with pytest.raises(FetchError) as caught:
        client.get(ACS_URL, params={"key": key}, secret_params=("key",))
    message = str(caught.value)
    assert message.startswith(f"Could not reach Census API at {ACS_URL}")
    assert "--offline" in message and key not in message
    assert caught.value.__context__ is None      # a --debug traceback cannot show the key either


@responses.activate
def test_a_404_is_not_retried_and_says_what_to_check(client, naps):
    responses.get(PORTAL_URL, status=404, json={"message": "Not found"})
    with pytest.raises(FetchError, match=r"refused the request with HTTP 404 .*dataset id") as caught:
        client.get(PORTAL_URL)
    assert len(responses.calls) == 1 and naps == []
    assert caught.value.status == 404


@responses.activate
def test_census_errors_quote_the_api_and_hide_the_key(client, key):
    responses.get(ACS_URL, status=400, body="error: unknown variable 'B99999_001E'")
    with pytest.raises(FetchError) as caught:
        client.get(ACS_URL, params={"get": "B99999_001E", "key": key}, secret_params=("key",))
    assert "unknown variable 'B99999_001E'" in str(caught.value)
    assert key not in str(caught.value)


@responses.activate
def test_census_answering_a_bad_key_with_200_and_html_is_a_clear_error(client, key):
    responses.get(ACS_URL, status=200, body=(RECORDED / "census" / "invalid_key.html").read_text(),
                  content_type="text/html")
    response = client.get(ACS_URL, params={"get": "NAME", "key": key}, secret_params=("key",))
    with pytest.raises(FetchError) as caught:
        decode_json(response, "tracts")
    message = str(caught.value)
    assert "the key in CENSUS_API_KEY was refused" in message
    assert ACS_URL in message and key not in message


@responses.activate
def test_census_asking_for_a_missing_key_says_how_to_get_one(client, monkeypatch):
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    responses.get(ACS_URL, status=200, body="<html><body>Missing Key</body></html>")
    with pytest.raises(FetchError, match=r"needs a key; get a free one at .*set CENSUS_API_KEY"):
        decode_json(client.get(ACS_URL), "tracts")


@responses.activate
def test_json_cut_off_mid_answer_is_a_clear_error(client):
    responses.get(PORTAL_URL, body='[{"a": "1"}, {"a": "2"')
    with pytest.raises(FetchError, match=r"not valid JSON .*cut off"):
        decode_json(client.get(PORTAL_URL), "the page at offset 0")


@responses.activate
def test_census_no_content_means_no_rows(client):
    responses.get(ACS_URL, status=204, body="")
    assert decode_json(client.get(ACS_URL), "tracts", empty=[]) == []


def test_keys_come_from_the_environment_and_are_redacted(monkeypatch):
    monkeypatch.setenv("CENSUS_API_KEY", SENTINEL_KEY)
    monkeypatch.setenv("SOCRATA_APP_TOKEN", "tok-SECRET-987")
    assert census_key() == SENTINEL_KEY and socrata_token() == "tok-SECRET-987"
    text = redact(f"GET {ACS_URL}?get=NAME&key={SENTINEL_KEY} with X-App-Token tok-SECRET-987")
    assert SENTINEL_KEY not in text and "tok-SECRET-987" not in text
    assert "get=NAME" in text
    assert redact("https://x.org/a?key=other-secret&b=1") == "https://x.org/a?key=[redacted]&b=1"
    monkeypatch.setenv("CENSUS_API_KEY", "  ")
    assert census_key() is None


@responses.activate
def test_a_request_that_cannot_be_made_is_a_fetch_error_too(client, naps):
    responses.get(PORTAL_URL, body=requests.TooManyRedirects("Exceeded 30 redirects."))
    with pytest.raises(FetchError, match=r"Could not ask the portal at .*TooManyRedirects"):
        client.get(PORTAL_URL)
    assert naps == []


GEOCODER_URL = "https://geocoding.geo.census.gov/geocoder/locations/addressbatch"


@responses.activate
def test_a_form_post_is_retried_like_a_get_and_fails_in_one_sentence(client, naps):
    responses.post(GEOCODER_URL, status=503)
    responses.post(GEOCODER_URL, body='"1","1 A ST, CHICAGO, IL, 60601","No_Match"\n')
    files = {"addressFile": ("addresses.csv", b"1,1 A ST,CHICAGO,IL,60601\n", "text/csv")}
    answer = client.post(GEOCODER_URL, data={"benchmark": "Public_AR_Current"}, files=files,
                         read_timeout=600)
    assert answer.text.endswith('"No_Match"\n') and naps == [1.0]
    sent = [call.request for call in responses.calls]
    assert all(b"1,1 A ST,CHICAGO" in r.body and b'name="benchmark"' in r.body for r in sent)
    assert sent[1].req_kwargs["timeout"] == (10, 600)    # the connect timeout stays
    responses.replace(responses.POST, GEOCODER_URL, status=500)
    with pytest.raises(FetchError) as caught:
        client.post(GEOCODER_URL, files=files)
    assert str(caught.value) == (f"The Census Geocoder at {GEOCODER_URL} answered HTTP 500 five "
                                 "times; try again later or build with --offline.")
    assert responses.calls[-1].request.req_kwargs["timeout"] == (10, 60)
