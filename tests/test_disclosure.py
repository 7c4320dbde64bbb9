"""Issue 11, what a new user meets: published counts by default, suppression only when the
profile or the command asks, status saying what is withheld, flagged or not available, CSV
headers matched ignoring case, and a date-format failure that names `dates.formats`."""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from data_pipeline import city
from data_pipeline.cli import main
from core.errors import PipelineError

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / "tests" / "fixtures" / "local"
LICENSES = LOCAL / "chicago_licenses.csv"
HOODS = LOCAL / "neighborhoods.geojson"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    return tmp_path


def profile_copy(folder: Path, change) -> Path:
    """data/cities/chicago.toml, edited by `change(text) -> text`, as folder/chicago.toml."""
    text = (ROOT / "data" / "cities" / "chicago.toml").read_text(encoding="utf-8")
    path = folder / "chicago.toml"
    path.write_text(change(text), encoding="utf-8")
    return path


def threshold_of(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT suppression_threshold FROM settings").fetchone()[0]


def test_the_profile_sets_suppression_and_the_command_overrides_it(data_dir):
    private = profile_copy(data_dir, lambda t: t.replace('name = "Chicago"',
                                                         'name = "Chicago"\nsuppress_below = 3'))
    assert threshold_of(city.import_files("chicago", LICENSES, HOODS)) == 0     # the default
    assert threshold_of(city.import_files(private, LICENSES, HOODS, db=data_dir / "p.duckdb")) == 3
    assert main(["import", "--city", str(private), "--businesses", str(LICENSES),
                 "--neighborhoods", str(HOODS), "--db", str(data_dir / "o.duckdb"),
                 "--suppress-below", "0"]) == 0
    assert threshold_of(data_dir / "o.duckdb") == 0


def test_a_bad_suppress_below_names_the_file_and_key(data_dir):
    bad = profile_copy(data_dir, lambda t: t.replace('name = "Chicago"',
                                                     'name = "Chicago"\nsuppress_below = "3"'))
    with pytest.raises(PipelineError, match=r"chicago\.toml: key 'suppress_below' must be a whole "
                                             r"number from 0"):
        city.import_files(bad, LICENSES, HOODS)


def test_status_says_what_is_withheld_flagged_or_not_available(data_dir, capsys):
    db = city.import_files("chicago", LICENSES, HOODS)
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "every count published (a public registry)" in out
    assert re.search(r"active_businesses by neighborhood: [\d,]+ figures, 0\.0% withheld", out)
    assert "jobs_total: not available: no LODES jobs were loaded" in out
    assert re.search(r"formations_per_100_active by neighborhood: .*% low count", out)


def test_status_prints_the_share_withheld_when_suppression_is_on(data_dir, capsys):
    db = city.import_files("chicago", LICENSES, HOODS, suppression_threshold=3)
    with duckdb.connect(str(db), read_only=True) as con:
        withheld, total = con.execute(
            "SELECT count(*) FILTER (WHERE suppressed), count(*) FROM metrics_long "
            "WHERE metric_id = 'formations' AND geo_level = 'neighborhood'").fetchone()
    assert withheld > 0
    main(["status", "--db", str(db)])
    out = capsys.readouterr().out
    assert "counts below 3 withheld, with complements" in out
    assert f"formations by neighborhood: {total:,} figures, {withheld / total:.1%} withheld" in out


def test_csv_headers_match_ignoring_case_and_spaces(data_dir, tmp_path):
    lines = LICENSES.read_text(encoding="utf-8").splitlines(keepends=True)
    header = ",".join(f"  {name.lower()} " for name in lines[0].rstrip("\n").split(","))
    shouting = tmp_path / "licenses_lower.csv"
    shouting.write_text(header + "\n" + "".join(lines[1:]), encoding="utf-8")
    plain = city.import_files("chicago", LICENSES, HOODS, db=tmp_path / "a.duckdb")
    lower = city.import_files("chicago", shouting, HOODS, db=tmp_path / "b.duckdb")
    query = "SELECT business_id, neighborhood_id, opened, closed FROM businesses ORDER BY 1"
    with duckdb.connect(str(plain), read_only=True) as a, duckdb.connect(str(lower), read_only=True) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert len(a.execute(query).fetchall()) > 0


def test_a_date_format_failure_names_dates_formats_and_shows_two_values(data_dir):
    wrong = profile_copy(data_dir, lambda t: t.replace(
        'formats = ["%m/%d/%Y", "ISO8601"]', 'formats = ["%d.%m.%Y"]'))
    with pytest.raises(PipelineError) as error:
        city.import_files(wrong, LICENSES, HOODS)
    message = str(error.value)
    assert "dates.formats ['%d.%m.%Y']" in message and "chicago.toml" in message
    assert len(re.findall(r"'\d{2}/\d{2}/\d{4}'", message)) == 2      # two of the file's dates
    assert "check that the registry and the boundaries" not in message
    assert message.count(".") >= 1 and "\n" not in message


# --- On the pages --------------------------------------------------------------------------

def page_text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(m.value) for m in at.metric] + [str(m.label) for m in at.metric]
    return "\n".join(parts)


def test_the_map_says_how_much_is_withheld_and_why(withheld_env, withheld_db):
    from tests.test_app import run_page
    with duckdb.connect(str(withheld_db), read_only=True) as con:
        hidden = con.execute("SELECT count(*) FROM metrics_long WHERE metric_id = 'formations' "
                             "AND year = 2013 AND geo_level = 'neighborhood' AND suppressed"
                             ).fetchone()[0]
    assert hidden > 0
    at = run_page("pages/map.py", {"metric": "formations", "year": "2013"})
    assert not at.exception
    text = page_text(at)
    assert f"{hidden} of 36 neighborhoods ({hidden / 36:.0%}) are withheld for this figure: " \
           "counts below 3 are hidden" in text


def test_the_public_demo_withholds_nothing_and_flags_low_counts(app_env, demo_db):
    from tests.test_app import run_page
    with duckdb.connect(str(demo_db), read_only=True) as con:
        low = con.execute("SELECT count(*) FROM metrics_long WHERE metric_id = "
                          "'formations_per_1k_residents' AND year = 2013 AND geo_level = "
                          "'neighborhood' AND low_count").fetchone()[0]
    assert low > 0
    at = run_page("pages/map.py", {"metric": "formations_per_1k_residents", "year": "2013"})
    text = page_text(at)
    assert "withheld" not in text.lower().replace("grey: no data", "")
    assert f"Of 36 neighborhoods, {low} rest on fewer than 20 businesses or events (low count)" in text
    assert f"{36 - low} of 36 neighborhoods are ranked" in text
    ranking = next(d.value for d in at.dataframe if "Note" in d.value.columns)
    flagged = ranking[ranking["Note"].str.contains("low count")]
    assert len(flagged) == low and (flagged["Rank"] == "").all()
    assert (ranking["Rank"].iloc[: 36 - low] != "").all()        # ranked ones first


def test_cards_say_not_available_with_the_reason(partial_dir, monkeypatch):
    from tests.test_app import run_page
    monkeypatch.setenv("ATLAS_DATA_DIR", str(partial_dir))
    at = run_page("pages/profile.py", {"n": "N1"})
    assert not at.exception
    text = page_text(at)
    assert "not available" in text and "no LODES jobs were loaded" in text
    at = run_page("pages/methods.py")
    text = page_text(at)
    assert "Counts are published as the registry shows them" in text
    table = next(d.value for d in at.dataframe if "Not available because" in d.value.columns)
    assert "no LODES jobs were loaded" in set(table["Not available because"])
