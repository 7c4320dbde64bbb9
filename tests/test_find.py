"""Find my neighborhood (`dashboard.find`): addresses and place names to a neighborhood.

Offline on the demo city (its registry's public addresses, its neighborhoods' names);
online on the tiny city (a real city as far as the app knows) with the Census Geocoder's
one-line answers replayed by `responses` — and without a network, where the search must
carry on offline without an error.
"""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from dashboard import find
from dashboard.db import open_database
from data_pipeline.http import HttpClient
from tests.tiny_city import STEP

RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded" / "census"
MATCH = json.loads((RECORDED / "geocoder_onelineaddress.json").read_text())
NO_MATCH = json.loads((RECORDED / "geocoder_onelineaddress_nomatch.json").read_text())


@pytest.fixture(scope="module")
def demo(demo_db):
    db = open_database(demo_db)
    yield db
    db.con.close()


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    db = open_database(tiny_dir / "tiny.duckdb")
    yield db
    db.con.close()


def public_address(db) -> tuple[str, set[str]]:
    """An address the registry publishes (not home-based, not a sole proprietor's) and the
    neighborhoods its businesses are in."""
    address = db.scalar("SELECT address FROM businesses WHERE address IS NOT NULL AND NOT "
                        "home_based AND NOT sole_proprietor ORDER BY business_id LIMIT 1")
    hoods = set(db.query("SELECT DISTINCT neighborhood_id FROM businesses WHERE address = ? AND "
                         "NOT home_based AND NOT sole_proprietor", [address])["neighborhood_id"])
    return address, hoods


def one_sentence(text: str) -> bool:
    return bool(text) and text.endswith(".") and len(re.findall(r"[.!?](\s|$)", text)) == 1


def test_a_registry_address_finds_its_neighborhood_however_it_is_typed(demo):
    address, hoods = public_address(demo)
    number, *street = address.split()
    spelled = {"St": "Street", "Ave": "Avenue", "Rd": "Road", "Dr": "Drive", "Ln": "Lane"}
    typed = [address, address.upper(), f"  {number}   {' '.join(street)}. ",
             " ".join([number, *[spelled.get(w, w) for w in street]]),
             f"{address}, Port Juniper"]
    for text in typed:
        result = find.search(demo, text)
        assert result.found and result.geo_id in hoods, (text, result)
        assert "business address in the city registry" in result.how
        assert result.sentence().startswith(f"“{' '.join(text.split())}” is in {result.name}")


def test_a_neighborhood_name_finds_it_ignoring_case_spacing_and_words_around_it(demo):
    for text in ("Old Mill", "old mill", "OLDMILL", "  old   mill ", "Old Mill neighborhood"):
        result = find.search(demo, text)
        assert (result.geo_id, result.name) == ("N13", "Old Mill"), text
    several = find.search(demo, "park")
    assert not several.found and "Birch Park" in several.message and one_sentence(several.message)


def test_home_based_and_sole_proprietor_addresses_are_never_searched(demo):
    hidden = demo.query("""
        SELECT address FROM businesses WHERE address IS NOT NULL AND (home_based OR sole_proprietor)
        EXCEPT SELECT address FROM businesses WHERE address IS NOT NULL AND NOT home_based
                                                  AND NOT sole_proprietor
        LIMIT 5""")["address"].tolist()
    assert hidden, "the demo has sole proprietors with an address of their own"
    for address in hidden:
        result = find.search(demo, address)
        assert address not in result.how, result      # never matched to that business
    assert demo.scalar("SELECT count(*) FROM businesses WHERE home_based AND address IS NOT NULL") == 0


def test_a_number_the_registry_does_not_list_is_placed_by_its_nearest_neighbor(demo):
    address, _ = public_address(demo)
    number, street = address.split(" ", 1)
    result = find.search(demo, f"{int(number) + 1} {street}")
    assert result.found and result.how.startswith("near ")


