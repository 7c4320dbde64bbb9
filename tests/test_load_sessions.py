"""Load: 20 browser sessions click through the pages of one `streamlit run` server.

One headless Chromium with 20 contexts (separate cookies, separate Streamlit sessions)
drives one server on 127.0.0.1 for ATLAS_LOAD_SECONDS (default 120). Each session follows
its own neighborhood and metric round the pages, from links and from the sidebar, and
checks that what it sees is its own: the profile's heading is its neighborhood, the map's
URL keeps its metric, the compare, diversity and jobs pages keep its neighborhood. No page may show
error text, and the server's resident memory (VmRSS, sampled every second) stays under
1.5 GB.
"""
from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BROWSER_ARGS, CHROMIUM, require_browser
from tests.server import start_server

pytestmark = [pytest.mark.browser, pytest.mark.load]
SESSIONS = int(os.environ.get("ATLAS_LOAD_SESSIONS", "20"))
SECONDS = float(os.environ.get("ATLAS_LOAD_SECONDS", "120"))
RSS_LIMIT_KB = 1.5 * 1024 * 1024
ERROR_TEXT = ["Traceback", "Something went wrong", "Error:", "Page not found"]
TIMEOUT = 90_000          # ms: 20 sessions share two cores


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class MemoryWatch(threading.Thread):
    """Samples a process's resident memory once a second; keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.samples = pid, 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            try:
                self.peak = max(self.peak, rss_kb(self.pid))
                self.samples += 1
            except OSError:
                return


def choices(db: Path) -> tuple[list[tuple[str, str]], list[str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        hoods = con.execute("SELECT neighborhood_id, name FROM neighborhoods ORDER BY 1").fetchall()
        metrics = [r[0] for r in con.execute(
            "SELECT DISTINCT metric_id FROM metrics_long WHERE geo_level = 'neighborhood' "
            "AND value IS NOT NULL AND metric_id NOT IN ('category_count', 'location_quotient') "
            "ORDER BY 1").fetchall()]
    return hoods, metrics


async def settle(page) -> None:
    await page.wait_for_selector("h1", timeout=TIMEOUT)
    await page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)


async def no_error(page, where: str) -> None:
    text = await page.inner_text("body")
    found = [e for e in ERROR_TEXT if e in text]
    assert not found, f"{where}: {found} on the page"
    assert await page.locator('[data-testid="stException"]').count() == 0, where


async def session(browser, url: str, hood: tuple[str, str], metric: str, other: str,
                  deadline: float, tally: dict) -> None:
    """One visitor: round the pages with its own neighborhood and metric until the deadline."""
    hood_id, hood_name = hood
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    steps = [
        (f"profile?n={hood_id}", "profile"), ("jobs", "sidebar jobs"),
        (f"map?metric={metric}", "map"), (f"compare?compare={hood_id},{other}", "compare"),
        (f"diversity?n={hood_id}", "diversity"), (f"jobs?n={hood_id}", "jobs"),
        ("methods", "methods"), ("", "overview")]
    try:
        while time.monotonic() < deadline:
            for address, what in steps:
                if time.monotonic() >= deadline:
                    break
                if what == "sidebar jobs":     # by the sidebar: the session remembers `n`
                    link = page.locator('a[data-testid="stSidebarNavLink"][href$="/jobs"]')
                    await link.wait_for(state="attached", timeout=TIMEOUT)
                    await link.dispatch_event("click")     # even with the sidebar folded
                    await page.wait_for_url("**/jobs*", timeout=TIMEOUT)
                else:
                    await page.goto(f"{url}/{address}", timeout=TIMEOUT)
                await settle(page)
                await no_error(page, f"{hood_id} {what}")
                await check_own_state(page, what, hood_id, hood_name, metric)
                tally["views"] += 1
                tally["checked"].add(what)
        tally["sessions"] += 1
    finally:
        await context.close()


async def check_own_state(page, what: str, hood_id: str, hood_name: str, metric: str) -> None:
    if what == "profile":
        heading = (await page.locator("h1").first.inner_text()).strip()
        assert heading == hood_name, f"session {hood_id} sees the profile of {heading!r}"
    elif what == "map":
        await page.wait_for_function(f"() => location.search.includes('metric={metric}')",
                                     timeout=TIMEOUT)
    elif what == "sidebar jobs":
        assert (await page.locator("h1").first.inner_text()).strip() == "Job creation"
    elif what in ("jobs", "diversity"):
        await page.wait_for_function(f"() => location.search.includes('n={hood_id}')",
                                     timeout=TIMEOUT)
        assert hood_name in await page.inner_text("body"), f"{what} of {hood_id}"
    elif what == "compare":
        assert f"compare={hood_id}" in page.url.replace("%2C", ","), page.url


async def crowd(url: str, hoods, metrics, tally: dict) -> None:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        deadline = time.monotonic() + SECONDS
        try:
            await asyncio.gather(*[
                session(browser, url, hoods[i % len(hoods)], metrics[i % len(metrics)],
                        hoods[(i + 1) % len(hoods)][0], deadline, tally)
                for i in range(SESSIONS)])
        finally:
            await browser.close()


def run_in_own_thread(coroutine) -> None:
    """asyncio.run in a thread of its own: the sync Playwright of other tests may hold a
    running event loop in this one."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:   # noqa: BLE001 - handed back to the test
            failure.append(error)
    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_twenty_sessions_click_through_the_pages(demo_dir):
    require_browser()
    hoods, metrics = choices(demo_dir / "demo.duckdb")
    assert len(hoods) >= SESSIONS and len(metrics) >= 5
    server, url, log = start_server(demo_dir)
    watch = MemoryWatch(server.pid)
    watch.start()
    tally = {"views": 0, "sessions": 0, "checked": set()}
    started = time.monotonic()
    try:
        run_in_own_thread(crowd(url, hoods, metrics, tally))
    finally:
        watch.stopped.set()
        watch.join(timeout=5)
        alive = server.poll() is None
        server.terminate()
        server.wait(timeout=30)
        log.close()
    took = time.monotonic() - started
    print(f"\n{SESSIONS} sessions, {took:.0f} s, {tally['views']} page views, "
          f"peak server RSS {watch.peak / 1024:.0f} MB over {watch.samples} samples; "
          f"checked: {sorted(tally['checked'])}")
    assert alive, "the server died under load"
    assert tally["sessions"] == SESSIONS
    assert tally["views"] >= SESSIONS * max(1, int(SECONDS // 60))
    if SECONDS >= 120:
        assert {"profile", "sidebar jobs", "map", "compare"} <= tally["checked"]
    assert watch.samples >= min(SECONDS, 10) / 2
    assert 0 < watch.peak < RSS_LIMIT_KB, f"peak RSS {watch.peak / 1024:.0f} MB"
