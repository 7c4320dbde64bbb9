"""Loan-level files of the SBA: what the PPP and the 7(a)/504 sources share.

Both are CSV files with one row per loan, read by column name (any case, any spaces):

| figure | PPP, July 2020 release | PPP, data.sba.gov | SBA 7(a) / 504 FOIA |
|---|---|---|---|
| amount | `LoanAmount` (under $150k) or `LoanRange` (a lettered band, $150k and over) | `CurrentApprovalAmount` (else `InitialApprovalAmount`) | `GrossApproval` |
| approved | `DateApproved` (none in the $150k-and-over file) | `DateApproved` | `ApprovalDate` |
| ZIP code | `Zip` | `BorrowerZip` | `BorrZip` |
| jobs | `JobsRetained` | `JobsReported` | `JobsSupported` |
| business type | `BusinessType` | `BusinessType` | `BusinessType` |
| program | PPP | PPP | `Program` (7A, 504) |

A loan whose file gives the borrower's street address (`Address`, `BorrowerAddress`,
`BorrStreet`) is placed at its geocoded point when the city's build geocodes addresses (the
registry's geocoder: its cache, and the Census Geocoder when the build may fetch) and the
geocoder matched it (`placement = 'address'`, one neighborhood). Any other loan is placed by
its ZIP code, with the registry's ZIP weights (the share of the ZIP's registered businesses
in each neighborhood, `zip_neighborhood_weights`; `placement = 'zip'`). Scope rule, as for
the Census inputs: a loan placed outside every neighborhood, or whose ZIP code has no
registered business of the city, is outside the city and not counted as its row; a loan
inside the city that cannot be used (no date, an amount that is not a number) is rejected
with its reason. The loans table keeps no borrower name and no address.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import PipelineError

from .. import geo, transform
from ..readers import read_csv_bytes
from ..source import Build, Source
from ..transform_census import Counted

SCHEMA = """
CREATE TABLE IF NOT EXISTS loans (
    source_id       VARCHAR NOT NULL,   -- sources.source_id: ppp_loans | sba_loans
    row_number      BIGINT NOT NULL,    -- 1-based position in its file(s)
    program         VARCHAR NOT NULL,   -- 'PPP' | '7(a)' | '504'
    approved        DATE,               -- NULL: the file gives the year only
    year            INTEGER NOT NULL,   -- year of approval
    amount          DOUBLE,             -- approved amount in dollars; NULL: only a band is known
    amount_band     VARCHAR,            -- the published band when there is no amount
    jobs            INTEGER,            -- jobs retained (PPP) or supported (SBA), as reported
    naics           VARCHAR,
    business_type   VARCHAR,            -- as published
    self_employed   BOOLEAN NOT NULL,   -- sole proprietor, self-employed individual or
                                        -- independent contractor (as the borrower reported)
    zip             VARCHAR,            -- 5 digits
    placement       VARCHAR NOT NULL,   -- 'address': at its geocoded point; 'zip': split by
                                        -- zip_neighborhood_weights
    neighborhood_id VARCHAR             -- the neighborhood of a loan placed by address
);
"""
TABLES = ("loans",)
# Business types that make a borrower one person working on their own (PPP's own words;
# the SBA FOIA files say INDIVIDUAL for a sole proprietorship).
SELF_EMPLOYED = {"sole proprietorship", "self-employed individuals", "independent contractors",
                 "individual"}
COLUMNS = {
    "amount": ("loanamount", "currentapprovalamount", "initialapprovalamount", "grossapproval"),
    "band": ("loanrange",),
    "approved": ("dateapproved", "approvaldate"),
    "zip": ("zip", "borrowerzip", "borrzip"),
    "jobs": ("jobsretained", "jobsreported", "jobssupported"),
    "naics": ("naicscode",),
    "business_type": ("businesstype",),
    "program": ("program",),
    "street": ("address", "borroweraddress", "borrstreet"),
    "city": ("city", "borrowercity", "borrcity"),
    "state": ("state", "borrowerstate", "borrstate"),
}
ADDRESS = ["street", "city", "state", "zip"]
PROGRAMS = {"7a": "7(a)", "7(a)": "7(a)", "504": "504", "ppp": "PPP"}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9()]", "", str(name).lower())


def _column(frame: pd.DataFrame, figure: str) -> pd.Series | None:
    keys = {_key(c): c for c in frame.columns}
    found = next((keys[k] for k in COLUMNS[figure] if k in keys), None)
    return frame[found] if found is not None else None


def read_loans(paths: list[Path], source: Source, default_program: str,
               release_year: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every loan of the files (source_id, row_number, program, approved, year, amount,
    amount_band, jobs, naics, business_type, self_employed, zip) and the rejected rows
    (row_number, reason, raw), before the scope rule."""
    frames, row = [], 0
    for path in paths:
        raw = read_csv_bytes(Path(path).read_bytes(), f"{source.label} file {Path(path).name}")
        for figure in ("zip",):
            if _column(raw, figure) is None:
                raise PipelineError(f"{Path(path).name} has no ZIP code column (Zip, BorrowerZip "
                                    f"or BorrZip), so its loans cannot be placed; is it a "
                                    f"{source.label} file?")
        if _column(raw, "amount") is None and _column(raw, "band") is None:
            raise PipelineError(f"{Path(path).name} has no loan amount column (LoanAmount, "
                                "CurrentApprovalAmount, GrossApproval or LoanRange).")
        frame = _loans(raw, source, default_program, release_year)
        frame["row_number"] = np.arange(row + 1, row + len(raw) + 1)
        frame["raw"] = raw.astype(str).where(raw.notna(), None).to_dict("records")
        row += len(raw)
        frames.append(frame)
    loans = pd.concat(frames, ignore_index=True)
    bad = loans["reason"].notna()
    rejected = loans.loc[bad, ["row_number", "reason", "raw"]]
    return loans.loc[~bad].drop(columns=["reason", "raw"]), rejected


