"""The metric registry: every number the atlas shows, defined once, in plain words.

The marts (`marts.py`, `sql/marts/`) compute these ids; the pages, legends, exports and
the Data & methods page take their labels, descriptions, formulas and caveats from here
(or from the `metric_registry` table the build writes from it). Nothing else repeats them.
"""
from __future__ import annotations

from dataclasses import dataclass

from core import i18n

# The words of an entry shown to a reader: translated here, once, for every view (the
# English text is the catalog's msgid; `Metric.english` reads it untranslated).
WORDS = ("label", "description", "unit", "formula", "caveat", "unreliable_words")

BUSINESSES, FORMATION, JOBS, DIVERSITY, RESIDENTS, CAPITAL = (
    "Businesses", "Formation & survival", "Jobs", "Diversity", "Residents", "Capital")
RESILIENCE = "Resilience"
GROUPS = (BUSINESSES, FORMATION, JOBS, DIVERSITY, RESIDENTS, CAPITAL, RESILIENCE)

REGISTRY_CAVEAT = ("A city registry counts registrations, not activity: a business can be "
                   "registered and idle, or active without registering; the city's own note "
                   "on what its registry covers is on the Data & methods page.")
LODES_CAVEAT = ("LODES counts jobs where people work (not where they live) and adds "
                "statistical noise to small counts. Firm size and firm age describe the "
                "whole firm nationally, not the local workplace (a branch of a large chain "
                "counts as a large firm), cover private jobs only, and exist only from 2011.")
CBP_CAVEAT = ("The Census '1 to 4 employees' class also holds establishments that had no "
              "paid employees in mid-March; since 2017 Census drops cells of fewer than 3 "
              "establishments, so sums over ZIP codes undercount; ZIP codes are split among "
              "{areas} by the documented ZIP weights, so figures by {area} are "
              "estimates.")
ACS_CAVEAT = ("Residents come from one ACS 5-year vintage, split from census tracts to "
              "{areas} by the documented weights; the same population is the "
              "denominator for every year, so per-resident rates of other years assume the "
              "population did not change. Margins of error are 90% and approximate.")
SURVIVAL_CAVEAT = ("Only cohorts whose horizon has ended are shown: a survival rate over "
                   "k years exists for opening years up to the last year minus k.")
DIVERSITY_CAVEAT = ("Computed from exact category counts, then rounded, even where some "
                    "category counts are hidden; businesses without a known category are "
                    "left out.")


# The one definition of a micro-business (city registry), said wherever the figure is.
MICRO_WORDS = ("run from home, run by one person on their own (a sole proprietor), or trading "
               "on a small-scale licence such as a street vendor's or a food truck's")
MICRO_DEFINITION = (f"Businesses the city's registry marks as very small: {MICRO_WORDS}. The "
                    "registry does not record how many people work there.")

SBA_CAVEAT = ("SBA data cover only loans the SBA guarantees (7(a)) or co-finances (504), "
              "not other bank credit; a loan without a geocoded address is placed by the "
              "borrower's ZIP code, split over the {areas} by where the ZIP's registered "
              "businesses are.")
PPP_CAVEAT = ("PPP business types and jobs are as the borrowers reported them; jobs are jobs "
              "retained, not a headcount. The July 2020 release gives only a band for loans "
              "of $150,000 and over, which count as loans but not in amounts. A loan without a "
              "geocoded address is placed by the borrower's ZIP code, split over the "
              "{areas} by where the ZIP's registered businesses are.")
LOW_COUNT = 20
# Why a figure is marked unreliable, unless its registry entry says otherwise.
UNRELIABLE_WORDS = "fewer than 100 residents or a wide margin of error"
LOW_COUNT_RULE = (f"A rate, share, survival figure or diversity index computed from fewer than "
                  f"{LOW_COUNT} businesses or events is flagged \"low count\" (the US National "
                  "Center for Health Statistics' rule: below 20 events the relative standard "
                  "error exceeds 23%). It is shown, marked, and never ranked or named highest "
                  "or lowest.")


