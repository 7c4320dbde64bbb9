"""The raw cache: atomic files and manifest, checksums, staleness, offline requirements."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta, timezone

import pytest

from data_pipeline.cache import RawCache
from core.errors import PipelineError

URL = "https://data.example.org/resource/abcd-1234.json"


class Clock:
    def __init__(self):
        self.now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cache(tmp_path, clock) -> RawCache:
    return RawCache(tmp_path / "raw", "springfield", clock=clock)


def test_write_keeps_the_bytes_and_records_them_in_the_manifest(cache, tmp_path):
    content = b'[{"a": "1"}, {"a": "2"}]'
    path = cache.write("businesses", "page-00001.json", content, URL,
                       {"$limit": 2, "$offset": 0}, rows=2)
    assert path == tmp_path / "raw" / "springfield" / "businesses" / "page-00001.json"
    assert path.read_bytes() == content
    manifest = json.loads((path.parent / "manifest.json").read_text())
    assert manifest["entries"] == [{
        "file": "page-00001.json", "url": URL, "params": {"$limit": 2, "$offset": 0},
        "fetched_at": "2026-11-25T12:00:00Z", "sha256": hashlib.sha256(content).hexdigest(),
        "rows": 2, "bytes": len(content)}]


def test_files_come_back_in_fetch_order_and_a_refetched_file_keeps_its_place(cache, clock):
    for name in ("page-00002.json", "page-00001.json", "page-00003.json"):
        cache.write("businesses", name, b"[]", URL, {}, rows=0)
    clock.now += timedelta(hours=1)
    cache.write("businesses", "page-00001.json", b'[{"a": "1"}]', URL, {}, rows=1)
    assert [p.name for p in cache.files("businesses")] == [
        "page-00002.json", "page-00001.json", "page-00003.json"]
    assert cache.entries("businesses")[1]["rows"] == 1
    assert cache.entries("businesses")[1]["fetched_at"] == "2026-11-25T13:00:00Z"


def test_secrets_never_reach_the_manifest(cache, monkeypatch):
    monkeypatch.setenv("CENSUS_API_KEY", "SENTINEL-KEY-123")
    cache.write("acs", "acs.json", b"[]", "https://api.census.gov/data/2022/acs/acs5?key=SENTINEL-KEY-123",
                [("get", "NAME"), ("in", "state:17"), ("in", "county:031"), ("key", "SENTINEL-KEY-123")],
                rows=0)
    text = (cache.path("acs") / "manifest.json").read_text()
    assert "SENTINEL-KEY-123" not in text
    entry = cache.entries("acs")[0]
    assert entry["url"] == "https://api.census.gov/data/2022/acs/acs5"
    assert entry["params"] == {"get": "NAME", "in": ["state:17", "county:031"]}


def test_a_write_that_fails_midway_leaves_the_previous_file_and_manifest(cache, monkeypatch):
    cache.write("businesses", "page-00001.json", b"old", URL, {}, rows=0)
    manifest_before = (cache.path("businesses") / "manifest.json").read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(PipelineError, match=r"Could not save page-00001.json in the raw cache .*disk full"):
        cache.write("businesses", "page-00001.json", b"new", URL, {}, rows=0)
    monkeypatch.undo()
    folder = cache.path("businesses")
    assert (folder / "page-00001.json").read_bytes() == b"old"
    assert (folder / "manifest.json").read_bytes() == manifest_before
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "page-00001.json"]
    cache.verify("businesses")


def test_verify_finds_a_changed_file(cache):
    path = cache.write("acs", "acs5-2022-17031.json", b'[["NAME"]]', URL, {}, rows=0)
    cache.verify("acs")
    path.write_bytes(b'[["NAME"], ["x"]]')
    with pytest.raises(PipelineError, match=r"acs5-2022-17031.json does not match its recorded sha256"):
        cache.verify("acs")
    path.unlink()
    with pytest.raises(PipelineError, match=r"is missing"):
        cache.verify("acs")


def test_require_says_how_to_fill_the_cache(cache):
    with pytest.raises(PipelineError) as caught:
        cache.require("acs")
    assert str(caught.value) == (
        f"No cached acs for springfield in {cache.path('acs')}; run "
        "`python -m data_pipeline build --city springfield` with network access first.")
    cache.write("acs", "a.json", b"[]", URL, {}, rows=0)
    assert cache.require("acs") == [cache.path("acs") / "a.json"]


def test_age_and_staleness_follow_the_last_fetch(cache, clock):
    assert cache.age("businesses") is None
    assert cache.is_stale("businesses", timedelta(days=7))
    cache.write("businesses", "page-00001.json", b"[]", URL, {}, rows=0)
    clock.now += timedelta(days=3)
    assert cache.age("businesses") == timedelta(days=3)
    assert not cache.is_stale("businesses", timedelta(days=7))
    clock.now += timedelta(days=5)
    assert cache.is_stale("businesses", timedelta(days=7))


def test_replacing_swaps_a_new_set_in_only_when_it_is_complete(cache):
    cache.write("businesses", "page-00001.json", b"old-1", URL, {}, rows=0)
    cache.write("businesses", "page-00002.json", b"old-2", URL, {}, rows=0)
    with pytest.raises(RuntimeError):
        with cache.replacing("businesses") as target:
            cache.write(target, "page-00001.json", b"new-1", URL, {}, rows=0)
            raise RuntimeError("connection lost on page 2")
    assert [p.read_bytes() for p in cache.files("businesses")] == [b"old-1", b"old-2"]
    with cache.replacing("businesses") as target:
        cache.write(target, "page-00001.json", b"new-1", URL, {}, rows=0)
    assert [p.read_bytes() for p in cache.files("businesses")] == [b"new-1"]
    assert sorted(p.name for p in cache.path("businesses").parent.iterdir()) == ["businesses"]


def test_names_that_could_leave_the_cache_folder_are_refused(cache):
    with pytest.raises(PipelineError, match="cannot be used"):
        cache.write("../elsewhere", "x.json", b"", URL, {}, rows=0)
    with pytest.raises(PipelineError, match="cannot be used"):
        cache.write("acs", "../../x.json", b"", URL, {}, rows=0)


def test_a_damaged_manifest_is_named(cache):
    cache.write("acs", "a.json", b"[]", URL, {}, rows=0)
    (cache.path("acs") / "manifest.json").write_text("{not json")
    with pytest.raises(PipelineError, match=r"manifest.json is damaged; delete the folder"):
        cache.files("acs")
