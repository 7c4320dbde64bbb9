"""Spanish (issue 17, part 3): every word in the catalog, every page read in Spanish, the
language kept from page to page, numbers and dates written the Spanish way, and the
exports (CSV, GeoJSON, the brief) in Spanish.

The catalog test fails when code or the registry gains a word without Spanish; the page
tests fail when a page shows English a Spanish reader would see (a word someone forgot to
mark with `_()`), which no catalog check can find.
"""
from __future__ import annotations

import io
import json
import re
from datetime import date

import duckdb
import openpyxl
import pytest
from babel.messages import pofile
from pypdf import PdfReader

from core import i18n, i18n_catalog, metrics
from dashboard import brief, catalog, charts, downloads, exports, queries
from dashboard.__main__ import main as dashboard_cli
from dashboard.db import open_database
from dashboard.registry import EMBED, PAGES, page
from tests.apptest import run_page
from tests.spanish import english_words, page_texts


@pytest.fixture
def spanish():
    with i18n.using("es"):
        yield


def names(db_path) -> list[str]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT name FROM neighborhoods").fetchall()]


# --- The catalog ----------------------------------------------------------------------------

def test_every_word_has_spanish(demo_db, tiny_dir, partial_dir):
    """Every msgid of the code, the registry and the databases the tests build (the demo,
    the tiny city and a partial import, whose 'not available' reasons differ) is translated."""
    databases = (demo_db, tiny_dir / "tiny.duckdb", partial_dir / "partial.duckdb")
    lacking = i18n_catalog.untranslated("es", databases)
    assert not lacking, f"{len(lacking)} words without Spanish: {lacking[:10]}"


def test_the_check_fails_on_a_new_word(tmp_path, monkeypatch):
    """The catalog check is not one that cannot fail: a word added to the code is caught."""
    extra = tmp_path / "extra.py"
    extra.write_text('from core.i18n import _\n_("A sentence nobody has translated yet")\n')
    monkeypatch.setattr(i18n_catalog, "_files", lambda: [extra])
    assert "A sentence nobody has translated yet" in i18n_catalog.untranslated("es")


def test_translations_keep_their_placeholders():
    with i18n.po_path("es").open("rb") as handle:
        catalog = pofile.read_po(handle, locale="es")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"\{\w*\}", " ".join(ids)))
        for string in strings:
            assert set(re.findall(r"\{\w*\}", string)) == wanted, (message.id, string)


def test_metric_words_translate_in_one_place(spanish):
    """The registry's words come translated from `Metric` itself; its English stays
    readable (`english`) and the markdown the docs hold is English."""
    m = metrics.get("micro_per_1k_residents")
    assert m.label == "Micronegocios por cada 1.000 residentes"
    assert m.english("label") == "Micro-businesses per 1,000 residents"
    assert m.caveat.startswith("Un registro municipal cuenta inscripciones")
    with i18n.using("en"):
        assert "Micro-businesses per 1,000 residents" in metrics.markdown()


def test_numbers_and_dates_in_spanish(spanish):
    assert i18n.number(1234.5) == "1.234,5"
    assert i18n.number(1234567, "{:,.0f}") == "1.234.567"
    assert i18n.number(0.123, "{:.0%}") == "12\u00a0%"
    assert i18n.number(-0.05, "{:+.1%}") == "-5,0\u00a0%"
    assert i18n.number(150000, "${:,.0f}") == "$150.000"
    assert i18n.day(date(2026, 12, 4)) == "4 de diciembre de 2026"
    with i18n.using("en"):
        assert i18n.number(1234.5) == "1,234.5"
        assert i18n.number(0.123, "{:.0%}") == "12%"


def test_an_unknown_language_is_english():
    with i18n.using("es"):
        assert i18n.set_language("xx") == "en"
        assert i18n.gettext("Map explorer") == "Map explorer"


# --- Pages ----------------------------------------------------------------------------------

def visits() -> list[tuple[str, dict]]:
    """Every registered page, the presentation's slides and the embed's charts."""
    found = [(spec.path, {}) for spec in PAGES]
    found += [(page("profile").path, {"present": "1", "slide": str(n)}) for n in range(1, 7)]
    found += [(EMBED.path, {"chart": c}) for c in ("map", "trend", "mix", "jobs")]
    return found


@pytest.mark.parametrize("path,params", visits(),
                         ids=[f"{p.split('/')[-1]}-{'-'.join(v.values()) or 'page'}"
                              for p, v in visits()])
def test_every_page_reads_in_spanish(app_env, demo_db, path, params):
    at = run_page(path, {**params, "lang": "es"})
    texts = page_texts(at)
    english = english_words(texts, names(demo_db))
    assert not english, f"English on {path} {params}: {english}"
    with i18n.using("es"):
        assert any(i18n.gettext(spec.title) in " ".join(texts) or spec.path != path
                   for spec in PAGES)


def test_english_is_still_the_default(app_env):
    at = run_page(page("map").path)
    assert at.title[0].value == "Map explorer"
    assert "Copy link" in " ".join(page_texts(at))


def test_the_switch_and_the_url_choose_the_language(app_env):
    """`?lang=es` picks Spanish; the sidebar's switch says so and keeps it in the URL; a
    page opened next (the sidebar drops the query string) is still in Spanish."""
    at = run_page(page("overview").path, {"lang": "es"})
    switch = at.sidebar.radio(key="w_lang")
    assert switch.value == "es" and at.query_params.get("lang") in ("es", ["es"])
    assert at.title[0].value.endswith("de un vistazo")
    at.query_params.clear()
    at.switch_page(page("map").path).run()
    assert at.title[0].value == "Explorador de mapas"
    at.sidebar.radio(key="w_lang").set_value("en").run()
    assert at.title[0].value == "Map explorer"


