"""SBA 7(a)/504 and PPP loans of the demo city, by ZIP code.

SBA loans come every year, about 3 a year for every 100 storefront businesses of a ZIP
code (one in six a 504 loan); PPP loans come in 2020 and 2021, about one for every three
businesses active at the end of 2019, more often to the self-employed where the ZIP has
more home-based businesses. Amounts are log-normal around each program's typical size.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .patterns import active_on_december_31

SBA_RATE, PPP_RATE = 0.03, 0.33
PPP_YEARS = (2020, 2021)
MEDIAN = {"7(a)": 150_000, "504": 800_000, "PPP": 20_000}
SELF_EMPLOYED_TYPES = ["Sole Proprietorship", "Self-Employed Individuals",
                       "Independent Contractors"]
OTHER_TYPES = ["Corporation", "Limited Liability Company(LLC)", "Subchapter S Corporation"]


def simulate_loans(businesses: pd.DataFrame, zip_of: pd.Series, years: np.ndarray,
                   rng: np.random.Generator) -> pd.DataFrame:
    """One row per loan, in the canonical `loans` columns (placement by ZIP code)."""
    zips = businesses["neighborhood_id"].map(zip_of).to_numpy()
    rows = []
    for year in years:
        active = active_on_december_31(businesses, int(year))
        storefront = active & ~businesses["home_based"].to_numpy()
        for zip_code in sorted(set(zips)):
            here = zips == zip_code
            for _ in range(rng.poisson(SBA_RATE * storefront[here].sum())):
                program = "504" if rng.random() < 1 / 6 else "7(a)"
                rows.append(_loan(program, int(year), zip_code, rng, rng.random() < 0.2))
            if int(year) in PPP_YEARS:
                before = active_on_december_31(businesses, 2019) & here
                home_share = (businesses["home_based"].to_numpy() & before).sum() / max(before.sum(), 1)
                for _ in range(rng.poisson(PPP_RATE * before.sum() / len(PPP_YEARS))):
                    rows.append(_loan("PPP", int(year), zip_code, rng,
                                      rng.random() < 0.15 + 0.6 * home_share))
    loans = pd.DataFrame(rows)
    loans["row_number"] = loans.groupby("source_id").cumcount() + 1
    return loans


def _loan(program: str, year: int, zip_code: str, rng: np.random.Generator,
          self_employed: bool) -> dict:
    day = np.datetime64(f"{year}-01-01") + rng.integers(0, 365 if program != "PPP" else 180)
    amount = round(float(MEDIAN[program] * rng.lognormal(0, 0.8 if program == "PPP" else 0.6)), 2)
    jobs = int(rng.poisson(1.5 if self_employed else 9))
    kind = (SELF_EMPLOYED_TYPES[rng.integers(3)] if self_employed
            else OTHER_TYPES[rng.integers(3)])
    if program != "PPP":
        kind = "INDIVIDUAL" if self_employed else "CORPORATION"
    return {"source_id": "demo_ppp_loans" if program == "PPP" else "demo_sba_loans",
            "program": program, "approved": pd.Timestamp(day).date(), "year": year,
            "amount": min(amount, 149_999.0) if program == "PPP" else amount,
            "amount_band": None, "jobs": jobs, "naics": None, "business_type": kind,
            "self_employed": self_employed, "zip": zip_code, "placement": "zip"}