def _loans(raw: pd.DataFrame, source: Source, default_program: str,
           release_year: int | None) -> pd.DataFrame:
    def text(figure: str) -> pd.Series:
        values = _column(raw, figure)
        if values is None:
            return pd.Series(None, index=raw.index, dtype=object)
        values = values.astype(str).str.strip()
        return values.where(raw[values.name].notna() & (values != ""), None)

    out = pd.DataFrame(index=raw.index)
    out["source_id"] = source.name
    program = text("program").map(lambda v: PROGRAMS.get(_key(v)) if v else None)
    out["program"] = program.fillna(default_program)
    approved = pd.to_datetime(text("approved"), format="%m/%d/%Y", errors="coerce")
    iso = pd.to_datetime(text("approved"), format="ISO8601", errors="coerce")
    out["approved"] = approved.fillna(iso).dt.date
    has_date = _column(raw, "approved") is not None
    out["year"] = (pd.DatetimeIndex(approved.fillna(iso)).year if has_date
                   else pd.Series(release_year, index=raw.index))
    amount_text = text("amount").str.replace(r"[$,\s]", "", regex=True)
    out["amount"] = pd.to_numeric(amount_text, errors="coerce")
    out["amount_band"] = text("band").str.replace(r"^[a-e]\s+", "", regex=True)
    out["jobs"] = pd.to_numeric(text("jobs"), errors="coerce").round().astype("Int64")
    out["naics"] = text("naics").str.replace(r"\.0$", "", regex=True)
    out["business_type"] = text("business_type").str.replace(r"\s+", " ", regex=True)
    out["self_employed"] = out["business_type"].str.lower().isin(SELF_EMPLOYED)
    out["zip"] = text("zip").str.extract(r"^(\d{5})", expand=False)
    for part in ("street", "city", "state"):
        out[part] = text(part)
    out["placement"] = "zip"
    out["neighborhood_id"] = None
    reason = pd.Series(None, index=raw.index, dtype=object)
    reason[out["amount"].isna() & out["amount_band"].isna()] = "no loan amount"
    reason[amount_text.notna() & out["amount"].isna()] = "loan amount is not a number"
    reason[out["year"].isna()] = "no approval date" if has_date else "no approval year"
    reason[out["zip"].isna() & out["street"].isna()] = "no ZIP code or address"
    out["reason"] = reason
    return out


