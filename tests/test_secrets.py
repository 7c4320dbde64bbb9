"""Secrets: the Census key and the Socrata token never leave the request that needs them.

With CENSUS_API_KEY and SOCRATA_APP_TOKEN set to sentinel strings, a `build --city` runs
against the fake servers of tests/test_faults.py — with failing requests, one of them an
error page that echoes the key back — and the sentinels are looked for in stdout, stderr,
log records, exception messages, the raw cache (manifests and files) and the bytes of
the DuckDB file.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from data_pipeline import http
from data_pipeline.cli import main
from data_pipeline.http import FetchError, HttpClient
from data_pipeline.sources import census_api
from tests.test_faults import FakeServers, small_pages

KEY = "SENTINEL-census-key-5c1e9a77"
TOKEN = "SENTINEL-socrata-token-e03b6f12"


@pytest.fixture
def secrets_set(monkeypatch, tmp_path):
    monkeypatch.setenv("CENSUS_API_KEY", KEY)
    monkeypatch.setenv("SOCRATA_APP_TOKEN", TOKEN)
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)
    return tmp_path / "data"


def everything_written(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (raw cache, manifests, databases and their WAL), as bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def assert_no_secret(where: str, data) -> None:
    blob = data if isinstance(data, bytes) else str(data).encode("utf-8", "replace")
    for secret in (KEY, TOKEN):
        assert secret.encode() not in blob, f"{secret} found in {where}"
        assert secret.encode("utf-16-le") not in blob, f"{secret} (UTF-16) found in {where}"


def test_a_build_with_failures_keeps_the_key_and_token_to_the_requests(
        secrets_set, monkeypatch, capsys, caplog, zipped_tracts):
    caplog.set_level(logging.DEBUG)
    small_pages(monkeypatch)
    fakes = FakeServers(zipped_tracts=zipped_tracts)
    seen = []

    def record(request):
        seen.append((request.url, dict(request.headers)))
        return fakes.answer(request)
    fakes.faults["acs"] = [(400, {}, f"error: unknown variable for key={KEY}; see {KEY}")]
    fakes.faults["cbp"] = [(500, {}, f"<html>upstream failed for {KEY}</html>")] * 5
    fakes.faults["lodes"] = [requests.ConnectionError(f"reset while fetching ?key={KEY}")] * 5
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(r"https://.*"), callback=record)
        code = main(["build", "--city", "chicago"])
    out, err = capsys.readouterr()
    assert code == 0, err
    # The secrets were in play: sent where they belong ...
    census = [u for u, _ in seen if urlsplit(u).netloc == "api.census.gov"]
    assert census and all(parse_qs(urlsplit(u).query).get("key") == [KEY] for u in census)
    portal = [h for u, h in seen if urlsplit(u).netloc == "data.cityofchicago.org"]
    assert portal and all(h.get("X-App-Token") == TOKEN for h in portal)
    # ... the failures were reported ...
    assert "ACS 5-year tract figures not available" in err
    assert "County and ZIP Business Patterns not available" in err
    assert "LODES jobs not available" in err
    # ... and the secrets went nowhere else.
    assert_no_secret("stdout", out)
    assert_no_secret("stderr", err)
    assert_no_secret("log records", "\n".join(r.getMessage() for r in caplog.records))
    files = everything_written(secrets_set)
    assert any(name.endswith("manifest.json") for name in files)
    assert any(name.endswith(".duckdb") for name in files)
    for name, data in files.items():
        assert_no_secret(name, data)


@pytest.fixture(scope="module")
def zipped_tracts() -> bytes:
    from tests.test_faults import tract_zip
    return tract_zip()


def test_fetch_errors_never_carry_the_key(secrets_set, tmp_path):
    client = HttpClient(sleep=lambda seconds: None)
    url = "https://api.census.gov/data/2023/acs/acs5"
    cases = [(403, f"Invalid key {KEY}"), (500, f"failed {KEY}"), (200, "<html>Invalid Key</html>")]
    for status, body in cases:
        with responses.RequestsMock() as mock:
            mock.add(responses.GET, url, status=status, body=body)
            with pytest.raises(FetchError) as raised:
                census_api.fetch_table(client, url, [("get", "NAME"), ("for", "tract:*")], "ACS tracts")
        error = raised.value
        for text in (str(error), repr(error), error.url, " ".join(map(str, error.args))):
            assert_no_secret(f"FetchError for HTTP {status}", text)
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, url, body=requests.ConnectionError(f"boom {url}?key={KEY}"))
        with pytest.raises(FetchError) as raised:
            census_api.fetch_table(client, url, [("get", "NAME")], "ACS tracts")
    assert_no_secret("FetchError after resets", str(raised.value))


def test_a_secret_in_a_url_given_by_hand_is_scrubbed(secrets_set):
    text = f"https://api.census.gov/data?get=NAME&key={KEY}&token={TOKEN}"
    assert_no_secret("redact", http.redact(text))
    assert_no_secret("public_url", http.public_url(text))


@pytest.mark.parametrize("name", ["key", "KEY", "api_key", "apikey", "$$app_token", "app_token",
                                  "token"])
def test_a_secret_in_a_url_query_is_scrubbed_even_when_no_environment_holds_it(monkeypatch, name):
    """A key typed into a URL (not set in the environment) never reaches a message."""
    monkeypatch.delenv("CENSUS_API_KEY", raising=False)
    monkeypatch.delenv("SOCRATA_APP_TOKEN", raising=False)
    secret = f"typed-by-hand-{len(name)}-7f3a9c"
    url = f"https://api.census.gov/data/2023/acs/acs5?get=NAME&{name}={secret}&for=tract:*"
    for text in (http.redact(url), http.redact(f"GET {url} failed"),
                 str(FetchError(f"could not reach {url}", url=url)),
                 FetchError("x", url=url).url):
        assert secret not in text, text
        assert "get=NAME" in text and f"{name}=[redacted]" in text and "for=tract:*" in text