@dataclass(frozen=True)
class Metric:
    """One published figure: what it is called, how it is computed, where it comes from."""

    id: str
    label: str                       # plain words, as on screen
    description: str                 # one sentence
    unit: str                        # what one unit of the value is
    formula: str                     # the computation in words
    tables: tuple[str, ...]          # canonical tables it reads
    higher_is_better: bool | None    # None: neither (context figures)
    sources: tuple[str, ...]         # `sources.kind` values it depends on (vintage lookup)
    group: str
    format: str                      # Python format for the value
    kind: str                        # count | rate | share | change | index | estimate
    caveat: str = ""
    table: str = "metrics_long"      # the mart that holds it
    # The count that decides the `low_count` flag (fewer than LOW_COUNT): 'numerator'
    # (the events of a rate), 'denominator' (the cohort or base of a share), 'businesses'
    # (the active businesses an index is computed from); None for counts and estimates.
    low_count_basis: str | None = None
    unreliable_words: str = UNRELIABLE_WORDS   # why a value of it is marked unreliable

    def __getattribute__(self, name: str):
        value = object.__getattribute__(self, name)
        return i18n.in_areas(value) if name in WORDS else value

    def english(self, field: str) -> str:
        """A word of the entry in English, whatever the reader's language, with the areas
        shown named ("split from tracts to wards")."""
        with i18n.using(i18n.DEFAULT):
            return i18n.in_areas(object.__getattribute__(self, field))

    def msgid(self, field: str) -> str:
        """A word of the entry as written here, its areas a placeholder: the catalog's id."""
        return object.__getattribute__(self, field)


def _loans(family: str, program: str, sources: tuple[str, ...], caveat: str) -> list[Metric]:
    """The figures of one loan program: loans, per 1,000 businesses, total and median amount,
    share to businesses reporting fewer than 5 jobs."""
    placed = ("each loan placed at the borrower's geocoded address when the build geocodes "
              "addresses, else by ZIP code: each {area} counts the ZIP's share of the "
              "city's registered businesses it holds")
    tables = ("loans", "zip_neighborhood_weights")
    return [
        Metric(f"{family}_loans", f"{program} approved",
               f"{program} approved during the year to borrowers in the area.", "loans",
               f"count of loans approved in the year, {placed}.", tables, None, sources,
               CAPITAL, "{:,.0f}", "estimate", caveat),
        Metric(f"{family}_loans_per_1k_businesses", f"{program} per 1,000 businesses",
               f"{program} approved during the year for every 1,000 businesses active at "
               "its end.", "per 1,000 active businesses",
               f"{program} approved in the year ({placed}) ÷ active businesses on 31 December "
               "× 1,000.", (*tables, "businesses"), True, (*sources, "businesses"), CAPITAL,
               "{:,.1f}", "rate", f"{caveat} {REGISTRY_CAVEAT} More loans than registered "
               "businesses (over 1,000 per 1,000) means the registry misses businesses the "
               "lenders found, or holds only a sample: such a figure is marked unreliable.",
               low_count_basis="numerator",
               unreliable_words="more loans than registered businesses: the registry "
                                "misses businesses or holds a sample"),
        Metric(f"{family}_loan_amount_total", f"{program}: total approved",
               f"Dollars approved in {program} during the year.", "dollars",
               f"Σ approved amount × the ZIP's weight in the area, over loans with an exact "
               f"amount ({placed}).", tables, None, sources, CAPITAL, "${:,.0f}", "estimate",
               caveat),
        Metric(f"{family}_loan_amount_median", f"{program}: median amount",
               f"The middle amount of the {program} approved during the year.", "dollars",
               "the weighted median of the loans' approved amounts (each loan weighted by its "
               "ZIP's share in the area): the smallest amount at which the loans up to it hold "
               "half the area's loans.", tables, None, sources, CAPITAL, "${:,.0f}", "estimate",
               caveat, low_count_basis="numerator"),
        Metric(f"{family}_loans_small_share", f"{program} to businesses with fewer than 5 jobs",
               f"Share of the {program} approved during the year whose borrower reported "
               "fewer than 5 jobs.", "share of loans with jobs reported",
               "loans reporting 0 to 4 jobs ÷ loans reporting a number of jobs (both placed by "
               "ZIP code).", tables, None, sources, CAPITAL, "{:.0%}", "share", caveat,
               low_count_basis="denominator"),
    ]


def _count(id, label, description, formula, *, tables=("businesses",), sources=("businesses",),
           group=BUSINESSES, unit="businesses", better=True, caveat=REGISTRY_CAVEAT,
           kind="count", fmt="{:,.0f}"):
    return Metric(id, label, description, unit, formula, tables, better, sources, group, fmt,
                  kind, caveat)


