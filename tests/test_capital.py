"""Capital: PPP and SBA 7(a)/504 loans placed by address or ZIP code, worked out by hand on the tiny city.

The tiny city's ZIP weights (tests/tiny_city.py): 99901 → N1 0.5, N2 0.5; 99902 → N2 0.2,
N3 0.8. Active businesses on 31 December 2020: N1 3, N2 4, N3 2, city 9; 2021: 4, 5, 3, 12.
Residents: N1 90, N2 560, N3 1500, city 2150.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.errors import PipelineError
from data_pipeline import load
from data_pipeline.profiles import load_profile
from data_pipeline.source import Build
from data_pipeline.sources.ppp_loans import PPP
from data_pipeline.sources.sba_loans import SBA
from tests.tiny_city import ZIP_WEIGHTS, tiny_city

# The July 2020 release, loans under $150,000 (its columns, in its order).
PPP_UNDER_150K = """\
LoanAmount,City,State,Zip,NAICSCode,BusinessType,RaceEthnicity,Gender,Veteran,NonProfit,JobsRetained,DateApproved,Lender,CD
10000,TINY,ZZ,99901,722511,Sole Proprietorship,Unanswered,Unanswered,Unanswered,,2,04/27/2020,Bank A,ZZ - 01
50000,TINY,ZZ,99901-0001,541618,Corporation,Unanswered,Unanswered,Unanswered,,5,05/02/2020,Bank A,ZZ - 01
20000.00,TINY,ZZ,99902,812111,Self-Employed Individuals,Unanswered,Unanswered,Unanswered,,4,06/30/2020,Bank B,ZZ - 01
7000,ELSEWHERE,ZZ,99999,722511,Corporation,Unanswered,Unanswered,Unanswered,,3,04/10/2020,Bank B,ZZ - 02
lots,TINY,ZZ,99901,722511,Corporation,Unanswered,Unanswered,Unanswered,,3,04/10/2020,Bank B,ZZ - 01
5000,TINY,ZZ,99902,722511,Corporation,Unanswered,Unanswered,Unanswered,,1,,Bank B,ZZ - 01
"""
# The July 2020 release, loans of $150,000 and over: a band and no date.
PPP_150K_PLUS = """\
,LoanRange,BusinessName,Address,City,State,Zip,NAICSCode,Industry,Description,BusinessType,JobsRetained,Lender,CD,NA
0,"e $150,000-350,000",TINY LLC,1 Main St,TINY,ZZ,99902,722511,Food,Restaurants,Limited  Liability Company(LLC),,Bank C,ZZ - 01,72
"""
# SBA FOIA layout (data dictionary of the 7(a) and 504 files); no sample is at hand.
SBA_FOIA = """\
AsOfDate,Program,BorrName,BorrStreet,BorrCity,BorrState,BorrZip,BankName,GrossApproval,ApprovalDate,ApprovalFiscalYear,NaicsCode,BusinessType,JobsSupported
20240930,7A,A PERSON,1 A St,TINY,ZZ,99901-1234,Bank A,150000,03/15/2021,2021,722511,INDIVIDUAL,3
20240930,504,B CORP,2 B St,TINY,ZZ,99902,CDC B,1200000,07/01/2022,2022,332710,CORPORATION,25
"""


def _read(source, texts: list[str], folder: Path) -> Build:
    build = Build(load_profile("chicago"), lambda message: None)
    build.tables["zip_neighborhood_weights"] = pd.DataFrame(
        ZIP_WEIGHTS, columns=["zip", "neighborhood_id", "weight"])
    files = []
    for i, text in enumerate(texts):
        files.append(folder / f"{source.name}_{i}.csv")
        files[-1].write_text(text)
    source.read(files, build)
    return build


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capital")
    ppp = _read(PPP, [PPP_UNDER_150K, PPP_150K_PLUS], folder)
    sba = _read(SBA, [SBA_FOIA], folder)
    data = tiny_city()
    data.other_tables["loans"] = pd.concat([ppp.tables["loans"], sba.tables["loans"]],
                                           ignore_index=True)
    data.sources = pd.concat([data.sources, pd.DataFrame(ppp.rows + sba.rows)], ignore_index=True)
    data.rejected = pd.concat([data.rejected, *ppp.rejected, *sba.rejected], ignore_index=True)
    path = load.write_database(data, folder / "tiny.duckdb")
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def figure(con, metric_id: str, year: int) -> dict[str, float]:
    rows = con.execute("SELECT geo_id, value FROM metrics_long WHERE metric_id = ? AND year = ?",
                       [metric_id, year]).fetchall()
    return {geo_id: value for geo_id, value in rows}


def close(actual: dict, expected: dict) -> None:
    assert set(actual) == set(expected)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, abs=1e-9), key


def test_loans_are_read_from_each_layout_and_rows_reconcile(con):
    loans = con.execute("SELECT source_id, row_number, program, year, amount, amount_band, jobs, "
                        "self_employed, zip FROM loans ORDER BY source_id, row_number").fetchall()
    assert loans == [
        ("ppp_loans", 1, "PPP", 2020, 10000.0, None, 2, True, "99901"),
        ("ppp_loans", 2, "PPP", 2020, 50000.0, None, 5, False, "99901"),    # ZIP+4 cut to 5
        ("ppp_loans", 3, "PPP", 2020, 20000.0, None, 4, True, "99902"),
        ("ppp_loans", 7, "PPP", 2020, None, "$150,000-350,000", None, False, "99902"),  # no date: 2020
        ("sba_loans", 1, "7(a)", 2021, 150000.0, None, 3, True, "99901"),   # INDIVIDUAL
        ("sba_loans", 2, "504", 2022, 1200000.0, None, 25, False, "99902")]
    rows = dict(con.execute("SELECT source_id, [rows_raw, rows_loaded, rows_rejected] FROM sources "
                            "WHERE source_id LIKE '%loans'").fetchall())
    # Row 4 (ZIP 99999) is outside the city: not the city's row. Rows 5 and 6 are rejected.
    assert rows == {"ppp_loans": [6, 4, 2], "sba_loans": [2, 2, 0]}
    rejected = con.execute("SELECT row_number, reason FROM rejected_records "
                           "WHERE source_id = 'ppp_loans' ORDER BY 1").fetchall()
    assert rejected == [(5, "loan amount is not a number"), (6, "no approval date")]


def test_ppp_figures_by_hand(con):
    # Loans: N1 = 0.5 + 0.5; N2 = 0.5 + 0.5 + 0.2 + 0.2; N3 = 0.8 + 0.8; the city 4.
    close(figure(con, "ppp_loans", 2020), {"N1": 1.0, "N2": 1.4, "N3": 1.6, "city": 4.0})
    # Per 1,000 active businesses (3, 4, 2, 9).
    close(figure(con, "ppp_loans_per_1k_businesses", 2020),
          {"N1": 1000 / 3, "N2": 350.0, "N3": 800.0, "city": 4000 / 9})
    # Amounts (the $150k+ loan has only a band): N1 .5 × 10,000 + .5 × 50,000; N2 the same
    # + .2 × 20,000; N3 .8 × 20,000.
    close(figure(con, "ppp_loan_amount_total", 2020),
          {"N1": 30000.0, "N2": 34000.0, "N3": 16000.0, "city": 80000.0})
    # Weighted medians: N1 10,000 (w .5) reaches half of 1.0; N2 10,000 (.5) < .6, then
    # 20,000 (.7); N3 only 20,000; the city 10,000 (1) < 1.5, 20,000 (2).
    close(figure(con, "ppp_loan_amount_median", 2020),
          {"N1": 10000.0, "N2": 20000.0, "N3": 20000.0, "city": 20000.0})
    # Fewer than 5 jobs (2 and 4 jobs; 5 is not; the band loan reports none):
    # N1 .5 / 1; N2 (.5 + .2) / 1.2; N3 .8 / .8; the city 2 / 3.
    close(figure(con, "ppp_loans_small_share", 2020),
          {"N1": 0.5, "N2": 0.7 / 1.2, "N3": 1.0, "city": 2 / 3})
    # Sole proprietor (99901) and self-employed (99902) per 1,000 residents.
    close(figure(con, "ppp_self_employed_per_1k_residents", 2020),
          {"N1": 1000 * 0.5 / 90, "N2": 1000 * 0.7 / 560, "N3": 1000 * 0.8 / 1500,
           "city": 1000 * 2 / 2150})
    assert figure(con, "ppp_loans", 2021) == {}
    assert figure(con, "ppp_self_employed_per_1k_residents", 2021) == {}    # SBA's are not PPP


def test_sba_figures_by_hand(con):
    close(figure(con, "sba_loans", 2021), {"N1": 0.5, "N2": 0.5, "N3": 0.0, "city": 1.0})
    close(figure(con, "sba_loans", 2022), {"N1": 0.0, "N2": 0.2, "N3": 0.8, "city": 1.0})
    close(figure(con, "sba_loans_per_1k_businesses", 2021),
          {"N1": 125.0, "N2": 100.0, "N3": 0.0, "city": 1000 / 12})
    close(figure(con, "sba_loan_amount_total", 2022),
          {"N1": 0.0, "N2": 240000.0, "N3": 960000.0, "city": 1200000.0})
    close(figure(con, "sba_loans_small_share", 2021), {"N1": 1.0, "N2": 1.0, "city": 1.0})
    # Every loan figure is a few loans: rates and medians over fewer than 20 are flagged.
    flags = con.execute("SELECT bool_and(low_count) FROM metrics_long WHERE metric_id IN "
                        "('sba_loans_per_1k_businesses', 'ppp_loan_amount_median') "
                        "AND value > 0").fetchone()[0]
    assert flags is True


def loan_apportionment(con) -> list[tuple]:
    return con.execute("SELECT step, method, pairs, source_units FROM apportionment "
                       "WHERE step LIKE 'loans%' ORDER BY step, method").fetchall()


def test_the_loans_placement_is_in_the_pipeline_s_apportionment_table(con):
    """Each loan source writes how its loans reached the neighborhoods. PPP: ZIP codes 99901
    (N1, N2) and 99902 (N2, N3): 4 pairs from 2 ZIP codes; 7(a): 99901, 2 pairs; 504:
    99902, 2 pairs. The residents' and jobs' rows stay beside them."""
    assert loan_apportionment(con) == [
        ("loans (504): borrower to neighborhood", "zip", 2, 1),
        ("loans (7(a)): borrower to neighborhood", "zip", 2, 1),
        ("loans (PPP): borrower to neighborhood", "zip", 4, 2)]
    steps = {row[0] for row in con.execute("SELECT step FROM apportionment").fetchall()}
    assert "residents: tract to neighborhood" in steps


def test_data_and_methods_reads_the_loans_placement_from_the_database(con, tmp_path):
    """The dashboard adds no rows of its own: what Data & methods lists is the table."""
    from dashboard import catalog
    from dashboard.db import open_database
    path = Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = "
                            "current_database()").fetchone()[0])
    shown = catalog.apportionment(open_database(path))
    loans = shown[shown["Figure"].str.startswith("loans")]
    assert loans[["Figure", "Pairs of areas", "Source units"]].values.tolist() == [
        ["loans (PPP): borrower to neighborhood", 4, 2],     # the sources' order: PPP, SBA
        ["loans (504): borrower to neighborhood", 2, 1],
        ["loans (7(a)): borrower to neighborhood", 2, 1]]
    assert set(loans["How it is split"]) == {catalog.method_words("zip")}
    assert len(shown) == con.execute("SELECT count(*) FROM apportionment").fetchone()[0]


def test_a_loan_file_without_a_zip_column_is_refused_in_a_sentence(tmp_path):
    with pytest.raises(PipelineError, match=r"ppp_loans_0.csv has no ZIP code column"):
        _read(PPP, ["LoanAmount,City\n100,TINY\n"], tmp_path)


# Loans of $150,000 and over with street addresses, for a build that geocodes them.
WITH_ADDRESSES = """\
,LoanRange,BusinessName,Address,City,State,Zip,NAICSCode,BusinessType,JobsRetained,Lender,CD
0,"e $150,000-350,000",A LLC,1 West St,TINY,ZZ,99902,722511,Corporation,10,Bank C,ZZ - 01
1,"e $150,000-350,000",B LLC,9 Far Rd,TINY,ZZ,99901,722511,Corporation,10,Bank C,ZZ - 01
2,"e $150,000-350,000",C LLC,3 Lost Ln,TINY,ZZ,99901,722511,Corporation,10,Bank C,ZZ - 01
3,"e $150,000-350,000",D LLC,,TINY,ZZ,99902,722511,Corporation,10,Bank C,ZZ - 01
"""
# What the geocoder answers: 1 West St is in N1 (x 0–0.01), although its ZIP 99902 lies in
# N2 and N3; 9 Far Rd is outside the city; 3 Lost Ln has no match.
ANSWERS = {"1 WEST ST": ("exact", 0.005, 0.005), "9 FAR RD": ("non-exact", 0.005, 0.5),
           "3 LOST LN": ("no match", float("nan"), float("nan"))}


def fake_geocoder(addresses: pd.DataFrame) -> pd.DataFrame:
    rows = [ANSWERS[street.upper()] for street in addresses["street"]]
    return pd.DataFrame({"id": range(len(rows)), "match": [r[0] for r in rows],
                         "latitude": [r[1] for r in rows], "longitude": [r[2] for r in rows]},
                        index=addresses.index)


def test_a_loan_with_a_geocoded_address_is_placed_at_its_point(tmp_path):
    build = Build(load_profile("chicago"), lambda message: None)
    build.tables["zip_neighborhood_weights"] = pd.DataFrame(
        ZIP_WEIGHTS, columns=["zip", "neighborhood_id", "weight"])
    build.boundaries = type("Boundaries", (), {"shapes": tiny_city().neighborhoods})()
    build.geocoder = fake_geocoder
    (tmp_path / "big.csv").write_text(WITH_ADDRESSES)
    PPP.read([tmp_path / "big.csv"], build)
    loans = build.tables["loans"]
    assert loans[["row_number", "placement", "neighborhood_id", "zip"]].values.tolist() == [
        [1, "address", "N1", "99902"],        # at its point, not split over N2 and N3
        [3, "zip", None, "99901"],            # no match: by its ZIP code
        [4, "zip", None, "99902"]]            # no address: by its ZIP code
    assert "street" not in loans and "BusinessName" not in loans        # no name, no address
    assert build.rows[-1]["rows_raw"] == 3                               # row 2 is outside
    data = tiny_city()
    data.other_tables["loans"] = loans
    path = load.write_database(data, tmp_path / "t.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        # N1: 1 (by address) + 0.5 (3 Lost Ln, 99901); N2: 0.5 + 0.2; N3: 0.8.
        close(figure(con, "ppp_loans", 2020), {"N1": 1.5, "N2": 0.7, "N3": 0.8, "city": 3.0})
        # One loan at its address (one pair); two by ZIP code: 99901 (N1, N2), 99902 (N2, N3).
        assert loan_apportionment(con) == [
            ("loans (PPP): borrower to neighborhood", "address", 1, 1),
            ("loans (PPP): borrower to neighborhood", "zip", 4, 2)]


CHICAGO = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@pytest.mark.skipif(not (CHICAGO / "ppp_loans").is_dir(),
                    reason="../shared/realdata (the real PPP and licence samples) is not here")
def test_the_real_chicago_ppp_sample(tmp_path, monkeypatch):
    from data_pipeline import city
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    db = city.import_files(
        "chicago", CHICAGO / "chicago_business_licenses/business_licenses_sample10k_csv_2024.csv",
        CHICAGO / "chicago_community_areas/community_areas_current.geojson",
        ppp_loans=CHICAGO / "ppp_loans/ppp_under150k_2020-07_chicago_zip606.csv",
        db=tmp_path / "chicago.duckdb")
    with duckdb.connect(str(db), read_only=True) as con:
        raw, loaded, rejected = con.execute("SELECT rows_raw, rows_loaded, rows_rejected FROM "
                                            "sources WHERE source_id = 'ppp_loans'").fetchone()
        city_figures = dict(con.execute(
            "SELECT metric_id, value FROM metrics_long WHERE geo_level = 'city' AND year = 2020 "
            "AND metric_id LIKE 'ppp%'").fetchall())
        unreliable = con.execute("SELECT unreliable FROM metrics_long WHERE geo_level = 'city' "
                                 "AND metric_id = 'ppp_loans_per_1k_businesses'").fetchone()[0]
    # PROVENANCE.md: 34,015 rows, median amount $20,482; 12 rows carry a ZIP code where the
    # sample registers no business (PO boxes, O'Hare, …): outside the city, not its rows.
    assert raw == loaded == 34_003 and rejected == 0
    assert city_figures["ppp_loans"] == pytest.approx(34_003)
    assert city_figures["ppp_loan_amount_median"] == 20_482
    # A 10,000-licence sample against every PPP loan: more loans than businesses.
    assert city_figures["ppp_loans_per_1k_businesses"] > 1000 and unreliable


def test_an_unreliable_figure_says_why_in_its_own_words():
    from core import metrics
    from dashboard import explorer, wording
    frame = pd.DataFrame({"value": [5000.0, 2.0], "suppressed": [False, False],
                          "unreliable": [True, False], "low_count": [False, False]})
    loans = metrics.get("ppp_loans_per_1k_businesses")
    residents = metrics.get("businesses_per_1k_residents")
    said = explorer.disclosure_text(frame, "neighborhood", 0, loans)
    assert "1 are unreliable (more loans than registered businesses" in said
    assert "fewer than 100 residents" in explorer.disclosure_text(frame, "neighborhood", 0,
                                                                  residents)
    assert wording.unreliable_text(loans).startswith("unreliable: more loans than registered")
