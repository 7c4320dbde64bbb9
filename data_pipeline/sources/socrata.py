"""Socrata (SODA) open-data portals: business registries as JSON pages, boundaries as GeoJSON.

A registry is read page by page from `https://<domain>/resource/<id>.json` with `$limit`,
`$offset` and a stable `$order=:id`, asking for the system fields too (`$select=:*, *`),
so that every row carries its `:id` and `:updated_at`. Each page is kept raw in the cache
(`page-00001.json`, …); the fetch stops at the first page shorter than `$limit`. A fetch
that was interrupted resumes after the last full page it saved (same `$limit` and `$where`).

Incremental refresh: with `since`, only rows changed after that time are asked for
(`$where=:updated_at > '…'`) and saved as a delta set (`delta-<time>-00001.json`, …) after
the full set. `read_pages` reads the files in manifest order and lets a later row replace
an earlier one with the same `:id`, which applies the deltas. Deleted rows do not show up
in a delta: a full fetch (the default once the cache is older than the profile's
`max_age_days`) removes them.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..cache import RawCache, iso_utc
from core.errors import PipelineError
from ..http import FetchError, HttpClient, decode_json, socrata_headers

SOURCE = {
    "name": "Socrata open-data portal (SODA API)",
    "publisher": "The city's open-data portal (Socrata / Tyler Data & Insights)",
    "url": "https://{domain}/resource/{dataset_id}.json",
    "license": "The city portal's open-data terms (named in the profile as portal.license)",
    "description": ("Business registrations (licenses, registered locations) as JSON rows and "
                    "neighborhood boundaries as GeoJSON, paged with $limit/$offset and a stable "
                    "$order=:id; optional X-App-Token."),
    "wire_format": "JSON array of objects; GeoJSON FeatureCollection",
}
SYSTEM_FIELDS = ":*, *"
GEOJSON_LIMIT = 100_000


def resource_url(domain: str, dataset_id: str, extension: str = "json") -> str:
    return f"https://{domain}/resource/{dataset_id}.{extension}"


def fetch_dataset(domain: str, dataset_id: str, cache: RawCache, client: HttpClient,
                  source: str = "businesses", page_size: int = 50_000, where: str | None = None,
                  since: str | None = None) -> list[Path]:
    """Fetch every row of a dataset into the cache; return all its cached pages, in order.

    With `since` (an ISO timestamp) and a full set already cached, only rows updated after
    it are fetched and added as a delta set; without a cached full set, a full fetch is made.
    """
    url = resource_url(domain, dataset_id)
    if since and cache.has(source):
        stamp = iso_utc(cache.clock()).replace(":", "").replace("-", "")
        clause = f":updated_at > '{since}'" + (f" AND ({where})" if where else "")
        _fetch_pages(url, cache, client, source, f"delta-{stamp}", page_size, clause)
    else:
        with cache.replacing(source, resume=True) as target:
            _fetch_pages(url, cache, client, target, "page", page_size, where)
    return cache.files(source)


def _fetch_pages(url: str, cache: RawCache, client: HttpClient, target: str, prefix: str,
                 page_size: int, where: str | None) -> int:
    """Page through `url` until a short page; save each page raw; return the rows seen.

    Full pages that an interrupted fetch already saved in `target` are not asked for again.
    """
    number = _pages_kept(cache, target, prefix, page_size, where)
    offset, total = number * page_size, number * page_size
    while True:
        params = {"$select": SYSTEM_FIELDS, "$order": ":id", "$limit": page_size, "$offset": offset}
        if where:
            params["$where"] = where
        response = client.get(url, params=params, headers=socrata_headers())
        rows = page_rows(response, url, offset)
        number += 1
        cache.write(target, f"{prefix}-{number:05d}.json", response.content, url, params, len(rows))
        total += len(rows)
        if len(rows) < page_size:
            return total
        offset += page_size


def _pages_kept(cache: RawCache, target: str, prefix: str, page_size: int,
                where: str | None) -> int:
    """How many full pages in a row, from the first, an earlier fetch left in `target`."""
    number = 0
    while True:
        entry = cache.kept(target, f"{prefix}-{number + 1:05d}.json")
        params = entry["params"] if entry else {}
        same = (params.get("$limit") == page_size and params.get("$offset") == number * page_size
                and params.get("$where") == where and entry["rows"] == page_size)
        if not same:
            return number
        number += 1


def page_rows(response, url: str, offset: int) -> list[dict]:
    """The rows of one SODA page; a FetchError naming the URL and offset if it is not rows."""
    rows = decode_json(response, f"the page at offset {offset}")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise FetchError(f"The portal at {url} sent a page at offset {offset} that is not a JSON "
                         "array of rows; check the dataset id in the city profile and run the "
                         "build again.", url)
    return rows


def fetch_geojson(domain: str, dataset_id: str, cache: RawCache, client: HttpClient,
                  source: str = "neighborhoods") -> Path:
    """Fetch a boundary dataset as one GeoJSON file into the cache; return its path."""
    url = resource_url(domain, dataset_id, "geojson")
    params = {"$limit": GEOJSON_LIMIT}
    response = client.get(url, params=params, headers=socrata_headers())
    collection = decode_json(response, "boundaries")
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise FetchError(f"The portal at {url} did not send a GeoJSON FeatureCollection; check "
                         "the boundary dataset id in the city profile.", url)
    if len(features) >= GEOJSON_LIMIT:
        raise FetchError(f"The portal at {url} sent {len(features):,} boundaries, the most one "
                         "request may hold; this is not a neighborhood layer: check the dataset id.",
                         url)
    with cache.replacing(source) as target:
        cache.write(target, f"{dataset_id}.geojson", response.content, url, params, len(features))
    return cache.files(source)[0]


def read_pages(paths: list[Path]) -> list[dict]:
    """The rows of saved SODA pages, in order; a later row replaces an earlier one with its `:id`."""
    rows: list[dict] = []
    position: dict[str, int] = {}
    for path in paths:
        for row in _read_page(Path(path)):
            row_id = row.get(":id")
            if row_id is None:
                rows.append(row)
            elif row_id in position:
                rows[position[row_id]] = row
            else:
                position[row_id] = len(rows)
                rows.append(row)
    return rows


def _read_page(path: Path) -> list[dict]:
    try:
        rows = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise PipelineError(f"{path} is not a readable SODA JSON page ({error}); delete it and "
                            "fetch again, or export the dataset again.") from None
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise PipelineError(f"{path} is not a SODA JSON page (a JSON array of rows); export the "
                            "dataset as JSON from the portal's API.")
    return rows