def _per_1k(id, label, description, counted, *, group=BUSINESSES, better=True):
    return Metric(
        id, label, description, "per 1,000 residents",
        f"{counted} ÷ residents (ACS, split from tracts to {{areas}}) × 1,000. Its "
        "margin of error treats the count as exact: MOE = count × 1,000 × MOE(residents) "
        "÷ residents² (ACS handbook, derived ratio).",
        ("businesses", "tracts", "tract_neighborhood_weights"), better,
        ("businesses", "acs"), group, "{:,.1f}", "rate", f"{REGISTRY_CAVEAT} {ACS_CAVEAT}",
        low_count_basis="numerator")


def _per_100(id, label, description, counted, *, better=True):
    return Metric(
        id, label, description, "per 100 active businesses",
        f"{counted} ÷ active businesses on 31 December of the year before × 100.",
        ("businesses",), better, ("businesses",), FORMATION, "{:,.1f}", "rate",
        f"{REGISTRY_CAVEAT} Not shown for the first year, which has no year before.",
        low_count_basis="numerator")


def _survival(years: int) -> Metric:
    span = "1 year" if years == 1 else f"{years} years"
    return Metric(
        f"survival_{years}y", f"Still open after {span}",
        f"Share of the businesses that opened in the year that were still open on "
        f"31 December {span} later.",
        "share of the year's new businesses",
        f"businesses opened in year y and still active on 31 December of y + {years} ÷ "
        "businesses opened in year y.",
        ("businesses",), True, ("businesses",), FORMATION, "{:.0%}", "share",
        f"{REGISTRY_CAVEAT} {SURVIVAL_CAVEAT}", low_count_basis="denominator")


def _jobs(id, label, description, formula, *, kind="count", fmt="{:,.0f}", unit="jobs",
          better=True):
    return Metric(id, label, description, unit, formula,
                  ("jobs", "tract_neighborhood_weights"), better, ("jobs",), JOBS, fmt, kind,
                  LODES_CAVEAT, low_count_basis="denominator" if kind == "share" else None)


def _diversity(id, label, description, unit, formula, fmt):
    return Metric(id, label, description, unit, formula, ("businesses",), True,
                  ("businesses",), DIVERSITY, fmt, "index", DIVERSITY_CAVEAT,
                  low_count_basis="businesses")