# --- Exports --------------------------------------------------------------------------------

def test_csv_and_geojson_in_spanish(demo_db, spanish):
    db = open_database(demo_db)
    meta = exports.metric_meta(db, ["micro_per_1k_residents"], "Micronegocios", date(2026, 12, 4))
    data = exports.table_csv(exports.neighborhood_figures(db, "N01").head(5), meta).decode()
    header = "\n".join(line for line in data.splitlines() if line.startswith("#"))
    assert "# Título: Micronegocios" in header and "# Fuente:" in header
    assert "4 de diciembre de 2026" in header
    assert not english_words([header], names(demo_db)), header
    geo = json.loads(exports.map_geojson(db, "micro_per_1k_residents", 2024,
                                         made_on=date(2026, 12, 4)))
    assert geo["title"].startswith("Micronegocios por cada 1.000 residentes")
    assert "," in geo["features"][0]["properties"]["value_text"]


@pytest.mark.parametrize("hood", ["N01", None])
def test_the_brief_in_spanish(demo_db, spanish, hood):
    pdf = brief.make_brief(open_database(demo_db), hood, date(2026, 12, 4))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    assert ("Informe de la ciudad" if hood is None else "Informe del barrio").upper() in text
    assert "4 de diciembre de 2026" in text
    english = english_words([text], names(demo_db))
    assert not english, english


def test_a_chart_image_in_spanish(demo_db, spanish):
    """A publishable image: title, subtitle, axes, legend and footer (source, date) in
    Spanish, numbers with Spanish separators (the figure as kaleido would draw it)."""
    db = open_database(demo_db)
    series = queries.area_series(db, ["formations", "closures"], ["N01"])
    figure, _table = charts.flows(series, 0, "N01", metrics.get("formations"),
                                  metrics.get("closures"), title="Negocios abiertos")
    spec = downloads.Download("Negocios abiertos y cerrados", ("formations", "closures"))
    ready = downloads.publishable_figure(db, figure, spec, "16:9", date(2026, 12, 4))
    assert ready.layout.separators == ",."
    texts = [ready.layout.title.text, ready.layout.title.subtitle.text,
             ready.layout.yaxis.title.text, *[t.name for t in ready.data],
             *[a.text for a in ready.layout.annotations]]
    footer = " ".join(a.text for a in ready.layout.annotations)
    assert "Fuente:" in footer and "4 de diciembre de 2026" in footer
    assert not english_words(texts, names(demo_db)), texts


def test_figures_workbook_in_spanish(demo_db, spanish):
    db = open_database(demo_db)
    data = exports.as_xlsx(exports.neighborhood_figures(db, "N01"),
                           exports.figures_meta(db, "N01", date(2026, 12, 4)))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Cifras", "Acerca de"]
    about = " ".join(str(c.value) for row in book["Acerca de"].iter_rows() for c in row if c.value)
    shown = " ".join(str(c.value) for row in book["Cifras"].iter_rows() for c in row if c.value)
    assert "Todas las cifras de" in about and "Micronegocios por cada 1.000 residentes" in shown


def test_the_brief_from_the_command_line_in_spanish(demo_db, tmp_path):
    out = tmp_path / "informe.pdf"
    with i18n.using("en"):      # the CLI sets the language; the tests after it stay English
        assert dashboard_cli(["brief", "--db", str(demo_db), "--out", str(out), "--lang", "es",
                              "--date", "2026-12-04"]) == 0
    text = " ".join(p.extract_text() for p in PdfReader(str(out)).pages)
    assert "INFORME DE LA CIUDAD" in text
    assert i18n.language() == "en"


def test_find_my_neighborhood_answers_in_spanish(app_env):
    """Its answer is made in a callback, before app.py sets the run's language."""
    at = run_page(page("profile").path, {"lang": "es"})
    at.text_input(key="w_find").set_value("Old Mill").run()
    said = [e.value for e in at.success] + [e.value for e in at.info]
    assert any("es el barrio Old Mill" in s for s in said), said
    at.text_input(key="w_find").set_value("zzzz nowhere").run()
    assert any("Ningún barrio de" in e.value for e in at.info), [e.value for e in at.info]


def test_the_registry_words_name_the_areas_shown(demo_dir):
    """A caveat or formula that says how a figure reaches the areas names the areas shown,
    in the code's registry, in the table the build writes and on Spanish Data & methods."""
    said = "Census count of employer establishments with 1 to 4 employees, split from ZIP codes to "
    first = open_database(demo_dir / "demo.duckdb")
    districts = open_database(demo_dir / "demo.districts.duckdb")
    words = ("label", "description", "unit", "formula", "caveat")
    for db, english, spanish in ((first, "neighborhoods", "barrios"),
                                 (districts, "districts", "distritos")):
        table = catalog.registry(db).set_index("metric_id")
        assert table.loc["census_micro_establishments", "description"] == said + english + "."
        with i18n.using_areas(*db.areas()):
            assert metrics.REGISTRY["census_micro_establishments"].description == said + english + "."
            assert f"each {english[:-1]} counts the ZIP's share" in metrics.REGISTRY["sba_loans"].formula
            with i18n.using("es"):
                translated = catalog.registry(db).set_index("metric_id")
                assert translated.loc["census_micro_establishments", "description"].endswith(
                    f"repartido de los códigos postales a los {spanish}.")
                assert f"a los {spanish} con los pesos documentados" in translated.loc[
                    "residents", "caveat"]
                shown = " ".join(translated[list(words)].fillna("").to_numpy().ravel())
                assert "{area" not in shown and "{Area" not in shown
        if db is districts:
            shown = " ".join(table[list(words)].fillna("").to_numpy().ravel())
            assert "neighborhood" not in shown and "{area" not in shown
