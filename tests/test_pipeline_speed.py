"""The pipeline's faster paths (issue 14) give the answers of the plain ones they replaced.

No timings here: benchmarks/bench_baselines.py measures them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data_pipeline import load, readers, transform
from data_pipeline import transform_fields as tf


def reference_merge(kept: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """merge_terms as it was: a sort, a group-by, a de-duplication and a join."""
    kept = kept.assign(key_code=pd.factorize(kept["key"])[0])
    ordered = kept.sort_values(["key_code", "opened", "end"], kind="stable", na_position="last")
    summary = ordered.groupby("key", sort=False).agg(
        opened=("opened", "min"), terms_merged=("row_number", "size"),
        home_based=("home_based", "any"), sole_proprietor=("sole_proprietor", "any"),
        limited=("limited", "any"))
    latest = ordered.drop_duplicates("key", keep="last").set_index("key")
    locations = latest.drop(columns=list(summary.columns), errors="ignore").join(summary)
    locations["closed"] = transform.closing_dates(locations, as_of)
    return locations.reset_index().drop(columns="key_code")


def random_terms(rng: np.random.Generator, n: int) -> pd.DataFrame:
    day = np.datetime64("2015-01-01", "ns")
    opened = day + rng.integers(0, 30, n).astype("timedelta64[D]")   # ties on purpose
    end = opened + rng.integers(0, 3, n).astype("timedelta64[D]") * 365
    end = np.where(rng.random(n) < 0.2, np.datetime64("NaT", "ns"), end)
    terms = pd.DataFrame({
        "row_number": np.arange(1, n + 1),
        "key": pd.Series(rng.choice([f"k{i}" for i in range(n // 3 + 1)], n), dtype="string[pyarrow]"),
        "name": pd.Series([f"name {i}" for i in range(n)], dtype="string[pyarrow]"),
        "opened": pd.Series(opened, dtype="datetime64[ns]"),
        "end": pd.Series(end, dtype="datetime64[ns]"),
        "status_closed": rng.random(n) < 0.1,
        "status_date": pd.Series(opened, dtype="datetime64[ns]").where(rng.random(n) < 0.3),
        "home_based": rng.random(n) < 0.2, "sole_proprietor": rng.random(n) < 0.2,
        "limited": rng.random(n) < 0.2,
    })
    terms.index = rng.permutation(n) + 10    # kept rows keep the registry's row labels
    return terms


@pytest.mark.parametrize("seed", range(5))
def test_merge_terms_matches_the_group_by(seed):
    kept = random_terms(np.random.default_rng(seed), 300)
    as_of = pd.Timestamp("2017-06-30")
    ours = transform.merge_terms(kept, as_of)
    theirs = reference_merge(kept, as_of)
    pd.testing.assert_frame_equal(ours[theirs.columns], theirs, check_dtype=False)


def test_merge_terms_of_no_terms_is_empty():
    kept = random_terms(np.random.default_rng(0), 30).iloc[:0]
    ours = transform.merge_terms(kept, pd.Timestamp("2017-06-30"))
    assert ours.empty and set(reference_merge(kept, pd.Timestamp("2017-06-30")).columns) <= set(ours.columns)


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


def test_utf8_is_checked_across_chunk_boundaries(monkeypatch):
    monkeypatch.setattr(readers, "CHUNK", 3)
    assert readers.is_utf8("ab€cd€é".encode())            # '€' split across chunks
    assert not readers.is_utf8(b"ab\xe9cd")                 # Windows-1252 'é'
    assert not readers.is_utf8("ab€".encode()[:-1])        # cut short at the end
    assert readers.is_utf8(b"")


def test_frames_go_to_duckdb_as_arrow_unless_arrow_cannot_type_them():
    plain = pd.DataFrame({"a": ["x", None], "d": [pd.Timestamp("2020-01-02").date(), None]})
    assert not isinstance(load._as_arrow(plain), pd.DataFrame)
    mixed = pd.DataFrame({"a": ["x", 3]})
    assert load._as_arrow(mixed) is mixed
