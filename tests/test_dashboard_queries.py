"""Dashboard queries, cards and sentences on the tiny city, checked against hand counts.

Jobs in 2022 (tests/tiny_city.py): N1 (Northgate) has one block of 44 jobs; N2
(Millbrook) one block of 18 plus a quarter of tract T2's 120 = 48; N3 (Eastwater) three
quarters of T2's 120 = 90; the city 182. Active businesses on 31 Dec 2023: 6 retail, 3
food, 2 professional, 2 personal services, 1 unknown = 14.
"""
from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard import brief, cards, catalog, explorer, geometry, mix, narrative, queries, wording
from dashboard.db import open_database


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return open_database(tiny_dir / "tiny.duckdb")


@pytest.fixture(scope="module")
def partial(partial_dir):
    return open_database(partial_dir / "partial.duckdb")


def test_jobs_by_area_are_ranked_highest_first(tiny):
    jobs = queries.metric_by_area(tiny, "jobs_total", 2022).set_index("geo_id")
    assert jobs["value"].to_dict() == {"N3": 90, "N2": 48, "N1": 44}
    assert jobs["rank"].to_dict() == {"N3": 1, "N2": 2, "N1": 3}
    assert set(jobs["ranked"]) == {3}


def test_profile_puts_the_city_and_the_rank_beside_each_figure(tiny):
    profile = queries.area_profile(tiny, "N1", ["jobs_total", "jobs_small_firms_share"])
    rows = profile.set_index("metric_id")
    assert rows.at["jobs_total", "value"] == 44 and rows.at["jobs_total", "city_value"] == 182
    assert rows.at["jobs_total", "rank"] == 3 and rows.at["jobs_total", "year"] == 2022
    # small-firm share: N1 14 / 32 = 43.75%; the city (14 + 9 + 24) / (32 + 18 + 100)
    assert rows.at["jobs_small_firms_share", "value"] == pytest.approx(14 / 32)
    assert rows.at["jobs_small_firms_share", "city_value"] == pytest.approx(47 / 150)


def test_cards_say_value_city_and_rank_in_words(tiny):
    profile = queries.area_profile(tiny, "N3", ["jobs_total", "micro_businesses"])
    jobs, micro = cards.cards(profile, ["jobs_total", "micro_businesses"], 3)
    assert (jobs.label, jobs.value) == ("Jobs (2022)", "90")
    assert jobs.note == "City: 182 · 1st of 3 neighborhoods (the highest)"
    assert micro.value == "withheld"            # Eastwater's micro count is hidden
    assert "fewer than 3 businesses (0, 1 or 2), or hidden" in micro.help   # the one explanation
    assert "neighborhoods" not in micro.note     # no rank for a hidden figure


def test_sentences_quote_the_numbers_and_say_hidden_ones_are_hidden(tiny):
    profile = queries.area_profile(tiny, "N3", narrative.STORY)
    said = narrative.sentences("Eastwater", profile, None, 3)
    assert ("In 2022, Eastwater had 90 jobs, 1st of 3 neighborhoods (the highest); "
            "city-wide: 182.") in said
    assert said[-1].startswith("Withheld for Eastwater: ")
    assert said[-1].endswith("(fewer than 3, or hidden to protect a smaller count).")
    assert "micro-businesses per 1,000 residents" in said[-1]
    assert not any("nan" in s.lower() for s in said)


def test_category_mix_hides_small_counts_and_keeps_the_city_shares(tiny):
    shares = mix.category_mix(tiny, ["N1"], 2023)
    city = shares[shares["geo_id"] == "city"].set_index("category")
    assert city.at["Retail shops", "count"] == 6
    assert city.at["Retail shops", "city_share"] == pytest.approx(6 / 14)
    assert city.loc[city["count"].isna(), "suppressed"].all()
    assert mix.categories(tiny, 2023) == sorted(city.index)


def test_hide_small_hides_a_lone_small_sector_with_its_complement():
    jobs = pd.DataFrame({"category": ["A", "B", "C"], "jobs": [40.0, 7.0, 2.0]})
    hidden = mix.hide_small(jobs, "jobs", 3)
    assert hidden["suppressed"].tolist() == [False, True, True]
    assert hidden["jobs"].isna().tolist() == [False, True, True]


def test_neighbors_are_the_areas_sharing_a_border(tiny):
    assert geometry.neighbors(tiny) == {"N1": ["N2"], "N2": ["N1", "N3"], "N3": ["N2"]}


def test_shapes_carry_their_bounds_and_names(tiny):
    shapes = geometry.shapes_geojson(tiny, "neighborhood")
    assert [f["properties"]["name"] for f in shapes["features"]] == \
        ["Northgate", "Millbrook", "Eastwater"]
    assert shapes["bbox"] == pytest.approx([0.0, 0.0, 0.03, 0.01])


