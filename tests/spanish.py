"""What a page shows, as text, and the English words in it that should have been Spanish.

Shared by the AppTest and browser tests of issue 17: `page_texts` reads every string an
AppTest run put on the page (labels, help, options, Markdown, tables, the charts' titles,
axes, legends, hovers and annotations); `english_words` finds the words of English that
read untranslated, after leaving out what is meant to stay as written: the places' names,
the sources' names and acronyms, code and addresses.
"""
from __future__ import annotations

import json
import re

from google.protobuf.json_format import MessageToDict

# Words of English that are never Spanish words (no "a", "no", "es", "son", "me"): any of
# them in a Spanish page is a string someone forgot to mark or translate.
ENGLISH = frozenset("""
the and of with per businesses business neighborhood neighborhoods residents jobs job share
shares withheld which where when this that these those are is was were not available year
years closed opened open chart download figure figures data table map city rank low count
unreliable from into over under than more most fewest highest lowest about how what who
why its their there here only each every other others new active survival small young firms
firm loans loan licence licences license licenses application applications days none nothing
yet still back kinds kind category categories variety density change changes gained lost
between against because should could would will been being have has had did does done
show shows shown click see open opened image size embed page pages source sources made
demo synthetic number numbers people living area areas tract tracts level levels
upload file files drag drop browse limit
""".split())

# Written as they are in either language: names of places, programmes, sources and
# identifiers (matched whole, case-sensitively, before looking for English words).
KEPT = (
    r"Main Street Atlas", r"Port Juniper", r"python -m data_pipeline build --city chicago",
    r"`[^`]*`", r"https?://\S+", r"LEHD LODES", r"LODES", r"ACS", r"SBA", r"PPP", r"ZIP",
    r"Census Business Patterns", r"ZIP Business Patterns", r"Business Patterns",
    r"Nonemployer Statistics", r"Sole Proprietorship", r"Self-Employed Individuals",
    r"Independent Contractors", r"Chrome", r"Chromium", r"GeoJSON", r"CSV", r"PNG", r"SVG",
    r"PDF", r"Excel", r"CC0", r"JT02", r"C000", r"CFS01", r"CFA01", r"CFA02", r"MOE",
    # a download's column names, which stay as they are for scripts that read them
    r"\blow_count\b", r"\bunreliable(?= \(poco fiable\))",
)


def proto_strings(value) -> list[str]:
    """Every string inside a (dict of a) protobuf message."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in proto_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in proto_strings(v)]
    return []


def figure_strings(spec: dict) -> list[str]:
    """The words a Plotly figure shows: titles, axis titles and tick labels, legend names,
    annotations, hover and bar texts."""
    found: list[str] = []

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and key in ("text", "name", "hovertext", "ticktext",
                                                "hovertemplate", "customdata"):
            found.append(value)

    walk({"data": spec.get("data", []), "layout": spec.get("layout", {})})
    return found


def page_texts(at) -> list[str]:
    """Every string the run put on the page, main area and sidebar."""
    texts: list[str] = []
    for node in _nodes(at):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        kind = type(node).__name__
        if kind == "PlotlyChart":
            texts += figure_strings(json.loads(proto.spec))
            continue
        if kind == "Dataframe":
            frame = node.value
            texts += [str(c) for c in frame.columns]
            texts += [v for col in frame.columns for v in frame[col] if isinstance(v, str)]
            continue
        if kind in ("Html", "UnknownElement"):
            texts += [re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ",
                             getattr(proto, "body", ""), flags=re.S)]
            continue
        data = MessageToDict(proto)
        for key in ("spec", "data", "arrowData", "id", "formId", "key", "icon", "type",
                    "url", "pageScriptHash", "page", "language", "format", "queryString",
                    "urlPath", "sectionHeader"):
            data.pop(key, None)
        texts += proto_strings(data)
    # enum values of the messages ('SMALL', 'NONE') are not text
    return [t for t in texts if t and re.search(r"[A-Za-z]", t)
            and not re.fullmatch(r"[A-Z0-9_]+", t)]


def _nodes(at):
    stack = [at._tree]
    while stack:
        node = stack.pop()
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())


def english_words(texts: list[str], names: list[str] = ()) -> dict[str, str]:
    """English word → a text it was found in, after leaving out `names` (the city's
    neighborhoods) and what `KEPT` lists."""
    kept = re.compile("|".join([*(re.escape(n) for n in sorted(names, key=len, reverse=True)
                                  if n), *KEPT]))
    found: dict[str, str] = {}
    for text in texts:
        plain = kept.sub(" ", text)
        plain = re.sub(r"%\{[^}]*\}|<[^>]+>|&\w+;", " ", plain)   # hover templates, tags
        for word in re.findall(r"[^\W\d_]+", plain):
            if word.lower() in ENGLISH and word.lower() not in found:
                found[word.lower()] = text[:160]
    return found
