"""Every input of a city's build, in the order a build reads them.

Each is one unit (`data_pipeline.source.Source`) in its own module. A source read later
may use what an earlier one left in the build: the city limits clip the neighborhoods,
the neighborhoods place the registry's businesses, the registry's ZIP codes choose the
Business Patterns, the tracts carry the ACS figures and weight the jobs, the registry's ZIP weights place
the loans.
"""
from __future__ import annotations

from .business_patterns import PATTERNS
from .businesses import BUSINESSES
from .census_acs import ACS
from .census_places import PLACE
from .census_tracts import TRACTS
from .lodes import LODES
from .neighborhoods import NEIGHBORHOODS
from .nonemployer import NONEMPLOYERS
from .ppp_loans import PPP
from .sba_loans import SBA

SOURCES = [PLACE, NEIGHBORHOODS, BUSINESSES, TRACTS, ACS, LODES, PATTERNS, NONEMPLOYERS, PPP,
           SBA]


def source(name: str):
    """The unit of that name."""
    return next(s for s in SOURCES if s.name == name)