def test_a_click_on_a_tract_opens_the_neighborhood_with_most_of_its_residents(tiny):
    event = {"selection": {"points": [{"location": "99001000200", "z": 1}]}}
    clicked = explorer.clicked_area(event)
    assert clicked == "99001000200"
    assert explorer.profile_target(tiny, clicked, "tract") == "N3"   # T2: 75% in N3
    assert explorer.clicked_area({"selection": {"points": []}}) is None


def test_ranking_lists_hidden_areas_last_without_a_number(tiny):
    data = queries.metric_by_area(tiny, "micro_businesses", 2023)
    table = explorer.ranking(data, explorer.metrics.get("micro_businesses"), 3)
    hidden = table[table["Rank"] == ""]
    assert len(hidden) and set(hidden["Value"]) == {"withheld"}
    assert table.index[table["Rank"] != ""].max() < hidden.index.min()


def test_a_partial_import_says_what_is_missing(partial):
    gaps = catalog.gaps(partial)
    assert gaps == [catalog.MISSING_SOURCE[k] for k in ("acs", "jobs")] + [
        "No census tracts were loaded, so maps show neighborhoods only.",
        catalog.MISSING_SOURCE["business_patterns"]]
    assert queries.geo_levels(partial) == ["neighborhood"]
    assert "micro_per_1k_residents" not in queries.metric_ids(partial)


def test_the_full_tiny_city_lacks_nothing_but_its_sources_rows_add_up(tiny):
    assert catalog.gaps(tiny) == []
    sources = catalog.sources(tiny)
    assert (sources["Adds up"] == "yes").all()
    assert sources["Rows in"].sum() == sources[["Loaded", "Merged", "Rejected"]].sum().sum()


def test_map_figures_share_the_shapes_instead_of_copying_them(tiny):
    from dashboard import maps
    shapes = geometry.shapes_geojson(tiny, "neighborhood")
    data = queries.metric_by_area(tiny, "jobs_total", 2022)
    figure, _ = maps.choropleth(data, shapes, maps.MapView(explorer.metrics.get("jobs_total")))
    assert figure.to_dict()["data"][0]["geojson"] is shapes
    sent = json.loads(figure.to_json())["data"][0]["geojson"]   # what the browser gets
    ring = sent["features"][0]["geometry"]["coordinates"][0]
    assert {tuple(p) for p in ring} == {(0, 0), (0.01, 0), (0.01, 0.01), (0, 0.01)}


def test_a_rank_says_out_of_how_many_areas_when_some_are_not_ranked():
    assert wording.rank_phrase(1, 2, "neighborhood", 50) == (
        "1st of the 2 neighborhoods ranked, out of 50 (the highest)")
    assert wording.rank_phrase(3, 36, "neighborhood", 36) == "3rd of 36 neighborhoods"
    assert wording.rank_phrase(1, 1, "neighborhood", 50) == ""     # one ranked ranks nothing
    assert brief.rank_text(2, 5, 12) == "2nd of 5 ranked, out of 12"
    assert brief.rank_text(2, 12, 12) == "2nd of 12"


def test_a_card_counts_the_ranked_areas_by_hand(demo_db):
    """A figure some neighborhoods cannot be ranked on (low count): the card, the sentence
    and the map's hover say the rank among the ranked ones, out of all 36."""
    db = open_database(demo_db)
    rows = db.query("SELECT metric_id, year, geo_id, value, suppressed, low_count, unreliable "
                    "FROM metrics_long WHERE geo_level = 'neighborhood' "
                    "AND metric_id = 'formations_per_100_active'")
    year = int(rows["year"].max())
    latest = rows[rows["year"] == year]
    sound = latest[latest["value"].notna() & ~latest["suppressed"] & ~latest["low_count"]
                   & ~latest["unreliable"]].sort_values("value", ascending=False)
    assert 2 <= len(sound) < 36     # the demo's small neighborhoods have low counts
    top = sound.iloc[0]["geo_id"]
    profile = queries.area_profile(db, top, ["formations_per_100_active"])
    card, = cards.cards(profile, ["formations_per_100_active"], 0)
    assert card.note.endswith(f"1st of the {len(sound)} neighborhoods ranked, out of 36 "
                              "(the highest)")
    hover = queries.metric_by_area(db, "formations_per_100_active", year).set_index("geo_id")
    assert (hover.loc[top, "rank"], hover.loc[top, "ranked"], hover.loc[top, "areas"]) == (
        1, len(sound), 36)
