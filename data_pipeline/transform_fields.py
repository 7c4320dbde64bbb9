"""Column-level transforms driven by a city profile, vectorized with pandas.

Each function takes the raw registry frame (API column names) and returns one Series per
canonical column: text, dates, coordinates, categories and the micro-business flags.
Missing text is NA; nothing here loops over rows in Python except over a few unique values.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core import categories
from .profiles import FlagRule, Profile

POINT_WKT = r"POINT\s*\(\s*(?P<lon>-?\d+(?:\.\d+)?)\s+(?P<lat>-?\d+(?:\.\d+)?)\s*\)"
LAT_LON_PAIR = r"\(\s*(?P<lat>-?\d+(?:\.\d+)?)\s*,\s*(?P<lon>-?\d+(?:\.\d+)?)\s*\)"
TEXT = "string[pyarrow]"


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text; empty cells are NA."""
    values = frame[column].astype(TEXT).str.strip()
    return values.mask(values == "")


def per_value(values: pd.Series, func) -> pd.Series:
    """`func` applied once per distinct value and spread back (NA stays None)."""
    codes, uniques = pd.factorize(values)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [func(value) for value in uniques]
    return pd.Series(results[codes], index=values.index)


def _normal(value: str) -> str:
    return " ".join(value.lower().split())


