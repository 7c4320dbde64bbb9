"""SBA Paycheck Protection Program (PPP) loans, from the SBA's loan-level files.

Read: the July 2020 release (loans under $150,000 with an exact amount and no borrower
name; loans of $150,000 and over with a lettered amount band and no date, approved by
30 June 2020) and the later data.sba.gov `public_*.csv` files. A build does not fetch them
(national and state downloads): pass them to `import --ppp-loans`. Columns, placement and
the scope rule: `loans.py`.
"""
from __future__ import annotations

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


PPP = loans.loan_source(
    "ppp_loans", "PPP loans", SOURCE,
    "SBA PPP loan-level CSV files (July 2020 release or data.sba.gov public_*.csv)", "PPP",
    "no PPP loans were loaded", "program = 'PPP'",
    release_year=FIRST_RELEASE_YEAR)
