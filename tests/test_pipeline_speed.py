"""The pipeline's faster paths (issue 14) give the answers of the plain ones they replaced.

The transform runs in SQL over the registry's working database; here each SQL step is
checked against a plain pandas version of the same rule. No timings here:
benchmarks/bench_baselines.py measures them.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data_pipeline import load, scratch, transform
from data_pipeline import transform_fields as tf


def reference_merge(kept: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Terms merged the plain way: a sort, a group-by, a de-duplication and a join; the
    closing date as the rule in transform.py says it."""
    ordered = kept.sort_values(["key", "opened", "end", "row_number"], na_position="last")
    summary = ordered.groupby("key", sort=False).agg(
        first_seen=("row_number", "min"), opened=("opened", "min"),
        terms_merged=("row_number", "size"), home_based=("home_based", "any"),
        sole_proprietor=("sole_proprietor", "any"), limited=("limited", "any"))
    latest = ordered.drop_duplicates("key", keep="last").set_index("key")
    locations = latest.drop(columns=list(summary.columns), errors="ignore").join(summary)
    end = locations["end"]
    closed = end.where(end < as_of)
    by_status = locations["status_date"].fillna(end).fillna(as_of).clip(upper=as_of)
    closed = closed.mask(locations["status_closed"], by_status)
    locations["closed"] = closed.where(closed.isna() | (closed >= locations["opened"]),
                                       locations["opened"])
    return locations.reset_index().sort_values("first_seen").reset_index(drop=True)


def random_terms(rng: np.random.Generator, n: int) -> pd.DataFrame:
    day = np.datetime64("2015-01-01", "ns")
    opened = day + rng.integers(0, 30, n).astype("timedelta64[D]")   # ties on purpose
    end = opened + rng.integers(0, 3, n).astype("timedelta64[D]") * 365
    end = np.where(rng.random(n) < 0.2, np.datetime64("NaT", "ns"), end)
    return pd.DataFrame({
        "row_number": rng.permutation(n) + 1,
        "key": rng.choice([f"k{i}" for i in range(n // 3 + 1)], n),
        "name": [f"name {i}" for i in range(n)],
        "opened": pd.Series(opened, dtype="datetime64[ns]"),
        "end": pd.Series(end, dtype="datetime64[ns]"),
        "status_closed": rng.random(n) < 0.1,
        "status_date": pd.Series(opened, dtype="datetime64[ns]").where(rng.random(n) < 0.3),
        "home_based": rng.random(n) < 0.2, "sole_proprietor": rng.random(n) < 0.2,
        "limited": rng.random(n) < 0.2, "reason": None,
    })


def sql_merge(terms: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("given", terms)
    con.execute("CREATE TABLE judged AS SELECT * REPLACE (opened::DATE AS opened, "
                "\"end\"::DATE AS \"end\", status_date::DATE AS status_date, "
                "reason::VARCHAR AS reason) FROM given")
    transform.merge_terms(con, as_of.date())
    found = con.execute("SELECT * FROM locations").df()
    return found.astype({c: "datetime64[ns]" for c in ("opened", "end", "closed")})


@pytest.mark.parametrize("seed", range(5))
def test_merge_terms_matches_the_group_by(seed):
    kept = random_terms(np.random.default_rng(seed), 300)
    as_of = pd.Timestamp("2017-06-30")
    ours, theirs = sql_merge(kept, as_of), reference_merge(kept, as_of)
    columns = ["key", "row_number", "name", "opened", "end", "closed", "terms_merged",
               "home_based", "sole_proprietor", "limited"]
    pd.testing.assert_frame_equal(ours[columns], theirs[columns], check_dtype=False)


def test_merge_terms_of_no_terms_is_empty():
    assert sql_merge(random_terms(np.random.default_rng(0), 30).iloc[:0],
                     pd.Timestamp("2017-06-30")).empty


TEXT = st.text(alphabet=st.sampled_from(list("ab-/ ") + ["\t", "\n", "\r", "\u00a0", "\u2003",
                                                          "\u0085", "\x0b", "é"]), max_size=8)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.none() | TEXT, st.none() | TEXT), min_size=1, max_size=6))
def test_text_in_sql_is_the_text_of_transform_fields(rows):
    """Stripping, first non-empty, joining with runs of spaces squeezed, and the business
    key: the SQL of the transform against `transform_fields` on the same cells."""
    frame = pd.DataFrame(rows, columns=["a", "b"], dtype=object)
    con = scratch.connect()
    con.register("given", pd.DataFrame({c: pd.array(frame[c], dtype="string") for c in frame}))
    con.execute("CREATE TABLE raw AS SELECT * FROM given")
    got = con.execute(f"""
        SELECT {transform.text("a")}, {transform.first_text(("a", "b"))},
               {transform.joined_text(("a", "b"), " ")}, {transform.business_key(("a", "b"))}
        FROM raw r ORDER BY r.rowid""").fetchall()
    expected = zip(tf.text(frame, "a"), tf.first_text(frame, ("a", "b")),
                   tf.joined_text(frame, ("a", "b"), " "), tf.business_key(frame, ("a", "b")))
    plain = [tuple(None if pd.isna(v) else v for v in row) for row in expected]
    assert got == plain


def test_dates_parsed_once_per_text_are_the_dates_parsed_one_by_one():
    values = pd.Series(["01/02/2020", None, "01/02/2020", "2021-03-04T00:00:00", "13/45/2020",
                       "01/02/1700", "", "2021-03-04T00:00:00"] * 3, dtype="string[pyarrow]")
    formats = ("%m/%d/%Y", "ISO8601")
    parsed = tf.parse_dates(values, formats)
    one_by_one = [tf.parse_dates(values.iloc[[i]], formats).iloc[0] for i in range(len(values))]
    assert parsed.index.equals(values.index)
    assert [None if pd.isna(v) else v for v in parsed] == [
        None if pd.isna(v) else v for v in one_by_one]
    assert parsed.iloc[0] == pd.Timestamp("2020-01-02") and pd.isna(parsed.iloc[5])


def test_frames_go_to_duckdb_as_arrow_unless_arrow_cannot_type_them():
    plain = pd.DataFrame({"a": ["x", None], "d": [pd.Timestamp("2020-01-02").date(), None]})
    assert not isinstance(load._as_arrow(plain), pd.DataFrame)
    mixed = pd.DataFrame({"a": ["x", 3]})
    assert load._as_arrow(mixed) is mixed