_METRICS: list[Metric] = [
    _count("active_businesses", "Active businesses",
           "Business locations registered and open on 31 December of the year.",
           "count of business locations opened on or before 31 December of the year and "
           "not closed by that day."),
    _count("micro_businesses", "Micro-businesses (city registry)",
           MICRO_DEFINITION,
           "count of active business locations the city profile's rules mark as home-based, "
           "run by a sole proprietor, or on a small-scale licence."),
    _per_1k("micro_per_1k_residents", "Micro-businesses per 1,000 residents",
            "Micro-businesses for every 1,000 people living in the area. A micro-business is "
            f"one the city's registry marks as very small: {MICRO_WORDS}.",
            "micro-businesses (city registry)"),
    _per_1k("businesses_per_1k_residents", "Businesses per 1,000 residents",
            "Active businesses for every 1,000 people living in the area.",
            "active businesses"),
    Metric("businesses_per_km2", "Businesses per km²",
           "Active businesses for every square kilometre of the area's land and water.",
           "per km²", "active businesses ÷ area in km² (equal-area projection; for a tract, "
           "its area times its share inside the city).",
           ("businesses", "neighborhoods", "tracts"), True, ("businesses", "neighborhoods"),
           BUSINESSES, "{:,.1f}", "rate", REGISTRY_CAVEAT, low_count_basis="numerator"),
    _count("census_micro_establishments",
           "Establishments with 1–4 employees (Census ZIP Business Patterns, apportioned)",
           "Census count of employer establishments with 1 to 4 employees, split from ZIP "
           "codes to {areas}.",
           "ZIP Business Patterns establishments of size class '1 to 4 employees' (all "
           "sectors) × the ZIP's weight in the {area}, summed over ZIP codes.",
           tables=("business_patterns", "zip_neighborhood_weights"),
           sources=("business_patterns",), unit="establishments", caveat=CBP_CAVEAT,
           kind="estimate"),
    _count("formations", "New businesses",
           "Business locations that opened during the year.",
           "count of business locations whose opening date falls in the year.",
           group=FORMATION),
    _per_1k("formations_per_1k_residents", "New businesses per 1,000 residents",
            "Business locations opened during the year for every 1,000 residents.",
            "new businesses", group=FORMATION),
    _per_100("formations_per_100_active", "New businesses per 100 active businesses",
             "Business locations opened during the year for every 100 that were active at "
             "its start.", "new businesses"),
    _count("closures", "Closed businesses",
           "Business locations that closed during the year.",
           "count of business locations whose closing date falls in the year (a closing "
           "date before the opening date counts in the opening year).",
           group=FORMATION, better=False),
    _per_1k("closures_per_1k_residents", "Closed businesses per 1,000 residents",
            "Business locations closed during the year for every 1,000 residents.",
            "closed businesses", group=FORMATION, better=False),
    _per_100("closures_per_100_active", "Closed businesses per 100 active businesses",
             "Business locations closed during the year for every 100 that were active at "
             "its start.", "closed businesses", better=False),
    _count("net_formations", "Net new businesses",
           "New businesses minus closed businesses during the year.",
           "new businesses − closed businesses (equals the change in active businesses "
           "from the year before).", group=FORMATION, kind="change", fmt="{:+,.0f}"),
    _survival(1), _survival(3), _survival(5),
    _jobs("jobs_total", "Jobs", "Jobs located in the area (all employers, public and private).",
          "LODES workplace jobs (C000, all jobs) of the blocks in the area; rows known only "
          "by tract are split by the tract weights."),
    _jobs("jobs_change", "Change in jobs from the year before",
          "Jobs in the year minus jobs in the year before.",
          "jobs in year y − jobs in year y − 1 (both LODES, same geography).",
          kind="change", fmt="{:+,.0f}"),
    _jobs("jobs_private", "Private-sector jobs",
          "Jobs at private employers located in the area.",
          "LODES private-jobs file (JT02) C000, summed over the area's blocks."),
    _jobs("jobs_small_firms", "Jobs at small firms (fewer than 20 employees)",
          "Private jobs at firms with fewer than 20 employees nationwide.",
          "LODES JT02 CFS01 (firm size 0–19 employees), summed over the area's blocks."),
    _jobs("jobs_small_firms_share", "Share of private jobs at small firms",
          "Share of the area's private jobs that are at firms with fewer than 20 employees.",
          "jobs at small firms ÷ private-sector jobs.", kind="share", fmt="{:.0%}",
          unit="share of private jobs"),
    _jobs("jobs_young_firms", "Jobs at young firms (0–3 years old)",
          "Private jobs at firms that are 0 to 3 years old.",
          "LODES JT02 CFA01 + CFA02 (firm age 0–1 and 2–3 years), summed over the area's "
          "blocks."),
    _jobs("jobs_young_firms_share", "Share of private jobs at young firms",
          "Share of the area's private jobs that are at firms 0 to 3 years old.",
          "jobs at young firms ÷ private-sector jobs.", kind="share", fmt="{:.0%}",
          unit="share of private jobs"),
    _diversity("category_richness", "Kinds of business",
               "Number of different business categories with at least one active business.",
               "categories", "count of categories with one or more active businesses.",
               "{:,.0f}"),
    _diversity("shannon_diversity", "Variety of businesses (Shannon index)",
               "How varied the businesses are: higher when they are spread over more kinds, "
               "and more evenly; 0 when every business is of one kind.",
               "index (natural log)", "H = −Σ pᵢ ln pᵢ, pᵢ = share of active businesses in "
               "category i; rounded to 2 decimals.", "{:.2f}"),
    _diversity("diversity_evenness", "Evenness of the business mix",
               "How evenly the businesses are spread over the kinds present: 1 when every "
               "kind has as many businesses, near 0 when one kind has nearly all of them.",
               "index from 0 to 1", "H ÷ ln(number of categories); not defined for a single "
               "category; rounded to 2 decimals.", "{:.2f}"),
    _diversity("effective_categories", "Effective number of kinds",
               "How many kinds of business the area has in effect: the number of equally "
               "common kinds that would be as varied as its actual mix.",
               "categories", "e^H; rounded to 1 decimal.", "{:,.1f}"),
    _diversity("gini_simpson", "Chance two businesses differ in kind",
               "The chance that two businesses picked at random are of different kinds.",
               "probability", "1 − Σ pᵢ²; rounded to 2 decimals.", "{:.2f}"),
    Metric("residents", "Residents (ACS estimate)",
           "People living in the area, from the Census American Community Survey.",
           "residents", "ACS 5-year tract population × the tract's weight in the area, "
           "summed over tracts; MOE = √Σ (weight × tract MOE)².",
           ("tracts", "tract_neighborhood_weights"), None, ("acs",), RESIDENTS, "{:,.0f}",
           "estimate", ACS_CAVEAT),
    Metric("category_count", "Active businesses in the category",
           "Business locations of one category open on 31 December of the year.",
           "businesses", "count of active business locations in the category.",
           ("businesses",), None, ("businesses",), DIVERSITY, "{:,.0f}", "count",
           REGISTRY_CAVEAT, table="category_counts"),
    Metric("location_quotient", "Concentration compared with the city (location quotient)",
           "How much more common a category is here than in the whole city; 1 means as "
           "common, 2 twice as common.",
           "ratio", "(category's share of the area's active businesses) ÷ (its share of the "
           "city's); rounded to 2 decimals.", ("businesses",), None, ("businesses",),
           DIVERSITY, "{:.2f}", "index", REGISTRY_CAVEAT, table="location_quotients",
           low_count_basis="numerator"),
    *_loans("sba", "SBA 7(a) and 504 loans", ("sba_loans",), SBA_CAVEAT),
    *_loans("ppp", "PPP loans", ("ppp_loans",), PPP_CAVEAT),
    Metric("ppp_self_employed_per_1k_residents",
           "PPP loans to the self-employed per 1,000 residents",
           "PPP loans approved in the year to sole proprietors, self-employed individuals and "
           "independent contractors, for every 1,000 residents.",
           "per 1,000 residents",
           "PPP loans whose business type is Sole Proprietorship, Self-Employed Individuals or "
           "Independent Contractors (placed by ZIP code) ÷ residents (ACS) × 1,000; its margin "
           "of error treats the count as exact.",
           ("loans", "zip_neighborhood_weights", "tracts", "tract_neighborhood_weights"), None,
           ("ppp_loans", "acs"), CAPITAL, "{:,.1f}", "rate", f"{PPP_CAVEAT} {ACS_CAVEAT}",
           low_count_basis="numerator"),
]


