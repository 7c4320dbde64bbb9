"""Where things live on disk: one place, overridable by the environment."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """`ATLAS_DATA_DIR` if set, else the project's `data/` folder."""
    return Path(os.environ.get("ATLAS_DATA_DIR", PROJECT_ROOT / "data"))


def database_path(city_slug: str, layer: str | None = None) -> Path:
    """`data/<city>.duckdb`; a second set of areas (a layer such as wards) beside it as
    `data/<city>.<layer>.duckdb`."""
    return data_dir() / (f"{city_slug}.{layer}.duckdb" if layer else f"{city_slug}.duckdb")


def layer_path(first: Path, layer: str | None) -> Path:
    """The database of `layer` beside the first layer's file `first` (None: `first`)."""
    first = Path(first)
    return first.with_name(f"{first.stem}.{layer}{first.suffix}") if layer else first


def raw_cache_dir() -> Path:
    return data_dir() / "raw"


def cities_dir() -> Path:
    return PROJECT_ROOT / "data" / "cities"


DEMO_SLUG = "demo"
