"""US Census Geocoder, batch address matching: points for registry rows that give only an address.

`fetch` sends addresses in batches of at most 10,000 to the batch service (an HTTP POST
of a multipart form: `addressFile`, a CSV without header — id, street, city, state, ZIP —
and `benchmark`, the release of the Census address data to match against) and keeps each
answer as it came in the raw cache (`geocodes/batch-00001.csv`, …). Batches are added to
the cache, never replaced, so every address is asked for once; re-runs and `--offline`
builds read the answers from there. `parse` reads the answers, a CSV without header:

    "id","input address","Match","Exact","matched address","-87.65,41.95","tigerLineId","L"

The match is `Match` (then `Exact` or `Non_Exact`), `No_Match` or `Tie`; lines of the last
two end after the third field. The point is one quoted field, longitude first. Lines come
back in any order, so answers are joined to addresses by id: the first 16 hex digits of
the sha256 of the normalised address (upper case, runs of white space as one space).
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..cache import RawCache
from core.errors import PipelineError
from ..http import FetchError, HttpClient, looks_like_html

CACHE_SOURCE = "geocodes"
URL = "https://geocoding.geo.census.gov/geocoder/locations/addressbatch"
BENCHMARK = "Public_AR_Current"
BATCH_SIZE = 10_000          # the service's limit per request
READ_TIMEOUT = 600.0         # seconds: it answers a batch only once every address is matched
SOURCE = {
    "name": "US Census Geocoder (batch address matching)",
    "publisher": "US Census Bureau, Geography Division",
    "url": URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Points for registry rows that have an address but no coordinates, matched "
                    "against the Census Bureau's address ranges (MAF/TIGER); the match is kept "
                    "per business (exact or non-exact)."),
    "wire_format": ("CSV without header, one line per address: id, input address, "
                    "Match/No_Match/Tie, Exact/Non_Exact, matched address, \"longitude,latitude\", "
                    "TIGER/Line id, side (L/R)"),
}
PARTS = ["street", "city", "state", "zip"]
MATCHES = {"Exact": "exact", "Non_Exact": "non-exact"}
UNMATCHED = {"No_Match": "no match", "Tie": "tie"}


@dataclass(frozen=True)
class Geocode:
    """The geocoder's answer for one address: match quality and, when matched, the point."""

    match: str                      # 'exact', 'non-exact', 'tie' or 'no match'
    latitude: float = math.nan
    longitude: float = math.nan


def normalised(values: pd.Series) -> pd.Series:
    """Address parts as they are sent and keyed: upper case, runs of white space as one space."""
    text = values.astype("string[pyarrow]").fillna("").str.upper()
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def with_ids(addresses: pd.DataFrame) -> pd.DataFrame:
    """`addresses` (street, city, state, zip) normalised, with the id of each address."""
    out = pd.DataFrame({part: normalised(addresses[part]) for part in PARTS}, index=addresses.index)
    joined = out["street"] + "|" + out["city"] + "|" + out["state"] + "|" + out["zip"]
    codes, uniques = pd.factorize(joined)
    ids = [hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] for text in uniques]
    out["id"] = np.array(ids, dtype=object)[codes]
    return out


