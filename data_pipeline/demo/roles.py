"""The demo city's cast: what each kind of neighborhood is like, declared once.

Every generator of the demo (residents, businesses, jobs) reads its numbers from the
`Role` of the neighborhood; nothing else hard-codes a neighborhood's character.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Role:
    label: str                       # plain words, for the demo guide
    sectors: dict[str, float]        # registry mix: NAICS sector → weight
    home_factor: float               # scales each sector's home-based propensity
    openings_per_km2: float          # new registrations a year, in the first year
    trend: float                     # yearly multiplier of openings
    dip_2020: float                  # openings multiplier in 2020
    hazard: float                    # closure-risk multiplier
    residents_per_km2: float
    household_size: float
    income: float                    # typical median household income, dollars
    jobs_per_km2: float              # jobs in the first year
    jobs_trend: float                # yearly multiplier of jobs
    small_share: float               # private jobs at firms of 0-19 employees
    young_share: float               # private jobs at firms 0-3 years old
    job_sectors: dict[str, float] = field(default_factory=dict)  # CNS mix


_OFFICE_JOBS = {"54": 16, "52": 12, "72": 11, "44-45": 9, "62": 10, "92": 7, "51": 6,
                "56": 6, "53": 4, "55": 4, "61": 5, "71": 3, "81": 3, "23": 2, "48-49": 2}
_LOCAL_JOBS = {"62": 16, "61": 14, "44-45": 13, "72": 12, "81": 7, "23": 7, "54": 6,
               "56": 5, "53": 3, "92": 3, "48-49": 4, "71": 3, "52": 3, "31-33": 2}
_INDUSTRIAL_JOBS = {"31-33": 26, "42": 14, "48-49": 18, "23": 9, "56": 8, "22": 3,
                    "44-45": 4, "72": 3, "54": 4, "81": 4, "92": 3, "62": 2}

ROLES: dict[str, Role] = {
    "corridor": Role(
        "the busy commercial corridor",
        {"72": 22, "44-45": 20, "54": 14, "81": 8, "52": 5, "53": 5, "62": 5, "71": 4,
         "51": 3, "56": 3, "61": 2, "23": 2, "31-33": 1, "48-49": 1, "42": 1, "55": 0.3},
        home_factor=0.1, openings_per_km2=95, trend=1.012, dip_2020=0.55, hazard=1.0,
        residents_per_km2=5200, household_size=1.7, income=61000, jobs_per_km2=15000,
        jobs_trend=1.004, small_share=0.22, young_share=0.10, job_sectors=_OFFICE_JOBS),
    "mixed": Role(
        "an older mixed-use neighborhood",
        {"72": 12, "44-45": 13, "54": 12, "81": 12, "23": 8, "62": 8, "53": 6, "56": 5,
         "61": 3, "71": 3, "52": 3, "48-49": 3, "31-33": 2, "51": 2, "42": 1},
        home_factor=0.55, openings_per_km2=32, trend=1.01, dip_2020=0.6, hazard=1.0,
        residents_per_km2=6500, household_size=2.1, income=54000, jobs_per_km2=1300,
        jobs_trend=1.008, small_share=0.31, young_share=0.10, job_sectors=_LOCAL_JOBS),
    "residential": Role(
        "a residential neighborhood",
        {"23": 16, "81": 16, "54": 13, "62": 10, "56": 8, "44-45": 6, "72": 6, "53": 6,
         "61": 5, "48-49": 5, "71": 3, "31-33": 2, "52": 2, "51": 2},
        home_factor=1.0, openings_per_km2=17, trend=1.01, dip_2020=0.62, hazard=0.95,
        residents_per_km2=5600, household_size=2.5, income=68000, jobs_per_km2=520,
        jobs_trend=1.01, small_share=0.36, young_share=0.09, job_sectors=_LOCAL_JOBS),
    "edge": Role(
        "a residential edge of the city",
        {"23": 22, "81": 18, "54": 14, "62": 12, "56": 9, "48-49": 6, "61": 5, "53": 4,
         "44-45": 3, "72": 3, "71": 2, "31-33": 2, "11": 0.5},
        home_factor=1.25, openings_per_km2=11, trend=1.012, dip_2020=0.65, hazard=0.9,
        residents_per_km2=3300, household_size=2.7, income=79000, jobs_per_km2=300,
        jobs_trend=1.01, small_share=0.40, young_share=0.08, job_sectors=_LOCAL_JOBS),
    "industrial": Role(
        "an industrial district of rail yards and warehouses",
        {"31-33": 16, "42": 12, "48-49": 14, "23": 14, "56": 8, "81": 10, "44-45": 5,
         "72": 6, "54": 5, "53": 3, "22": 0.5, "21": 0.3},
        home_factor=0.35, openings_per_km2=15, trend=1.0, dip_2020=0.65, hazard=1.05,
        residents_per_km2=1300, household_size=2.2, income=47000, jobs_per_km2=3200,
        jobs_trend=1.0, small_share=0.18, young_share=0.07, job_sectors=_INDUSTRIAL_JOBS),
    "growing": Role(
        "a new neighborhood that grows every year",
        {"72": 12, "54": 15, "23": 12, "62": 11, "81": 11, "61": 8, "71": 6, "44-45": 8,
         "56": 5, "53": 6, "51": 3, "52": 3},
        home_factor=0.8, openings_per_km2=3.5, trend=1.2, dip_2020=0.92, hazard=0.8,
        residents_per_km2=3000, household_size=2.6, income=83000, jobs_per_km2=260,
        jobs_trend=1.11, small_share=0.34, young_share=0.24, job_sectors=_LOCAL_JOBS),
    "declining": Role(
        "a neighborhood losing businesses",
        {"44-45": 18, "72": 10, "81": 14, "31-33": 6, "23": 9, "54": 8, "53": 8, "56": 6,
         "62": 6, "48-49": 5, "42": 3, "71": 2},
        home_factor=0.6, openings_per_km2=30, trend=0.915, dip_2020=0.6, hazard=1.55,
        residents_per_km2=4200, household_size=2.3, income=41000, jobs_per_km2=1500,
        jobs_trend=0.965, small_share=0.30, young_share=0.05, job_sectors=_LOCAL_JOBS),
}

# Fixed names for the neighborhoods the story is about; the rest are drawn from a list.
ROLE_NAMES = {"corridor": "Market Street", "industrial": "Rail Yards",
              "growing": "Prairie Commons", "declining": "Old Mill"}

# Closure risk a year by sector (before age, year and neighborhood effects).
SECTOR_HAZARD = {"72": 0.13, "44-45": 0.10, "81": 0.085, "23": 0.08, "54": 0.065,
                 "62": 0.07, "56": 0.09, "61": 0.08, "71": 0.10, "48-49": 0.11,
                 "53": 0.06, "52": 0.06, "51": 0.08, "31-33": 0.07, "42": 0.07}
DEFAULT_HAZARD = 0.08

# How likely a business of the sector is run from home (scaled by the role).
SECTOR_HOME = {"23": 0.75, "81": 0.6, "54": 0.7, "62": 0.55, "56": 0.6, "61": 0.6,
               "48-49": 0.5, "53": 0.4, "71": 0.45, "51": 0.55, "31-33": 0.3,
               "44-45": 0.18, "72": 0.06, "52": 0.3, "42": 0.25, "11": 0.5}
DEFAULT_HOME = 0.2

# Year effects shared by every neighborhood (2020: the pandemic).
OPENING_YEAR_EFFECT = {2021: 1.12, 2022: 1.05}
CLOSING_YEAR_EFFECT = {2020: 1.8, 2021: 1.2, 2012: 1.05, 2013: 1.03}
JOBS_YEAR_EFFECT = {2020: 0.87, 2021: 0.95, 2022: 0.99}
