"""The metric registry: every number the atlas shows, defined once, in plain words.

The marts (`marts.py`, `sql/marts/`) compute these ids; the pages, legends, exports and
the Data & methods page take their labels, descriptions, formulas and caveats from here
(or from the `metric_registry` table the build writes from it). Nothing else repeats them.
"""
from __future__ import annotations

from dataclasses import dataclass

BUSINESSES, FORMATION, JOBS, DIVERSITY, RESIDENTS = (
    "Businesses", "Formation & survival", "Jobs", "Diversity", "Residents")
GROUPS = (BUSINESSES, FORMATION, JOBS, DIVERSITY, RESIDENTS)

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
              "neighborhoods by the documented ZIP weights, so neighborhood figures are "
              "estimates.")
ACS_CAVEAT = ("Residents come from one ACS 5-year vintage, split from census tracts to "
              "neighborhoods by the documented weights; the same population is the "
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

LOW_COUNT = 20
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


def _count(id, label, description, formula, *, tables=("businesses",), sources=("businesses",),
           group=BUSINESSES, unit="businesses", better=True, caveat=REGISTRY_CAVEAT,
           kind="count", fmt="{:,.0f}"):
    return Metric(id, label, description, unit, formula, tables, better, sources, group, fmt,
                  kind, caveat)


def _per_1k(id, label, description, counted, *, group=BUSINESSES, better=True):
    return Metric(
        id, label, description, "per 1,000 residents",
        f"{counted} ÷ residents (ACS, split from tracts to neighborhoods) × 1,000. Its "
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
           "codes to neighborhoods.",
           "ZIP Business Patterns establishments of size class '1 to 4 employees' (all "
           "sectors) × the ZIP's weight in the neighborhood, summed over ZIP codes.",
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
]

REGISTRY: dict[str, Metric] = {m.id: m for m in _METRICS}
LONG_METRICS: list[str] = [m.id for m in _METRICS if m.table == "metrics_long"]


def get(metric_id: str) -> Metric:
    """The registry entry of `metric_id`; a KeyError names the unknown id."""
    try:
        return REGISTRY[metric_id]
    except KeyError:
        raise KeyError(f"unknown metric {metric_id!r}; known: {', '.join(REGISTRY)}") from None


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