def request_file(addresses: pd.DataFrame) -> bytes:
    """The `addressFile` of one batch: id, street, city, state, ZIP per line, no header."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        addresses[["id", *PARTS]].itertuples(index=False, name=None))
    return buffer.getvalue().encode("utf-8")


def fetch(addresses: pd.DataFrame, cache: RawCache, client: HttpClient,
          benchmark: str = BENCHMARK, batch_size: int | None = None) -> list[Path]:
    """Send each distinct address (columns id, street, city, state, zip) once, in batches.

    Each answer is checked, then added to the cache as the next `batch-NNNNN.csv`; the
    paths of the new files are returned.
    """
    todo, batch_size = addresses.drop_duplicates("id"), batch_size or BATCH_SIZE
    first = len(cache.entries(CACHE_SOURCE)) + 1
    paths = []
    for number, start in enumerate(range(0, len(todo), batch_size), start=first):
        batch = todo.iloc[start:start + batch_size]
        response = client.post(URL, data={"benchmark": benchmark}, read_timeout=READ_TIMEOUT,
                               files={"addressFile": ("addresses.csv", request_file(batch), "text/csv")})
        content = response.content
        answers = _checked_answers(content, benchmark)
        params = {"benchmark": benchmark, "addresses": len(batch)}
        paths.append(cache.write(CACHE_SOURCE, f"batch-{number:05d}.csv", content, URL, params,
                                 len(answers)))
    return paths


def _checked_answers(content: bytes, benchmark: str) -> dict[str, Geocode]:
    """The answers of one response; a FetchError for a web page or lines that are not answers."""
    if looks_like_html(content):
        raise FetchError(f"The Census Geocoder at {URL} sent a web page instead of geocodes; check "
                         f"geocode.benchmark ({benchmark}) in the city profile, or try again later.",
                         URL)
    try:
        return read_answers(content)
    except ValueError as error:
        raise FetchError(f"The Census Geocoder at {URL} sent an answer that cannot be read "
                         f"({error}); try again later.", URL) from None


def read_answers(content: bytes) -> dict[str, Geocode]:
    """Answers by address id from one response (a later line for an id wins); ValueError
    names the first line that is not an answer."""
    answers = {}
    text = content.decode("utf-8", errors="replace")
    for number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if fields and "".join(fields).strip():
            answers[fields[0]] = _answer(fields, number)
    return answers


def _answer(fields: list[str], number: int) -> Geocode:
    status = fields[2] if len(fields) > 2 else ""
    if status in UNMATCHED:
        return Geocode(UNMATCHED[status])
    if status != "Match" or len(fields) < 6 or fields[3] not in MATCHES:
        raise ValueError(f"line {number} is not a geocode: {','.join(fields)[:80]!r}")
    try:
        lon, lat = (float(part) for part in fields[5].split(","))
    except ValueError:
        raise ValueError(f"line {number} has the point {fields[5]!r}, not "
                         "'longitude,latitude'") from None
    return Geocode(MATCHES[fields[3]], lat, lon)


def parse(paths: list[Path]) -> dict[str, Geocode]:
    """Answers by address id from cached response files, in order (a later answer wins)."""
    answers: dict[str, Geocode] = {}
    for path in paths:
        try:
            answers |= read_answers(Path(path).read_bytes())
        except (OSError, ValueError) as error:
            raise PipelineError(f"The cached geocodes {path} cannot be read ({error}); delete "
                                f"the folder {Path(path).parent} and build again with network "
                                "access to geocode the addresses again.") from None
    return answers


@dataclass
class Geocoder:
    """The geocodes of one build: answers in the raw cache and, with a client, new ones fetched.

    Called with the addresses of rows that need a point; answers with their match and point,
    row by row (match None: not geocoded yet). `later` says, in a step message, what
    geocodes the rest.
    """

    cache: RawCache
    client: HttpClient | None = None
    benchmark: str = BENCHMARK
    step: Callable[[str], None] = lambda message: None
    later: str = "a build with network access will geocode them"

    def files(self) -> list[Path]:
        """Cached answers of this benchmark, in fetch order."""
        return [self.cache.path(CACHE_SOURCE) / entry["file"]
                for entry in self.cache.entries(CACHE_SOURCE)
                if entry.get("params", {}).get("benchmark") == self.benchmark]

    def fetched_at(self) -> datetime | None:
        stamps = [entry["fetched_at"] for entry in self.cache.entries(CACHE_SOURCE)
                  if entry.get("params", {}).get("benchmark") == self.benchmark]
        return pd.Timestamp(max(stamps)).to_pydatetime() if stamps else None

    def __call__(self, addresses: pd.DataFrame) -> pd.DataFrame:
        asked = with_ids(addresses)
        known = parse(self.files())
        missing = asked[~asked["id"].isin(known.keys())].drop_duplicates("id")
        if len(missing) and self.client is not None:
            known |= self._fetch(missing)
        left = asked.loc[~asked["id"].isin(known.keys()), "id"].nunique()
        if left:
            self.step(f"{_addresses(left)} not geocoded yet: {self.later}; their rows are "
                      "rejected until then")
        found = [known.get(i) for i in asked["id"]]
        return pd.DataFrame({
            "id": asked["id"].to_numpy(),
            "match": [g.match if g else None for g in found],
            "latitude": [g.latitude if g else math.nan for g in found],
            "longitude": [g.longitude if g else math.nan for g in found]}, index=addresses.index)

    def _fetch(self, missing: pd.DataFrame) -> dict[str, Geocode]:
        batches = math.ceil(len(missing) / BATCH_SIZE)
        self.step(f"geocoding {_addresses(len(missing))} with the Census Geocoder "
                  f"({batches:,} request{'s' if batches > 1 else ''})")
        try:
            return parse(fetch(missing, self.cache, self.client, self.benchmark))
        except PipelineError as error:
            self.step(f"the Census Geocoder is not available ({error}); building with the "
                      "geocodes cached so far")
            return parse(self.files())


def _addresses(count: int) -> str:
    return f"{count:,} address{'' if count == 1 else 'es'}"
