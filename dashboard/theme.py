"""One look for every chart: colour-blind-safe palettes and type that reads on a projector."""
from __future__ import annotations

from core import i18n

# Sequential: viridis is perceptually uniform and readable with every common colour-vision
# deficiency. Maps use it reversed, so that darker means more.
SEQUENTIAL = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
SEQUENTIAL_NAME = "Viridis"
SEQUENTIAL_REVERSED_NAME = "Viridis_r"
# Diverging (gains/losses): orange for less, purple for more; safe for red–green deficiencies.
DIVERGING = ["#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"]
DIVERGING_NAME = "PuOr"
GAIN, LOSS = "#542788", "#b35806"
# Categorical: Okabe–Ito, designed for colour-vision deficiencies.
CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
               "#F0E442", "#000000"]
CITY = "#555555"          # the city as a reference line: dark grey, dashed
HIGHLIGHT = "#D55E00"     # the chosen neighborhood among the others
MUTED = "#b8b8b8"
NO_DATA = "#d9d9d9"
GRID = "#e5e5e5"
FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
BASE_FONT_SIZE = 15
PRODUCT_NAME = "Main Street Atlas"


def base_layout(title: str | None = None) -> dict:
    """Layout settings every figure starts from."""
    layout = {
        "font": {"family": FONT_FAMILY, "size": BASE_FONT_SIZE, "color": "#1a1a1a"},
        "margin": {"l": 10, "r": 10, "t": 50 if title else 10, "b": 10},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": CATEGORICAL,
        "hoverlabel": {"font": {"size": 14, "family": FONT_FAMILY}, "align": "left"},
        # Axis numbers as the reader writes them: decimal mark, then thousands separator.
        "separators": ",." if i18n.language() == "es" else ".,",
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 19}}
    return layout


# Plotly's own words (the chart toolbar's buttons, its notices) in Spanish, handed to the
# browser with each chart (`plotly_locale`): Plotly ships them in a separate file.
PLOTLY_ES = {
    "Download plot as a png": "Descargar el gráfico como png",
    "Download plot as a PNG": "Descargar el gráfico como PNG",
    "Fullscreen": "Pantalla completa", "Exit fullscreen": "Salir de pantalla completa",
    "Download plot": "Descargar el gráfico",
    "Zoom": "Zoom", "Pan": "Desplazar", "Box Select": "Selección rectangular",
    "Lasso Select": "Selección con lazo", "Zoom in": "Acercar", "Zoom out": "Alejar",
    "Autoscale": "Escala automática", "Reset axes": "Restablecer ejes",
    "Reset view": "Restablecer vista", "Reset": "Restablecer",
    "Toggle Spike Lines": "Mostrar u ocultar líneas de referencia",
    "Show closest data on hover": "Mostrar el dato más cercano al pasar el cursor",
    "Compare data on hover": "Comparar datos al pasar el cursor",
    "Toggle show closest data on hover": "Mostrar u ocultar el dato más cercano",
    "Produced with Plotly.js": "Hecho con Plotly.js",
    "Taking snapshot - this may take a few seconds": "Tomando la imagen; puede tardar unos segundos",
    "Snapshot succeeded": "Imagen lista",
    "Sorry, there was a problem downloading your snapshot!":
        "No se pudo descargar la imagen.",
    "Double-click to zoom back out": "Doble clic para volver a alejar",
    "Double-click on legend to isolate one trace":
        "Doble clic en la leyenda para aislar una serie",
    "Click to enter Colorscale title": "Clic para escribir el título de la escala",
    "Click to enter Plot title": "Clic para escribir el título del gráfico",
    "trace": "serie",
}


def plotly_locale() -> dict:
    """Plotly's config for the reader's language: its toolbar's words and its number and
    date formats ({} in English, Plotly's own)."""
    if i18n.language() != "es":
        return {}
    return {"locale": "es", "locales": {"es": {
        "dictionary": PLOTLY_ES,
        "format": {"decimal": ",", "thousands": ".", "grouping": [3],
                   "currency": ["$", ""],
                   "days": ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes",
                            "sábado"],
                   "shortDays": ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
                   "months": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
                              "agosto", "septiembre", "octubre", "noviembre", "diciembre"],
                   "shortMonths": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago",
                                   "sept", "oct", "nov", "dic"],
                   "date": "%d/%m/%Y"}}}}


def colour(i: int) -> str:
    return CATEGORICAL[i % len(CATEGORICAL)]


# Neighborhoods side by side: Okabe–Ito without yellow (faint on white) and black (read as
# the city's line).
AREA_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]


def area_colours(chosen: list[str], all_ids: list[str]) -> dict[str, str]:
    """A colour per chosen area that follows the area, not the selection: its place among
    all areas (`all_ids`) picks it, so adding or removing another area changes no one
    else's. Two areas whose place would share a colour: the one chosen later takes the
    next free colour."""
    place = {geo_id: i for i, geo_id in enumerate(all_ids)}
    given: dict[str, str] = {}
    for geo_id in chosen:
        start = place.get(geo_id, len(given))
        free = [AREA_COLOURS[(start + step) % len(AREA_COLOURS)]
                for step in range(len(AREA_COLOURS))]
        given[geo_id] = next((c for c in free if c not in given.values()), free[0])
    return given
