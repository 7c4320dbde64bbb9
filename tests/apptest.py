"""The app under AppTest, shared by the app, privacy and hostile-input tests: open a page of
the registry the way a visitor's link does, read the URL it ends on, check it is clean."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.registry import PAGES

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT_SECONDS = 90    # the longest one script run may take before AppTest gives up


def run_page(path: str, params: dict | None = None) -> AppTest:
    """Run app.py with the URL holding `params`, then switch to the page file `path` (as
    `st.navigation` does for a link to it); no page may raise."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_SECONDS)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    if path != PAGES[0].path:
        at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def param(at: AppTest, key: str) -> str | None:
    """The value of URL key `key` after the run (None when the page dropped it)."""
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) else value


def assert_clean(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