# --- Resilience: the 2020 downturn (sql/marts/36_resilience.sql) ---------------------------

DOWNTURN_CAVEAT = (
    "The downturn is read from counts on 31 December: the 2019 level is the count on "
    "31 December 2019, the low the lowest year-end count of 2020, 2021 and 2022 (the later "
    "year when two are equally low). A registry records a closure when a licence lapses or "
    "is given up, often a year or more after the business stopped trading, so the fall may "
    "show late and look shallower than it was. The figure is filed under the year 2019; an "
    "area with none of these businesses at the end of 2019 has no value.")
NOT_YET_BACK = (" No value where the figure is not withheld means the area had not yet got "
                "back to its 2019 level by the last year of data: not yet recovered.")


def _downturn(id, label, description, unit, formula, *, kind, fmt, better, caveat=""):
    return Metric(id, label, description, unit, formula, ("businesses",), better,
                  ("businesses",), RESILIENCE, fmt, kind,
                  f"{REGISTRY_CAVEAT} {DOWNTURN_CAVEAT}{caveat}",
                  low_count_basis="denominator")


def _fall_and_recovery(prefix: str, counted: str, plural: str, caveat: str = "") -> list[Metric]:
    """The fall to the 2020–2022 low, its year and the years to get back, of `counted`."""
    return [
        _downturn(f"{prefix}downturn_drawdown", f"Change in {plural}, 2019 to the 2020–2022 low",
                  f"How far the number of {plural} fell from the end of 2019 to its lowest "
                  "year-end level of 2020–2022, as a share of the 2019 level (−12% = fell "
                  "12%; above 0 when it never fell below the 2019 level).",
                  "share of the 2019 level",
                  f"({counted} on 31 December of the low year − {counted} on 31 December "
                  f"2019) ÷ {counted} on 31 December 2019; the low year is the one of "
                  "2020–2022 with the fewest (the later of equals).",
                  kind="share", fmt="{:.0%}", better=True, caveat=caveat),
        _downturn(f"{prefix}downturn_low_year", f"Year {plural} were fewest (2020–2022)",
                  f"The year of 2020, 2021 and 2022 that ended with the fewest {plural}.",
                  "year", f"the year of 2020–2022 with the fewest {counted} on 31 December; "
                  "of equal counts, the later year.",
                  kind="index", fmt="{:.0f}", better=None, caveat=caveat),
        _downturn(f"{prefix}downturn_recovery_years",
                  f"Years to get back to the 2019 level of {plural}",
                  f"Years from the end of 2019 until the number of {plural} was back at or "
                  "above its 2019 level after the downturn's low.",
                  "years", f"the first year after the low with {counted} on 31 December at or "
                  "above the count on 31 December 2019, minus 2019; 0 when the count never "
                  "fell below its 2019 level in 2020–2022; no value while it is not back.",
                  kind="index", fmt="{:.0f}", better=False, caveat=NOT_YET_BACK + caveat),
    ]