def test_input_it_cannot_place_gets_one_sentence(demo):
    for text in ("the moon", "99999 Nowhere Road", "1 Washington Ave" * 30, "%_%",
                 "'; DROP TABLE businesses; --", "<script>alert(1)</script>", "12345"):
        result = find.search(demo, text)
        assert not result.found, text
        assert one_sentence(result.sentence()), result.sentence()
    assert find.search(demo, "   ").sentence() == "Type a street address or a neighborhood's name."
    assert demo.scalar("SELECT count(*) FROM businesses") > 0


def test_the_demo_city_and_the_test_setting_never_go_online(demo, tiny, monkeypatch):
    assert not find.online_allowed(demo)            # a made-up city: nothing to geocode
    assert not find.online_allowed(tiny)            # ATLAS_GEOCODER=off (tests/conftest.py)
    monkeypatch.setenv(find.SETTING, "on")
    assert find.online_allowed(tiny) and not find.online_allowed(demo)


def matched_at(lon: float, lat: float) -> dict:
    answer = copy.deepcopy(MATCH)
    answer["result"]["addressMatches"][0]["coordinates"] = {"x": lon, "y": lat}
    return answer


@responses.activate
def test_online_the_census_geocoder_places_a_street_address(tiny):
    responses.get(find.GEOCODER_URL, json=matched_at(2.5 * STEP, 0.5 * STEP))
    result = find.search(tiny, "120 Main Street", online=True)
    assert (result.geo_id, result.name) == ("N3", "Eastwater")
    assert result.how == "placed by the US Census Geocoder"
    (call,) = responses.calls
    sent = parse_qs(urlsplit(call.request.url).query)
    assert sent == {"address": ["120 Main Street, Tiny Town"],
                    "benchmark": ["Public_AR_Current"], "format": ["json"]}


@responses.activate
def test_online_a_point_outside_the_city_or_no_match_is_said_in_one_sentence(tiny):
    responses.get(find.GEOCODER_URL, json=MATCH)            # Washington, DC: not in Tiny Town
    outside = find.search(tiny, "4600 Silver Hill Rd, Washington, DC 20233", online=True)
    assert not outside.found and "outside Tiny Town" in outside.message
    assert one_sentence(outside.message)
    responses.replace(responses.GET, find.GEOCODER_URL, json=NO_MATCH)
    nothing = find.search(tiny, "1 Nowhere Lane", online=True)
    assert not nothing.found and one_sentence(nothing.message)


@pytest.mark.parametrize("failure", [requests.ConnectionError("no network"),
                                     requests.ConnectTimeout("too slow"),
                                     requests.ReadTimeout("too slow")])
@responses.activate
def test_without_a_network_the_search_carries_on_offline(demo, failure):
    responses.get(find.GEOCODER_URL, body=failure)
    address, hoods = public_address(demo)
    found = find.search(demo, address, online=True)          # offline first: no call needed
    assert found.found and found.geo_id in hoods
    number, street = address.split(" ", 1)
    near = find.search(demo, f"{int(number) + 2} {street}", online=True)
    assert near.found and near.how.startswith("near ")       # the geocoder failed: offline
    lost = find.search(demo, "the moon", online=True)
    assert not lost.found and one_sentence(lost.message)
    assert len(responses.calls) == 2                         # asked, once per unplaced search


@responses.activate
def test_the_geocoder_is_asked_once_with_a_short_timeout_and_no_retry(tiny, monkeypatch):
    seen = {}
    original = requests.Session.request

    def spy(self, method, url, **options):
        seen["timeout"] = options.get("timeout")
        return original(self, method, url, **options)

    monkeypatch.setattr(requests.Session, "request", spy)
    responses.get(find.GEOCODER_URL, status=503)
    assert find.geocode("120 Main Street", tiny) is None
    assert len(responses.calls) == 1 and seen["timeout"] == find.TIMEOUT
    assert isinstance(HttpClient(timeout=find.TIMEOUT, max_retries=1), HttpClient)


def test_suffixes_and_ordinals_are_spelled_one_way():
    assert find.words("1089 First Avenue") == find.words("1089 1st ave.") == ["1089", "1st", "ave"]
    assert find.parse_address("12B Oak Street, Port Juniper") == find.Address(12, ("oak", "st"))
    assert find.parse_address("Oak St") == find.Address(None, ("oak", "st"))
    assert find.parse_address("  ") is None
