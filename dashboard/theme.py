"""One look for every chart: colour-blind-safe palettes and type that reads on a projector."""
from __future__ import annotations

# Sequential: viridis is perceptually uniform and readable with every common colour-vision deficiency.
SEQUENTIAL = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"]
SEQUENTIAL_NAME = "Viridis"
# Diverging (gains/losses): blue–orange, safe for red–green deficiencies (ColorBrewer PuOr-like).
DIVERGING = ["#b35806", "#f1a340", "#fee0b6", "#f7f7f7", "#d8daeb", "#998ec3", "#542788"]
# Categorical: Okabe–Ito, designed for colour-vision deficiencies.
CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
               "#F0E442", "#000000"]
NO_DATA = "#d9d9d9"
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
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left"}
    return layout