MICRO_NOTE = f" A micro-business is one the city's registry marks as very small: {MICRO_WORDS}."

_METRICS += [
    *_fall_and_recovery("", "active businesses", "active businesses"),
    _downturn("downturn_net_per_100", "Net new businesses in 2020–2021 per 100 active",
              "New businesses minus closed businesses in 2020 and 2021, for every 100 "
              "businesses active at the end of 2019.",
              "per 100 businesses active on 31 December 2019",
              "(new businesses − closed businesses, 2020 and 2021 together) ÷ active "
              "businesses on 31 December 2019 × 100; equal to the change in active businesses "
              "from 31 December 2019 to 31 December 2021.",
              kind="rate", fmt="{:+,.1f}", better=True),
    _downturn("downturn_net_vs_city", "Net new businesses in 2020–2021 compared with the city",
              "The area's net new businesses in 2020–2021 per 100 active businesses minus the "
              "city's: above 0, the area gained more (or lost fewer) than the city as a whole.",
              "per 100 active businesses, above or below the city",
              "net new businesses in 2020–2021 per 100 active businesses of the area − the same "
              "figure for the city (a difference, not a ratio: the city's figure can be near "
              "0 or below it); 0 for the city itself.",
              kind="change", fmt="{:+,.0f}", better=True),
    *_fall_and_recovery("micro_", "micro-businesses (city registry)", "micro-businesses",
                        MICRO_NOTE),
    _downturn("micro_downturn_cushion", "Micro-businesses' fall compared with all businesses'",
              "How many percentage points less (above 0) or more (below 0) the area's "
              "micro-businesses fell in the 2020 downturn than all its businesses: above 0, "
              "the micro sector cushioned the area.",
              "percentage points",
              "(change in micro-businesses, 2019 to their 2020–2022 low, as a share of 2019) "
              "− (the same for all active businesses), × 100.",
              kind="change", fmt="{:+,.0f}", better=True, caveat=MICRO_NOTE),
]


# --- Red tape: licence processing time (sql/marts/37_processing.sql) ----------------------

RED_TAPE = "Red tape"
GROUPS += (RED_TAPE,)
PROCESSING_CAVEAT = (
    "Processing time counts calendar days, weekends and holidays included, from the day "
    "the application was created to the day the licence was issued: it holds the "
    "applicant's own time (documents, payment, inspections booked) as well as the city's. "
    "Each registry row with both dates is one application, renewals and changes of location "
    "included, counted in the year of issue. Intervals that cannot be right are left out "
    "and counted apart: an issue before the application, more than 5 years (1,826 days) "
    "between them, a date that cannot be read.")
NEAREST_RANK = ("nearest rank: of n applications sorted by days, the ⌈{share}⌉-th (no "
                "interpolation)")


def _processing(id, label, description, unit, formula, *, kind, fmt, basis="denominator"):
    return Metric(id, label, description, unit, formula, ("license_processing",),
                  None if kind == "count" else False, ("businesses",), RED_TAPE, fmt, kind,
                  PROCESSING_CAVEAT, low_count_basis=basis)


