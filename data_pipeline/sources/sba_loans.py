"""SBA 7(a) and 504 loans, from the SBA's FOIA loan-level files.

No sample of these files is at hand here: the reader follows the SBA's published data
dictionary of the 7(a) and 504 FOIA files (BorrName, BorrStreet, BorrCity, BorrState,
BorrZip, GrossApproval, ApprovalDate, NaicsCode, BusinessType, JobsSupported, Program, …)
and is tested on rows made to that layout. A build does not fetch them (national
downloads): pass them to `import --sba-loans`. Columns, placement and the scope rule:
`loans.py`.
"""
from __future__ import annotations

from . import loans

DATASET = "https://data.sba.gov/dataset/7-a-504-foia"
SOURCE = {
    "name": "SBA 7(a) and 504 loan-level data (FOIA)",
    "publisher": "US Small Business Administration",
    "url": DATASET,
    "license": "Public domain (US government work)",
    "description": ("One row per SBA-guaranteed 7(a) or 504 loan: gross approved amount, "
                    "approval date, borrower ZIP code, NAICS code, business type and jobs "
                    "supported."),
    "wire_format": "CSV, one row per loan",
}


SBA = loans.loan_source(
    "sba_loans", "SBA 7(a) and 504 loans", SOURCE, "SBA 7(a) and 504 FOIA loan-level CSV files",
    "7(a)", "no SBA 7(a) or 504 loans were loaded",
    "program <> 'PPP'")
