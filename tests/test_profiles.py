"""City profiles: the shipped three load; every problem of a bad profile names its file and key."""
from __future__ import annotations

from pathlib import Path

import pytest

from core import categories

from data_pipeline import profiles
from core.errors import PipelineError

ROOT = Path(__file__).resolve().parents[1]
CHICAGO = ROOT / "data" / "cities" / "chicago.toml"


def test_the_three_cities_are_shipped_with_their_portals_and_counties():
    assert profiles.available() == ["chicago", "nyc", "sf"]
    chicago, nyc, sf = (profiles.load_profile(slug) for slug in ("chicago", "nyc", "sf"))
    assert (chicago.portal.domain, chicago.portal.businesses, chicago.portal.neighborhoods) == \
        ("data.cityofchicago.org", "r5kz-chrr", "igwz-8jzy")
    assert chicago.county_geoids == ["17031"]
    assert chicago.fields.key == ("account_number", "site_number")
    assert (nyc.portal.domain, nyc.portal.businesses, nyc.portal.neighborhoods) == \
        ("data.cityofnewyork.us", "w7w3-xahh", "9nt8-h7nd")
    assert nyc.county_geoids == ["36005", "36047", "36061", "36081", "36085"]
    assert (sf.portal.domain, sf.portal.businesses, sf.portal.neighborhoods) == \
        ("data.sfgov.org", "g8m3-pdis", "j2bu-swwd")
    assert sf.county_geoids == ["06075"] and sf.fields.naics == "naic_code"


def test_shipped_profiles_map_only_real_sectors_and_say_what_the_registry_covers():
    for slug in profiles.available():
        profile = profiles.load_profile(slug)
        assert set(profile.category_sectors.values()) <= set(categories.SECTORS)
        assert len(profile.registry_note.split()) > 12, slug
        assert profile.display_path == f"data/cities/{slug}.toml"


def test_every_alias_of_a_shipped_profile_names_a_column_the_profile_uses():
    for slug in profiles.available():
        profile = profiles.load_profile(slug)
        used = {name for names in profile.fields.columns().values() for name in names}
        used |= {rule.field for rules in (profile.home_based, profile.sole_proprietor,
                                          profile.limited) for rule in rules}
        used |= {name for names in profile.processing.columns().values() for name in names}
        assert set(profile.aliases) <= used, (slug, set(profile.aliases) - used)


def broken_profile(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = CHICAGO.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "chicago.toml"
    path.write_text(text)
    return path


def test_every_problem_is_reported_with_the_file_and_the_key(tmp_path):
    path = broken_profile(
        tmp_path,
        ('opened = ["license_start_date", "date_issued"]\n', ""),
        ("first = 2010", "first = 1900"),
        ('state_fips = "17"', "state_fips = 17"),
        ('zip = "zip_code"', 'zipcode = "zip_code"'),
        ('"Tavern" = "72"', '"Tavern" = "73"'),
    )
    with pytest.raises(PipelineError) as error:
        profiles.load_profile(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert "key 'fields.opened' is missing" in message
    assert "key 'years.first' must be a year between 1990 and 2100" in message
    assert "key 'geography.state_fips' must be a 2-digit string" in message
    assert "key 'fields.zipcode' is not a known key" in message
    assert "key 'categories.sectors.\"Tavern\"' maps to '73'" in message
    assert len(message.splitlines()) == 1


def test_coordinates_and_micro_rules_are_checked(tmp_path):
    path = broken_profile(
        tmp_path,
        ('latitude = "latitude"\n', ""),
        ('location = "location"\n', ""),
        ('equals = ["Home Occupation"]', 'values = ["Home Occupation"]'),
    )
    with pytest.raises(PipelineError) as error:
        profiles.load_profile(path)
    message = str(error.value)
    assert "keys 'fields.latitude' and 'fields.longitude' must be given together" in message
    assert "key 'micro.home_based[0]' needs a list 'equals' or 'contains'" in message


def test_invalid_toml_and_unknown_cities_are_one_sentence(tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text('name = "Chicago\n')
    with pytest.raises(PipelineError, match=r"broken.toml is not valid TOML .*; fix the file\."):
        profiles.load_profile(bad)
    with pytest.raises(PipelineError) as error:
        profiles.load_profile("atlantis")
    assert "No city profile 'atlantis'" in str(error.value)
    assert "chicago, nyc, sf" in str(error.value)


def test_a_profile_from_any_path_takes_its_slug_from_the_file_name(tmp_path):
    copy = tmp_path / "chicago_draft.toml"
    copy.write_text(CHICAGO.read_text())
    profile = profiles.load_profile(copy)
    assert profile.slug == "chicago_draft" and profile.name == "Chicago"
    assert profile.fields.opened == ("license_start_date", "date_issued")
    assert profile.closed_statuses == ("AAC", "REV")
    assert profile.home_based[1].contains == ("Home Based",)
