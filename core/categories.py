"""NAICS sectors and the plain-language categories shown on screen.

One list, used by the demo city, every city profile and the legends. A profile maps its
own license or activity codes to a sector code here (see data/cities/*.toml).
"""
from __future__ import annotations

# 2-digit NAICS sector (2022) → plain-language category.
SECTORS: dict[str, str] = {
    "11": "Farming & forestry",
    "21": "Mining & energy extraction",
    "22": "Utilities",
    "23": "Construction & trades",
    "31-33": "Manufacturing & makers",
    "42": "Wholesale",
    "44-45": "Retail shops",
    "48-49": "Transport & delivery",
    "51": "Media & information",
    "52": "Finance & insurance",
    "53": "Real estate & rentals",
    "54": "Professional services",
    "55": "Company management",
    "56": "Cleaning, security & admin support",
    "61": "Education & tutoring",
    "62": "Health care & child care",
    "71": "Arts, entertainment & recreation",
    "72": "Restaurants, food & lodging",
    "81": "Personal services & repair",
    "92": "Public administration",
}
UNKNOWN_CATEGORY = "Other or unclassified"

_TWO_DIGIT_TO_SECTOR = {
    "31": "31-33", "32": "31-33", "33": "31-33",
    "44": "44-45", "45": "44-45", "48": "48-49", "49": "48-49",
}

# LODES WAC columns CNS01..CNS20 in order (LODES technical documentation).
LODES_CNS_SECTORS = ["11", "21", "22", "23", "31-33", "42", "44-45", "48-49", "51", "52",
                     "53", "54", "55", "56", "61", "62", "71", "72", "81", "92"]


def sector_of(naics_code: str | None) -> str | None:
    """The sector of any NAICS code ('722511' → '72', '4451' → '44-45'); None if unknown."""
    if not naics_code:
        return None
    digits = "".join(ch for ch in str(naics_code) if ch.isdigit())[:2]
    if len(digits) < 2:
        return None
    sector = _TWO_DIGIT_TO_SECTOR.get(digits, digits)
    return sector if sector in SECTORS else None


def category_of(sector: str | None) -> str:
    """Plain-language category of a sector code, or the 'other' category."""
    return SECTORS.get(sector or "", UNKNOWN_CATEGORY)