def first_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The first non-empty value among `columns`, row by row (vectorized)."""
    result = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    for column in columns:
        result = result.fillna(text(frame, column))
    return result


def joined_text(frame: pd.DataFrame, columns: tuple[str, ...], sep: str) -> pd.Series:
    """Non-empty values of `columns` joined by `sep`, runs of spaces collapsed; NA if none."""
    if not columns:
        return pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    parts = [text(frame, column) for column in columns]
    if len(parts) == 1:
        result = parts[0]
    else:
        result = parts[0].fillna("")
        for part in parts[1:]:
            result = result + sep + part.fillna("")
    result = squeeze_spaces(result).str.strip(sep.strip() + " ")
    return result.mask(result == "")


def squeeze_spaces(values: pd.Series) -> pd.Series:
    """Runs of white space as one space (pyarrow's regex kernel: fast on millions of rows)."""
    squeezed = pc.replace_substring_regex(pa.array(values.astype(TEXT).array), r"\s+", " ")
    return pd.Series(pd.arrays.ArrowStringArray(squeezed), index=values.index)


def business_key(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """The profile's business key: its columns joined by '-'; NA when any part is missing."""
    parts = [text(frame, column) for column in columns]
    key = parts[0]
    for part in parts[1:]:
        key = key + "-" + part
    return key


def parse_dates(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Text to dates, trying each format on what is still unparsed; failures are NaT.

    Each distinct text is parsed once (a registry repeats its dates thousands of times)."""
    codes, uniques = pd.factorize(values)
    parsed = _parse_each(pd.Series(uniques, dtype=TEXT), formats).to_numpy()
    spread = np.append(parsed, np.datetime64("NaT", "ns"))[codes]   # code -1 (NA) → NaT
    return pd.Series(spread, index=values.index, dtype="datetime64[ns]")


def _parse_each(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = result.isna() & values.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        plausible = (parsed.dt.year >= 1850) & (parsed.dt.year <= 2100)
        result.loc[todo] = parsed.where(plausible).astype("datetime64[ns]")
    return result.dt.normalize()


def dates(frame: pd.DataFrame, columns: tuple[str, ...],
          formats: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """The date of the first non-empty column among `columns`, and where it did not parse.

    A later column is read only where the earlier ones are empty: a value that is there
    but unreadable makes the row's date unparseable, it is not papered over.
    """
    result = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    bad = pd.Series(False, index=frame.index)
    for column in columns:
        values = text(frame, column).where(result.isna() & ~bad)
        parsed = parse_dates(values, formats)
        bad |= (values.notna() & parsed.isna()).astype(bool)
        result = result.fillna(parsed)
    return result, bad


def zip_codes(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """5-digit ZIP codes ('60637-1234' → '60637'); NA when the value is not a US ZIP."""
    if not column:
        return pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    five = per_value(text(frame, column), lambda v: v[:5] if v[:5].isdigit() else None)
    return five.astype(TEXT)


def coordinates(frame: pd.DataFrame, profile: Profile,
                bounds: tuple[float, float, float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude of each row (NaN when missing, impossible or a repeated latitude).

    Swapped pairs are swapped back (see `repair_points`; `bounds` is the city's bounding box).
    """
    lat, lon, _, _ = repair_points(*published_points(frame, profile), bounds)
    return lat, lon


def published_points(frame: pd.DataFrame, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude as the portal publishes them (NaN when missing), not yet judged."""
    f = profile.fields
    n = len(frame)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    if f.latitude and f.longitude:
        lat, lon = _numbers(frame, f.latitude), _numbers(frame, f.longitude)
    missing = np.isnan(lat) | np.isnan(lon)
    if f.location and missing.any():
        lat[missing], lon[missing] = location_points(frame[f.location][missing])
    return lat, lon


def repair_points(lat: np.ndarray, lon: np.ndarray,
                  bounds: tuple[float, float, float, float] | None = None):
    """Points with portal errors repaired or removed: (lat, lon, swapped, repeated).

    A pair is swapped back when its latitude is beyond ±90° but its longitude is not, or
    when the swapped pair lies in `bounds` (min lon, min lat, max lon, max lat: the city's
    bounding box) and the pair as given does not. A longitude equal to the latitude
    ((34.0438, 34.0438)) is a portal error, not a place: such points become NaN and are
    flagged `repeated`. (0, 0) and values beyond ±90°/±180° become NaN too.
    """
    lat, lon = np.array(lat, dtype="float64"), np.array(lon, dtype="float64")
    repeated = (lat == lon) & (lat != 0)
    swapped = (np.abs(lat) > 90) & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)
    if bounds is not None:
        swapped |= ~_inside(lat, lon, bounds) & _inside(lon, lat, bounds)
    swapped &= ~repeated
    lat[swapped], lon[swapped] = lon[swapped], lat[swapped]
    impossible = ((lat == 0) & (lon == 0)) | (np.abs(lat) > 90) | (np.abs(lon) > 180) | repeated
    lat[impossible], lon[impossible] = np.nan, np.nan
    return lat, lon, swapped, repeated


def geocode_places(frame: pd.DataFrame, profile: Profile) -> tuple[pd.Series, pd.Series]:
    """City and state sent with each address to the geocoder: the profile's columns, else its text."""
    g = profile.geocode
    places = []
    for column, fixed in ((g.city_field, g.city), (g.state_field, g.state)):
        values = text(frame, column) if column else pd.Series(pd.NA, index=frame.index, dtype=TEXT)
        places.append(values.fillna(fixed or ""))
    return places[0], places[1]


def _inside(lat: np.ndarray, lon: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    west, south, east, north = bounds
    return (lat >= south) & (lat <= north) & (lon >= west) & (lon <= east)


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(text(frame, column), errors="coerce").to_numpy("float64", na_value=np.nan)


def location_points(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Points from a SODA location column: GeoJSON dicts (or their JSON text), WKT
    'POINT (lon lat)' or '(lat, lon)'."""
    lat, lon = np.full(len(values), np.nan), np.full(len(values), np.nan)
    is_dict = np.zeros(len(values), dtype=bool)
    values = values.map(_json_object).astype(object)
    if len(values):
        is_dict = np.fromiter((isinstance(v, dict) for v in values), bool, len(values))
    if is_dict.any():
        pairs = [_dict_point(v) for v in values[is_dict]]
        lat[is_dict] = [p[0] for p in pairs]
        lon[is_dict] = [p[1] for p in pairs]
    strings = values[~is_dict].astype(TEXT)
    for pattern in (POINT_WKT, LAT_LON_PAIR):
        found = strings.str.extract(pattern)
        rows = np.flatnonzero(~is_dict)
        got = found["lat"].notna().to_numpy(bool) & np.isnan(lat[rows])
        lat[rows[got]] = found["lat"][got].astype(float).to_numpy()
        lon[rows[got]] = found["lon"][got].astype(float).to_numpy()
    return lat, lon


def _json_object(value):
    """A JSON object's text as a dict (SODA JSON keeps a location object so); else as it is."""
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _dict_point(value: dict) -> tuple[float, float]:
    try:
        if "coordinates" in value:
            x, y = value["coordinates"][:2]
            return float(y), float(x)
        return float(value["latitude"]), float(value["longitude"])
    except (KeyError, TypeError, ValueError):
        return np.nan, np.nan


def naics_sectors(codes: pd.Series) -> pd.Series:
    """NAICS codes ('722511', '4400-4599') to sector codes ('72', '44-45'); NA if unknown."""
    lookup = {code: categories.sector_of(code) for code in codes.dropna().unique()}
    return codes.map(lookup).astype(TEXT)


def sectors(frame: pd.DataFrame, profile: Profile) -> tuple[pd.Series, pd.Series]:
    """Raw category text and NAICS sector of each row.

    The sector comes from the NAICS code if the profile names one, else from the first
    category column whose (first, when separated) value the profile maps. The raw
    category is the value that mapped, else the first non-empty category value.
    """
    f, sep = profile.fields, profile.category_separator
    lookup = {_normal(k): v for k, v in profile.category_sectors.items()}
    texts = [text(frame, column) for column in f.category]
    if sep:
        texts = [per_value(t, lambda v: v.split(sep, 1)[0].strip()).astype(TEXT) for t in texts]
    sector = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    codes = text(frame, f.naics) if f.naics else sector
    if f.naics:
        sector = naics_sectors(codes)
    raw = pd.Series(pd.NA, index=frame.index, dtype=TEXT)
    for values in texts:
        mapped = per_value(values, lambda v: lookup.get(_normal(v))).astype(TEXT)
        use = sector.isna() & mapped.notna()
        sector, raw = sector.mask(use, mapped), raw.mask(use, values)
    for values in texts:
        raw = raw.fillna(values)
    return raw.fillna(codes), sector


def flag(frame: pd.DataFrame, rules: tuple[FlagRule, ...]) -> np.ndarray:
    """Rows matching any rule: a field equal to, or containing, one of its values."""
    out = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        equals = {_normal(v) for v in rule.equals}
        contains = [_normal(v) for v in rule.contains]
        matches = per_value(text(frame, rule.field), lambda v: _normal(v) in equals
                            or any(part in _normal(v) for part in contains))
        out |= matches.fillna(False).to_numpy(bool)
    return out


def closed_status(frame: pd.DataFrame, profile: Profile) -> np.ndarray:
    """Rows whose status says closed, cancelled or revoked."""
    if not profile.fields.status or not profile.closed_statuses:
        return np.zeros(len(frame), dtype=bool)
    values = text(frame, profile.fields.status).str.upper()
    return values.isin([s.upper() for s in profile.closed_statuses]).to_numpy(bool)
