"""LEHD LODES8 Workplace Area Characteristics: jobs by census block, year and job type.

`fetch` downloads `<st>_wac_S000_<JT>_<year>.csv.gz` per year and job type. `parse` turns
files into the canonical `jobs` and `jobs_by_sector` tables:

- jobs_total = C000 of the all-jobs file (JT00); jobs by sector = its CNS01..CNS20;
- jobs_private = C000 of the private-jobs file (JT02);
- jobs_small_firms = JT02's CFS01 (firms of 0-19 employees nationally) and
  jobs_young_firms = JT02's CFA01 + CFA02 (firms 0-3 years old). The LODES technical
  documentation publishes firm age and size only for private jobs (JT02) and only from
  2011; in every other file those columns are zero. So they are NULL — not 0 — when no
  JT02 file is given, for years before 2011, or when a JT02 file has them all zero; the
  stats say which and why.

Files are recognized by content (gzip or plain CSV) and by their id column: `w_geocode`
(15-character block) or a block-group id such as `bgrp` (12 characters). Ids that lost a
leading zero (a state code below 10 read as a number) are padded back.
"""
from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core import categories

from .. import canonical
from ..cache import RawCache
from core.errors import PipelineError
from ..http import FetchError, HttpClient
from .. import transform_census as tc
from ..profiles import Profile
from ..source import Build, Source, facts

CACHE_SOURCE = "lodes"
URL = "https://lehd.ces.census.gov/data/lodes/LODES8/{st}/wac/{st}_wac_S000_{job_type}_{year}.csv.gz"
XWALK_URL = "https://lehd.ces.census.gov/data/lodes/LODES8/{st}/{st}_xwalk.csv.gz"
SOURCE = {
    "name": "LEHD Origin-Destination Employment Statistics (LODES 8), workplace area characteristics",
    "publisher": "US Census Bureau, Longitudinal Employer-Household Dynamics (LEHD) program",
    "url": URL,
    "license": "Public domain (US Census Bureau)",
    "description": ("Jobs counted where people work, by 2020 census block and year: all jobs "
                    "(C000), jobs by NAICS sector (CNS01-CNS20) and, for private jobs, by firm "
                    "size (CFS01 = firms of 0-19 employees) and firm age (CFA01-CFA02 = 0-3 years)."),
    "wire_format": "Gzipped CSV per state, job type and year",
}
GZIP_MAGIC = b"\x1f\x8b"
ALL_JOBS, PRIVATE_JOBS = "JT00", "JT02"
FIRST_FIRM_YEAR = 2011
# Id column → (geo_level, characters).
ID_COLUMNS = {"w_geocode": ("block", 15), "bgrp": ("block_group", 12), "w_bgrp": ("block_group", 12),
              "w_bg": ("block_group", 12), "w_tract": ("tract", 11), "trct": ("tract", 11)}
SECTOR_COLUMNS = [f"CNS{i:02d}" for i in range(1, 21)]
FIRM_COLUMNS = [f"{kind}{i:02d}" for kind in ("CFA", "CFS") for i in range(1, 6)]
KEYS = ["geo_level", "geo_id", "year"]


@dataclass
class WacFile:
    path: Path
    job_type: str
    year: int
    geo_level: str
    frame: pd.DataFrame      # geo_id, C000 and the count columns present


def fetch(state_abbr: str, years, cache: RawCache, client: HttpClient,
          job_types=(ALL_JOBS, PRIVATE_JOBS), crosswalk: bool = True) -> list[Path]:
    """Download the WAC file of each year and job type, and the state's geography crosswalk
    (where each block is), into the cache; return the files."""
    st = state_abbr.lower()
    wanted = [(URL.format(st=st, job_type=job_type, year=year), job_type, year)
              for year in years for job_type in job_types]
    if crosswalk:
        wanted.append((XWALK_URL.format(st=st), None, None))
    with cache.replacing(CACHE_SOURCE, resume=True) as target:
        for url, job_type, year in wanted:
            if cache.kept(target, url.rsplit("/", 1)[1]):   # fetched before an interruption
                continue
            content = _download(client, url, st, job_type, year)
            rows = max(gzip.decompress(content).count(b"\n") - 1, 0)
            cache.write(target, url.rsplit("/", 1)[1], content, url, {}, rows)
    return cache.files(CACHE_SOURCE)


