"""Find my neighborhood: a street address or a place name to the neighborhood that holds it.

Offline, from the database alone, in this order:
1. a neighborhood's name, ignoring case, spacing and punctuation ("old mill", "OldMill");
2. the registry's own public business addresses ("1089 1st Avenue" finds "1089 1st Ave"),
   ignoring case, spacing and the spelling of suffixes ("St"/"Street", "Ave"/"Avenue") —
   never the address of a home-based or sole-proprietor business (the registry leaves the
   home-based ones without an address; both are excluded here all the same).
Online (a real city, when `ATLAS_GEOCODER` is not `off`), the US Census Geocoder's one-line
address search comes next, with a short timeout; its point is placed in a neighborhood
polygon. With no network it is skipped without a word. Last, offline again, a house number
the registry does not list is placed by the nearest number it lists on the same street.
Input none of these can place gets one sentence saying so.

    result = find.search(db, "1089 1st Avenue")
    result.geo_id, result.name, result.how   # 'N21', 'Market Street', 'a business at …'
    find.search(db, "the moon").message       # 'No neighborhood of … matches “the moon”: …'

No Streamlit here: `frame.find_box` draws the box and calls `search`.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

import shapely

from core import i18n
from core.i18n import _

from . import queries
from .db import Database
from .formatting import place_name

log = logging.getLogger("atlas")
GEOCODER_URL = "https://geocoding.geo.census.gov/geocoder/locations/onelineaddress"
BENCHMARK = "Public_AR_Current"
TIMEOUT = (2.0, 4.0)        # seconds to connect, to read: a visitor is waiting
SETTING = "ATLAS_GEOCODER"  # `off` never asks the Census Geocoder (tests, air-gapped servers)
NEAR = 100                  # house numbers this close on the same street count as near
MAX_QUERY = 200
BY_NAME = "a neighborhood's name"
SUFFIXES = {
    "street": "st", "str": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "boulevard": "blvd", "lane": "ln", "place": "pl", "court": "ct", "terrace": "ter",
    "parkway": "pkwy", "highway": "hwy", "square": "sq", "circle": "cir", "trail": "trl",
    "north": "n", "south": "s", "east": "e", "west": "w",
}
ORDINALS = {"first": "1st", "second": "2nd", "third": "3rd", "fourth": "4th", "fifth": "5th",
            "sixth": "6th", "seventh": "7th", "eighth": "8th", "ninth": "9th", "tenth": "10th"}
STATES = dict(zip(
    "01 02 04 05 06 08 09 10 11 12 13 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 "
    "33 34 35 36 37 38 39 40 41 42 44 45 46 47 48 49 50 51 53 54 55 56 72".split(),
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR".split()))
PUBLIC_ADDRESSES = """
    SELECT address, neighborhood_id, count(*) AS businesses FROM businesses
    WHERE address IS NOT NULL AND neighborhood_id IS NOT NULL
      AND NOT coalesce(home_based, false) AND NOT coalesce(sole_proprietor, false)
      AND address ILIKE ? ESCAPE '\\'
    GROUP BY address, neighborhood_id"""


@dataclass(frozen=True)
class Result:
    """What a search found: the neighborhood and how, or one sentence saying why not."""

    query: str
    geo_id: str | None = None
    name: str | None = None
    how: str = ""
    message: str = ""

    @property
    def found(self) -> bool:
        return self.geo_id is not None

    def sentence(self) -> str:
        if self.found and self.how == BY_NAME:
            return _("“{query}” is the {area} {name}.").format(query=self.query,
                                                               name=self.name, area=i18n.areas())
        if self.found:
            return _("“{query}” is in {name} ({how}).").format(query=self.query, name=self.name,
                                                               how=self.how)
        return self.message


# --- Words -----------------------------------------------------------------------------

def words(text: str) -> list[str]:
    """Lower-case words with suffixes and ordinals spelled one way ('Avenue' → 'ave')."""
    tokens = re.sub(r"[^0-9a-z]+", " ", str(text).lower()).split()
    return [ORDINALS.get(SUFFIXES.get(t, t), SUFFIXES.get(t, t)) for t in tokens]


def squeeze(text: str) -> str:
    """The words with no spaces at all, for names typed with odd spacing ('OldMill')."""
    return "".join(words(text))


@dataclass(frozen=True)
class Address:
    number: int | None
    street: tuple[str, ...]


def parse_address(text: str) -> Address | None:
    """'1089 1st Avenue, Port Juniper' → Address(1089, ('1st', 'ave')); None without a street."""
    first = str(text).split(",")[0]
    tokens = words(first)
    number = None
    if tokens and re.fullmatch(r"\d+[a-z]?", tokens[0]):
        number, tokens = int(re.match(r"\d+", tokens[0]).group()), tokens[1:]
    return Address(number, tuple(tokens)) if tokens else None


# --- The search ------------------------------------------------------------------------

def search(db: Database, text: str, online: bool | None = None, client=None) -> Result:
    """The neighborhood `text` names or holds (see the module doc). `online`: ask the
    Census Geocoder (None: when the city is real and `ATLAS_GEOCODER` is not `off`);
    `client`: an HttpClient to ask it with (tests)."""
    query = " ".join(str(text or "").split())[:MAX_QUERY]
    if not query:
        return Result(query, message=_("Type a street address or a {area}'s name.").format(
            area=i18n.areas()))
    hoods = dict(queries.areas(db).itertuples(index=False))
    named = by_name(query, hoods)
    if named is None and i18n.language() != i18n.DEFAULT:   # "Ward 12" as well as its Spanish
        with i18n.using(i18n.DEFAULT):
            written = dict(queries.areas(db).itertuples(index=False))
        named = by_name(query, written) if written != hoods else None
        if named is not None and named.found:
            named = Result(query, named.geo_id, hoods[named.geo_id], BY_NAME)
    if named is not None:
        return named
    address = parse_address(query)
    exact = by_address(db, query, address, hoods, near=False) if address else None
    if exact is not None and (exact.found or address.number is None):
        return exact
    if online if online is not None else online_allowed(db):
        point = geocode(query, db, client)
        if point is not None:
            return by_point(db, query, point, hoods)
    if address and address.number is not None:
        near = by_address(db, query, address, hoods, near=True)
        if near is not None:
            return near
    if exact is not None and exact.message:
        return exact
    if exact is not None:
        return Result(query, message=_(
            "The city registry lists no business address within {near} house numbers of "
            "“{query}”: check the number, or type a {area}'s name.").format(
                near=NEAR, query=query, area=i18n.areas()))
    return Result(query, message=_(
        "No {area} of {city} matches “{query}”: try a street address with its house "
        "number, or a {area}'s name.").format(city=city_name(db), query=query, area=i18n.areas()))


def by_name(query: str, hoods: dict[str, str]) -> Result | None:
    """A neighborhood whose name is the query, or holds it (or is held in it), ignoring
    case, spacing and punctuation; several matches get a sentence naming them."""
    key = squeeze(query)
    if len(key) < 3:
        return None
    same = [g for g, n in hoods.items() if squeeze(n) == key]
    if not same and not re.match(r"\s*\d", query):     # '1089 Market St' is an address
        same = [g for g, n in hoods.items() if key in squeeze(n) or squeeze(n) in key]
    if len(same) == 1:
        return Result(query, same[0], hoods[same[0]], BY_NAME)
    if same:
        names = sorted(hoods[g] for g in same)
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        return Result(query, message=_("“{query}” matches {count} {areas} ({shown}): type "
                                       "the whole name.").format(query=query, count=len(names),
                                                                 shown=shown, areas=i18n.areas(plural=True)))
    return None


def _street_pattern(street: tuple[str, ...]) -> str:
    """An ILIKE pattern on the street's most telling word (the longest that is not a
    suffix), its wildcards escaped."""
    telling = max(street, key=lambda w: (w not in SUFFIXES.values(), len(w)))
    return "%" + re.sub(r"([%_\\])", r"\\\1", telling) + "%"


def by_address(db: Database, query: str, address: Address, hoods: dict[str, str],
               near: bool) -> Result | None:
    """The neighborhood of a public business address on the same street: the same house
    number (or, `near`, the closest one within NEAR); a street alone when it lies in one
    neighborhood. None when the registry lists nothing on that street."""
    rows = db.query(PUBLIC_ADDRESSES, [_street_pattern(address.street)])
    listed = []
    for row in rows.itertuples(index=False):
        found = parse_address(row.address)
        if found and found.street == address.street:
            listed.append((found.number, row.neighborhood_id, row.address, row.businesses))
    if not listed:
        return None
    if address.number is None:
        places = sorted({hoods[g] for _, g, _, _ in listed if g in hoods})
        if len(places) == 1:
            geo_id = listed[0][1]
            return Result(query, geo_id, hoods[geo_id], _("the only {area} on that street").format(
                area=i18n.areas()))
        shown = ", ".join(places[:5]) + (" …" if len(places) > 5 else "")
        return Result(query, message=_("“{query}” runs through {count} {areas} ({shown}): "
                                       "add a house number.").format(query=query,
                                                                     count=len(places),
                                                                     shown=shown, areas=i18n.areas(plural=True)))
    numbered = [r for r in listed if r[0] is not None]
    if not near:
        same = [r for r in numbered if r[0] == address.number]
        if same:
            best = max(same, key=lambda r: r[3])
            return Result(query, best[1], hoods.get(best[1], best[1]),
                          _("a business address in the city registry: {address}").format(
                              address=best[2]))
        return Result(query, message="")
    close = [r for r in numbered if abs(r[0] - address.number) <= NEAR]
    if not close:
        return None
    best = min(close, key=lambda r: (abs(r[0] - address.number), -r[3]))
    return Result(query, best[1], hoods.get(best[1], best[1]),
                  _("near {address}, a business address in the city registry").format(
                      address=best[2]))


def by_point(db: Database, query: str, point: tuple[float, float],
             hoods: dict[str, str]) -> Result:
    """The neighborhood whose polygon holds a (longitude, latitude) point."""
    frame = queries.area_shapes(db, "neighborhood")
    geoms = shapely.from_wkb(frame["geometry_wkb"].map(bytes).to_numpy())
    inside = shapely.contains_xy(geoms, *point)
    for geo_id, hit in zip(frame["geo_id"], inside):
        if hit:
            return Result(query, geo_id, hoods.get(geo_id, geo_id),
                          _("placed by the US Census Geocoder"))
    return Result(query, message=_("The US Census Geocoder places “{query}” outside {city}'s "
                                   "{areas}.").format(query=query, city=city_name(db), areas=i18n.areas(plural=True)))


# --- Online: the US Census Geocoder ----------------------------------------------------

def online_allowed(db: Database) -> bool:
    """Ask the Census Geocoder only for a real city, and not when `ATLAS_GEOCODER=off`."""
    if os.environ.get(SETTING, "").strip().lower() in ("off", "0", "false", "no"):
        return False
    return _info(db).get("is_demo") != "true"


def one_line(query: str, db: Database) -> str:
    """The address as the geocoder wants it: with the city and state when not given."""
    if "," in query:
        return query
    info = _info(db)
    state = STATES.get(str(info.get("state_fips", "")).zfill(2), "")
    return ", ".join(p for p in (query, city_name(db), state) if p)


def geocode(query: str, db: Database, client=None) -> tuple[float, float] | None:
    """(longitude, latitude) of the geocoder's first match; None when it has none, or
    cannot be reached (no network, a timeout, an error): the search goes on offline."""
    from data_pipeline.http import FetchError, HttpClient   # the project's one HTTP helper
    client = client or HttpClient(timeout=TIMEOUT, max_retries=1)
    params = {"address": one_line(query, db), "benchmark": BENCHMARK, "format": "json"}
    try:
        answer = client.get(GEOCODER_URL, params=params).json()
        matches = answer["result"]["addressMatches"]
        if not matches:
            return None
        where = matches[0]["coordinates"]
        return float(where["x"]), float(where["y"])
    except (FetchError, ValueError, KeyError, TypeError, IndexError) as error:
        log.info("the Census Geocoder was not used for a search: %s", error)
        return None


def _info(db: Database) -> dict[str, str]:
    try:
        return db.info()
    except Exception:  # a database without build_info (an old build): no city name
        return {}


def city_name(db: Database) -> str:
    """The city's name without a note in brackets ('Port Juniper (demo city)')."""
    return place_name(_info(db).get("city_name", "this city"))
