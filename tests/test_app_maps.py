"""Finding a place on the maps, under AppTest on the demo city: names on every map, the
chosen neighborhood outlined and carried by the URL (`n`), "Find my neighborhood" on the
map and profile pages, and what may headline at tract level."""
from __future__ import annotations

import json

import pytest

from dashboard import labels
from tests.seen import values
from tests.apptest import assert_clean, param, run_page


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def names_on(figure: dict) -> list[str]:
    return [name for _, name, _, _ in labels.placed(figure)]


def outlined(figure: dict) -> list[str]:
    """Ids of the areas a map outlines (its line layers' features)."""
    layers = figure["layout"].get("map", {}).get("layers", [])
    return sorted({f["id"] for layer in layers if layer.get("type") == "line"
                   for f in layer["source"]["features"]})


def hood_names(app_env) -> dict[str, str]:
    import duckdb
    with duckdb.connect(str(app_env / "demo.duckdb"), read_only=True) as con:
        return dict(con.execute("SELECT neighborhood_id, name FROM neighborhoods").fetchall())


def test_the_map_names_its_areas_and_outlines_the_neighborhood_of_the_link(app_env):
    at = run_page("pages/map.py", {"n": "N07"})
    assert_clean(at)
    (figure,) = figures(at)
    names = names_on(figure)
    hoods = hood_names(app_env)
    assert len(names) >= 24 and set(names) <= set(hoods.values()) | {
        labels.shorten(n) for n in hoods.values()}
    assert outlined(figure) == ["N07"]
    assert at.selectbox(key="w_n").value == "N07" and param(at, "n") == "N07"
    assert any("Union Flats is outlined" in c.value for c in at.caption)
    assert any(p.label == "Open the profile of Union Flats" for p in at.get("page_link"))


def test_without_a_neighborhood_nothing_is_outlined_and_n_stays_out_of_the_url(app_env):
    at = run_page("pages/map.py")
    assert_clean(at)
    (figure,) = figures(at)
    assert outlined(figure) == [] and names_on(figure)
    assert "n" not in at.query_params


def test_a_bad_n_on_the_map_falls_back_to_none_with_a_notice(app_env):
    at = run_page("pages/map.py", {"n": "nowhere"})
    assert_clean(at)
    assert any("not available here" in w.value for w in at.warning)
    assert outlined(figures(at)[0]) == []


def test_the_tract_map_outlines_the_neighborhood_over_its_tracts(app_env):
    at = run_page("pages/map.py", {"n": "N07", "level": "tract"})
    assert_clean(at)
    (figure,) = figures(at)
    assert outlined(figure) == ["N07"]
    assert all(not n.startswith("Census Tract") for n in names_on(figure))   # '2201', not …
    assert len(names_on(figure)) >= 20


def test_see_it_on_the_map_carries_the_neighborhood_and_the_map_outlines_it(app_env):
    profile = run_page("pages/profile.py", {"n": "N22"})
    assert_clean(profile)
    link = next(p for p in profile.get("page_link") if p.label == "See it on the map")
    assert link.proto.page.endswith("map") or "map" in link.proto.page
    query = dict(link.proto.query_string.split("&")[i].split("=", 1)
                 for i in range(len(link.proto.query_string.split("&"))))
    assert query["n"] == "N22"
    at = run_page("pages/map.py", query)
    assert outlined(figures(at)[0]) == ["N22"]


@pytest.mark.parametrize("page, chart", [("pages/jobs.py", 4), ("pages/diversity.py", 0)])
def test_the_jobs_and_diversity_maps_outline_the_chosen_neighborhood(app_env, page, chart):
    at = run_page(page, {"n": "N13"})
    assert_clean(at)
    figure = figures(at)[chart]
    assert outlined(figure) == ["N13"] and len(names_on(figure)) >= 20
    at.selectbox(key="w_n").set_value("N21").run()
    assert outlined(figures(at)[chart]) == ["N21"]


def test_the_embedded_map_outlines_a_neighborhood_only_when_the_link_names_one(app_env):
    at = run_page("pages/embed.py", {"chart": "map", "n": "N07"})
    assert_clean(at)
    (figure,) = figures(at)
    assert outlined(figure) == ["N07"] and names_on(figure)
    assert figure["layout"]["height"] == 480
    plain = run_page("pages/embed.py", {"chart": "map"})
    assert outlined(figures(plain)[0]) == []