def _download(client: HttpClient, url: str, st: str, job_type: str, year: int) -> bytes:
    try:
        content = client.get(url).content
    except FetchError as error:
        if error.status != 404:
            raise
        if job_type is None:
            raise FetchError(f"LODES has no geography crosswalk for {st.upper()} ({url}); check "
                             "the state in the city profile (geography.state_abbr).", url, 404) from None
        raise FetchError(f"LODES has no {job_type} file for {st.upper()} {year} ({url}); LODES is "
                         "published about two years after the fact: choose other years in the "
                         "city profile (years.lodes).", url, 404) from None
    if not content.startswith(GZIP_MAGIC):
        raise FetchError(f"The LEHD LODES server at {url} did not send a gzip file; try again "
                         "later or build with --offline.", url)
    return content


def parse(paths, keep_geoids_prefixes=None, year: int | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """`jobs` (JOB_COLUMNS) and `jobs_by_sector` (JOB_SECTOR_COLUMNS) from WAC files, and stats.

    `keep_geoids_prefixes` (e.g. county GEOIDs '06075') keeps only units starting with one;
    `year` overrides the year read from a `year` column or the file name.
    """
    stats = {"files": [], "ignored_files": [], "rows_outside_kept_areas": 0,
             "rows_with_bad_geocode": 0, "units_only_in_private_file": 0,
             "jobs_total_by_year": {}, "firm_size_and_age": {}}
    prefixes = tuple(keep_geoids_prefixes or ())
    files = [_read_file(Path(p), year, prefixes, stats) for p in paths]
    by_type = {jt: [f for f in files if f.job_type == jt] for jt in (ALL_JOBS, PRIVATE_JOBS)}
    for f in files:
        if f.job_type not in by_type:
            stats["ignored_files"].append(
                {"file": f.path.name, "reason": f"job type {f.job_type} is not used (all jobs come "
                 f"from {ALL_JOBS}, private and firm size/age from {PRIVATE_JOBS})"})
    _check_years(by_type)
    all_jobs = _summed(by_type[ALL_JOBS], ["C000", *SECTOR_COLUMNS])
    jobs = _jobs(all_jobs, by_type[PRIVATE_JOBS], stats)
    stats["jobs_total_by_year"] = {int(y): int(v) for y, v in
                                   jobs.groupby("year")["jobs_total"].sum().items()}
    return jobs, _sectors(all_jobs), stats


def _read_file(path: Path, year: int | None, prefixes: tuple, stats: dict) -> WacFile:
    job_type = _job_type(path)
    data = _content(path)
    header = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
    id_column = next((c for c in header if c.strip().lower() in ID_COLUMNS), None)
    if id_column is None:
        raise PipelineError(f"{path} has no w_geocode (block) or block-group id column; give a "
                            "LODES WAC file.")
    geo_level, width = ID_COLUMNS[id_column.strip().lower()]
    wanted = [c for c in header if c in {"C000", *SECTOR_COLUMNS, *FIRM_COLUMNS, "year"}]
    if "C000" not in wanted:
        raise PipelineError(f"{path} has no C000 (total jobs) column; give a LODES WAC file.")
    frame = _counts(_read_csv(path, data, id_column, wanted), path, id_column)
    frame = frame.rename(columns={id_column: "geo_id"})
    frame["geo_id"] = _padded(frame["geo_id"], width)
    file_year = _year(path, frame, year)
    frame = _kept(frame, width, prefixes, stats)
    stats["files"].append({"file": path.name, "job_type": job_type, "year": file_year,
                           "geo_level": geo_level, "rows": len(frame)})
    return WacFile(path, job_type, file_year, geo_level, frame.drop(columns="year", errors="ignore"))


def _read_csv(path: Path, data: bytes, id_column: str, wanted: list[str]) -> pd.DataFrame:
    try:
        return pd.read_csv(io.BytesIO(data), usecols=[id_column, *wanted], dtype=str,
                           keep_default_na=False, na_values=[""])
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise PipelineError(f"Could not read the LODES file {path} as CSV ({first}); download it "
                            "again.") from None


def _counts(frame: pd.DataFrame, path: Path, id_column: str) -> pd.DataFrame:
    """Job counts as whole numbers; a cell that is not one stops the parse, naming it."""
    for column in [c for c in frame.columns if c != id_column]:
        text = frame[column].astype("string").str.strip()
        numbers = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
        given = text.notna().to_numpy(dtype=bool)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(numbers) & (numbers >= 0) & (numbers % 1 == 0)
        bad = given & ~whole
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise PipelineError(f"{path} has {text.iloc[row]!r} in column {column} on line "
                                f"{row + 2}, which is not a count of jobs; download the file again.")
        frame[column] = np.where(given, numbers, 0).astype("int64")
    return frame


def _content(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if data.startswith(GZIP_MAGIC) else data
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise PipelineError(f"Could not read the LODES file {path} ({error}); download it again.") from None


def _padded(ids: pd.Series, width: int) -> pd.Series:
    text = ids.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    return text.str.zfill(width)


def _kept(frame: pd.DataFrame, width: int, prefixes: tuple, stats: dict) -> pd.DataFrame:
    good = frame["geo_id"].str.len().eq(width) & frame["geo_id"].str.isdigit()
    good = good.fillna(False).astype(bool)
    stats["rows_with_bad_geocode"] += int((~good).sum())
    frame = frame[good]
    if prefixes:
        inside = frame["geo_id"].str.startswith(prefixes).astype(bool)
        stats["rows_outside_kept_areas"] += int((~inside).sum())
        frame = frame[inside]
    return frame.astype({"geo_id": object})


def _job_type(path: Path) -> str:
    match = re.search(r"JT0[0-5]", path.name, re.IGNORECASE)
    if not match:
        raise PipelineError(f"Cannot tell the job type of {path}; keep the LODES file name, which "
                            "holds it (e.g. ca_wac_S000_JT00_2021.csv.gz).")
    return match.group(0).upper()


def _year(path: Path, frame: pd.DataFrame, year: int | None) -> int:
    if year is not None:
        return int(year)
    if "year" in frame and frame["year"].nunique() == 1:
        return int(frame["year"].iloc[0])
    match = (re.search(r"JT0\d_(\d{4})", path.name)
             or re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", path.name))
    if not match:
        raise PipelineError(f"Cannot tell the year of {path}; keep the LODES file name (…_JT00_2021"
                            ".csv.gz) or give the year.")
    return int(match.group(1))


def _check_years(by_type: dict[str, list[WacFile]]) -> None:
    all_years = {f.year for f in by_type[ALL_JOBS]}
    for f in by_type[PRIVATE_JOBS]:
        if f.year not in all_years:
            raise PipelineError(f"{f.path} (private jobs, {f.year}) has no all-jobs ({ALL_JOBS}) "
                                f"file for {f.year} beside it; jobs need the {ALL_JOBS} file.")
    levels = {f.geo_level for files in by_type.values() for f in files}
    if len(levels) > 1:
        raise PipelineError(f"The LODES files mix geographies ({', '.join(sorted(levels))}); give "
                            "files of one kind (all blocks or all block groups).")


def _summed(files: list[WacFile], columns: list[str]) -> pd.DataFrame:
    """One row per unit and year, summing the given count columns (absent ones are 0)."""
    frames = []
    for f in files:
        frame = f.frame.reindex(columns=["geo_id", *columns], fill_value=0)
        frame.insert(0, "geo_level", f.geo_level)
        frame.insert(2, "year", f.year)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*KEYS, *columns])
    return pd.concat(frames, ignore_index=True).groupby(KEYS, as_index=False)[columns].sum()


def _jobs(all_jobs: pd.DataFrame, private_files: list[WacFile], stats: dict) -> pd.DataFrame:
    jobs = all_jobs[KEYS].copy()
    jobs["tract_geoid"] = jobs["geo_id"].str[:11]
    jobs["neighborhood_id"] = None
    jobs["jobs_total"] = all_jobs["C000"].astype("int64")
    private = _summed(private_files, ["C000", "CFS01", "CFA01", "CFA02"])
    unmatched = private.merge(jobs[KEYS], how="left_anti", on=KEYS) if len(private) else private
    stats["units_only_in_private_file"] = len(unmatched)
    private = private.rename(columns={"C000": "jobs_private", "CFS01": "jobs_small_firms"})
    private["jobs_young_firms"] = private["CFA01"] + private["CFA02"]
    private_columns = ["jobs_private", "jobs_small_firms", "jobs_young_firms"]
    jobs = jobs.merge(private[[*KEYS, *private_columns]], how="left", on=KEYS)
    # A JT02 file lists only units with private jobs: a unit missing from it has none.
    private_years = jobs["year"].isin({f.year for f in private_files})
    jobs.loc[private_years, private_columns] = jobs.loc[private_years, private_columns].fillna(0)
    for year in sorted(jobs["year"].unique()):
        usable, reason = _firm_columns_usable(int(year), private_files)
        stats["firm_size_and_age"][int(year)] = reason
        if not usable:
            jobs.loc[jobs["year"] == year, ["jobs_small_firms", "jobs_young_firms"]] = pd.NA
    for column in ("jobs_private", "jobs_small_firms", "jobs_young_firms"):
        jobs[column] = jobs[column].astype("Int64")
    return jobs[canonical.JOB_COLUMNS].sort_values(KEYS, ignore_index=True)


def _firm_columns_usable(year: int, private_files: list[WacFile]) -> tuple[bool, str]:
    files = [f for f in private_files if f.year == year]
    if not files:
        return False, (f"not available: no private-jobs ({PRIVATE_JOBS}) file for {year}; LODES "
                       f"publishes firm size and age only in {PRIVATE_JOBS}")
    if year < FIRST_FIRM_YEAR:
        return False, f"not available: LODES firm size and age start in {FIRST_FIRM_YEAR}"
    firm_total = sum(int(f.frame.reindex(columns=FIRM_COLUMNS, fill_value=0).to_numpy().sum())
                     for f in files)
    if firm_total == 0:
        return False, (f"not available: the {PRIVATE_JOBS} file for {year} has firm size and age "
                       "columns that are all zero")
    return True, f"from {PRIVATE_JOBS} (CFS01; CFA01 + CFA02)"


def _sectors(all_jobs: pd.DataFrame) -> pd.DataFrame:
    """Long table of jobs by sector from CNS01..CNS20; units with 0 jobs in a sector are left out."""
    if all_jobs.empty:
        return canonical.empty_frame(canonical.JOB_SECTOR_COLUMNS)
    long = all_jobs.melt(id_vars=KEYS, value_vars=SECTOR_COLUMNS, var_name="cns", value_name="jobs")
    long = long[long["jobs"] > 0]
    sector_of = dict(zip(SECTOR_COLUMNS, categories.LODES_CNS_SECTORS))
    long = long.assign(naics_sector=long["cns"].map(sector_of), jobs=long["jobs"].astype("int64"))
    return long[canonical.JOB_SECTOR_COLUMNS].sort_values(
        ["geo_level", "geo_id", "year", "naics_sector"], ignore_index=True)


# ----------------------------------------------------------------------------- the unit

def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    build.step(f"fetching {LODES.label}")
    return fetch(profile.geography.state_abbr.lower(), list(profile.years.lodes), cache, client)


# --- Where each block is: the LODES geography crosswalk ------------------------------------
# `<st>_xwalk.csv.gz` (LODES technical documentation, "Geography crosswalk") lists every 2020
# block (`tabblk2020`) with its internal point (`blklatdd`, `blklondd`, decimal degrees).
# Fetched by a build beside the WAC files, or given to `import --lodes` with them, it places
# the city's job blocks by point, so a drawn area (dashboard/any_area.py) counts a block's
# jobs where the block is.
XWALK_ID, XWALK_LAT, XWALK_LON = "tabblk2020", "blklatdd", "blklondd"
BLOCK_POINTS_SCHEMA = """
CREATE TABLE block_points (          -- a job block's internal point (LODES crosswalk)
    geoid     VARCHAR PRIMARY KEY,   -- 15-character 2020 census block
    latitude  DOUBLE NOT NULL,
    longitude DOUBLE NOT NULL
);"""


def is_crosswalk(path: Path) -> bool:
    """Whether a file is a LODES geography crosswalk (by its header, gzip or plain)."""
    header = _content(Path(path)).split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    return {XWALK_ID, XWALK_LAT, XWALK_LON} <= {c.strip().strip('"') for c in header.split(",")}


def block_points(paths: list[Path], blocks: set[str]) -> pd.DataFrame:
    """geoid, latitude, longitude of the `blocks` the crosswalk files list."""
    frames = []
    for path in paths:
        frame = pd.read_csv(io.BytesIO(_content(Path(path))), usecols=[XWALK_ID, XWALK_LAT, XWALK_LON],
                            dtype={XWALK_ID: "string"})
        frame = frame.rename(columns={XWALK_ID: "geoid", XWALK_LAT: "latitude",
                                      XWALK_LON: "longitude"})
        frame["geoid"] = _padded(frame["geoid"], 15)
        frames.append(frame[frame["geoid"].isin(blocks)])
    points = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["geoid", "latitude", "longitude"])
    points = points.dropna().drop_duplicates("geoid")
    return points[["geoid", "latitude", "longitude"]].reset_index(drop=True)


