"""The page registry: app.py builds navigation from it and the tests loop over it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str        # file under pages/
    title: str       # plain words in the sidebar
    icon: str        # Material icon (no emoji font needed)
    url_path: str    # the page's address: /<url_path>


PAGES: list[PageSpec] = [
    PageSpec("pages/overview.py", "Overview", ":material/dashboard:", "overview"),
    PageSpec("pages/map.py", "Map explorer", ":material/map:", "map"),
]
