"""SBA Paycheck Protection Program (PPP) loans, from the SBA's loan-level files.

Read: the July 2020 release (loans under $150,000 with an exact amount and no borrower
name; loans of $150,000 and over with a lettered amount band and no date, approved by
30 June 2020) and the later data.sba.gov `public_*.csv` files. A build does not fetch them
(national and state downloads): pass them to `import --ppp-loans`. Columns, placement and
the scope rule: `loans.py`.
"""
from __future__ import annotations

from pathlib import Path

from ..cache import RawCache
from ..profiles import Profile
from ..source import Build, Source
from . import loans

DATASET = "https://data.sba.gov/dataset/ppp-foia"
FIRST_RELEASE_YEAR = 2020     # the $150k-and-over file of July 2020 has no date: approved in 2020
SOURCE = {
    "name": "SBA Paycheck Protection Program loan-level data",
    "publisher": "US Small Business Administration (with the US Treasury)",
    "url": DATASET,
    "license": "Public domain (US government work)",
    "description": ("One row per PPP loan: amount (or its band for loans of $150,000 and over in "
                    "the July 2020 release), approval date, borrower ZIP code, NAICS code, "
                    "business type as the borrower reported it, and jobs retained."),
    "wire_format": "CSV, one row per loan",
}


def fetch_for_build(profile: Profile, cache: RawCache, client, build: Build) -> list[Path]:
    raise loans.not_fetched("PPP loans", DATASET)


def read_into_build(files: list[Path], build: Build) -> None:
    loans.read_into(files, build, PPP, "PPP", release_year=FIRST_RELEASE_YEAR)


PPP = Source(
    help="SBA PPP loan-level CSV files (July 2020 release or data.sba.gov public_*.csv)",
    many=True, name="ppp_loans", kind="ppp_loans", label="PPP loans", tables=loans.TABLES,
    provenance=SOURCE, fetch=fetch_for_build, read=read_into_build,
    absent="no PPP loans were loaded", schema=loans.SCHEMA,
    loaded_when="EXISTS (SELECT 1 FROM loans WHERE program = 'PPP')")
