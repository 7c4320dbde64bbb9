"""Every page of the registry runs under AppTest without an exception or an error box."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES

APP = "../app.py"  # AppTest resolves paths against this test file's folder


def run_page(path: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if path != PAGES[0].path:
        at.switch_page(path).run()
    return at


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_page_renders_without_error(app_env, page):
    at = run_page(page.path)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("Demo city" in i.value for i in at.info), "the demo banner is missing"


def test_overview_headlines_say_their_year(app_env):
    at = run_page("pages/overview.py")
    labels = [m.label for m in at.metric]
    assert labels, "no headline figures"
    assert all("(20" in label or "not available" in m.value
               for label, m in zip(labels, at.metric))


def test_map_year_comes_from_the_url(app_env):
    at = run_page("pages/map.py", {"year": "2019"})
    assert at.select_slider(key="w_year").value == 2019
    assert at.query_params["year"] == ["2019"] or at.query_params["year"] == "2019"


def test_bad_year_in_the_url_falls_back_with_a_notice(app_env):
    at = run_page("pages/map.py", {"year": "<script>alert(1)</script>"})
    assert not at.exception
    assert any("not available here" in w.value for w in at.warning)
