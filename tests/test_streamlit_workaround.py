"""The one Streamlit workaround (`frame.leave_pages_directory_mode`) and what it relies on.

A Streamlit upgrade is noticed here: when it renames or removes the private flag the
workaround sets, or when a deep link on a fresh server goes through app.py without it
(then the workaround can go)."""
from __future__ import annotations

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from dashboard import frame
from dashboard.registry import PAGES
from tests.apptest import APP, TIMEOUT_SECONDS, assert_clean

DEEP = PAGES[1]     # a page other than the first, which is served at /


def deep_link_on_a_fresh_server() -> AppTest:
    """The first run of a new server is a link straight to a page (AppTest starts each app
    with Streamlit's pages-directory flag unset, as a new server has it)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_SECONDS)
    at.switch_page(DEEP.path).run()
    return at


def framed(at: AppTest) -> bool:
    """Whether app.py's frame ran around the page (its demo banner is on every page)."""
    return any("Demo city" in i.value for i in at.info)


def test_streamlit_still_has_the_flag_the_workaround_sets():
    assert hasattr(PagesManager, "uses_pages_directory"), (
        "Streamlit no longer has PagesManager.uses_pages_directory: check whether a deep link "
        "on a fresh server still skips app.py, then change or drop "
        "frame.leave_pages_directory_mode")


def test_a_deep_link_on_a_fresh_server_goes_through_app_py(app_env):
    at = deep_link_on_a_fresh_server()
    assert_clean(at)
    assert framed(at), f"/{DEEP.url_path} ran without app.py's frame"
    assert at.title, "the page itself ran"
    assert PagesManager.uses_pages_directory is False


def test_without_the_workaround_a_deep_link_skips_app_py(app_env, monkeypatch):
    """The workaround is still needed: when this fails, Streamlit runs a deep link through
    the main script on its own, and `leave_pages_directory_mode` can go."""
    monkeypatch.setattr(frame, "leave_pages_directory_mode", lambda: None)
    at = deep_link_on_a_fresh_server()
    assert at.title, "the page itself ran"
    assert not framed(at), "Streamlit now routes a deep link through app.py by itself"