def read_into(files: list[Path], build: Build, source: Source, default_program: str,
              release_year: int | None = None) -> None:
    """Read loan files into the build's `loans` table, placed by ZIP code."""
    weights = build.tables.get("zip_neighborhood_weights")
    if weights is None or not len(weights):
        build.step(f"{source.label} are placed by ZIP code, which needs the registry's ZIP "
                   f"codes (fields.zip in {build.profile.display_path}); building without them")
        return
    build.step(f"reading {source.label} ({', '.join(Path(f).name for f in files)})")
    loans, rejected = read_loans(files, source, default_program, release_year)
    _place_by_address(loans, build)
    city_zips = set(weights["zip"])
    inside = np.where(loans["placement"] == "address", loans["neighborhood_id"].notna(),
                      loans["zip"].isin(city_zips))
    rejected_inside = rejected[[_zip_of(raw) in city_zips for raw in rejected["raw"]]]
    outside = int((~inside).sum()) + len(rejected) - len(rejected_inside)
    if outside:
        build.step(f"{outside:,} {source.label} outside the city (by address or ZIP code) left out")
    kept = loans.loc[inside].drop(columns=["street", "city", "state"]).reset_index(drop=True)
    existing = build.tables.get("loans")
    build.tables["loans"] = kept if existing is None else pd.concat([existing, kept],
                                                                      ignore_index=True)
    build.reject(source.name, [(int(r.row_number), r.reason, r.raw)
                               for r in rejected_inside.itertuples(index=False)])
    years = sorted(set(kept["year"].astype(int)))
    vintage = ("none in the city" if not years else f"approved {years[0]}" if len(years) == 1
               else f"approved {years[0]}–{years[-1]}")
    build.add_row(source, vintage, files,
                  Counted(kept, len(kept) + len(rejected_inside), len(rejected_inside)))


def _place_by_address(loans: pd.DataFrame, build: Build) -> None:
    """Loans with a street address the geocoder matched: at their point, in the neighborhood
    that holds it (None: outside the city). In place; the others stay placed by ZIP code."""
    asked = loans.index[loans["street"].notna()]
    if build.geocoder is None or not len(asked):
        return
    found = build.geocoder(loans.loc[asked, ADDRESS])
    matched = found.index[found["match"].isin(transform.PLACED)]
    if not len(matched):
        return
    loans.loc[matched, "placement"] = "address"
    loans.loc[matched, "neighborhood_id"] = geo.assign_points(
        found.loc[matched, "latitude"], found.loc[matched, "longitude"], build.shapes,
        "neighborhood_id")
    build.step(f"{len(matched):,} loans placed at their geocoded address")


# How one program's loans reached the neighborhoods, by program and placement: a loan placed
# by ZIP code is split over the pairs of ZIP code and neighborhood its ZIP code's weights
# give (source units: ZIP codes); one placed at its geocoded address lies in one
# neighborhood (source units: the loans, one pair each).
APPORTIONMENT = """
SELECT 'loans (' || l.program || '): borrower to neighborhood' AS step, l.placement AS method,
       CASE WHEN l.placement = 'zip'
            THEN count(DISTINCT (w.zip, w.neighborhood_id)) FILTER (WHERE w.weight > 0)
            ELSE count(DISTINCT l.row_number) END AS pairs,
       CASE WHEN l.placement = 'zip' THEN count(DISTINCT l.zip)
            ELSE count(DISTINCT l.row_number) END AS source_units
FROM loans l
LEFT JOIN zip_neighborhood_weights w ON l.placement = 'zip' AND w.zip = l.zip
WHERE {programs}
GROUP BY l.program, l.placement
ORDER BY l.program, l.placement"""


def _zip_of(raw: dict) -> str | None:
    """The 5-digit ZIP code of a raw row, whichever column holds it."""
    for key, value in raw.items():
        if _key(key) in COLUMNS["zip"] and value:
            match = re.match(r"^\s*(\d{5})", str(value))
            return match.group(1) if match else None
    return None


def not_fetched(label: str, where: str) -> PipelineError:
    """Loan files are national or state downloads a build does not fetch by itself."""
    return PipelineError(f"{label} are not fetched automatically: download them from {where} "
                         "and pass them to `python -m data_pipeline import`")


def loan_source(name: str, label: str, provenance: dict, help: str, default_program: str,
                absent: str, programs: str, release_year: int | None = None) -> Source:
    """The unit of one loan program's files: read here, never fetched by a build.
    `programs`: SQL over `loans` that picks its loans, whoever loaded them (the demo city's
    loans have source ids of their own), e.g. "program = 'PPP'"."""
    def fetch(profile, cache, client, build: Build) -> list[Path]:
        raise not_fetched(label, provenance["url"])

    def read(files: list[Path], build: Build) -> None:
        read_into(files, build, unit, default_program, release_year)

    unit = Source(help=help, many=True, name=name, kind=name, label=label, tables=TABLES,
                  provenance=provenance, fetch=fetch, read=read, absent=absent, schema=SCHEMA,
                  loaded_when=f"EXISTS (SELECT 1 FROM loans WHERE {programs})",  # noqa: S608 (reviewed: code-owned SQL)
                  apportionment=APPORTIONMENT.format(programs=programs))
    return unit