_METRICS += [
    _processing("processing_applications", "Licence applications issued",
                "Licence applications issued during the year whose registry row dates both "
                "the application and the issue.", "applications",
                "count of registry rows with an application and an issue date, issued in the "
                "year (excluded intervals left out).", kind="count", fmt="{:,.0f}", basis=None),
    _processing("processing_days_median", "Median days from application to licence",
                "The middle wait for a licence issued during the year: half the applications "
                "took this many calendar days or fewer.", "calendar days",
                "median of (issue date − application date) over the year's applications, "
                + NEAREST_RANK.format(share="n/2") + ".", kind="index", fmt="{:,.0f}"),
    _processing("processing_days_p90", "Days within which 9 in 10 licences were issued",
                "The 90th percentile of the wait for a licence issued during the year: 90% of "
                "the applications took this many calendar days or fewer.", "calendar days",
                "90th percentile of (issue date − application date) over the year's "
                "applications, " + NEAREST_RANK.format(share="9n/10") + ".",
                kind="index", fmt="{:,.0f}"),
    _processing("processing_over_30_share", "Licences that took more than 30 days",
                "Share of the licence applications issued during the year that took more than "
                "30 calendar days.", "share of applications",
                "applications issued more than 30 days after the application ÷ applications "
                "issued in the year.", kind="share", fmt="{:.0%}"),
]

REGISTRY: dict[str, Metric] = {m.id: m for m in _METRICS}
LONG_METRICS: list[str] = [m.id for m in _METRICS if m.table == "metrics_long"]


def get(metric_id: str) -> Metric:
    """The registry entry of `metric_id`; a KeyError names the unknown id."""
    try:
        return REGISTRY[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(REGISTRY)}") from None


def all_metrics() -> list[Metric]:
    return list(_METRICS)


def group_label(group: str) -> str:
    """A group's name in the reader's language (`GROUPS` hold the English names)."""
    return i18n.gettext(group)


def by_group(group: str) -> list[Metric]:
    return [m for m in _METRICS if m.group == group]


class Selection(tuple):
    """A named selection: the ids of figures several views show together, in the order
    they show them. Each is written once, below; the views take it from here."""


# The six figures at a glance: the overview (the city) and the first slide (an area).
HEADLINE = Selection(("micro_per_1k_residents", "micro_businesses", "active_businesses",
                      "formations", "closures", "jobs_total"))
# A neighborhood's cards on its profile: the headline figures and one of each other group.
PROFILE = Selection(("micro_per_1k_residents", "micro_businesses", "active_businesses",
                     "formations", "closures", "survival_3y", "jobs_total",
                     "jobs_small_firms_share", "effective_categories", "residents"))
# What the sentences about an area speak of, in the order they are said (`narrative`).
STORY = Selection(("micro_per_1k_residents", "formations", "closures", "survival_3y",
                   "jobs_total", "jobs_small_firms_share", "effective_categories"))
# The brief's headline table and its jobs table (every jobs figure but the yearly change).
BRIEF_HEADLINE = Selection(("active_businesses", "micro_businesses", "micro_per_1k_residents",
                            "businesses_per_1k_residents", "formations", "closures",
                            "net_formations", "survival_3y", "category_richness",
                            "residents"))
BRIEF_JOBS = Selection(("jobs_total", "jobs_private", "jobs_small_firms",
                        "jobs_small_firms_share", "jobs_young_firms", "jobs_young_firms_share"))
# The jobs trio drawn as lines: all jobs, jobs at small firms, jobs at young firms (the
# jobs page, the profile, the jobs slide and the jobs embed).
JOBS_TRIO = Selection(("jobs_total", "jobs_small_firms", "jobs_young_firms"))
# Capital and red tape at a glance (the brief's block and the slide): loans per 1,000
# businesses, PPP loans to the self-employed, the median PPP loan, and the days from
# application to licence.
CAPITAL_RED_TAPE = Selection(("ppp_loans_per_1k_businesses", "sba_loans_per_1k_businesses",
                              "ppp_self_employed_per_1k_residents", "ppp_loan_amount_median",
                              "processing_days_median", "processing_over_30_share"))


def markdown() -> str:
    """The registry as Markdown tables by group (docs/metrics.md holds this; a test checks)."""
    parts = []
    for group in GROUPS:
        parts += [f"### {group}", "", "| id | label | unit | how it is computed | higher is |",
                  "|---|---|---|---|---|"]
        for m in by_group(group):
            better = {True: "better", False: "worse", None: "neither"}[m.higher_is_better]
            parts.append(f"| `{m.id}` | {m.label} | {m.unit} | {m.formula} | {better} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