def read_into_build(files: list[Path], build: Build) -> None:
    """Jobs of the city's blocks, placed in neighborhoods by location or by tract weights;
    a crosswalk among the files gives the blocks' points (`block_points`)."""
    profile = build.profile
    crosswalks = [f for f in files if is_crosswalk(f)]
    files = [f for f in files if f not in crosswalks]
    build.step(f"reading {len(files)} LODES file(s)")
    jobs, by_sector, _ = parse(files, keep_geoids_prefixes=profile.county_geoids)
    counted, sectors = tc.place_jobs(jobs, by_sector, profile.county_geoids,
                                     build.tables.get("tracts"), build.weights)
    build.tables["jobs"], build.tables["jobs_by_sector"] = counted.frame, sectors
    if crosswalks:
        blocks = counted.frame.loc[counted.frame["geo_level"] == "block", "geo_id"]
        build.tables["block_points"] = block_points(crosswalks, set(blocks))
    years = sorted(set(counted.frame["year"].astype(int))) if len(counted.frame) else []
    vintage = f"{years[0]}–{years[-1]}" if years else "none in the city"
    build.add_row(LODES, vintage, files, counted,
                  meta=facts(SOURCE, st=profile.geography.state_abbr.lower()))


LODES = Source(
    help="LODES WAC CSV or CSV.gz files, and the state's crosswalk (<st>_xwalk.csv.gz) to "
         "place job blocks by point", many=True,
    name=CACHE_SOURCE, kind="jobs", label="LODES jobs", tables=("jobs", "jobs_by_sector"),
    provenance=SOURCE, fetch=fetch_for_build, read=read_into_build, absent="no LODES jobs were loaded",
    schema=BLOCK_POINTS_SCHEMA)
