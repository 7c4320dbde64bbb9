"""The page registry: app.py builds navigation from it, links between pages take their file
and icon from it (`page`, `frame.page_link`), and the tests loop over it."""
from __future__ import annotations

from dataclasses import dataclass

from core import i18n
from core.i18n import N_, _


@dataclass(frozen=True)
class PageSpec:
    path: str        # file under pages/
    title: str       # plain words in the sidebar (English; `_()` where shown)
    icon: str        # Material icon (no emoji font needed)
    url_path: str    # the page's address: /<url_path>
    keys: tuple[str, ...] = ()   # the URL keys the page reads (documented in docs/dashboard.md)


PAGES: list[PageSpec] = [
    PageSpec("pages/overview.py", N_("Overview"), ":material/dashboard:", "overview"),
    PageSpec("pages/map.py", N_("Map explorer"), ":material/map:", "map",
             ("metric", "category", "level", "year", "classes", "k", "base", "n")),
    PageSpec("pages/profile.py", N_("Neighborhood profile"), ":material/location_city:", "profile",
             ("n",)),
    PageSpec("pages/compare.py", N_("Compare neighborhoods"), ":material/compare_arrows:",
             "compare", ("compare", "metric")),
    PageSpec("pages/jobs.py", N_("Job creation"), ":material/work:", "jobs", ("n", "year")),
    PageSpec("pages/diversity.py", N_("Diversity of offerings"), ":material/category:",
             "diversity", ("metric", "n", "year", "x")),
    PageSpec("pages/capital.py", N_("Capital & red tape"), ":material/account_balance:",
             "capital", ("n", "metric", "year")),
    PageSpec("pages/any_area.py", N_("Any area"), ":material/draw:", "any_area",
             ("area",)),
    PageSpec("pages/methods.py", N_("Data & methods"), ":material/menu_book:", "methods"),
]
# Reached by its address only (no sidebar entry): one chart alone, for an iframe (`embeds`).
EMBED = PageSpec("pages/embed.py", N_("Embedded chart"), ":material/code:", "embed",
                 ("chart", "metric", "year", "level", "category", "classes", "k", "n", "height"))


def page(url_path: str) -> PageSpec:
    """The registered page served at /<url_path>; a KeyError names the unknown one."""
    found = {spec.url_path: spec for spec in [*PAGES, EMBED]}
    try:
        return found[url_path]
    except KeyError:
        raise KeyError(f"no page at /{url_path}; known: {', '.join(found)}") from None

# Titles that name the areas, said for a set of areas other than the neighborhoods ("Ward
# profile", "Compare wards"); the neighborhoods keep the titles above.
AREA_TITLES = {"profile": N_("{Area} profile"), "compare": N_("Compare {areas}")}


def title(spec: PageSpec) -> str:
    """The page's title in the sidebar, in the reader's language, naming the areas shown."""
    if spec.url_path not in AREA_TITLES or i18n.areas_are_first():
        return _(spec.title)
    return _(AREA_TITLES[spec.url_path]).format(Area=i18n.areas(capital=True),
                                                areas=i18n.areas(plural=True))