def registry_address(app_env) -> tuple[str, set[str]]:
    import duckdb
    with duckdb.connect(str(app_env / "demo.duckdb"), read_only=True) as con:
        (address,) = con.execute("SELECT address FROM businesses WHERE address IS NOT NULL AND "
                                 "NOT home_based AND NOT sole_proprietor ORDER BY business_id "
                                 "LIMIT 1").fetchone()
        hoods = {g for g, in con.execute("SELECT DISTINCT neighborhood_id FROM businesses WHERE "
                                         "address = ? AND NOT home_based AND NOT sole_proprietor",
                                         [address]).fetchall()}
    return address, hoods


def test_find_on_the_map_outlines_the_neighborhood_of_a_registry_address(app_env):
    address, hoods = registry_address(app_env)
    at = run_page("pages/map.py")
    at.text_input(key="w_find").input(address).run()
    assert_clean(at)
    found = at.selectbox(key="w_n").value
    assert found in hoods and param(at, "n") == found
    assert outlined(figures(at)[0]) == [found]
    (success,) = at.success
    assert success.value.startswith(f"“{address}” is in ")
    at.selectbox(key="w_n").set_value("N01").run()           # the visitor may still pick another
    assert outlined(figures(at)[0]) == ["N01"]


def test_find_on_the_profile_opens_the_neighborhood_by_name(app_env):
    at = run_page("pages/profile.py", {"n": "N01"})
    at.text_input(key="w_find").input("old   MILL").run()
    assert_clean(at)
    assert at.title[0].value == "Old Mill" and param(at, "n") == "N13"


def test_find_says_in_one_sentence_what_it_cannot_place(app_env):
    for page in ("pages/map.py", "pages/profile.py"):
        at = run_page(page, {"n": "N01"} if page.endswith("profile.py") else None)
        at.text_input(key="w_find").input("The far side of the moon").run()
        assert_clean(at)
        (info,) = [i for i in at.info if "moon" in i.value]
        assert info.value.count(". ") == 0 and info.value.endswith(".")
        assert "No neighborhood of Port Juniper matches" in info.value.replace("\\", "")
        if page.endswith("profile.py"):
            assert at.title[0].value == "Maple Grove"        # the neighborhood did not change


def test_at_tract_level_unreliable_values_never_headline(app_env):
    """The issue's tract headline: 'Highest: Census Tract 2201 (2,080.0)', a value the app
    marks unreliable (rates over fewer than 100 residents), was ranked first and stretched
    the top colour class to '19.5 to 2,080.0'."""
    at = run_page("pages/map.py", {"level": "tract", "metric": "micro_per_1k_residents"})
    assert_clean(at)
    import duckdb
    with duckdb.connect(str(app_env / "demo.duckdb"), read_only=True) as con:
        year = int(param(at, "year"))
        flagged = con.execute("""
            SELECT t.name, m.value FROM metrics_long m JOIN tracts t ON t.geoid = m.geo_id
            WHERE m.metric_id = 'micro_per_1k_residents' AND m.geo_level = 'tract' AND m.year = ?
              AND (m.unreliable OR m.low_count) ORDER BY m.value DESC""", [year]).fetchall()
        sound_top = con.execute("""
            SELECT max(value) FROM metrics_long WHERE metric_id = 'micro_per_1k_residents'
              AND geo_level = 'tract' AND year = ? AND NOT suppressed AND NOT unreliable
              AND NOT coalesce(low_count, false)""", [year]).fetchone()[0]
    assert flagged and flagged[0][1] > sound_top, "the demo has an outlier flagged at tract level"
    outlier, value = flagged[0]
    headline = next(m.value for m in at.markdown if m.value.startswith("Highest:"))
    assert outlier not in headline and f"({sound_top:,.1f})" in headline
    ranking = next(d.value for d in at.dataframe if "Area" in d.value.columns)
    assert ranking.iloc[0]["Area"] != outlier and ranking.iloc[0]["Rank"] == "1"
    flagged_row = ranking[ranking["Area"] == outlier].iloc[0]
    assert flagged_row["Rank"] == "" and flagged_row["Note"] in ("unreliable", "low count (under 20)")
    (figure,) = figures(at)
    ticks = [t for t in values(figure["data"][0]["colorbar"]["ticktext"])]
    assert ticks[-1].split(" (")[0].endswith("or more") and f"{value:,.1f}" not in " ".join(ticks)
